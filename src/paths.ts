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
  return nearestRepository(specDir) ?? specDir;
}

/** The nearest directory at or above `dir` that holds `.git` (a directory, or a worktree's or submodule's file), as git looks for one; undefined when none does. */
export function nearestRepository(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (exists(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
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
 * The directory a git directory shares with its main worktree: the one its
 * `commondir` file names (a linked worktree's), else itself. Throws when that
 * file cannot be read.
 */
export function commonDirOf(gitDir: string): string {
  const commondirFile = path.join(gitDir, 'commondir');
  return exists(commondirFile) ? path.resolve(gitDir, readRegularText(commondirFile, { followSymlinks: false, maxBytes: 4096 }).trim()) : gitDir;
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
    const common = commonDirOf(dir);
    return statKind(path.join(common, 'objects'), true) === 'dir' && statKind(path.join(common, 'refs'), true) === 'dir';
  } catch {
    return false;
  }
}

/** The real path of `p`'s nearest ancestor that exists (or of `p`), and the components below it, outermost first. */
function nearestRealAndRest(p: string): { real: string | undefined; rest: string[] } {
  const rest: string[] = [];
  for (let d = p; ; d = path.dirname(d)) {
    const real = realpathOrUndefined(d);
    if (real !== undefined || path.dirname(d) === d) return { real, rest: rest.reverse() };
    rest.push(path.basename(d));
  }
}

/** The real path of `p`, or of its nearest ancestor that exists (undefined only when none resolves). */
export function nearestReal(p: string): string | undefined {
  return nearestRealAndRest(p).real;
}

/**
 * The real path of `p` as far as it exists, with the rest as written (buildx's
 * evaluateToExistingPath): a link anywhere on the way counts where it points.
 */
export function realAsFarAsItExists(p: string): string {
  const abs = path.resolve(p);
  const { real, rest } = nearestRealAndRest(abs);
  return real === undefined ? abs : path.join(real, ...rest);
}

/** Code points HFS+ ignores in a name (git utf8.c next_hfs_char). */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Whether git treats the path component `name` as its own directory: `.git`
 * in any case (read-cache.c verify_dotfile), the NTFS spellings `.git` or
 * `git~1` followed by dots and spaces, or by `:` and a stream name (path.c
 * is_ntfs_dotgit), and `.git` with HFS+ ignorable code points in it (utf8.c
 * is_hfs_dotgit; only ASCII is case-folded there, as here).
 */
export function isDotGitName(name: string): boolean {
  if (/^(?:\.git|git~1)[. ]*(?::.*)?$/is.test(name)) return true;
  return name.replace(HFS_IGNORED, '').replace(/[A-Z]/g, (c) => c.toLowerCase()) === '.git';
}

/** The first component of `p` (split at `/` and `\`, as git's is_xplatform_dir_sep) that git treats as `.git`. */
export function dotGitComponent(p: string): string | undefined {
  return p.split(/[\\/]/).find(isDotGitName);
}

/**
 * The real paths of a repository's git directories: the one its `.git`
 * names, and the common one a linked worktree shares (hooks and config live
 * there; `commondir`).
 */
export function realGitDirsOf(repoRoot: string): string[] {
  const gitDir = gitDirOf(repoRoot);
  if (gitDir === undefined) return [];
  const dirs = [gitDir];
  try {
    const common = commonDirOf(gitDir);
    if (common !== gitDir) dirs.push(common);
  } catch {
    // unreadable: the git directory itself is still checked
  }
  return dirs.flatMap((d) => realpathOrUndefined(d) ?? []);
}
