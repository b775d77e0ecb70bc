// Which specs keep no record: recording holds every read of a run in memory,
// and a large spec's run must stay within its memory bound
// (test/bench/limits.test.ts: 10,000 services, peak RSS at most 150 MB;
// recorded, a fresh gen peaked at 181 MB). gen and gen --check
// (src/cli/gen-run.ts), validate, and the output records of plan, graph and
// ci-matrix (src/cache/output-save.ts) ask here; gen also collects garbage sooner for one.
import { locateSpec } from '../cli/locate.js';
import type { Io } from '../cli/io.js';
import { fileSize } from '../fs/probe.js';

/** Spec size from which a run keeps no record and collects garbage sooner: about 4,000 services of scripts/gen-scale-spec.mjs. */
export const LARGE_SPEC_BYTES = 512 * 1024;

/** Is the spec LARGE_SPEC_BYTES or more? False when its size cannot be read: reading the spec reports that. */
export function isLargeSpec(specPath: string): boolean {
  try {
    return (fileSize(specPath) ?? 0) >= LARGE_SPEC_BYTES;
  } catch {
    return false;
  }
}

/** Is the spec `--spec` (or the one found from the working directory) large? False when none is found: the full run says what is wrong. */
export function specIsLarge(io: Io, spec: string | undefined): boolean {
  try {
    return isLargeSpec(locateSpec(io, spec).specPath);
  } catch {
    return false;
  }
}
