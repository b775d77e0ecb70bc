// The cached answer of `gen` and `gen --check`: read the record of the last
// up-to-date gen for this spec and check every read it made (src/cache/record.ts).
import { locateSpec, type SpecLocation } from '../cli/locate.js';
import type { Io } from '../cli/io.js';
import { type CacheRecord, headerFor, verifiedRecord } from './record.js';
import { readRecord, recordPath } from './store.js';

/** `--no-cache` (opts.cache false) or MATRIX_CACHE=0 (or false, no, off) in the environment turn the cache off. */
export function cacheEnabled(io: Io, opts: { cache?: boolean }): boolean {
  return opts.cache !== false && !cacheOffIn(io.env);
}

/** MATRIX_CACHE=0 (or false, no, off): nothing kept is used, nor kept. */
export function cacheOffIn(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.MATRIX_CACHE?.trim().toLowerCase();
  return v === '0' || v === 'false' || v === 'no' || v === 'off';
}

let lastOutcome: 'hit' | 'miss' | 'off' | undefined;

/** Tests only: whether the last cachedUpToDate() was a hit, a miss, or the cache was off. */
export function lastCacheOutcome(): 'hit' | 'miss' | 'off' | undefined {
  return lastOutcome;
}

/** How many files are up to date, from a record that still holds in every read; undefined on any miss or with the cache off. */
export function cachedUpToDate(io: Io, opts: { spec?: string | undefined; cache?: boolean }): number | undefined {
  return cachedRecord(io, opts)?.record.upToDate;
}

/**
 * The record of the last up-to-date gen of this spec when every read it made
 * still answers the same (and where the spec is), else undefined.
 */
export function cachedRecord(
  io: Io,
  opts: { spec?: string | undefined; cache?: boolean },
  kinds: readonly (typeof VALIDATE_KIND | undefined)[] = [undefined],
): { loc: SpecLocation; record: CacheRecord } | undefined {
  if (!cacheEnabled(io, opts)) {
    lastOutcome = 'off';
    return undefined;
  }
  let found: { loc: SpecLocation; record: CacheRecord } | undefined;
  for (const kind of kinds) if ((found = lookUp(io, opts.spec, kind))) break;
  lastOutcome = found === undefined ? 'miss' : 'hit';
  return found;
}

/**
 * What `validate` says from a record: the record of the last up-to-date gen
 * or `gen --check`, else the record of the last `validate` that compiled
 * (src/cache/save.ts saveValidation), when every read it made still answers
 * the same. Undefined on any miss or with the cache off.
 */
export function cachedValidation(io: Io, opts: { spec?: string | undefined; cache?: boolean }): { loc: SpecLocation; record: CacheRecord } | undefined {
  return cachedRecord(io, opts, [undefined, VALIDATE_KIND]);
}

/** The kind (src/cache/store.ts recordPath) of the record a `validate` keeps. */
export const VALIDATE_KIND = 'validate';

/**
 * Where the spec is, and the text of its record of `kind` (gen's without one)
 * and `key` (src/cache/store.ts recordPath), when there is one to read.
 */
export function recordTextOf(io: Io, spec: string | undefined, kind?: string, key?: string): { loc: SpecLocation; text: string } | undefined {
  return recordTextAt(io, spec, (loc) => recordPath(loc.specPath, loc.repoRoot, io.env, false, kind, key));
}

/** Where the spec is, and the text of the record `fileOf` names for it, when there is one to read. */
export function recordTextAt(io: Io, spec: string | undefined, fileOf: (loc: SpecLocation) => string | undefined): { loc: SpecLocation; text: string } | undefined {
  let loc: SpecLocation;
  try {
    loc = locateSpec(io, spec);
  } catch {
    return undefined; // The full run says what is wrong.
  }
  const file = fileOf(loc);
  const text = file === undefined ? undefined : readRecord(file);
  return text === undefined ? undefined : { loc, text };
}

function lookUp(io: Io, spec: string | undefined, kind?: string): { loc: SpecLocation; record: CacheRecord } | undefined {
  const found = recordTextOf(io, spec, kind);
  if (!found) return undefined;
  const { loc, text } = found;
  try {
    const record = verifiedRecord(text, headerFor(io.cwd, spec, loc.specPath), io.env);
    // A validate record counts no file: it answers only how many services and targets the spec has.
    return record && (kind === undefined || record.outputs.length === 0) ? { loc, record } : undefined;
  } catch {
    return undefined; // A record that makes checking it fail is no record.
  }
}
