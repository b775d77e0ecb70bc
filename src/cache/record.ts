// The record of an up-to-date `gen`: what the run read (src/fs/recorder.ts),
// the environment it read, who ran it (matrix's own build, Node, the working
// directory, the spec asked for) and its answer (how many files were up to
// date). `gen --check` reuses the answer only when all of that is the same
// now: every read run again and answered alike. Anything else, including a
// record that is missing, unreadable, of another format or malformed in any
// way, is a miss: the full run, as without a cache.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRegularBytes } from '../fs/read.js';
import { withPathMemo } from '../fs/path-memo.js';
import { replayAnswer } from '../fs/recorder.js';
import { packageRoot } from '../paths.js';
import { sameEnv, type EnvReads } from './env.js';
import { sealPath } from './store.js';

/** Bumped whenever the record's meaning changes. */
export const RECORD_FORMAT = 1;

/** Who ran: a record made by anyone else is not reused. */
export interface Header {
  format: number;
  /** matrix's build (src/cache/record.ts: identity()). */
  identity: string;
  node: string;
  platform: string;
  cwd: string;
  /** `--spec` as given (null without it), and the spec it located. */
  spec: string | null;
  specPath: string;
}

export interface CacheRecord extends RunReads {
  /** `Up to date: N files.` */
  upToDate: number;
  /** The N files found up to date (absolute paths): each must be among the reads. */
  outputs: string[];
  /** What `validate` says of the spec: the compile that found the files up to date checked it too, with no diagnostic. */
  services: number;
  targets: number;
}

let identityOverride: string | undefined;

/** Tests only: pretend matrix is another build. */
export function setIdentityForTests(id: string | undefined): void {
  identityOverride = id;
}

function digestOr(file: string): string {
  try {
    return createHash('sha256').update(readRegularBytes(file)).digest('base64');
  } catch {
    return 'none';
  }
}

let identityCache: string | undefined;

/**
 * matrix's build: this module's file (its name carries the bundle's content
 * hash), package.json, and dist/build.json, the digest of every input of the
 * bundle (scripts/build.mjs). Another version or another build: another identity.
 */
export function identity(): string {
  if (identityOverride !== undefined) return identityOverride;
  if (identityCache) return identityCache;
  const root = packageRoot();
  const self = fileURLToPath(import.meta.url);
  identityCache = [self, digestOr(path.join(root, 'package.json')), digestOr(path.join(root, 'dist', 'build.json'))].join('\n');
  return identityCache;
}

export function headerFor(cwd: string, spec: string | undefined, specPath: string): Header {
  return { format: RECORD_FORMAT, identity: identity(), node: process.version, platform: process.platform, cwd, spec: spec ?? null, specPath };
}

export interface Counts {
  services: number;
  targets: number;
}

export function recordText(header: Header, outputs: readonly string[], counts: Counts, env: EnvReads, observations: ReadonlyMap<string, string>): string {
  const record: Omit<CacheRecord, 'reads'> = { header, upToDate: outputs.length, outputs: [...outputs], services: counts.services, targets: counts.targets, env: [...env] };
  return withReads(record, observations);
}

/**
 * `JSON.stringify({ ...fields, reads })`, `reads` as `[[name, ...args], answer]`
 * in the recording's order, written without parsing each call back: a recorded key is the JSON text of its call
 * (src/fs/recorder.ts), so `[KEY,ANSWER]` is that read's JSON as it stands.
 */
export function withReads(fields: object, observations: ReadonlyMap<string, string>): string {
  const reads: string[] = [];
  for (const [key, answer] of observations) reads.push(`[${key},${JSON.stringify(answer)}]`);
  const text = JSON.stringify(fields);
  return `${text.slice(0, -1)}${text === '{}' ? '' : ','}"reads":[${reads.join(',')}]}`;
}

/** What every record holds: who ran, the environment it read, and its reads. */
export interface RunReads {
  header: Header;
  env: [string, string | null][];
  /** `[[name, ...args], answer]` for each read, in the order the run made them. */
  reads: [unknown[], string][];
}

/**
 * The parsed record when `text` is JSON whose header equals `header` in every
 * key `header` has, and whose env and reads are well-formed; its other fields
 * are the caller's to check. Else undefined.
 */
