// Bundles the CLI into dist/: one entry (src/bundle.ts), split into a small
// CommonJS core dist/matrix.cjs and chunks dist/NAME-HASH.cjs that the core
// requires on first use: each command, yargs (help, completion, usage
// errors), and the modules they share, each module in exactly one chunk. Each
// chunk gets a V8 code cache made by running the commands on the samples
// (bin/load.cjs loads both; every command starts that way), so a command
// reads and deserializes only the code it runs.
//
// esbuild splits ES modules only: the build splits to ES modules, then turns
// each chunk into CommonJS (its imports become require('./NAME.cjs') and its
// import() a require on first use), which bin/load.cjs can compile with a code
// cache and which Node can also load as plain CommonJS modules.
//
// The built-in templates and the JSON Schema validator are compiled here, once,
// instead of at every run (src/precompiled/precompile.ts): the bundle's
// src/precompiled/builtins.ts is replaced by a module that carries them.
//
// Files are replaced by rename, never truncated in place, so a matrix process
// running while we rebuild never reads half a file.
//
// Nothing to do when dist/ was built from the same inputs (dist/build.json
// records their hash): `npm test` builds, then vitest's global setup builds
// again and finds it done. `--force` builds anyway.
import { build, transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeSpecTypes } from './spec-types.mjs';
import { builtinDefaults, exportsInPlace } from './chunk-exports.mjs';
import { hoistLazyImportsPlugin, lazyBuiltinsPlugin, splitLazyImports } from './lazy-imports.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);
const { loadBundle, cacheFileName, moduleFunction, PACKS } = require('../bin/load.cjs');

// ---- The spec's types follow the schema (src/spec.generated.ts, committed; a test checks it is current).
if (writeSpecTypes()) console.log('build: wrote src/spec.generated.ts from schemas/matrix.schema.json');

// ---- Up to date? Every input of the bundle and of its cache, by content, and the Node that builds.
const INPUTS = [
  'src',
  'templates',
  'schemas',
  'samples/monorepo',
  'samples/hello-go',
  'bin/load.cjs',
  'scripts/build.mjs',
  'scripts/lazy-imports.mjs',
  'scripts/chunk-exports.mjs',
  'scripts/spec-types.mjs',
  'package.json',
  'package-lock.json',
];
function inputsHash() {
  const h = createHash('sha256').update(`${process.version}\0${process.versions.v8}\0`);
  const walk = (rel) => {
    const abs = path.join(root, rel);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (st?.isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(path.join(rel, name));
    } else if (st?.isFile()) {
      h.update(`${rel}\0${st.size}\0`).update(readFileSync(abs)).update('\0');
    }
  };
  for (const rel of INPUTS) walk(rel);
  return h.digest('hex');
}
const stampFile = path.join(dist, 'build.json');
const inputs = inputsHash();
const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : undefined;
if (!process.argv.includes('--force') && stamp?.inputs === inputs && Array.isArray(stamp.files) && stamp.files.every((f) => typeof f === 'string' && existsSync(path.join(dist, f)))) {
  console.log('build: dist/ is up to date (node scripts/build.mjs --force rebuilds it)');
  process.exit(0);
}

/** Run src/precompiled/precompile.ts (bundled to a scratch file under node_modules, so what it loads with require resolves). */
async function precompiled() {
  const scratch = path.join(root, 'node_modules', '.cache', 'bake-matrix', `precompile-${process.pid}.mjs`);
  mkdirSync(path.dirname(scratch), { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['src/precompiled/precompile.ts'],
    outfile: scratch,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire as __matrixCreateRequire } from 'node:module'; const require = __matrixCreateRequire(import.meta.url);" },
    plugins: [hoistLazyImportsPlugin],
    logLevel: 'warning',
  });
  try {
    const { builtinsModule, VALIDATOR_MODULE } = await import(pathToFileURL(scratch).href);
    const templatesDir = path.join(root, 'templates');
    const templates = readdirSync(templatesDir)
      .filter((n) => n.endsWith('.Dockerfile.hbs'))
      .sort()
      .map((n) => ({ file: `templates/${n}`, source: readFileSync(path.join(templatesDir, n), 'utf8') }));
    const schemaText = readFileSync(path.join(root, 'schemas', 'matrix.schema.json'), 'utf8');
    const mod = builtinsModule({ templates, schemaText });
    for (const s of mod.skipped) console.warn(`build: ${s.file} is not precompiled (${s.reason}); it compiles at run time`);
    return { ...mod, VALIDATOR_MODULE };
  } finally {
    rmSync(scratch, { force: true });
  }
}

