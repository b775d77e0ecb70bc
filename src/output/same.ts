// Is a file on disk byte for byte a given text? The up-to-date check of every
// output (`gen --check` in a pre-commit hook, and `gen` before writing) asks
// this of each file: the answer comes from the size, then from the bytes
// compared in reused buffers, stopping at the first that differs, without
// decoding the file into a string that would only be thrown away.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Reused between calls: grown to the largest output compared (the bake file), never shrunk. */
let want: Buffer = Buffer.alloc(0);
let have: Buffer = Buffer.alloc(0);

function room(buf: Buffer, n: number): Buffer {
  return buf.length >= n ? buf : Buffer.alloc(Math.max(n, buf.length * 2));
}

/**
 * True only when `abs` is a regular file (not followed through a symbolic
 * link) of `size` bytes that are exactly `text` in UTF-8. Any doubt (an error,
 * a file that changed size, a link) is false: the caller then reads the file
 * the ordinary way, with its own checks and messages.
 */
export function sameBytes(abs: string, text: string, size: number): boolean {
  const n = Buffer.byteLength(text);
  if (n !== size) return false;
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== n) return false;
    want = room(want, n);
    have = room(have, n + 1);
    want.write(text, 0, n, 'utf8');
    let got = 0;
    // One byte more than expected: a file that grew since fstat is not the same.
    for (let r = 1; r > 0 && got <= n; got += r) r = readSync(fd, have, got, n + 1 - got, null);
    return got === n && want.compare(have, 0, n, 0, n) === 0;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
