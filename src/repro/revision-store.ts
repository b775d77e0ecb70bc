// The last commit that touched each target's paths, kept per HEAD commit, so
// that the next `matrix bake` at the same commit starts docker without asking
// git again (src/bake/gitenv.ts inputRevisions). A commit names its whole
// history, so `git log -1 COMMIT -- PATHS` answers the same every time, as
// long as nothing rewrites history as git reads it: a shallow boundary
// (`shallow`, part of the key), grafts (`info/grafts`), replace refs
// (`refs/replace/`), or git pointed elsewhere by the environment (GIT_DIR,
// GIT_NO_REPLACE_OBJECTS, ...). With any of those but the shallow boundary,
// nothing is kept or read. Kept in the repository's git directory, beside
// gen's records; an answer read back is used only in the exact form git
// gives it, so nothing else can reach a --set value.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../adapters/git.js';
import type { RevisionStore } from '../bake/gitenv.js';
import { gitDirFor, readRecord, writeRecord } from '../cache/store.js';
import { exists } from '../fs/probe.js';
import { readRegularText } from '../fs/read.js';
import { commonDirOf } from '../paths.js';

const FILE = 'matrix-revisions.json';
const FORMAT = 1;

/** A commit name as git prints it: SHA-1 or SHA-256. */
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** One kept answer: `SHA EPOCH`, or '' (no commit touched the paths). */
const ANSWER = /^(?:(?:[0-9a-f]{40}|[0-9a-f]{64}) \d{1,12})?$/;

/** packed-refs larger than this are not searched for replace refs: nothing is kept. */
const MAX_PACKED_REFS = 64 * 1024 * 1024;

/**
 * Variables of git's that change which history `git log -1 COMMIT -- PATHS`
 * walks or how it matches paths (git(1), "ENVIRONMENT VARIABLES"): another
 * repository or object store, replace refs, grafts or shallow boundary from
 * elsewhere, pathspec magic, configuration. Any of them turns the store off.
 */
const REDIRECTS =
  /^GIT_(?:DIR|COMMON_DIR|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NO_REPLACE_OBJECTS|REPLACE_REF_BASE|GRAFT_FILE|SHALLOW_FILE|(?:LITERAL|GLOB|NOGLOB|ICASE)_PATHSPECS|CONFIG\w*)$/;

interface Kept {
  v: number;
  head: string;
  history: string;
  revisions: Record<string, string>;
}

/**
 * The store for `head` in `repoRoot`, or undefined when answers cannot be
 * kept there (no writable git directory, history rewritten as git reads it,
 * git pointed elsewhere). Answers kept for another commit or history are
 * dropped on the next save.
 */
export function revisionStore(repoRoot: string, head: string, env: Env): RevisionStore | undefined {
  if (!COMMIT.test(head) || Object.keys(env).some((k) => REDIRECTS.test(k) && env[k] !== undefined)) return undefined;
  const gitDir = gitDirFor(repoRoot);
  const history = gitDir && historyOf(gitDir);
  if (!gitDir || history === undefined) return undefined;
  const file = path.join(gitDir, FILE);
  const kept = new Map<string, string>();
  const old = parse(readRecord(file));
  if (old?.head === head && old.history === history) {
    for (const [key, answer] of Object.entries(old.revisions)) if (typeof answer === 'string' && ANSWER.test(answer)) kept.set(key, answer);
  }
  return {
    head,
    get: (key) => kept.get(key),
    save(answers) {
      const fresh = [...answers].filter(([, answer]) => ANSWER.test(answer));
      if (!fresh.length) return;
      for (const [key, answer] of fresh) kept.set(key, answer);
      const text: Kept = { v: FORMAT, head, history, revisions: Object.fromEntries(kept) };
      writeRecord(file, `${JSON.stringify(text)}\n`);
    },
  };
}

function parse(text: string | undefined): Kept | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Kept> | null;
    if (v?.v !== FORMAT || typeof v.head !== 'string' || typeof v.history !== 'string' || typeof v.revisions !== 'object' || v.revisions === null) return undefined;
    return v as Kept;
  } catch {
    return undefined;
  }
}

/**
 * What besides the commit decides the history git walks: a digest of the
 * shallow boundary ('' for a full clone). Undefined when history may be
 * rewritten as git reads it (grafts, replace refs, a reftable, whose refs
 * this does not read) or the common directory cannot be read.
 */
function historyOf(gitDir: string): string | undefined {
  try {
    const common = commonDirOf(gitDir);
    if (exists(path.join(common, 'info', 'grafts')) || exists(path.join(common, 'reftable'))) return undefined;
    if (replaceRefs(path.join(common, 'refs', 'replace'))) return undefined;
    const packed = path.join(common, 'packed-refs');
    if (exists(packed) && / refs\/replace\//.test(readRegularText(packed, { followSymlinks: false, maxBytes: MAX_PACKED_REFS }))) return undefined;
    const shallow = path.join(common, 'shallow');
    return exists(shallow)
      ? createHash('sha256')
          .update(readRegularText(shallow, { followSymlinks: false }))
          .digest('hex')
      : '';
  } catch {
    return undefined;
  }
}

/** Whether a replace ref may be under refs/replace (any entry at all, or a directory that cannot be listed). */
function replaceRefs(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
