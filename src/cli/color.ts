// Colours on or off: the --color flag, else NO_COLOR / FORCE_COLOR, else
// whether stdout is a terminal. Its own module: every command asks, and it
// must not load the compiler (src/cli/io.ts) to answer.
import type { Io } from './io.js';

export function useColor(io: Io, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY;
}
