// How a chunk of dist/ hands its exports to the chunks that require it
// (scripts/build.mjs chunkCommonJs).
//
// esbuild's CommonJS form of an ES module defines a getter per export on one
// object (__export), then copies it into a second (__toCommonJS: a getter per
// export again, each calling the first) and makes that module.exports. Every
// read of an export from another chunk, `(0,import_chunk_X.name)(...)`, then
// calls two getters, and each of the 35 chunks a cold `gen --check` loads
// pays for the copy, all of it once and mostly in the interpreter. Here the
// first object, with the `__esModule` mark __toCommonJS gives the copy, is
// the module's exports: the same keys in the same order, the same live
// bindings, one getter. Measured on samples/monorepo (41 interleaved runs):
// a cold `gen --check` 0.98x the CPU time of the copy.

/** esbuild's export prologue: the getters, then the copy that becomes module.exports. */
const PROLOGUE = /var stdin_exports=\{\};(__export\d*)\(stdin_exports,(\{[^{}]*\})\);module\.exports=__toCommonJS\d*\(stdin_exports\);/;

/** `code` (esbuild's CommonJS form of a chunk) with its getters defined on module.exports itself; unchanged when it exports nothing. */
export function exportsInPlace(code) {
  if (!code.includes('stdin_exports')) return code;
  const m = PROLOGUE.exec(code);
  if (!m) throw new Error("a chunk's exports are not in the form scripts/chunk-exports.mjs rewrites (esbuild's __export then __toCommonJS)");
  return code.replace(PROLOGUE, () => `var stdin_exports=module.exports;Object.defineProperty(stdin_exports,"__esModule",{value:true});${m[1]}(stdin_exports,${m[2]});`);
}
