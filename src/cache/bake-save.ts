// Recording bake's compile and keeping its record (src/cache/bake.ts says
// what it holds and when it answers).
import type { Io } from '../cli/io.js';
import { locateSpec, type SpecLocation } from '../cli/locate.js';
import { cacheEnabled } from './answer.js';
import { type Committed, BAKE_RECORD, bakeRecordPath, keptModel } from './bake.js';
import { isLargeSpec } from './large.js';
import { outputHeader } from './output.js';
import { withReads } from './record.js';
import { recorded } from './save.js';
import { writeRecord } from './store.js';

/** A compile's model, and how to keep its record (nothing to keep where none may be kept). */
export interface RecordedCommitted {
  committed: Committed | 1;
  /** Keep the record: called once bake accepted what it is asked to build (a refused run changes nothing on disk). */
  keep: () => void;
}

/**
 * Run `compile` recorded; its record can be kept when it found the committed
 * files current, printed nothing on stderr (warnings are not replayed) and
 * made only recorded reads. A large spec (or none found) runs unrecorded. A
 * failure to save only loses the record.
 */
export async function recordedCommitted(io: Io, opts: { spec?: string | undefined; cache?: boolean }, compile: (io: Io) => Promise<Committed | 1>): Promise<RecordedCommitted> {
  const none = () => {};
  let loc: SpecLocation;
  try {
    loc = locateSpec(io, opts.spec);
  } catch {
    return { committed: await compile(io), keep: none }; // The full run says what is wrong.
  }
  if (!cacheEnabled(io, opts) || isLargeSpec(loc.specPath)) return { committed: await compile(io), keep: none };
  const { value, record } = await recorded(io, true, compile);
  const committed = await value;
  if (committed === 1 || !record?.usable) return { committed, keep: none };
  const keep = () => {
    let text: string;
    try {
      text = withReads({ header: outputHeader(io, opts.spec, loc.specPath, BAKE_RECORD), model: keptModel(committed), env: [...record.env] }, record.observations);
    } catch {
      return; // A model that cannot be serialized only loses the record.
    }
    const file = bakeRecordPath(io, loc, true);
    if (file) writeRecord(file, text);
  };
  return { committed, keep };
}
