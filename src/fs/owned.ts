// Temporary directories a command created itself, and nothing else, are what
// its cleanup removes. Ownership is proven by creation: mkdtemp(3) (a new name
// in the temp dir) or a non-recursive mkdir that did not find the directory
// there. A path that comes from the user (a `--keep DIR`, a service
// directory) is never removed recursively unless this run created it.
//
// Every owned directory is also registered with src/adapters/process.ts, so that a
// signal (SIGINT, SIGTERM, SIGHUP) or an exit at any moment removes it too.
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { addCleanup, removeCleanup } from '../adapters/process.js';
import { FileFault } from './read.js';
import { tempDirOf } from './temp.js';
import { writeFault } from './write.js';

const owned = new Map<string, () => void>();

function track(dir: string, remove: () => void): string {
  const fn = () => {
    owned.delete(dir);
    removeCleanup(fn);
    remove();
  };
  owned.set(dir, fn);
  addCleanup(fn);
  return dir;
}

/** A new directory `PREFIXxxxxxx` in the temp dir of `env`, removed (recursively) by removeOwned or on a signal. */
export function ownedTempDir(prefix: string, env: Readonly<Record<string, string | undefined>>): string {
  const root = tempDirOf(env);
  let dir: string;
  try {
    dir = mkdtempSync(path.join(root, prefix));
  } catch (e) {
    throw writeFault(path.join(root, `${prefix}XXXXXX`), e);
  }
  return track(dir, () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * Create `dir`, which must not exist yet (non-recursive mkdir: EEXIST means
 * it is not ours). Its parents are created if missing, and the topmost one
 * created is removed with it only if it is empty by then.
 */
export function ownedNewDir(dir: string, what = dir): string {
  let createdParent: string | undefined;
  try {
    createdParent = mkdirSync(path.dirname(dir), { recursive: true }) ?? undefined;
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FileFault('io', dir, `${what} already exists; matrix only removes or replaces what it created itself`, 'EEXIST', {
        code: 'path-exists',
        hint: 'choose a new or empty directory, or move the existing one away',
      });
    }
    throw writeFault(dir, e, what);
  }
  return track(dir, () => {
    rmSync(dir, { recursive: true, force: true });
    if (createdParent) removeEmptyUpTo(path.dirname(dir), createdParent);
  });
}

/** Remove an owned directory now (it is no longer tracked). A path this run did not create is left alone. */
export function removeOwned(dir: string): void {
  owned.get(dir)?.();
}

/** Keep an owned directory: it is no longer removed on exit or signal. */
export function keepOwned(dir: string): void {
  const fn = owned.get(dir);
  if (!fn) return;
  owned.delete(dir);
  removeCleanup(fn);
}

export function isOwned(dir: string): boolean {
  return owned.has(dir);
}

function removeEmptyUpTo(dir: string, top: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      rmdirSync(d); // fails on a directory that is not empty: then it is not only ours
    } catch {
      return;
    }
    if (d === top || path.dirname(d) === d) return;
  }
}
