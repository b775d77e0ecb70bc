// `matrix plan`: first the record of its last run with the same options
// (src/cache/plan.ts), which answers without compiling when nothing that run
// read has changed; then, on a miss, the full run (plan.ts), loaded only
// then, and recorded when it may leave a record (src/cache/output-save.ts).
import { cachedPlan, planCacheable, planOutput } from '../cache/plan.js';
import type { Io } from './io.js';
import type { CommandArgs } from './options.js';

export async function runPlan(io: Io, opts: CommandArgs['plan'], color: boolean): Promise<number> {
  const stdout = cachedPlan(io, opts, color);
  if (stdout !== undefined) {
    io.stdout.write(stdout);
    return 0;
  }
  const full = await import('./plan.js');
  if (!planCacheable(io, opts)) return full.runPlan(io, opts, color);
  const { recordedOutput } = await import('../cache/output-save.js');
  return recordedOutput(io, opts.spec, planOutput(opts, color), (rio, unrecorded) => full.runPlan(rio, opts, color, unrecorded));
}
