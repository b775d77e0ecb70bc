// The one way matrix writes a file: the content goes to a temporary sibling
// created exclusively (O_EXCL: never an existing file, never through a
// symbolic link), every byte is checked written (a short write on a full disk
// is an error, not a truncated file), and the temporary file is renamed over
// the target. A failure at any step removes the temporary file and leaves the
// old file as it was.
import { closeSync, constants, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describeErrno, FileFault } from './read.js';

/** `.NAME.PID.tmp` beside the target (src/output/sync.ts removes stale ones). */
export function tempNameFor(abs: string, pid = process.pid): string {
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${pid}.tmp`);
}

export function writeFault(file: string, e: unknown, display = file): FileFault {
  if (e instanceof FileFault) return e;
  return new FileFault('io', file, `cannot write ${display}: ${describeErrno(e)}`, (e as NodeJS.ErrnoException).code, { code: 'write-failed', display });
}

/** Characters of a text encoded at a time: a large spec's bake file (8 MB at 10,000 services) is never copied whole. */
export const TEXT_CHUNK = 1 << 20;

/** Write all of `data` to `fd` (a text as UTF-8, a piece at a time), looping over short writes; 0 bytes written is ENOSPC. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  if (typeof data !== 'string') {
    writeBytes(fd, data);
    return;
  }
  for (let start = 0; start < data.length; ) {
    let end = Math.min(start + TEXT_CHUNK, data.length);
    // A surrogate pair stays in one piece (apart, each half would encode as U+FFFD).
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end--;
    writeBytes(fd, Buffer.from(data.slice(start, end), 'utf8'));
    start = end;
  }
}

function writeBytes(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error('no space left on the device'), { code: 'ENOSPC' });
    off += n;
  }
}

/**
 * Write `data` to a new exclusive temporary file `tmp`; on any failure the
 * temporary file is removed and a FileFault naming `target` is thrown.
 */
export function writeTemp(tmp: string, data: string | Uint8Array, target: string, mode = 0o644, display = target): void {
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (e) {
    throw writeFault(target, e, display);
  }
  try {
    writeAll(fd, data);
  } catch (e) {
    closeQuietly(fd);
    removeQuietly(tmp);
    throw writeFault(target, e, display);
  }
  try {
    // close can report a deferred write error (NFS, quotas).
    closeSync(fd);
  } catch (e) {
    removeQuietly(tmp);
    throw writeFault(target, e, display);
  }
}

/** Move a written temporary file over its target; on failure the temporary file is removed. */
export function commitTemp(tmp: string, target: string, display = target): void {
  try {
    renameSync(tmp, target);
  } catch (e) {
    removeQuietly(tmp);
    throw writeFault(target, e, display);
  }
}

/** Replace `target` with `data` atomically (see the top of this file). */
export function writeFileAtomic(target: string, data: string | Uint8Array, opts: { mode?: number; display?: string } = {}): void {
  const tmp = tempNameFor(target);
  writeTemp(tmp, data, target, opts.mode ?? 0o644, opts.display ?? target);
  commitTemp(tmp, target, opts.display ?? target);
}

export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* the write error is the one to report */
  }
}

/**
 * Create `target` with `data`, failing (EEXIST) if it exists: written aside
 * and hard-linked into place, so a failed write never leaves a partial file
 * and an existing file (or a link planted there) is never written through.
 */
export function writeFileExclusive(target: string, data: string | Uint8Array, opts: { mode?: number; display?: string } = {}): void {
  const tmp = tempNameFor(target);
  writeTemp(tmp, data, target, opts.mode ?? 0o644, opts.display ?? target);
  try {
    linkSync(tmp, target);
  } catch (e) {
    removeQuietly(tmp);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw e;
    throw writeFault(target, e, opts.display ?? target);
  }
  removeQuietly(tmp);
}
