// `matrix bake`'s record of its compile: before it builds, bake compiles the
// spec and insists the committed files match it (src/cli/io.ts
// compileCommitted). When they did, and bake accepted what it was asked to
// build (a refused run writes nothing), the model it builds from (the
// resolved spec, the generated files, the spec's text) is kept with every
// read that compile and comparison made and the environment they read, like
// an output record (src/cache/output.ts), in this user's private directory
// under the temp dir (never in the git directory: the model is used as it
// is). The next bake answers from it when the header
// is the same (matrix's build, Node, platform, working directory, --spec) and
// every read answers the same now: the compile, a deterministic function of
// those reads, would make the same model. Anything else is a miss: the full
// compile, as without a cache. The cache is off with MATRIX_CACHE=0 and with
// bake's --no-cache (nothing reused); a compile that printed a warning, or
// a large spec (src/cache/large.ts), keeps no record.
//
// This module is what a hit loads: no compiler.
import type { Io } from '../cli/io.js';
import type { SpecLocation } from '../cli/locate.js';
import { loadSpec } from '../load/load.js';
import type { ResolvedSpec } from '../spec.js';
import type { CheckedSpec } from '../validate/schema.js';
import { cacheEnabled, recordTextAt } from './answer.js';
import { type OutputKind, outputHeader } from './output.js';
import { parseRun, readsHold } from './record.js';
import { privateRecordPath } from './store.js';
// node:v8 loads on first use in dist/ (scripts/lazy-imports.mjs, LAZY_BUILTINS).
import { deserialize, serialize } from 'node:v8';

/** What bake builds from: the located spec, its resolved model, the generated files, and the spec as loaded. */
export interface Committed {
  loc: SpecLocation;
  spec: ResolvedSpec;
  /** The generated files, spec-dir-relative: each equal to the file on disk. */
  files: ReadonlyMap<string, string>;
  loaded: CheckedSpec;
}

/** The record bake's compile is kept in (one per spec; nothing besides the reads and the header changes the compile). */
export const BAKE_RECORD: OutputKind = { kind: 'bake', key: '' };

/** What the record keeps besides the reads: the model and the spec's text, serialized (v8: Maps and undefined kept as they are). */
interface Kept {
  spec: ResolvedSpec;
  files: ReadonlyMap<string, string>;
  source: string;
}

let lastOutcome: 'hit' | 'miss' | 'off' | undefined;

/** Tests only: whether the last cachedCommitted() was a hit, a miss, or the cache was off. */
export function lastBakeOutcome(): 'hit' | 'miss' | 'off' | undefined {
  return lastOutcome;
}

/** The model of the last bake's compile when its record still holds in every read, else undefined. */
export function cachedCommitted(io: Io, opts: { spec?: string | undefined; cache?: boolean }): Committed | undefined {
  if (!cacheEnabled(io, opts)) {
    lastOutcome = 'off';
    return undefined;
  }
  const hit = lookUp(io, opts.spec);
  lastOutcome = hit ? 'hit' : 'miss';
  return hit;
}

/**
 * Where this spec's bake record is: in this user's private directory under
 * the temp dir, never in the repository (src/cache/store.ts privateRecordPath).
 * Its model is used as it is, not derived from the reads checked again: a
 * record in the git directory could have come with the repository.
 */
export function bakeRecordPath(io: Io, loc: SpecLocation, create = false): string | undefined {
  return privateRecordPath(loc.specPath, io.env, create, BAKE_RECORD.kind, BAKE_RECORD.key);
}

function lookUp(io: Io, spec: string | undefined): Committed | undefined {
  const found = recordTextAt(io, spec, (loc) => bakeRecordPath(io, loc));
  if (!found) return undefined;
  const { loc, text } = found;
  try {
    const record = parseRun(text, outputHeader(io, spec, loc.specPath, BAKE_RECORD));
    if (!record || typeof record.model !== 'string') return undefined;
    if (!readsHold(record, io.env, [loc.specPath])) return undefined;
    const kept = deserialize(Buffer.from(record.model, 'base64')) as Kept;
    if (!kept || typeof kept.source !== 'string' || !(kept.files instanceof Map) || !Array.isArray(kept.spec?.targets)) return undefined;
    // The spec's text as that compile read it (its digest is among the reads that hold): loaded again, it is the value the
    // compile checked, with positions for a diagnostic about it (src/bake/allow.ts).
    const loaded = loadSpec(loc.displayName, kept.source);
    if (loaded.diagnostics.length) return undefined;
    return { loc, spec: kept.spec, files: kept.files, loaded: loaded as CheckedSpec };
  } catch {
    return undefined; // A record that makes checking it fail is no record.
  }
}

/** The record's text for a compile that found the committed files current: the model, serialized, beside the reads (src/cache/bake-save.ts). */
export function keptModel(committed: Committed): string {
  // The files as a plain map of their texts (the compile's may render on demand: src/render/files.ts).
  const kept: Kept = { spec: committed.spec, files: new Map(committed.files), source: committed.loaded.source };
  return serialize(kept).toString('base64');
}
