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

// A default import of a Node builtin (`import path from 'node:path'`) is, in
// esbuild's CommonJS form, `var import_node_path=__toESM(require("node:path"))`:
// a new object with a getter for every export of the builtin (__copyProps),
// made by every source module that imports it, and read only as
// `import_node_path.default.join(...)`. A builtin is never an ES module, so
// __toESM's `default` is the builtin's exports object itself: where the
// variable is read only through `.default`, `{default:require("node:path")}`
// is the same value without the copy. A cold `gen --check` made 34 such
// copies of node:path's 17 exports.

/** esbuild's wrapping of a builtin a module imports by default. */
const BUILTIN_DEFAULT = /var (import_[\w$]+)=(__toESM\d*)\(require\("(node:[\w/]+)"\)\);/g;

/** `code` with each default import of a Node builtin that is read only as `.default` made without __toESM's copy. */
export function builtinDefaults(code) {
  return code.replace(BUILTIN_DEFAULT, (whole, name, _toESM, builtin) => {
    const uses = code.match(new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])(\\.default(?![\\w$]))?`, 'g')) ?? [];
    // One is the declaration; every other must read `.default`.
    const onlyDefault = uses.filter((u) => !u.endsWith('.default')).length === 1;
    return onlyDefault ? `var ${name}={default:require(${JSON.stringify(builtin)})};` : whole;
  });
}
