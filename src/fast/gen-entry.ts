// The fast path's own bundle (dist/gen.cjs): `main` for the argument lists that
// src/fast/argv.ts recognises (plain `gen`, `gen --check`), without yargs and
// without the other commands. bin/matrix.cjs loads it with a V8 code cache
// (src/fast/loader.ts); every other argument list goes to dist/cli.mjs.
import { main } from '../cli/main.js';
import type { Io } from '../cli/io.js';
import { fastSelection } from './argv.js';

/** Runs `main` when the fast path handles argv; undefined when it does not. */
export async function fastMain(argv: string[], io: Io): Promise<number | undefined> {
  if (!fastSelection(argv)) return undefined;
  return main(argv, io);
}
