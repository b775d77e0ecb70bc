// `matrix graph` and `matrix ci-matrix`: each prints what a validated spec and
// its options say, so, like `plan`, each answers from the record of its last
// run with the same options when every read of that run answers the same
// (src/cache/output.ts); on a miss the command runs, recorded, and keeps one.
// This module and what a hit loads hold no compiler.
import { cacheEnabled } from '../cache/answer.js';
import { cachedOutput, type OutputKind } from '../cache/output.js';
import type { Io } from './io.js';
import type { CommandArgs } from './options.js';

type Cached = CommandArgs['graph'] | CommandArgs['ci-matrix'];

/** The record of `kind`'s output for these options: every option but --cache (the spec is in the header). */
function outputOf(kind: 'graph' | 'ci-matrix', opts: Cached): OutputKind {
  const { cache: _cache, spec: _spec, ...shaping } = opts;
  return { kind, key: JSON.stringify(shaping) };
}

/** Answer from the record of `kind`'s last run with these options, else run `full` recorded. */
export async function withOutputRecord<O extends Cached>(io: Io, kind: 'graph' | 'ci-matrix', opts: O, full: (io: Io) => Promise<number>): Promise<number> {
  const what = outputOf(kind, opts);
  const stdout = cachedOutput(io, opts, what);
  if (stdout !== undefined) {
    io.stdout.write(stdout);
    return 0;
  }
  if (!cacheEnabled(io, opts)) return full(io);
  const { recordedOutput } = await import('../cache/output-save.js');
  return recordedOutput(io, opts.spec, what, (rio) => full(rio));
}
