// One `matrix gen` at a time per spec directory. The lock lives in the
// repository's git directory when there is one (private to the repository, and
// nothing to ignore), else in the temp dir, and holds the owner's pid, so a
// lock left by a killed run is taken over instead of blocking forever.
//
// Nobody else's file can be made to stand in for it: the pid file is created
// exclusively (O_EXCL|O_NOFOLLOW, never through a symbolic link) and then
// hard-linked into place (link(2) never follows a link at the new name);
// whatever is at the lock path is lstat'ed, and a directory, FIFO, symbolic
// link or device there is an error at once, not something to wait on or read.
import { closeSync, constants, linkSync, lstatSync, openSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { userError } from '../diagnostics.js';
import { FileFault, readRegularText } from '../fs/read.js';
import { removeQuietly, writeAll, writeFault } from '../fs/write.js';
import { alive } from '../fs/stale.js';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function lockPath(specDirReal: string, lockDir: string): string {
  return path.join(lockDir, `matrix-gen-${createHash('sha256').update(specDirReal).digest('hex').slice(0, 16)}.lock`);
}

function what(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  return st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
}

function unusable(file: string, kind: string) {
  return userError('lock-unusable', `the lock file ${file} is ${kind}; matrix only uses a regular file it created itself`, {
    file,
    hint: `remove it (nothing of matrix is in it) and run again`,
  });
}

/** Create `file` with our pid, exclusively and never through a symbolic link. */
function createPidFile(file: string): void {
  let fd: number;
  for (let attempt = 0; ; attempt++) {
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Our own pid's file left by an earlier (killed) process with the same pid: a regular file is removed once.
      if (code === 'EEXIST' && attempt === 0) {
        const st = lstatSync(file, { throwIfNoEntry: false });
        if (st && !st.isFile()) throw unusable(file, what(st)!);
        removeQuietly(file);
        continue;
      }
      throw writeFault(file, e);
    }
  }
  try {
    writeAll(fd, String(process.pid));
  } catch (e) {
    closeSync(fd);
    removeQuietly(file);
    throw writeFault(file, e);
  }
  closeSync(fd);
}

/** The pid in a lock file; NaN when it holds none (or vanished); throws when it is not a regular file. */
function ownerOf(file: string): number {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return NaN;
  const kind = what(st);
  if (kind) throw unusable(file, kind);
  try {
    return Number(readRegularText(file, { followSymlinks: false, maxBytes: 64 }).trim());
  } catch (e) {
    if (e instanceof FileFault && e.reason === 'not-a-file') throw unusable(file, 'not a regular file');
    return NaN; // released between lstat and read, or not a pid
  }
}

/** Remove the lock only if it is a regular file: never what replaced it. */
function removeLock(file: string): void {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st?.isFile()) removeQuietly(file);
}

/**
 * Take the lock for a spec directory; returns the function that releases it.
 * `lockDir`: where the lock lives (the repository's git directory, see
 * gitDirOf in src/paths.ts); the temp dir when not given.
 */
/** The locks this process holds (a lock with this pid in it and not here is an earlier process's). */
const HELD = new Set<string>();

export function acquireLock(specDirReal: string, waitMs: number, lockDir: string): () => void {
  const file = lockPath(specDirReal, lockDir);
  // A directory, FIFO or link at the lock path is refused before anything is created.
  const existing = lstatSync(file, { throwIfNoEntry: false });
  if (existing && what(existing)) throw unusable(file, what(existing)!);
  const deadline = Date.now() + waitMs;
  // The lock appears with its owner's pid already in it (written aside, then
  // hard-linked into place), so a kill at any moment never leaves an empty lock.
  const mine = `${file}.${process.pid}`;
  createPidFile(mine);
  // Once: a second call (gen's release before a held signal ends it, then its `finally`) must not
  // remove a lock this process took again meanwhile.
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    HELD.delete(file);
    if (ownerOrNaN(file) === process.pid) removeLock(file);
  };
  for (;;) {
    try {
      linkSync(mine, file);
      removeQuietly(mine);
      HELD.add(file);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        removeQuietly(mine);
        throw writeFault(file, e);
      }
    }
    let owner: number;
    try {
      owner = ownerOf(file);
    } catch (e) {
      removeQuietly(mine);
      throw e;
    }
    if (Number.isNaN(owner) && !lstatSync(file, { throwIfNoEntry: false })) continue; // released between link and read
    // A dead owner, or no readable owner at all (a lock from an older matrix killed mid-write); or this
    // process's own pid on a lock this process does not hold: a run before it with the same pid (each
    // container's first process is pid 1) left it.
    if (!Number.isInteger(owner) || owner <= 0 || (owner === process.pid && !HELD.has(file)) || !alive(owner)) {
      removeLock(file);
      continue;
    }
    if (Date.now() > deadline) {
      removeQuietly(mine);
      throw userError('locked', `another \`matrix gen\` (pid ${owner}) is writing in ${specDirReal}`, {
        hint: `wait for it to finish and run again; if no such process exists, remove ${file}`,
      });
    }
    sleep(50);
  }
}

function ownerOrNaN(file: string): number {
  try {
    return ownerOf(file);
  } catch {
    return NaN;
  }
}