const pre = await precompiled();
const builtinsFile = path.join(root, 'src', 'precompiled', 'builtins.ts');

/** Swaps src/precompiled/builtins.ts for the precompiled forms. */
const precompiledPlugin = {
  name: 'matrix-precompiled',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]precompiled[\\/]builtins\.ts$/ }, (args) =>
      path.resolve(args.path) === builtinsFile ? { contents: pre.code, loader: 'js', resolveDir: path.dirname(builtinsFile) } : undefined,
    );
    b.onResolve({ filter: /^matrix-precompiled:/ }, (args) => ({ path: args.path, namespace: 'matrix-precompiled' }));
    b.onLoad({ filter: /.*/, namespace: 'matrix-precompiled' }, (args) => {
      if (args.path !== pre.VALIDATOR_MODULE) return undefined;
      // CommonJS: esbuild bundles the ajv runtime helpers it requires.
      return { contents: pre.validatorCode, loader: 'js', resolveDir: root };
    });
  },
};

/**
 * yargs lays out its help with string-width, whose first call compiles a very
 * large emoji regular expression (tens of milliseconds, and V8 caches no
 * regular expression). Printable ASCII is as wide as it is long, so only
 * other text reaches string-width, which then loads on first use.
 */
const stringWidthPlugin = {
  name: 'matrix-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { real: true } });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'matrix-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'matrix-string-width' }, (args) => ({
      contents: `let real;
export default function stringWidth(text, options) {
  if (typeof text === 'string' && /^[\\x20-\\x7e]*$/.test(text)) return text.length;
  real ??= require(${JSON.stringify(args.path)}).default;
  return real(text, options);
}`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/** Writes a file by rename, so a running matrix never reads half of it. */
function replaceFile(file, contents) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** esbuild's split ES module chunks, keyed by file name (`matrix.cjs`, `gen-X7Y2.cjs`), with the modules each holds. */
async function splitChunks() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { matrix: 'src/bundle.ts' },
    bundle: true,
    format: 'esm',
    splitting: true,
    outdir: dist,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    target: 'node20',
    // import.meta.url as ES modules see it (src/paths.ts finds the package from it); chunkCommonJs defines it.
    define: { 'import.meta.url': '__matrixImportMetaUrl' },
    // Less to read at every run; names stay for stack traces.
    minifyWhitespace: true,
    metafile: true,
    plugins: [precompiledPlugin, lazyBuiltinsPlugin, stringWidthPlugin],
    logLevel: 'warning',
    write: false,
  });
  return result.outputFiles.map((f) => {
    const name = path.basename(f.path);
    const inputs = Object.keys(result.metafile.outputs[path.relative(root, f.path)]?.inputs ?? {});
    return { name, text: f.text, inputs };
  });
}

/**
 * One ES module chunk as CommonJS: imports become require('./NAME.cjs'),
 * import() a require on first use (and lazyImport's import() a synchronous
 * one, scripts/lazy-imports.mjs), and its exports one getter each on
 * module.exports (scripts/chunk-exports.mjs) (bin/load.cjs runs chunks in a
 * vm.Script, which has no ES module loader). First line: the hash of the
 * rest, which names its code cache.
 */
async function chunkCommonJs(text) {
  const { code: cjs } = await transform(splitLazyImports(text), {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
    minifyWhitespace: true,
    logLevel: 'warning',
  });
  // Its exports on module.exports itself, one getter each, and the builtins it imports by default
  // without a copy of their exports (scripts/chunk-exports.mjs).
  const code = builtinDefaults(exportsInPlace(cjs));
  const body = code.includes('__matrixImportMetaUrl') ? `'use strict';const __matrixImportMetaUrl=require('node:url').pathToFileURL(__filename).href;\n${code}` : `'use strict';\n${code}`;
  // bin/load.cjs reads chunks as latin1 (no UTF-8 decoding); esbuild escapes what is not ASCII.
  if (!/^[\x00-\x7f]*$/.test(body)) throw new Error('a chunk is not ASCII');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { text: `// matrix-bundle ${hash}\n${body}`, hash };
}

