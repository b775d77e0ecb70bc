// A module loaded on first use, synchronously: `lazyImport(() => import('M'))`
// returns a function that gives M's exports. The compile is synchronous, and a
// large module it rarely needs (yaml's full parser: a spec in plain YAML never
// asks for it) should cost nothing until then.
//
// The call is rewritten wherever the code runs, by scripts/lazy-imports.mjs:
// in dist/ (scripts/build.mjs) the import() makes M a chunk of its own, which
// the rewritten call requires on first use; in a bundle without chunks and
// under vitest, M is imported statically. Only that exact form is rewritten,
// so `load` must be an arrow returning import() of a string literal: a
// module of src/ (a package in CommonJS would have only a default export in
// dist/), which re-exports what is used.

/** M's exports, loaded by the first call. */
export function lazyImport<T>(load: () => Promise<T>): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded === undefined) {
      const value: unknown = load();
      if (value instanceof Promise) throw new Error('internal error: lazyImport(() => import(...)) was not rewritten (scripts/lazy-imports.mjs)');
      loaded = value as T;
    }
    return loaded;
  };
}
