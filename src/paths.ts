import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { readRegularText } from './fs/read.js';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The installed package's root (holds templates/ and schemas/), from src/ or dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'bake-matrix') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the bake-matrix package root');
    dir = up;
  }
}

/** The repository a spec belongs to: the nearest ancestor holding `.git`, else the spec's dir. */
export function repoRootOf(specDir: string): string {
  let dir = specDir;
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return specDir;
    dir = up;
  }
}

export function realpathOrUndefined(p: string): string | undefined {
  try {
    // One realpath(3) call; the JavaScript realpathSync lstats every component.
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}

export function kindOf(p: string): 'file' | 'dir' | 'missing' | 'other' {
  try {
    const s = statSync(p);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
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
  let st;
  try {
    st = lstatSync(dotGit);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return dotGit;
  if (!st.isFile()) return undefined;
  try {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readRegularText(dotGit, { followSymlinks: false, maxBytes: 4096 }));
    if (!m) return undefined;
    const dir = path.resolve(repoRoot, m[1]!);
    return lstatSync(dir).isDirectory() ? dir : undefined;
  } catch {
    return undefined;
  }
}