const chunks = [];
for (const c of await splitChunks()) {
  const { text, hash } = await chunkCommonJs(c.text);
  replaceFile(path.join(dist, c.name), text);
  chunks.push({ name: c.name, hash, inputs: c.inputs });
}

// The help texts (src/cli/help-built.ts), printed by yargs from this very bundle: the old file goes first,
// or the bundle would print what it says. Written before the packs and caches are made, as users run them.
const helpFile = path.join(dist, 'help.json');
rmSync(helpFile, { force: true });
let helpTexts;
try {
  helpTexts = await printedHelp(loadBundle(dist, { cache: false }));
  replaceFile(helpFile, `${JSON.stringify(helpTexts, null, 2)}\n`);
} catch (e) {
  console.warn(`build: no help texts (${e.message}); --help prints through yargs`);
}

const quiet = { write: () => true };
/** Run `argv` with a bundle, output discarded. */
const runQuiet = (bundle, argv, cwd, env = {}) => bundle.exports.main(argv, { stdout: quiet, stderr: quiet, cwd, env, isTTY: false });
/** Run each of `runs` in each of `dirs`, one after another. */
async function runAll(bundle, runs, dirs, env = {}) {
  for (const cwd of dirs) for (const argv of runs) await runQuiet(bundle, argv, cwd, env);
}
const SAMPLES = ['monorepo', 'hello-go'].map((s) => path.join(root, 'samples', s)).filter((dir) => existsSync(path.join(dir, 'matrix.yaml')));
/** The commands that answer from a record when one holds (a hook's `gen --check`, `validate`, a second `plan`). */
const RECORD_RUNS = [['gen', '--check'], ['validate'], ['plan']];
/** The same commands compiling, as with no record. */
const COMPILE_RUNS = RECORD_RUNS.map((argv) => [...argv, '--no-cache']);

/**
 * Run `fn` with a copy of samples/monorepo outside any repository, whose
 * records (of an up-to-date `gen` and of `plan`, made by a bundle of its own)
 * are in a private temporary directory: answers from a record, as a pre-commit
 * hook and a second `plan` get them.
 */
