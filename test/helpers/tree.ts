// File trees for tests: write one from an object, hash one to prove nothing changed.
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A symbolic link in a tree; `target` is written as given (relative or absolute). */
export interface Link {
  symlink: string;
}

/** Keys are names or slash-separated paths; a string is a file, an object a directory. */
export interface Tree {
  [name: string]: string | Buffer | Link | Tree;
}

function isLink(v: unknown): v is Link {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && typeof (v as Link).symlink === 'string' && Object.keys(v).length === 1;
}

export function writeTree(root: string, tree: Tree): void {
  for (const [name, v] of Object.entries(tree)) {
    const abs = path.join(root, name);
    if (typeof v === 'string' || Buffer.isBuffer(v)) {
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, v);
    } else if (isLink(v)) {
      mkdirSync(path.dirname(abs), { recursive: true });
      symlinkSync(v.symlink, abs);
    } else {
      mkdirSync(abs, { recursive: true });
      writeTree(abs, v);
    }
  }
}

const made: string[] = [];

/** A fresh directory under the OS temp dir; removed by `removeTempDirs()`. */
export function tempDir(prefix = 'matrix-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A temp directory marked as a repository root (an empty `.git`), holding `tree`. */
export function tempRepo(tree: Tree = {}): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, '.git'));
  writeTree(dir, tree);
  return dir;
}

/** A temp repository holding a copy of `samples/NAME` at its root. */
export function copySample(name: string): string {
  const dir = tempRepo();
  cpSync(path.join(REPO_ROOT, 'samples', name), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Every entry below `root`, sorted: relative POSIX path -> kind and content. */
export function listTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out.set(r, `link:${readlinkSync(abs)}`);
      else if (st.isDirectory()) {
        out.set(r + '/', `dir:${(st.mode & 0o777).toString(8)}`);
        walk(abs, r);
      } else if (!st.isFile())
        out.set(r, `special:${(st.mode & 0o777).toString(8)}`); // a FIFO would block a read
      else out.set(r, `file:${(st.mode & 0o777).toString(8)}:${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
    }
  };
  walk(root, '');
  return out;
}

/** One hash for a whole tree: names, kinds, modes, contents and link targets (not times). */
export function hashTree(root: string): string {
  return hashEntries(listTree(root));
}

function hashEntries(entries: Iterable<[string, string]>): string {
  const h = createHash('sha256');
  for (const [k, v] of entries) h.update(`${k}\0${v}\n`);
  return h.digest('hex');
}

/**
 * The records of matrix's cache in a repository's git directory
 * (src/cache/store.ts recordPath): gen's and `gen --check`'s with the hook's
 * manifest, `validate`'s, and those of `plan`, `graph` and `ci-matrix`. A run that writes no generated file may still keep one.
 */
export const RECORD_FILE = /(^|\/)\.git\/matrix-(check|validate|plan|graph|ci-matrix)-[0-9a-f]{16}\.(json|hook)$/;

/** hashTree of everything but the cache's records (RECORD_FILE). */
export function hashTreeButRecords(root: string): string {
  return hashEntries([...listTree(root)].filter(([name]) => !RECORD_FILE.test(name)));
}

/** The cache's records (RECORD_FILE) in a tree, name to entry. */
export function recordsIn(root: string): Map<string, string> {
  return new Map([...listTree(root)].filter(([name]) => RECORD_FILE.test(name)));
}

/**
 * `npm install --save-dev bake-matrix` into `dir`, from this working tree: the
 * package linked as node_modules/bake-matrix and every bin of its package.json
 * in node_modules/.bin, as npm links them. Returns the bins' names.
 */
export function installWorkingTree(dir: string): string[] {
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  symlinkSync(REPO_ROOT, path.join(modules, 'bake-matrix'));
  const bins = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
  for (const [name, file] of Object.entries(bins)) symlinkSync(`../bake-matrix/${file}`, path.join(modules, '.bin', name));
  return Object.keys(bins);
}
