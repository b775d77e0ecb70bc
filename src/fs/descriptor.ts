// Writing to a descriptor with write(2), without Node's stream for it (the
// process's stdout and stderr: src/cli/stdio.ts; the interrupted line of
// src/adapters/process.ts, written as the process ends).
import { writeSync } from 'node:fs';

/**
 * Writes all of `data` to `fd`. Returns what is left when the descriptor
 * would block (EAGAIN: its reader set it non-blocking), for the caller to hand
 * to a stream that waits; undefined when all was written. Other errors throw.
 */
export function writeDescriptor(fd: number, data: string | Uint8Array): Uint8Array | undefined {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(fd, buf, off);
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return buf.subarray(off);
    throw e;
  }
}
