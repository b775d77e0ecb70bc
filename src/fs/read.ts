// The one way matrix reads a file (spec, templates, Dockerfiles,
// .dockerignore, shard and metadata files, OCI layouts). A path is checked to
// be a regular file before it is opened, opened so that a FIFO can never
// block (O_NONBLOCK) and, when asked, without following a symbolic link
// (O_NOFOLLOW), checked again on the open descriptor (the path may have been
// swapped in between), and read with its size limit enforced while reading:
// a file that grows, or a device that never ends, stops at the limit.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { diagnostic, UserError, type DiagnosticCode } from '../diagnostics.js';
import { describeErrno } from './errno.js';
import { createHash, hash, type Hash } from 'node:crypto';
import { defineOp, isRecording, noteAssumed, noteThrown } from './recorder.js';
import { lstatOf, type PathStat } from './path-memo.js';
import { resourceHint } from '../resource-faults.js';
import { sizeText } from '../size-text.js';

/** Default limit for inputs other than the spec (templates, Dockerfiles, ignore files, JSON results). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export type FaultReason = 'missing' | 'not-a-file' | 'symlink' | 'too-large' | 'io';

/**
 * Errors of the machine rather than of the input: they exit 74 (EX_IOERR), as
 * main() does for every other operating-system error (src/cli/faults.ts). A
 * FIFO, device or directory in a file's place, or a file over its limit, is
 * the input's fault: exit 2.
 */
const MACHINE_ERRNOS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EIO', 'ELOOP', 'ENOTDIR', 'EMFILE', 'ENFILE', 'ENXIO', 'ENODEV', 'EBUSY', 'ETXTBSY', 'ENAMETOOLONG']);

/**
 * A file that cannot be read or written, with the path and the cause in one
 * line: the user's file system, not a bug in matrix. Exit 2 for input that is
 * not a usable file, 74 for a fault of the machine (and a dangling link).
 */
export class FileFault extends UserError {
  constructor(
    readonly reason: FaultReason,
    readonly filePath: string,
    message: string,
    readonly errno?: string,
    extra: { code?: DiagnosticCode; display?: string; hint?: string; line?: number; column?: number } = {},
  ) {
    super(
      [
        diagnostic({
          code: extra.code ?? (reason === 'too-large' ? 'file-too-large' : reason === 'missing' ? 'file-missing' : reason === 'io' ? 'file-error' : 'not-a-regular-file'),
          file: extra.display ?? filePath,
          line: extra.line,
          column: extra.column,
          message,
          // Out of descriptors or memory, the caller's hint (about the file) is beside the point.
          hint: (reason === 'io' && resourceHint(errno)) || extra.hint || undefined,
        }),
      ],
      reason === 'io' && errno !== undefined && (MACHINE_ERRNOS.has(errno) || errno === 'ENOENT') ? 74 : 2,
    );
    this.name = 'FileFault';
  }
}

export interface ReadOptions {
  /** Refuse the file past this many bytes (counted while reading). */
  maxBytes?: number;
  /** Follow a symbolic link to a regular file (default). false: a link is refused, O_NOFOLLOW. */
  followSymlinks?: boolean;
  /** How to name the file in the message (default: the path). */
  display?: string;
  /** Diagnostic code for a file over the limit (default `file-too-large`). */
  tooLargeCode?: DiagnosticCode;
  /** Position to report a file over the limit at (the spec: 1:1, so `file:line:column` stays greppable). */
  tooLargeAt?: { line: number; column: number };
  hint?: string;
}

export { describeErrno };

function kindName(st: PathStat): string {
  return st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a FIFO (named pipe)'
      : st.isCharacterDevice()
        ? 'a character device'
        : st.isBlockDevice()
          ? 'a block device'
          : st.isSocket()
            ? 'a socket'
            : st.isSymbolicLink()
              ? 'a symbolic link'
              : 'not a regular file';
}

/** A digest of bytes read: what a recorded read answers (src/fs/recorder.ts). */
export function digestOf(bytes: Uint8Array): string {
  // The one-shot hash (Node 20.12 and later): no Hash object per file.
  return hash('sha256', bytes, 'base64');
}

// Recorded as the path and the options (they decide the limit and the fault's message), answered by the bytes' digest.
const recordedRead = defineOp(
  'read',
  (file: string, opts: string) => rawReadBytes(file, JSON.parse(opts) as ReadOptions),
  (bytes: Buffer) => digestOf(bytes),
);

/**
 * While recording, note what readRegularBytes(file, opts) answers for a file
 * whose bytes have `digest` (digestOf, or output/digest.ts textDigest of their
 * text), without reading it: for bytes just written (src/fs/recorder.ts noteAssumed).
 */
export function assumeRead(file: string, opts: ReadOptions, digest: string): void {
  noteAssumed('read', [file, JSON.stringify(opts)], digest);
}

/** Read a regular file as bytes, with the checks described above. Throws FileFault. */
export function readRegularBytes(file: string, opts: ReadOptions = {}): Buffer {
  return isRecording() ? recordedRead(file, JSON.stringify(opts)) : rawReadBytes(file, opts);
}

