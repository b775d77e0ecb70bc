// The one way matrix writes a file: the content goes to a temporary sibling
// created exclusively (O_EXCL: never an existing file, never through a
// symbolic link), every byte is checked written (a short write on a full disk
// is an error, not a truncated file), and the temporary file is renamed over
// the target. A failure at any step removes the temporary file and leaves the
// old file as it was.
import { chmodSync, close, closeSync, constants, linkSync, lstatSync, open, openSync, rename, renameSync, unlinkSync, write, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
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

/** How a temporary file is opened: created new (never an existing file), never through a symbolic link. */
const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Characters of a text encoded at a time: a large spec's bake file (8 MB at 10,000 services) is never copied whole. */
export const TEXT_CHUNK = 1 << 20;

/** `data` as UTF-8, a piece of at most TEXT_CHUNK characters at a time (bytes as they are). */
function* piecesOf(data: string | Uint8Array): Generator<Uint8Array> {
  if (typeof data !== 'string') {
    yield data;
    return;
  }
  for (let start = 0; start < data.length; ) {
    let end = Math.min(start + TEXT_CHUNK, data.length);
    // A surrogate pair stays in one piece (apart, each half would encode as U+FFFD).
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield Buffer.from(data.slice(start, end), 'utf8');
    start = end;
  }
}

/** Write all of `data` to `fd` (a text as UTF-8, a piece at a time), looping over short writes; 0 bytes written is ENOSPC. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  for (const buf of piecesOf(data)) {
    for (let off = 0; off < buf.length; ) {
      const n = writeSync(fd, buf, off, buf.length - off);
      if (n <= 0) throw noSpace();
      off += n;
    }
  }
}

function noSpace(): Error {
  return Object.assign(new Error('no space left on the device'), { code: 'ENOSPC' });
}

/**
 * Write `data` to a new exclusive temporary file `tmp`; on any failure the
 * temporary file is removed and a FileFault naming `target` is thrown.
 */
export function writeTemp(tmp: string, data: string | Uint8Array, target: string, mode = 0o644, display = target): void {
  let fd: number;
  try {
    fd = openSync(tmp, TEMP_FLAGS, mode);
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

/**
 * Before a written temporary file replaces `target`: it takes the permissions `target` has (a
 * `chmod 600` Dockerfile came back 0644, a read-only one writable), never setuid, setgid or sticky
 * bits. Only where they differ from 0644 is it changed; a failure leaves it as written. In gen's write
 * phase, which no recorded run is in.
 */
export function keepMode(target: string, tmp: string): void {
  try {
    const mode = lstatSync(target).mode & 0o777;
    if (mode !== 0o644) chmodSync(tmp, mode);
  } catch {
    /* gone meanwhile, or not ours to read: the new file's own mode */
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

// The same two steps through the thread pool (src/output/sync.ts writes
// many files at once so that the next one renders while these are written),
// with the same checks and the same cleanup on failure.

/**
 * writeTemp, its system calls in the thread pool: one callback chain (open,
 * each write, close) behind one promise, as cheap on this thread as it can be.
 */
export function writeTempAsync(tmp: string, data: string | Uint8Array, target: string, mode = 0o644, display = target): Promise<void> {
  return new Promise((resolve, reject) => {
    const pieces = piecesOf(data);
    // After the open, a failure closes and removes the temporary file (it is ours); before, there is none.
    const failed = (e: unknown, fd?: number) => {
      if (fd !== undefined) {
        closeQuietly(fd);
        removeQuietly(tmp);
      }
      reject(writeFault(target, e, display));
    };
    open(tmp, TEMP_FLAGS, mode, (e, fd) => {
      if (e) {
        failed(e);
        return;
      }
      const finish = () =>
        close(fd, (ce) => {
          if (!ce) resolve();
          else {
            // close can report a deferred write error (NFS, quotas).
            removeQuietly(tmp);
            reject(writeFault(target, ce, display));
          }
        });
      // Each piece in turn, written to its end; closed after the last.
      const nextPiece = (): void => {
        let piece: IteratorResult<Uint8Array>;
        try {
          piece = pieces.next();
        } catch (pe) {
          failed(pe, fd);
          return;
        }
        if (piece.done) finish();
        else writeFrom(piece.value, 0);
      };
      const writeFrom = (buf: Uint8Array, off: number): void => {
        if (off >= buf.length) {
          nextPiece();
          return;
        }
        write(fd, buf, off, buf.length - off, null, (we, n) => {
          if (we) failed(we, fd);
          else if (n <= 0) failed(noSpace(), fd);
          else writeFrom(buf, off + n);
        });
      };
      nextPiece();
    });
  });
}

/** mkdir -p of `dir` in the thread pool: the first directory it made, undefined when all were there. */
export function makeDirAsync(dir: string): Promise<string | undefined> {
  return mkdir(dir, { recursive: true });
}

/** commitTemp, its rename in the thread pool. */
export function commitTempAsync(tmp: string, target: string, display = target): Promise<void> {
  return new Promise((resolve, reject) =>
    rename(tmp, target, (e) => {
      if (!e) return resolve();
      removeQuietly(tmp);
      reject(writeFault(target, e, display));
    }),
  );
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
