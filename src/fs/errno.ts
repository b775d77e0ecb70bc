// Operating-system errors in words, one vocabulary for every message matrix
// prints about a file (src/fs/read.ts, src/fs/write.ts, src/cli/faults.ts).
// No imports: the gen fast path loads it.

export const CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  EFBIG: 'file too large',
  ENOTEMPTY: 'directory not empty',
  EXDEV: 'cross-device link not permitted',
  EBUSY: 'resource busy',
  ETXTBSY: 'text file busy',
};

/** The cause of an operating-system error in words: "no space left on device". */
export function causeOf(err: { code?: string | undefined; message?: string }): string {
  const fromMessage = /^E[A-Z0-9]+: ([^,]+)/.exec(err.message ?? '')?.[1];
  return (err.code ? CAUSES[err.code] : undefined) ?? fromMessage ?? err.message ?? 'unknown error';
}

/** The cause and its code: "no space left on device (ENOSPC)". */
export function describeErrno(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code) return `${causeOf(err)} (${err.code})`;
  return String(err?.message ?? e);
}
