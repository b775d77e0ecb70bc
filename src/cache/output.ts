// The record of a read-only command's last output: `plan` (src/cache/plan.ts),
// `graph` and `ci-matrix`. Its exact stdout is kept with every read the run
// made (src/fs/recorder.ts) and the environment it read, like gen's record
// (src/cache/record.ts). A run answers from it when the header is the same
// (matrix's build, Node, platform, working directory, --spec), so is `key`
// (everything else the output depends on: the command's options), and every
// read answers the same now. Each command and key has its own file beside
// gen's (`matrix-KIND-HASH.json`, src/cache/store.ts). Saving is
// src/cache/output-save.ts; this module is what a hit loads: no compiler.
import type { Io } from '../cli/io.js';
import type { SpecLocation } from '../cli/locate.js';
import { cacheEnabled, recordTextOf } from './answer.js';
import { type Header, headerFor, parseRun, readsHold } from './record.js';
import { recordPath } from './store.js';

/** Which command's output a record holds (its file's kind), and everything besides the reads that output depends on. */
export interface OutputKind {
  kind: 'plan' | 'graph' | 'ci-matrix' | 'bake';
  key: string;
}

/** The header of an output record: who ran, and which command's output for which key. */
export type OutputHeader = Header & { output: string };

export function outputHeader(io: Io, spec: string | undefined, specPath: string, what: OutputKind): OutputHeader {
  return { ...headerFor(io.cwd, spec, specPath), output: JSON.stringify([what.kind, what.key]) };
}

/** The record file of this spec, command and key, or undefined when there is no safe place for it. */
export function outputRecordPath(io: Io, loc: SpecLocation, what: OutputKind, create = false): string | undefined {
  return recordPath(loc.specPath, loc.repoRoot, io.env, create, what.kind, what.key);
}

let lastOutcome: 'hit' | 'miss' | 'off' | undefined;

/** Tests only: whether the last cachedOutput() was a hit, a miss, or the cache was off. */
export function lastOutputOutcome(): 'hit' | 'miss' | 'off' | undefined {
  return lastOutcome;
}

/**
 * The stdout of the last run of this command with this key when its record
 * still holds in every read, else undefined. With the cache off (--no-cache,
 * MATRIX_CACHE=0), or `usable` false (an option whose answer no record
 * covers): undefined, and no record read.
 */
export function cachedOutput(io: Io, opts: { spec?: string | undefined; cache?: boolean }, what: OutputKind, usable = true): string | undefined {
  if (!usable || !cacheEnabled(io, opts)) {
    lastOutcome = 'off';
    return undefined;
  }
  const out = lookUp(io, opts.spec, what);
  lastOutcome = out === undefined ? 'miss' : 'hit';
  return out;
}

function lookUp(io: Io, spec: string | undefined, what: OutputKind): string | undefined {
  const found = recordTextOf(io, spec, what.kind, what.key);
  if (!found) return undefined;
  const { loc, text } = found;
  try {
    const record = parseRun(text, outputHeader(io, spec, loc.specPath, what));
    if (!record || typeof record.stdout !== 'string') return undefined;
    return readsHold(record, io.env, [loc.specPath]) ? record.stdout : undefined;
  } catch {
    return undefined; // A record that makes checking it fail is no record.
  }
}
