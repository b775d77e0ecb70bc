// Stage 6: compare the rendered files with the disk, then either report
// (`gen --check`, opens nothing for writing) or apply the changes.
import { lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { sameBytes } from './same.js';
import path from 'node:path';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import { readRegularText } from '../fs/read.js';
import { commitTemp, removeQuietly, tempNameFor, writeFault, writeTemp } from '../fs/write.js';
import { isInside, realpathOrUndefined } from '../paths.js';
import { alive } from './lock.js';
import { isGenerated } from '../render/header.js';

export type ChangeKind = 'create' | 'update' | 'delete';

export interface Change {
  kind: ChangeKind;
  /** Spec-dir-relative POSIX path. */
  file: string;
  before?: string;
  after?: string;
}

export interface SyncPlan {
  changes: Change[];
  unchanged: string[];
  diagnostics: Diagnostic[];
}

/** The real path of `dir`, or of its nearest ancestor that exists. */
function nearestExistingReal(dir: string): string | undefined {
  for (let d = dir; ; ) {
    const real = realpathOrUndefined(d);
    const up = path.dirname(d);
    if (real !== undefined || up === d) return real;
    d = up;
  }
}

/**
 * What is at `abs`. With `expected`, a regular file holding exactly those
 * bytes is reported `same` without being read into a string (the usual case
 * of an up-to-date output: no text kept, nothing for the collector).
 */
function readIfFile(abs: string, expected?: string): { kind: 'missing' | 'file' | 'dir' | 'symlink' | 'other'; text?: string; same?: boolean } {
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return { kind: 'missing' };
  }
  if (st.isSymbolicLink()) return { kind: 'symlink' };
  if (st.isDirectory()) return { kind: 'dir' };
  if (!st.isFile()) return { kind: 'other' };
  if (expected !== undefined && sameBytes(abs, expected, st.size)) return { kind: 'file', same: true };
  // A generated file is far below this; a larger one is not ours to replace.
  return { kind: 'file', text: readRegularText(abs, { followSymlinks: false, maxBytes: MAX_OUTPUT_BYTES }) };
}

/** Larger files at an output path are read no further (nothing matrix generates comes near). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Files a previous `gen` recorded in the bake file's header. */
export function previousManifest(bakeText: string | undefined): string[] {
  if (!bakeText || !isGenerated(bakeText)) return [];
  const out: string[] = [];
  for (const line of bakeText.split('\n')) {
    if (line.startsWith('# generated: ')) out.push(line.slice('# generated: '.length));
    else if (line.startsWith('group ') || line.startsWith('target ')) break;
  }
  return out;
}

/** Where in the spec an output comes from, so a refusal can point there. */
export type OutputOrigins = Pick<ReadonlyMap<string, Pick<Diagnostic, 'file' | 'line' | 'column' | 'path'>>, 'get'>;

/**
 * `inputs`: absolute paths of every file the spec reads (the spec itself,
 * hand-written Dockerfiles, user templates, secret files...). A file the spec
 * uses is never an orphan: a service switched from `template:` to
 * `dockerfile:` at the same path adopts the generated file, edits and all.
 */
export function planSync(specDir: string, repoRoot: string, files: ReadonlyMap<string, string>, bakeFile: string, origins?: OutputOrigins, inputs: readonly string[] = []): SyncPlan {
  const where: Where = { specDir, repoRoot, realRoot: realpathOrUndefined(repoRoot) ?? repoRoot };
  const { changes, unchanged, diagnostics, oldBake } = planOutputs(where, files, bakeFile, origins);
  changes.push(...orphanDeletions(where, files, oldBake, inputs));
  return { changes, unchanged, diagnostics };
}

/** The spec dir, and the repository root as given and as its real path. */
interface Where {
  specDir: string;
  repoRoot: string;
  realRoot: string;
}

/** What to do with each output: create, update, nothing, or refuse (a diagnostic). Also the bake file as it was. */
function planOutputs(where: Where, files: ReadonlyMap<string, string>, bakeFile: string, origins?: OutputOrigins): SyncPlan & { oldBake: string | undefined } {
  const { specDir, repoRoot, realRoot } = where;
  const changes: Change[] = [];
  const unchanged: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const problem = (file: string, code: DiagnosticCode, message: string, hint: string) => diagnostics.push(diagnostic({ code, file, ...origins?.get(file), message, hint }));

  let oldBake: string | undefined;
  const realDirs = new Map<string, string | undefined>();
  for (const [file, content] of files) {
    const abs = path.resolve(specDir, file);
    // The directory an output lands in must really be inside the repository
    // (checked on its nearest existing ancestor when it is still to be created).
    const dir = path.dirname(abs);
    if (!realDirs.has(dir)) realDirs.set(dir, nearestExistingReal(dir));
    const parentReal = realDirs.get(dir);
    if (!parentReal || !isInside(realRoot, parentReal) || !isInside(path.resolve(repoRoot), abs)) {
      problem(file, 'output-outside-repo', `output ${file} would be written outside the repository`, 'check for symbolic links in the path of the context');
      continue;
    }
    const cur = readIfFile(abs, content);
    if (file === bakeFile) oldBake = cur.same ? content : cur.text;
    if (cur.kind === 'missing') changes.push({ kind: 'create', file, after: content });
    else if (cur.kind === 'file' && (cur.same || cur.text === content)) unchanged.push(file);
    // An empty file holds nothing to lose: a write cut short by a power failure leaves one.
    else if (cur.kind === 'file' && (isGenerated(cur.text!) || cur.text === '')) changes.push({ kind: 'update', file, before: cur.text!, after: content });
    else if (cur.kind === 'file') {
      problem(
        file,
        'not-generated',
        `${file} exists and was not generated by matrix; it will not be overwritten`,
        file === bakeFile ? 'move it away, or set `bake_file` in the spec to another name' : "use it as the service's `dockerfile:` instead of a template, or move it away",
      );
    } else {
      problem(
        file,
        'output-not-a-file',
        `${file} is a ${cur.kind === 'dir' ? 'directory' : cur.kind === 'symlink' ? 'symbolic link' : 'special file'}; matrix will not replace it`,
        'remove it, or give the service another context',
      );
    }
  }

  return { changes, unchanged, diagnostics, oldBake };
}

