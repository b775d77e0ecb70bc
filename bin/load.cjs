// The one way matrix starts (bin/matrix.cjs, and scripts/build.mjs when it
// makes the code caches): dist/matrix.cjs, a small CommonJS core (the command
// table, the table's parser, the error boundary), and the chunks it requires
// on first use (dist/NAME-HASH.cjs: each command, yargs for help and usage
// errors, and the modules they share, each module in exactly one chunk).
// Every chunk is compiled with a V8 code cache, made by `npm run build` after
// running the commands on the samples: a command reads and deserializes only
// the chunks it runs. Node has no compile cache for ES modules before 22, and
// a cache made after running keeps the functions those runs compiled, which
// Node's own compile cache does not. The chunks of each tier of start-up
// (`--help`; an answer from a record; a compile) are also in one pack
// (dist/pack-TIER.cjs, listed in dist/packs.json) with one cache: one file
// and one Script where there were about ten each; the rest load one by one.
//
// A chunk's cache is named after the chunk's hash (its first line) and the V8
// version that wrote it: V8 checks only the source's length, so an edited
// chunk must never meet an old cache. Without a cache for this V8 (another
// Node than the build's) the chunks are plain CommonJS modules that require
// each other: Node 22+ loads them with its own compile cache
// (module.enableCompileCache, kept in the system's temporary directory); Node
// 20 compiles them.
'use strict';
const { closeSync, existsSync, openSync, readFileSync, readSync } = require('node:fs');
// node:module is the class of this very module (createRequire is on it), and
// requiring it costs about 0.6 ms on Node 20, whose builtins compile when
// first required (its source maps and the ES module loader's hooks come with
// it). Node 22 puts enableCompileCache (see loadBundle) only on node:module.
const Module = Number(process.versions.node.split('.')[0]) >= 22 ? require('node:module') : module.constructor;
const path = require('node:path');
const { Script } = require('node:vm');

const DIST = path.join(__dirname, '..', 'dist');
const HASH_LINE = /^\/\/ matrix-bundle ([0-9a-f]{16})\n/;
/** How a chunk requires another: `require('./gen-X7Y2ABCD.cjs')`. */
const CHUNK = /^\.\/[\w-]+\.cjs$/;

/** The cache file of a chunk (`matrix`, `gen-X7Y2ABCD`) with this hash, for the running V8. */
function cacheFileName(hash, name = 'matrix') {
  return `${name}-${hash}-v8-${process.versions.v8}.cache`;
}

/**
 * What path.join(dir, name) gives for a plain file name (no `/`, not `.` or
 * `..`): the directory as path.join writes it, then the name, without a
 * path.join per chunk (see pathFor for why those add up).
 */
function inDir(dir) {
  const prefix = path.join(dir, '_').slice(0, -1);
  return (name) => prefix + name;
}