async function withRecordedSample(fn) {
  if (!existsSync(path.join(root, 'samples', 'monorepo', 'matrix.yaml'))) return undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'matrix-build-'));
  try {
    const copy = path.join(work, 'monorepo');
    cpSync(path.join(root, 'samples', 'monorepo'), copy, { recursive: true });
    const env = { TMPDIR: work };
    const writer = loadBundle(dist, { cache: false });
    await runAll(writer, [['gen'], ['plan']], [copy], env);
    return await fn(copy, env);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Run `fn` with a copy of samples/monorepo in a git repository of its own on
 * which `matrix bake` ran once (a bundle of its own, docker a stand-in that
 * reports a builder and builds nothing): the next bake there answers from
 * the record of its compile, as a second `matrix bake` does for users. Only
 * where a POSIX shell runs the stand-in; undefined elsewhere.
 */
async function withBakedSample(fn) {
  if (process.platform === 'win32' || !existsSync(path.join(root, 'samples', 'monorepo', 'matrix.yaml'))) return undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'matrix-build-'));
  try {
    const copy = path.join(work, 'monorepo');
    cpSync(path.join(root, 'samples', 'monorepo'), copy, { recursive: true });
    // Its first line of progress names the builder (what bake waits for before its checks), and it writes the metadata file it is given.
    const docker = path.join(work, 'docker');
    writeFileSync(
      docker,
      '#!/bin/sh\n[ "$1 $2" = "buildx bake" ] || exit 0\necho \'#0 building with "default" instance using docker driver\' >&2\nprev=\nfor a in "$@"; do [ "$prev" = --metadata-file ] && printf \'{}\' > "$a"; prev=$a; done\nexit 0\n',
      { mode: 0o755 },
    );
    const git = (...args) => spawnSync('git', ['-c', 'user.name=build', '-c', 'user.email=build@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: copy, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'sample');
    const env = { TMPDIR: work, MATRIX_DOCKER: docker, PATH: process.env.PATH ?? '' };
    await runAll(loadBundle(dist, { cache: false }), [['bake']], [copy], env);
    return await fn(copy, env);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// The packs (bin/load.cjs): the chunks of each tier of start-up in one file
// and one code cache. A tier is what its runs load beyond the tiers before it:
// `--help`; answers from a record (`gen --check` as a hook runs it, `validate`,
// `plan`); a compile (gen --check, plan and validate without a record). A
// chunk no tier loads (`gen`'s writes, yargs) stays a file of its own. The
// last, `bake` from its record, takes every chunk that run loads beyond
// `--help` and the answers from a record, compile's too: a chunk may be in
// both (bin/load.cjs takes it from a pack already loaded), so such a bake
// reads one pack of what it runs, not the compile's with the YAML parser, the
// validator and the renderer it never runs, nor some twenty chunk files.
// Before it, `bakestart`: bake's entry and what it requires as it loads (git's
// reads and the process adapter, src/cli/bake-entry.ts), so git's processes
// start before the rest of bake is read and deserialized, which then happens
// while they run. A tier with `members` takes the chunks that function loads
// (a bundle of its own), and `run` only makes its cache.
const bakeRun = (bundle) => withBakedSample((copy, env) => runAll(bundle, [['bake']], [copy], env));
const TIERS = [
  { name: 'help', run: (bundle) => runQuiet(bundle, ['--help'], root) },
  { name: 'check', run: (bundle) => withRecordedSample((copy, env) => runAll(bundle, RECORD_RUNS, [copy], env)) },
  { name: 'compile', run: (bundle) => runAll(bundle, COMPILE_RUNS, SAMPLES) },
  { name: 'bakestart', shares: 'compile', run: bakeRun, members: (bundle) => bundle.loadChunk(chunkNamed('bake-entry')) },
  { name: 'bake', shares: 'compile', run: bakeRun },
];

/** The file of the chunk of entry `name` (`bake-entry` is bake-entry-HASH.cjs). */
function chunkNamed(name) {
  const found = chunks.find((c) => c.name.startsWith(`${name}-`) && /^[A-Z0-9]+\.cjs$/.test(c.name.slice(name.length + 1)));
  if (!found) throw new Error(`no chunk for the entry ${name}`);
  return found.name;
}
let packs = [];
try {
  packs = await packTiers();
} catch (e) {
  console.warn(`build: no packs (${e.message}); each chunk loads from its own file`);
}

// The code caches: load the core and run the commands users run most (on the
// samples, writing nothing), so the functions they need are compiled too and
// V8 finds them in the caches; then every other chunk, so at least its
// top-level code is cached. `bake --dry-run` runs bake's own path up to the
// docker command (the compile, git, the command line) without docker; where
// it cannot (no git, not a clone) it still compiles what it ran.
const CACHE_RUNS = [...COMPILE_RUNS, ['--help'], ['gen', '--help'], ['bake', '--dry-run']];
const caches = [];
try {
  const bundle = loadBundle(dist, { cache: false });
  await printedHelp(bundle); // yargs' own code, which help.json spares most runs
  await runAll(bundle, CACHE_RUNS, SAMPLES);
  await withRecordedSample((copy, env) => runAll(bundle, RECORD_RUNS, [copy], env));
  for (const c of chunks) {
    const loaded = bundle.chunks.get(c.name) ?? bundle.loadChunk(c.name);
    if (loaded.pack) continue; // in its pack's cache, below
    const cacheFile = cacheFileName(c.hash, c.name.slice(0, -'.cjs'.length));
    replaceFile(path.join(dist, cacheFile), loaded.script.createCachedData());
    caches.push(cacheFile);
  }
  for (const p of packs) {
    // A pack that shares chunks with another: its cache from a run that loaded it first, so that its copies ran.
    const own = p.tier.shares ? loadBundle(dist, { cache: false }) : undefined;
    if (own) await p.tier.run(own);
    const loaded = (own ?? bundle).packs.get(p.file);
    if (!loaded) throw new Error(`${p.file} was not loaded`);
    const cacheFile = cacheFileName(p.hash, p.file.slice(0, -'.cjs'.length));
    replaceFile(path.join(dist, cacheFile), loaded.script.createCachedData());
    caches.push(cacheFile);
  }
} catch (e) {
  console.warn(`build: no code cache for dist/ (${e.message}); it compiles at every run`);
}

// What earlier builds left: other chunks and caches, and the files of earlier layouts (cli.mjs, chunks/, fast.cjs, gen.cjs).
const packFiles = packs.length ? [...packs.map((p) => p.file), PACKS] : [];
const keep = new Set([...chunks.map((c) => c.name), ...packFiles, ...caches, path.basename(stampFile)]);
for (const name of readdirSync(dist)) {
  if (keep.has(name)) continue;
  if (/\.(cache|mjs|cjs|tmp)$/.test(name) || name === 'chunks' || name === PACKS) rmSync(path.join(dist, name), { recursive: true, force: true });
}
const manifest = {
  inputs,
  files: [...chunks.map((c) => c.name), ...packFiles, ...caches, ...(helpTexts ? ['help.json'] : [])].sort(),
  chunks: Object.fromEntries(chunks.map((c) => [c.name, c.inputs])),
  packs: Object.fromEntries(packs.map((p) => [p.file, p.names])),
};
replaceFile(stampFile, `${JSON.stringify(manifest, null, 2)}\n`);

/**
 * Each tier's pack: the chunks its runs load, in the order they load, found
 * with no pack in dist/ (an old one would answer instead); then written, with
 * dist/packs.json, the index bin/load.cjs reads.
 */
async function packTiers() {
  for (const name of readdirSync(dist)) if (name === PACKS || /^pack-[a-z]+\.cjs$/.test(name)) rmSync(path.join(dist, name), { force: true });
  const probe = loadBundle(dist, { cache: false });
  const seen = new Set(['matrix.cjs']);
  const tiers = [];
  for (const tier of TIERS) {
    // A tier that shares: its own run in a bundle of its own, and only the tiers before the one it shares
    // with are left out, and what an earlier tier sharing with the same one holds.
    const shared = tier.shares ? tiers.find((t) => t.file === `pack-${tier.shares}.cjs`) : undefined;
    const sibling = (name) => tiers.some((t) => t.tier.shares && t.tier.shares === tier.shares && t.names.includes(name));
    const bundle = tier.shares ? loadBundle(dist, { cache: false }) : probe;
    await (tier.members ?? tier.run)(bundle);
    const names = [...bundle.chunks.keys()].filter((name) => (!seen.has(name) || shared?.names.includes(name)) && !sibling(name));
    for (const name of names) seen.add(name);
    if (names.length) tiers.push({ file: `pack-${tier.name}.cjs`, names, hash: '', tier });
  }
  for (const p of tiers) {
    // One expression: an object of each chunk's text as the function Node wraps a CommonJS module in (moduleFunction).
    const body = `({\n${p.names.map((name) => `${JSON.stringify(name)}: ${moduleFunction(readFileSync(path.join(dist, name), 'latin1'))},\n`).join('')}})\n`;
    p.hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    replaceFile(path.join(dist, p.file), `// matrix-bundle ${p.hash}\n${body}`);
  }
  replaceFile(path.join(dist, PACKS), `${JSON.stringify(Object.fromEntries(tiers.map((p) => [p.file, p.names])))}\n`);
  return tiers;
}

/** What `matrix --help`, `-h` and each `COMMAND --help` print without a terminal (yargs, from the bundle), by form. */
async function printedHelp(bundle) {
  const texts = {};
  for (const argv of bundle.exports.helpForms()) {
    let out = '';
    const code = await bundle.exports.main(argv, { stdout: { write: (s) => (out += s) }, stderr: { write: () => true }, cwd: root, env: {}, isTTY: false });
    if (code !== 0) throw new Error(`matrix ${argv.join(' ')} exited ${code}`);
    texts[bundle.exports.helpKey(argv)] = out;
  }
  return texts;
}
