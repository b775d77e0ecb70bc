// Built to dist/fast.cjs (CommonJS) and called first by bin/matrix.cjs.
//
// `matrix gen --check` runs on every commit (pre-commit), so its start-up
// time is most of what a user waits for. Node 20 has no compile cache for ES
// modules, so plain `gen` / `gen --check` run from dist/gen.cjs (one CommonJS
// bundle, src/fast/gen-entry.ts) compiled with the V8 code cache that the
// build made by running it (dist/gen-HASH.cache). A cache for another Node or
// V8 version is rejected by V8, which then compiles the source as usual.
// Every other argument list returns undefined here and runs from dist/cli.mjs.
import type { Script as ScriptType } from 'node:vm';
import type { Io } from '../cli/io.js';

// Builtins without `import`: an ES module import of node:fs builds a facade
// that reads every export, and reading fs.ReadStream loads all of node:stream.
const { readFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const path = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const { Script } = process.getBuiltinModule('node:vm');

export { processIo } from '../cli/stdio.js';

export type FastMain = (argv: string[], io: Io) => Promise<number | undefined>;

/** First line of dist/gen.cjs: a hash of the rest, which names its cache file. */
export const HASH_LINE = /^\/\/ matrix-fast ([0-9a-f]{16})\n/;

export function cacheFileName(hash: string): string {
  return `gen-${hash}.cache`;
}

/** The same wrapper Node puts around a CommonJS module. */
export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

export interface FastBundle {
  fastMain: FastMain;
  script: ScriptType;
  /** A cache was given and V8 accepted it. */
  cacheUsed: boolean;
}

/** Compile and run dist/gen.cjs (in `dir`); undefined when there is none. */
export function loadFastBundle(dir = path.dirname(fileURLToPath(import.meta.url)), useCache = true): FastBundle | undefined {
  const file = path.join(dir, 'gen.cjs');
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const hash = HASH_LINE.exec(source)?.[1];
  let cachedData: Buffer | undefined;
  if (hash && useCache) {
    try {
      cachedData = readFileSync(path.join(dir, cacheFileName(hash)));
    } catch {
      // No cache (yet): V8 compiles the source.
    }
  }
  const script = new Script(wrapCommonJs(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { fastMain?: FastMain } };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dir);
  if (typeof module.exports.fastMain !== 'function') return undefined;
  return { fastMain: module.exports.fastMain, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

/** Exit code of `matrix ARGV` when the fast path handles it; undefined otherwise. */
export async function fastMain(argv: string[], io: Io): Promise<number | undefined> {
  // Cheap first: every argument list the fast path takes names `gen`.
  if (!argv.includes('gen')) return undefined;
  let bundle: FastBundle | undefined;
  try {
    bundle = loadFastBundle();
  } catch {
    // A damaged or half-built dist/gen.cjs: dist/cli.mjs does the same work.
    return undefined;
  }
  return bundle ? bundle.fastMain(argv, io) : undefined;
}
