// `matrix gen`: first the record of the last up-to-date gen (src/cache/),
// which answers without compiling when nothing the compile read has changed;
// then, on a miss, the full run (gen-run.ts), loaded only then.
import { cachedUpToDate } from '../cache/answer.js';
import type { Io } from './io.js';
import type { CommandArgs } from './options.js';

/** `color`: asked only by the full run (the cached answer has one line to print, never coloured). */
export async function runGen(io: Io, opts: CommandArgs['gen'], color: () => boolean): Promise<number> {
  const upToDate = cachedUpToDate(io, opts);
  if (upToDate !== undefined) {
    // The words of formatUpToDate (src/output/format.ts), which a recorded run printed.
    if (opts.check || !opts.quiet) io.stdout.write(`Up to date: ${upToDate} files.\n`);
    return 0;
  }
  return (await import('./gen-run.js')).runGenFull(io, opts, color());
}
