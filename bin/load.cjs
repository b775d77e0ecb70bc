// The one way matrix starts (bin/matrix.cjs, and scripts/build.mjs when it
// makes the code cache): dist/matrix.cjs, one CommonJS bundle of every
// command, compiled with the V8 code cache that `npm run build` made by running
// the commands on the samples. Node has no compile cache for ES modules before
// 22, and a cache made after running keeps the functions those runs compiled,
// which Node's own compile cache does not.
//
// The cache is named after the bundle's hash (its first line) and the V8
// version that wrote it: V8 checks only the source's length, so an edited
// bundle must never meet an old cache. Without a cache for this V8 (another
// Node than the build's) Node 22+ uses its own compile cache
// (module.enableCompileCache, kept in the system's temporary directory);
// Node 20 compiles the bundle.
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { Script } = require('node:vm');

const DIST = path.join(__dirname, '..', 'dist');
const HASH_LINE = /^\/\/ matrix-bundle ([0-9a-f]{16})\n/;

/** The cache file of a bundle hash for the running V8. */
function cacheFileName(hash) {
  return `matrix-${hash}-v8-${process.versions.v8}.cache`;
}

/**
 * Compile and run the bundle in `dir`. `cache: false` compiles from source
 * (what the build does before it makes the cache).
 * @returns {{ exports: { main: Function, processIo: Function }, script?: import('node:vm').Script, cacheUsed: boolean }}
 */
function loadBundle(dir = DIST, { cache = true } = {}) {
  const file = path.join(dir, 'matrix.cjs');
  const source = readFileSync(file, 'utf8');
  const hash = HASH_LINE.exec(source)?.[1];
  let cachedData;
  if (cache && hash) {
    try {
      cachedData = readFileSync(path.join(dir, cacheFileName(hash)));
    } catch {
      // No cache for this V8 (yet).
    }
  }
  if (!cachedData && cache && typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache();
    return { exports: require(file), cacheUsed: false };
  }
  // The wrapper Node puts around a CommonJS module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, dir);
  return { exports: module.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

module.exports = { loadBundle, cacheFileName, HASH_LINE };
