// The two rewrites of `lazyImport(() => import('M'))` (src/lazy.ts), the
// only form the source uses to load a module synchronously on first use.
// - splitLazyImports: in dist/ the call's import() has made M a chunk of its
//   own (esbuild splits at import()); the chunk is required on first use,
//   synchronously, by bin/load.cjs's require.
// - hoistLazyImports: where there are no chunks (a single-file bundle of
//   scripts/, vitest running the source), M is imported statically.
// And the builtins of Node that dist/ loads on first use (lazyBuiltinsPlugin).

import { createRequire } from 'node:module';

const nodeRequire = createRequire(import.meta.url);

/** The call in TypeScript source, any spacing and quotes. */
const SOURCE_CALL = /\blazyImport\(\s*\(\s*\)\s*=>\s*import\(\s*(['"])([^'"\n]+)\1\s*\)\s*\)/g;

/** The call in an esbuild chunk (minified whitespace): the import of another chunk of dist/. */
const CHUNK_CALL = /\b(lazyImport\d*)\(\(\)=>import\("(\.\/[\w-]+\.cjs)"\)\)/g;

/** M imported statically, under a name of its own; the call returns it. Undefined when the source has no call. */
export function hoistLazyImports(code) {
  if (!code.includes('lazyImport(')) return undefined;
  const imports = [];
  const body = code.replace(SOURCE_CALL, (call, _q, spec, offset) => {
    // A comment that shows the form is left as it is.
    if (/^\s*(\/\/|\/?\*)/.test(code.slice(code.lastIndexOf('\n', offset) + 1, offset))) return call;
    // A package in CommonJS would have only a default export in dist/: the target is a module of src/.
    if (!/^\.\.?\//.test(spec)) throw new Error(`lazyImport(() => import('${spec}')): import a module of src/ (one that re-exports what is used), not a package`);
    const name = `__matrixLazy${imports.length}`;
    imports.push(`import * as ${name} from ${JSON.stringify(spec)};`);
    return `lazyImport(() => ${name})`;
  });
  return imports.length ? `${imports.join(' ')}\n${body}` : undefined;
}

/** The chunk's import() in each call made a require; throws if a call is left in another form. */
export function splitLazyImports(text) {
  const out = text.replace(CHUNK_CALL, '$1(()=>require("$2"))');
  if (/\blazyImport\d*\(\(\)=>import\(/.test(out)) throw new Error('a lazyImport(() => import(...)) call was not rewritten (scripts/lazy-imports.mjs)');
  return out;
}

/** An esbuild plugin: hoistLazyImports for every TypeScript file of src/ (bundles without chunks). */
export const hoistLazyImportsPlugin = {
  name: 'matrix-hoist-lazy-imports',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const code = hoistLazyImports(await readFile(args.path, 'utf8'));
      return code === undefined ? undefined : { contents: code, loader: 'ts' };
    });
  },
};

/** A vite plugin (the vitest configs): hoistLazyImports for every TypeScript file of src/. */
export const hoistLazyImportsVite = {
  name: 'matrix-hoist-lazy-imports',
  enforce: 'pre',
  transform(code, id) {
    if (!/[\\/]src[\\/][^?]*\.ts$/.test(id)) return undefined;
    const out = hoistLazyImports(code);
    return out === undefined ? undefined : { code: out, map: null };
  },
};

// ---- Builtins loaded on first use (scripts/build.mjs bundles with lazyBuiltinsPlugin).

/**
 * crypto, child_process and v8 cost milliseconds to load and `gen` rarely calls
 * them (a long cache tag, the lock of a write); http and https (with tls and
 * the http agent, about 8 ms) only the registry client and the doctor's
 * registry probe, which a bake that pushes nothing never calls; fs/promises
 * (2 ms on Node 20: it brings readline's interface and the file watchers)
 * only a write or a listing in the thread pool; os only for the temporary
 * directory, the home directory and the CPU count; module (about 0.6 ms on
 * Node 20: source maps and the ES module loader's hooks) only to compile a
 * template or the schema that has no precompiled form (src/precompiled/).
 * They load on first use.
 *
 * Each is an ES module here, not a CommonJS proxy: esbuild copies every key
 * of a CommonJS module into each importer's namespace (__toESM, one getter
 * per key, 70 for crypto, about 2 ms in all at start-up), while a named import
 * of an ES module is the binding itself. A named export is a function that
 * loads the module and calls its function of that name (a lower-case
 * function of the module: a class would lose `new` and instanceof through
 * it, so importing one, or a constant, by name fails the build); the default
 * export is the module as a proxy that loads it on the first read of a
 * property (`import os from 'node:os'`). esbuild drops the exports no one imports.
 */
export const LAZY_BUILTINS = /^node:(crypto|child_process|v8|http|https|fs\/promises|os|module)$/;

/** The ES module that stands for builtin `id` (LAZY_BUILTINS): its callable names from the module as this Node has it. */
export function lazyBuiltinModule(id) {
  const mod = nodeRequire(id);
  const keys = Object.keys(mod);
  const functions = keys.filter((k) => /^[a-z]\w*$/.test(k) && typeof mod[k] === 'function');
  return `let m;
const real = () => (m ??= require(${JSON.stringify(id)}));
const keys = ${JSON.stringify(keys)};
export default new Proxy({}, {
  get: (_, k) => real()[k],
  has: (_, k) => k in real(),
  ownKeys: () => [...keys],
  getOwnPropertyDescriptor: (_, k) => (keys.includes(k) ? { get: () => real()[k], enumerable: true, configurable: true } : undefined),
});
${functions.map((k) => `export function ${k}(...args) { return real().${k}(...args); }`).join('\n')}
`;
}

/** An esbuild plugin: each builtin of LAZY_BUILTINS imported from the bundle is lazyBuiltinModule of it. */
export const lazyBuiltinsPlugin = {
  name: 'matrix-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: LAZY_BUILTINS }, (args) => (args.namespace === 'matrix-lazy' ? { path: args.path, external: true } : { path: args.path, namespace: 'matrix-lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'matrix-lazy' }, (args) => ({ contents: lazyBuiltinModule(args.path), loader: 'js' }));
  },
};
