// The record of `matrix plan`'s last run: its exact stdout, kept with every
// read it made (src/fs/recorder.ts) and the environment it read, like gen's
// record (src/cache/record.ts). A plan answers from it when the header is
// the same (matrix's build, Node, platform, working directory, --spec) and so
// is everything else its output depends on (--json, the colour decision,
// --build-platform or the machine's architecture, from which hostPlatform()
// in src/platforms.ts names the build platform), and every read answers the
// same now. Each such combination has its own file beside gen's
// (`matrix-plan-HASH.json`, src/cache/store.ts). No record is used or kept
// with the cache off, with --affected, for a plan showing git values (git's
// state is no recorded read), a run that printed on stderr (warnings are not
// replayed), a large spec (src/cache/large.ts) or a failed run
// (src/cache/plan-save.ts). This module is what a hit loads: no compiler.
import type { Io } from '../cli/io.js';
import { locateSpec, type SpecLocation } from '../cli/locate.js';
import type { CommandArgs } from '../cli/options.js';
import { cacheEnabled } from './answer.js';
import { type Header, headerFor, parseRun, readsHold } from './record.js';
import { readRecord, recordPath } from './store.js';

type PlanOptions = CommandArgs['plan'];

/** The header of a plan record: who ran, and `plan`, what else the output depends on. */
export type PlanHeader = Header & { plan: string };

/** Everything besides the reads that plan's stdout depends on. */
function outputKey(opts: PlanOptions, color: boolean): string {
  return JSON.stringify({ json: opts.json, color, buildPlatform: opts.buildPlatform ?? null, arch: process.arch });
}

export function planHeader(io: Io, opts: PlanOptions, color: boolean, specPath: string): PlanHeader {
  return { ...headerFor(io.cwd, opts.spec, specPath), plan: outputKey(opts, color) };
}

/** The record file of this spec and these options, or undefined when there is no safe place for it. */
export function planRecordPath(io: Io, opts: PlanOptions, color: boolean, loc: SpecLocation, create = false): string | undefined {
  return recordPath(loc.specPath, loc.repoRoot, io.env, create, 'plan', outputKey(opts, color));
}

/** May this plan answer from a record, and keep one? Not with the cache off nor with --affected (git's history is no recorded read). */
export function planCacheable(io: Io, opts: PlanOptions): boolean {
  return cacheEnabled(io, opts) && opts.affected === undefined;
}

let lastOutcome: 'hit' | 'miss' | 'off' | undefined;

/** Tests only: whether the last cachedPlan() was a hit, a miss, or the cache was off. */
export function lastPlanOutcome(): 'hit' | 'miss' | 'off' | undefined {
  return lastOutcome;
}

/** The stdout of the last plan with these options when its record still holds in every read, else undefined. */
export function cachedPlan(io: Io, opts: PlanOptions, color: boolean): string | undefined {
  if (!planCacheable(io, opts)) {
    lastOutcome = 'off';
    return undefined;
  }
  const out = lookUp(io, opts, color);
  lastOutcome = out === undefined ? 'miss' : 'hit';
  return out;
}

function lookUp(io: Io, opts: PlanOptions, color: boolean): string | undefined {
  let loc: SpecLocation;
  try {
    loc = locateSpec(io, opts.spec);
  } catch {
    return undefined; // The full run says what is wrong.
  }
  const file = planRecordPath(io, opts, color, loc);
  const text = file === undefined ? undefined : readRecord(file);
  if (text === undefined) return undefined;
  try {
    const record = parseRun(text, planHeader(io, opts, color, loc.specPath));
    if (!record || typeof record.stdout !== 'string') return undefined;
    return readsHold(record, io.env, [loc.specPath]) ? record.stdout : undefined;
  } catch {
    return undefined; // A record that makes checking it fail is no record.
  }
}
