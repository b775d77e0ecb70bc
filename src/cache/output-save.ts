// Recording a full run of a read-only command (plan, graph, ci-matrix) and
// saving its record (src/cache/output.ts says what it holds and when it answers).
import type { Io } from '../cli/io.js';
import { locateSpec, type SpecLocation } from '../cli/locate.js';
import { isLargeSpec } from './large.js';
import { type OutputKind, outputHeader, outputRecordPath } from './output.js';
import { withReads } from './record.js';
import { recorded } from './save.js';
import { writeRecord } from './store.js';

/** The full run, given an Io and a function to call when it consults what no recorded read covers. */
export type OutputRun = (io: Io, unrecorded: () => void) => Promise<number> | number;

/**
 * Run the command recorded, its stdout kept as it is written; save the record
 * when it succeeded, printed nothing on stderr and made only recorded reads.
 * A large spec (or none found) runs unrecorded. A failure to save only loses the record.
 */
export async function recordedOutput(io: Io, spec: string | undefined, what: OutputKind, run: OutputRun): Promise<number> {
  let loc: SpecLocation;
  try {
    loc = locateSpec(io, spec);
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
  const file = outputRecordPath(io, loc, what, true);
  if (file) writeRecord(file, withReads({ header: outputHeader(io, spec, loc.specPath, what), stdout, env: [...record.env] }, record.observations));
  return code;
}
