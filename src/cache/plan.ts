// `matrix plan`'s record (src/cache/output.ts): its exact stdout and every
// read it made. Besides the header, its output depends on --json, the colour
// decision, and --build-platform or the machine's architecture, from which
// hostPlatform() in src/platforms.ts names the build platform: each such
// combination has its own record. No record is used or kept with the cache
// off, with --affected, for a plan showing git values (git's state is no
// recorded read), a run that printed on stderr (warnings are not replayed), a
// large spec (src/cache/large.ts) or a failed run (src/cache/output-save.ts).
// This module is what a hit loads: no compiler.
import type { Io } from '../cli/io.js';
import type { CommandArgs } from '../cli/options.js';
import { cacheEnabled } from './answer.js';
import { cachedOutput, lastOutputOutcome, type OutputKind } from './output.js';

type PlanOptions = CommandArgs['plan'];

/** The record plan's output is kept in: everything besides the reads that its stdout depends on. */
export function planOutput(opts: PlanOptions, color: boolean): OutputKind {
  return { kind: 'plan', key: JSON.stringify({ json: opts.json, color, buildPlatform: opts.buildPlatform ?? null, arch: process.arch }) };
}

/** May this plan answer from a record, and keep one? Not with the cache off nor with --affected (git's history is no recorded read). */
export function planCacheable(io: Io, opts: PlanOptions): boolean {
  return cacheEnabled(io, opts) && opts.affected === undefined;
}

/** Tests only: whether the last cachedPlan() was a hit, a miss, or the cache was off. */
export function lastPlanOutcome(): 'hit' | 'miss' | 'off' | undefined {
  return lastOutputOutcome();
}

/** The stdout of the last plan with these options when its record still holds in every read, else undefined. */
export function cachedPlan(io: Io, opts: PlanOptions, color: boolean): string | undefined {
  return cachedOutput(io, opts, planOutput(opts, color), planCacheable(io, opts));
}
