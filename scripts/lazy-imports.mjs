// The two rewrites of `lazyImport(() => import('M'))` (src/lazy.ts), the
// only form the source uses to load a module synchronously on first use.
// - splitLazyImports: in dist/ the call's import() has made M a chunk of its
//   own (esbuild splits at import()); the chunk is required on first use,
//   synchronously, by bin/load.cjs's require.
// - hoistLazyImports: where there are no chunks (a single-file bundle of
//   scripts/, vitest running the source), M is imported statically.

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