function rawReadBytes(file: string, opts: ReadOptions): Buffer {
  const { fd, size, max, fault } = openRegular(file, opts);
  try {
    // One buffer of the size fstat gives (+1 to see the end), grown only if the file grew:
    // a 1 MiB buffer per read made reading thousands of small files mostly garbage collection.
    let buf = Buffer.allocUnsafe(Math.min(size + 1, max + 1));
    let total = 0;
    for (;;) {
      if (total === buf.length) buf = Buffer.concat([buf], Math.min(buf.length * 2, max + 1));
      const n = readSome(fd, buf, total, buf.length - total, fault);
      if (n === 0) break;
      total += n;
      // All fstat counted, and less than asked for: the end (as a later read of nothing would say; what is appended after it is not in this read).
      if (total === size && total < buf.length) break;
      if (total > max) throw fault('too-large', `it is larger than ${sizeText(max, 'bytes')}`, undefined, opts.tooLargeCode);
    }
    return buf.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}

type Fault = (reason: FaultReason, why: string, errno?: string, code?: DiagnosticCode) => FileFault;

/** The file opened for reading after the checks described above (its size as fstat gives it), and how to report a fault of it. */
function openRegular(file: string, opts: ReadOptions): { fd: number; size: number; max: number; fault: Fault } {
  const max = opts.maxBytes ?? MAX_INPUT_BYTES;
  const follow = opts.followSymlinks ?? true;
  const display = opts.display ?? file;
  const extra = { display, ...(opts.hint ? { hint: opts.hint } : {}) };
  const fault: Fault = (reason, why, errno, code) =>
    new FileFault(reason, file, `cannot read ${display}: ${why}`, errno, { ...extra, ...(code ? { code } : {}), ...(reason === 'too-large' ? opts.tooLargeAt : {}) });

  let st: PathStat;
  try {
    st = lstatOf(file);
    if (st.isSymbolicLink()) {
      if (!follow) throw fault('symlink', 'it is a symbolic link, and matrix does not follow one here');
      st = statSync(file);
    }
  } catch (e) {
    if (e instanceof FileFault) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    // A dangling link is a fault of the file system (exit 74); a path that is simply not there is the input's.
    const dangling = code === 'ENOENT' && follow && isDangling(file);
    throw fault(code === 'ENOENT' && !dangling ? 'missing' : 'io', dangling ? 'it is a dangling symbolic link (ENOENT)' : describeErrno(e), code);
  }
  if (!st.isFile()) throw fault('not-a-file', `it is ${kindName(st)}, not a regular file`);
  if (st.size > max) throw fault('too-large', `it is larger than ${sizeText(max, 'bytes')}`, undefined, opts.tooLargeCode);

  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW));
  } catch (e) {
    throw fault('io', describeErrno(e), (e as NodeJS.ErrnoException).code);
  }
  try {
    // The path may have been replaced since lstat: check what was opened.
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw fault('not-a-file', `it is ${kindName(fst)}, not a regular file`);
    return { fd, size: fst.size, max, fault };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function readSome(fd: number, buf: Buffer, at: number, length: number, fault: Fault): number {
  try {
    return readSync(fd, buf, at, length, null);
  } catch (e) {
    throw fault('io', describeErrno(e), (e as NodeJS.ErrnoException).code);
  }
}

/** Bytes readRegularPieces reads at a time, into one buffer that every call shares. */
const PIECE_BYTES = 64 * 1024;
let pieceBuffer: Buffer | undefined;

/**
 * readRegularBytes(file, opts), with the same checks and faults, the bytes
 * handed to `each` a piece at a time instead of returned (each piece is
 * overwritten by the next: `each` copies what it keeps); returns digestOf
 * of them all, which is also what a recording notes, as for
 * readRegularBytes. For a caller that needs only a digest and a look at the
 * bytes: the bytes of the file are never all held (the 8 MB of a bake file
 * at 10,000 services), nor is a buffer allocated per file.
 */
export function readRegularPieces(file: string, opts: ReadOptions, each: (piece: Buffer) => void): string {
  if (!isRecording()) return rawReadPieces(file, opts, each);
  const args = [file, JSON.stringify(opts)];
  let digest: string;
  try {
    digest = rawReadPieces(file, opts, each);
  } catch (e) {
    noteThrown('read', args, e);
    throw e;
  }
  noteAssumed('read', args, digest);
  return digest;
}

function rawReadPieces(file: string, opts: ReadOptions, each: (piece: Buffer) => void): string {
  const { fd, size, max, fault } = openRegular(file, opts);
  try {
    const buf = (pieceBuffer ??= Buffer.allocUnsafe(PIECE_BYTES));
    let digest: Hash | undefined;
    let total = 0;
    for (;;) {
      const n = readSome(fd, buf, 0, buf.length, fault);
      if (n === 0) break;
      total += n;
      if (total > max) throw fault('too-large', `it is larger than ${sizeText(max, 'bytes')}`, undefined, opts.tooLargeCode);
      const piece = buf.subarray(0, n);
      each(piece);
      // As rawReadBytes: all fstat counted, and less than asked for, is the end.
      const end = total === size && n < buf.length;
      // A file read in one piece (a generated Dockerfile) is hashed in one call, with no Hash object.
      if (end && !digest) return digestOf(piece);
      (digest ??= createHash('sha256')).update(piece);
      if (end) break;
    }
    return digest ? digest.digest('base64') : digestOf(buf.subarray(0, 0));
  } finally {
    closeSync(fd);
  }
}

/** Read a regular file as UTF-8 text (invalid bytes become U+FFFD, as readFileSync does). */
export function readRegularText(file: string, opts: ReadOptions = {}): string {
  return readRegularBytes(file, opts).toString('utf8');
}

/** Read and parse a JSON file; a parse error is a FileFault naming the file. */
export function readJsonFile(file: string, opts: ReadOptions = {}): unknown {
  const text = readRegularText(file, opts);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FileFault('io', file, `cannot read ${opts.display ?? file}: not valid JSON (${(e as Error).message})`, undefined, {
      code: 'file-not-json',
      display: opts.display ?? file,
      ...(opts.hint ? { hint: opts.hint } : {}),
    });
  }
}

function isDangling(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
