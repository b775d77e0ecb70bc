import path from 'node:path';
import { exists, realpath, statKind } from './fs/probe.js';
import { readRegularText } from './fs/read.js';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The installed package's root (holds templates/ and schemas/), from src/ or dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (exists(pkg) && JSON.parse(readRegularText(pkg)).name === 'bake-matrix') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the bake-matrix package root');
    dir = up;
  }
}

/** The repository a spec belongs to: the nearest ancestor holding `.git`, else the spec's dir. */
export function repoRootOf(specDir: string): string {
  let dir = specDir;
  for (;;) {
    if (exists(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return specDir;
    dir = up;
  }
}

export function realpathOrUndefined(p: string): string | undefined {
  try {
    // One realpath(3) call; the JavaScript realpathSync lstats every component.
    return realpath(p);
  } catch {
    return undefined;
  }
}

/**
 * What a spec path names. Only ENOENT is "missing"; any other error (a symlink
 * loop, a file in the way of a directory, permission denied) is thrown, and
 * reported as what it is, with the path (exit 74), not as "does not exist".
 */
export function kindOf(p: string): 'file' | 'dir' | 'missing' | 'other' {
  try {
    const k = statKind(p, true);
    return k === 'file' || k === 'dir' ? k : 'other';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/** True when `child` is `parent` or below it (both absolute, already real paths). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * The git directory of a repository root: `.git` itself, or for a worktree or
 * submodule the directory its `.git` file names (`gitdir: PATH`). Undefined
 * when there is none (not a repository, or a `.git` that is neither).
 */
export function gitDirOf(repoRoot: string): string | undefined {
  const dotGit = path.join(repoRoot, '.git');
  let kind;
  try {
    kind = statKind(dotGit, false);
  } catch {
    return undefined;
  }
  if (kind === 'dir') return dotGit;
  if (kind !== 'file') return undefined;
  try {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readRegularText(dotGit, { followSymlinks: false, maxBytes: 4096 }));
    if (!m) return undefined;
    const dir = path.resolve(repoRoot, m[1]!);
    return statKind(dir, false) === 'dir' && isGitDirectory(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `dir` is a git directory, by git's own test (setup.c
 * is_git_directory): a HEAD, and objects/ and refs/ in it or in the directory
 * its `commondir` names (a linked worktree's). A `.git` file can name any
 * directory; matrix keeps records and its lock only in one git would use.
 */
function isGitDirectory(dir: string): boolean {
  try {
    if (statKind(path.join(dir, 'HEAD'), true) !== 'file') return false;
    const commondirFile = path.join(dir, 'commondir');
    const common = exists(commondirFile) ? path.resolve(dir, readRegularText(commondirFile, { followSymlinks: false, maxBytes: 4096 }).trim()) : dir;
    return statKind(path.join(common, 'objects'), true) === 'dir' && statKind(path.join(common, 'refs'), true) === 'dir';
  } catch {
    return false;
  }
}
