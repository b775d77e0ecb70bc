// The one way the compile path asks about the file system without reading a
// file's bytes (src/fs/read.ts reads them): what is at a path, its real path,
// a directory's entries, a file's size, whether it is writable, the home
// directory. Each answer is recorded while a recording is active
// (src/fs/recorder.ts), so a cached answer is reused only when every probe
// still answers the same: a file that was absent and appears, a link that
// now points elsewhere, a new directory entry all count as changes.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { defineOp, noteAssumed } from './recorder.js';
import { kindOfStats, lstatIfThere, lstatOf, realpathOf, type FileKind, type PathStat } from './path-memo.js';

export type { FileKind } from './path-memo.js';

const same = (s: string) => s;

/**
 * What is at `p` (following a final symbolic link when `follow`). Throws the
 * error stat(2)/lstat(2) gave, ENOENT included, as statSync does.
 */
export const statKind = defineOp('kind', (p: string, follow: boolean): FileKind => kindOfStats(lstatOrStat(p, follow)), same);

/** While recording, note what statKind(p, follow) answers for a path known to be `kind`, without asking (src/fs/recorder.ts noteAssumed). */
export function assumeKind(p: string, follow: boolean, kind: FileKind): void {
  noteAssumed('kind', [p, follow], kind);
}

/** lstat(2) of `p`, or stat(2) when `follow` and it is a link: a path that is not a link is its own target. */
function lstatOrStat(p: string, follow: boolean): PathStat {
  const st = lstatOf(p);
  return follow && st.isSymbolicLink() ? statSync(p) : st;
}

/** True when `p` exists (after links); false on any error, as existsSync. */
export const exists = defineOp(
  'exists',
  (p: string): boolean => {
    try {
      // Asked without an Error for a missing path, the usual answer here (src/fs/path-memo.ts).
      const st = lstatIfThere(p);
      return st !== undefined && (!st.isSymbolicLink() || statSync(p, { throwIfNoEntry: false }) !== undefined);
    } catch {
      return false;
    }
  },
  String,
);

/** realpath(3) of `p` (one system call; remembered during a read-only phase, src/fs/path-memo.ts); throws when it fails. */
export const realpath = defineOp('realpath', realpathOf, same);

/** The entries of a directory, in the order the file system gives them. Throws when it cannot be listed. */
export const listDir = defineOp(
  'list',
  (dir: string): string[] => readdirSync(dir),
  (names: string[]) => JSON.stringify(names),
);

/** A regular file's size in bytes (after links), or undefined when there is none. */
export const fileSize = defineOp(
  'size',
  (p: string): number | undefined => {
    try {
      const st = statSync(p);
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  },
  String,
);

/** Whether this process may write to `p` (access(2) W_OK). */
export const writable = defineOp(
  'writable',
  (p: string): boolean => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  String,
);

/** The home directory (os.homedir(): HOME, else the user database), where `~` points. */
export const homeDir = defineOp('home', (): string => os.homedir(), same);