export function parseRun(text: string, header: Header): (RunReads & Record<string, unknown>) | undefined {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null) return undefined;
  const { header: h, env, reads } = r as Record<string, unknown>;
  const expected = header as unknown as Record<string, unknown>;
  if (typeof h !== 'object' || h === null || !Object.keys(expected).every((k) => (h as Record<string, unknown>)[k] === expected[k])) return undefined;
  if (!Array.isArray(env) || !env.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && (typeof e[1] === 'string' || e[1] === null))) return undefined;
  if (!Array.isArray(reads) || !reads.every((e) => Array.isArray(e) && e.length === 2 && Array.isArray(e[0]) && typeof e[1] === 'string')) return undefined;
  return r as RunReads & Record<string, unknown>;
}

/** The record's answer when `text` is a well-formed record of this `header`, else undefined. Checks nothing on disk yet. */
export function parseRecord(text: string, header: Header): CacheRecord | undefined {
  const r = parseRun(text, header);
  if (!r) return undefined;
  const { upToDate, outputs, services, targets } = r;
  if (![services, targets].every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) return undefined;
  if (!Array.isArray(outputs) || !outputs.every((o) => typeof o === 'string') || upToDate !== outputs.length) return undefined;
  return r as unknown as CacheRecord;
}

/**
 * Whether `calls` (a record's reads, as [call, answer]) read every path of
 * `mustRead`: a record must have read the spec it is about and each file it
 * counts (verifiedRecord here, and the hook's manifest, src/cache/manifest.ts).
 */
export function readEvery(calls: Iterable<readonly [readonly unknown[], string]>, mustRead: readonly string[]): boolean {
  const read = new Set<unknown>();
  for (const [call] of calls) if (call[0] === 'read') read.add(call[1]);
  return mustRead.every((p) => read.has(p));
}

/** How every record reads the seal: a regular file, not through a link. */
export const SEAL_READ = { followSymlinks: false } as const;

/** Whether `calls` read the seal at `seal` as recorded() reads it (its answer is checked with every read). */
function readSeal(calls: Iterable<readonly [readonly unknown[], string]>, seal: string): boolean {
  const opts = JSON.stringify(SEAL_READ);
  for (const [call] of calls) if (call[0] === 'read' && call[1] === seal && call[2] === opts) return true;
  return false;
}

/**
 * True when the record read every path of `mustRead` and each of its reads,
 * and of the environment in `env`, answers the same now. A record that claims
 * what it did not read is not the record of a run.
 */
export function readsHold(record: RunReads, env: Readonly<Record<string, string | undefined>>, mustRead: readonly string[]): boolean {
  // This user's seal too (store.ts sealPath): read alike now, or the record is not one this user's matrix wrote.
  const seal = sealPath(env, false);
  if (seal === undefined || !readSeal(record.reads, seal)) return false;
  if (!readEvery(record.reads, mustRead)) return false;
  if (!sameEnv(env, record.env)) return false;
  // The reads of the files it counts first (a generated file edited or removed is the most common change), then the rest:
  // the order only decides how soon a miss is known.
  const counted = new Set(mustRead);
  const first = (call: unknown[]) => call[0] === 'read' && counted.has(call[1] as string);
  return withPathMemo(() => {
    for (const [call, answer] of record.reads) if (first(call) && replayAnswer(call) !== answer) return false;
    for (const [call, answer] of record.reads) if (!first(call) && replayAnswer(call) !== answer) return false;
    return true;
  });
}

/** The number of up-to-date files of a verified record (verifiedRecord), else undefined. */
export function verifiedUpToDate(text: string, header: Header, env: Readonly<Record<string, string | undefined>>): number | undefined {
  return verifiedRecord(text, header, env)?.upToDate;
}

/**
 * The record when `text` is a record of `header` whose every read answers
 * the same now, in `env` too; else undefined. A record must have read the
 * spec it is about and each file it counts: one that claims what it did not
 * read is not the record of a run.
 */
export function verifiedRecord(text: string, header: Header, env: Readonly<Record<string, string | undefined>>): CacheRecord | undefined {
  const record = parseRecord(text, header);
  return record && readsHold(record, env, [header.specPath, ...record.outputs]) ? record : undefined;
}