/** A relative path in which every part is a name: no empty part (`//`, a `/` at either end), no `.` or `..`. */
const PLAIN = /^(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*$/;
/** An absolute path path.normalize leaves as it is, other than `/` itself: a `/` before each of its plain parts (PLAIN). */
const NORMAL = /^\/(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*$/;

/**
 * node:path as the chunks require it. On POSIX, resolve, join, relative and
 * normalize answer from the strings where node:path would compute the same
 * (a normalized absolute path, plain parts: what the compile mostly asks),
 * and call node:path otherwise. Each call of node:path's own runs its
 * normalizeString, a loop over every character, in the interpreter: a cold
 * `gen --check` of samples/monorepo made about 290 such runs (the spec's
 * inputs, each output, the records), enough for V8 to optimize
 * normalizeString with TurboFan (4-14 ms on a background thread, `node
 * --trace-opt`), CPU time a run of 50 ms never gets back. With these answers
 * normalizeString is not optimized (see CHANGELOG.md). Windows
 * paths are node:path's alone.
 */
function pathFor(real) {
  if (real.sep !== '/') return real;
  const str = (x) => typeof x === 'string';
  const fast = {
    ...real,
    resolve(...args) {
      if (args.length === 2 && str(args[0]) && str(args[1])) {
        if (NORMAL.test(args[1])) return args[1];
        if (NORMAL.test(args[0]) && PLAIN.test(args[1])) return `${args[0]}/${args[1]}`;
      } else if (args.length === 1 && str(args[0]) && NORMAL.test(args[0])) return args[0];
      return real.resolve(...args);
    },
    join(...args) {
      if (args.length === 2 && str(args[0]) && str(args[1]) && (NORMAL.test(args[0]) || PLAIN.test(args[0])) && PLAIN.test(args[1])) return `${args[0]}/${args[1]}`;
      return real.join(...args);
    },
    relative(from, to) {
      if (str(from) && str(to) && NORMAL.test(from) && NORMAL.test(to)) {
        if (from === to) return '';
        if (to.length > from.length && to.charCodeAt(from.length) === 47 && to.startsWith(from)) return to.slice(from.length + 1);
      }
      return real.relative(from, to);
    },
    normalize(p) {
      return str(p) && (NORMAL.test(p) || PLAIN.test(p)) ? p : real.normalize(p);
    },
  };
  // As in node:path on POSIX, path.posix is path itself.
  fast.posix = fast;
  return fast;
}

/** The code cache of a chunk's source (`at`: the path of a file of its directory, inDir), if this V8 has one. */
function cacheOf(at, file, source) {
  const hash = HASH_LINE.exec(source)?.[1];
  if (!hash) return undefined;
  try {
    return readFileSync(at(cacheFileName(hash, file.slice(0, -'.cjs'.length))));
  } catch {
    return undefined; // No cache for this chunk and V8: it compiles.
  }
}

/** dist/packs.json (scripts/build.mjs): each pack file and the chunk files it holds. */
const PACKS = 'packs.json';

/**
 * Which packs hold each chunk file of a directory (`at`: inDir), in the
 * index's order (none without an index). A chunk is in more than one when a
 * later tier shares it (scripts/build.mjs: bake's pack holds chunks of the
 * compile's).
 */
function packIndex(at) {
  const of = new Map();
  try {
    for (const [pack, members] of Object.entries(JSON.parse(readFileSync(at(PACKS), 'utf8')))) {
      for (const m of members) {
        const list = of.get(m);
        if (list) list.push(pack);
        else of.set(m, [pack]);
      }
    }
  } catch {
    // No packs: each chunk from its own file.
  }
  return of;
}

/**
 * The chunks of `dir`, each compiled once (with its code cache unless `cache`
 * is false), requiring each other through `require('./NAME.cjs')` and
 * everything else through Node. A chunk a pack holds comes from the pack: one
 * file and one Script (and cache) for the chunks one tier of start-up needs
 * (`--help`; an answer from a record; a compile), where a chunk each cost a
 * few milliseconds more in all. Its text there is the chunk file's.
 */
function chunkLoader(dir, cache) {
  const chunks = new Map();
  const packs = new Map();
  let packOf;
  const at = inDir(dir);
  const nodeRequire = Module.createRequire(at('matrix.cjs'));
  let fastPath;
  const requireFor = (id) => (CHUNK.test(id) ? load(id.slice(2)).module.exports : id === 'node:path' ? (fastPath ??= pathFor(nodeRequire(id))) : nodeRequire(id));
  Object.assign(requireFor, { resolve: nodeRequire.resolve, cache: nodeRequire.cache });
  /** A chunk or pack file of `dir` compiled (with its cache unless `cache` is false), its source wrapped by `wrap`. */
  function compiled(file, wrap) {
    const abs = at(file);
    // ASCII only (the build checks it): latin1 is a plain copy, no UTF-8 decoding.
    const source = readFileSync(abs, 'latin1');
    const cachedData = cache ? cacheOf(at, file, source) : undefined;
    const script = new Script(wrap(source), { filename: abs, ...(cachedData ? { cachedData } : {}) });
    return { script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
  }
  /**
   * The pack `file`: compiled and run once, an object of its chunks' module
   * functions; undefined when it cannot be read (its chunks then load from
   * their own files, which hold the same text).
   */
  function pack(file) {
    if (!packs.has(file)) {
      let p;
      try {
        const c = compiled(file, (source) => source);
        p = { file, ...c, modules: c.script.runInThisContext() };
      } catch {
        p = undefined;
      }
      packs.set(file, p);
    }
    return packs.get(file);
  }
  function load(file) {
    const known = chunks.get(file);
    if (known) return known;
    const abs = at(file);
    // The core is in no pack: a command that needs nothing else reads no index.
    if (file !== 'matrix.cjs') packOf ??= packIndex(at);
    // A pack already loaded that holds it, else the first that does (its own tier's).
    const holders = packOf?.get(file);
    const p = holders ? pack(holders.find((h) => packs.get(h)) ?? holders[0]) : undefined;
    let chunk;
    let run;
    if (typeof p?.modules?.[file] === 'function') {
      chunk = { file, script: p.script, module: { exports: {} }, cacheUsed: p.cacheUsed, pack: p.file };
      run = p.modules[file];
    } else {
      const c = compiled(file, (source) => `(${moduleFunction(source)})`);
      chunk = { file, script: c.script, module: { exports: {} }, cacheUsed: c.cacheUsed };
      run = c.script.runInThisContext();
    }
    chunks.set(file, chunk);
    run(chunk.module.exports, requireFor, chunk.module, abs, dir);
    return chunk;
  }
  return { load, chunks, packs };
}

/** Is there a code cache for the core of `dir` and this V8? (The core's hash is its first line.) */
function hasCoreCache(dir) {
  try {
    const fd = openSync(path.join(dir, 'matrix.cjs'), 'r');
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    closeSync(fd);
    const hash = HASH_LINE.exec(head.toString('latin1'))?.[1];
    return hash !== undefined && existsSync(path.join(dir, cacheFileName(hash)));
  } catch {
    return false;
  }
}

/**
 * Load the core of `dir`; its chunks follow on first use. `cache: false`
 * compiles from source (what the build does before it makes the caches).
 * `chunks`: the chunks loaded so far, by file name (`pack`: the pack it came
 * from); `loadChunk(file)` loads one; `packs`: the packs loaded, by file name.
 * @returns {{ exports: { main: Function, processIo: Function }, script?: import('node:vm').Script, cacheUsed: boolean,
 *   chunks?: Map<string, { file: string, script: import('node:vm').Script, cacheUsed: boolean, pack?: string }>, loadChunk?: Function,
 *   packs?: Map<string, { file: string, script: import('node:vm').Script, cacheUsed: boolean }> }}
 */
function loadBundle(dir = DIST, { cache = true } = {}) {
  if (cache && typeof Module.enableCompileCache === 'function' && !hasCoreCache(dir)) {
    Module.enableCompileCache();
    return { exports: require(path.join(dir, 'matrix.cjs')), cacheUsed: false };
  }
  const loader = chunkLoader(dir, cache);
  const core = loader.load('matrix.cjs');
  return { exports: core.module.exports, script: core.script, cacheUsed: core.cacheUsed, chunks: loader.chunks, loadChunk: loader.load, packs: loader.packs };
}

/**
 * A chunk's text as the function Node wraps a CommonJS module in: how the
 * loader runs a chunk on its own, and how the build writes each chunk of a pack.
 */
function moduleFunction(source) {
  return `function (exports, require, module, __filename, __dirname) {${source}\n}`;
}

module.exports = { loadBundle, cacheFileName, moduleFunction, pathFor, HASH_LINE, PACKS };
