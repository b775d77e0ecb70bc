// Recording a full `matrix plan` (src/cli/plan.ts) and saving its record
// (src/cache/plan.ts says what it holds and when there is none).
import type { Io } from '../cli/io.js';
import { locateSpec, type SpecLocation } from '../cli/locate.js';
import type { CommandArgs } from '../cli/options.js';
import { isLargeSpec } from './large.js';
import { planHeader, planRecordPath } from './plan.js';
import { withReads } from './record.js';
import { recorded } from './save.js';
import { writeRecord } from './store.js';

/** The full plan, given an Io and a function to call when it consults what no recorded read covers. */
export type PlanRun = (io: Io, unrecorded: () => void) => Promise<number>;

/**
 * Run the plan recorded, its stdout kept as it is written; save the record
 * when it succeeded, printed nothing on stderr and made only recorded reads.
 * A large spec (or none found) runs unrecorded. A failure to save only loses the record.
 */
export async function recordedPlan(io: Io, opts: CommandArgs['plan'], color: boolean, run: PlanRun): Promise<number> {
  let loc: SpecLocation;
  try {
    loc = locateSpec(io, opts.spec);
  } catch {
    return run(io, () => {}); // The full run says what is wrong.
  }
  if (isLargeSpec(loc.specPath)) return run(io, () => {});
  let stdout = '';
  let consulted = false;
  const keeping: Io = { ...io, stdout: { write: (s: string) => ((stdout += s), io.stdout.write(s)) } };
  const { value, record } = await recorded(keeping, true, (rio) => run(rio, () => (consulted = true)));
  const code = await value;
  if (code !== 0 || consulted || !record?.usable) return code;
  const file = planRecordPath(io, opts, color, loc, true);
  if (file) writeRecord(file, withReads({ header: planHeader(io, opts, color, loc.specPath), stdout, env: [...record.env] }, record.observations));
  return code;
}