/** Deletions: outputs the previous bake file's manifest lists that this run no longer writes. */
function orphanDeletions(where: Where, files: ReadonlyMap<string, string>, oldBake: string | undefined, inputs: readonly string[]): Change[] {
  const { specDir, repoRoot, realRoot } = where;
  const changes: Change[] = [];
  // Compared as absolute paths: a manifest line `./api/Dockerfile` names the file we are about to write.
  const outputs = new Set([...files.keys()].map((f) => path.resolve(specDir, f)));
  // Inputs compared by path and by real path (`./x`, `a/../x`, a symlinked directory);
  // resolved only when there is an orphan candidate at all (usually there is none).
  let keptSet: Set<string> | undefined;
  const kept = () => {
    if (keptSet) return keptSet;
    keptSet = new Set<string>();
    for (const p of inputs) {
      keptSet.add(path.resolve(p));
      const real = realpathOrUndefined(p);
      if (real) keptSet.add(real);
    }
    return keptSet;
  };
  for (const file of previousManifest(oldBake)) {
    const abs = path.resolve(specDir, file);
    if (outputs.has(abs) || kept().has(abs) || !isInside(path.resolve(repoRoot), abs)) continue;
    const parentReal = realpathOrUndefined(path.dirname(abs));
    if (!parentReal || !isInside(realRoot, parentReal)) continue;
    if (kept().has(path.join(parentReal, path.basename(abs))) || kept().has(realpathOrUndefined(abs) ?? abs)) continue;
    const cur = readIfFile(abs);
    // Only files that still carry our header: an edited-away header means a human owns it now.
    if (cur.kind === 'file' && isGenerated(cur.text!)) changes.push({ kind: 'delete', file, before: cur.text! });
  }
  return changes;
}

/**
 * Apply a plan. Each file is written to a temporary sibling, then renamed over
 * the target: a reader (or a kill at any moment) sees either the whole old file
 * or the whole new one, never a mix. Every new file is written before any is
 * renamed, and files are deleted last: a write that fails (a full disk, a
 * read-only or forbidden directory) removes the temporary files written so
 * far and changes nothing on disk.
 *
 * Files are not flushed with fsync, as compilers and formatters do not: that
 * was most of the time of a large `gen` (1,000 fsyncs took 1.2 s here) and
 * buys nothing a generator needs. Everything written can be written again from
 * the spec; after a power cut, `gen --check` shows what was lost and `gen`
 * writes it again (an output left empty counts as generated, see planSync).
 */
export function applySync(specDir: string, plan: SyncPlan): void {
  // Each directory is listed once (for stale temp files), not once per file.
  const listed = new Map<string, string[]>();
  const written: { tmp: string; abs: string; file: string }[] = [];
  try {
    for (const c of plan.changes) {
      if (c.kind === 'delete') continue;
      const abs = path.resolve(specDir, c.file);
      const dir = path.dirname(abs);
      let names = listed.get(dir);
      if (!names) {
        try {
          mkdirSync(dir, { recursive: true });
          names = readdirSync(dir);
        } catch (e) {
          throw writeFault(abs, e, c.file);
        }
        listed.set(dir, names);
      }
      removeStaleTemps(abs, names);
      const tmp = tempNameFor(abs, process.pid);
      writeTemp(tmp, c.after!, abs, 0o644, c.file);
      written.push({ tmp, abs, file: c.file });
    }
  } catch (e) {
    for (const w of written) removeQuietly(w.tmp);
    throw e;
  }
  for (let i = 0; i < written.length; i++) {
    const w = written[i]!;
    try {
      commitTemp(w.tmp, w.abs, w.file);
    } catch (e) {
      for (const rest of written.slice(i + 1)) removeQuietly(rest.tmp);
      throw e;
    }
  }
  for (const c of plan.changes) {
    if (c.kind !== 'delete') continue;
    const abs = path.resolve(specDir, c.file);
    try {
      // Only a regular file (planSync read it as one): never a directory that took its place.
      if (lstatSync(abs).isFile()) unlinkSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeFault(abs, e, c.file);
    }
  }
}

/**
 * A run killed between writing its temp file and renaming it leaves
 * `.NAME.PID.tmp` behind. Remove those of processes that are gone, and one
 * with our own pid (a reused pid would otherwise make `wx` fail); a live
 * process's temp file is its own business. `listing` is the directory's
 * entries when the caller has them.
 */
export function removeStaleTemps(abs: string, listing?: readonly string[]): string[] {
  const dir = path.dirname(abs);
  const prefix = `.${path.basename(abs)}.`;
  const removed: string[] = [];
  let names: readonly string[];
  try {
    names = listing ?? readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = name.slice(prefix.length, -'.tmp'.length);
    if (!/^[1-9][0-9]{0,9}$/.test(pid)) continue;
    if (Number(pid) !== process.pid && alive(Number(pid))) continue;
    const tmp = path.join(dir, name);
    try {
      if (!lstatSync(tmp).isFile()) continue;
      unlinkSync(tmp);
      removed.push(tmp);
    } catch {
      /* raced with another cleanup */
    }
  }
  return removed;
}
