// Bundles the CLI into dist/ (one entry, split per command so each command
// loads only what it needs). Files are replaced by rename, never truncated in
// place, so a matrix process running while we rebuild never reads half a file.
//
// The built-in templates and the JSON Schema validator are compiled here, once,
// instead of at every run (src/fast/precompile.ts): the bundle's
// src/fast/builtins.ts is replaced by a module that carries them. Plain
// `gen` / `gen --check` also get a CommonJS bundle of their own with a V8 code
// cache (dist/gen.cjs, see src/fast/loader.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const BANNER = "import { createRequire as __matrixCreateRequire } from 'node:module'; const require = __matrixCreateRequire(import.meta.url);";

/** Run src/fast/precompile.ts (bundled to a scratch file under node_modules, so what it loads with require resolves). */
async function precompiled() {
  const scratch = path.join(root, 'node_modules', '.cache', 'bake-matrix', `precompile-${process.pid}.mjs`);
  mkdirSync(path.dirname(scratch), { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['src/fast/precompile.ts'],
    outfile: scratch,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: BANNER },
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
const builtinsFile = path.join(root, 'src', 'fast', 'builtins.ts');

/** Swaps src/fast/builtins.ts for the precompiled forms. */
const precompiledPlugin = {
  name: 'matrix-precompiled',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]fast[\\/]builtins\.ts$/ }, (args) =>
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

/** Writes a file by rename, so a running matrix never reads half of it. */
function replaceFile(file, contents) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: BANNER },
  plugins: [precompiledPlugin],
  logLevel: 'warning',
  write: false,
});

const wanted = new Set();
for (const file of result.outputFiles) {
  wanted.add(file.path);
  replaceFile(file.path, file.contents);
}

// ---- The fast path for plain `gen` / `gen --check` (src/fast/loader.ts, src/fast/gen-entry.ts):
// dist/fast.cjs (CommonJS, required by bin/matrix.cjs) loads dist/gen.cjs
// with the V8 code cache made below.
const loader = await build({
  absWorkingDir: root,
  entryPoints: ['src/fast/loader.ts'],
  outfile: 'dist/fast.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__matrixImportMetaUrl' },
  banner: { js: "'use strict';\nconst __matrixImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  write: false,
});
for (const file of loader.outputFiles) {
  wanted.add(file.path);
  replaceFile(file.path, file.contents);
}

/**
 * gen.cjs runs only `gen`: the other commands and yargs, which main.ts loads
 * with import(), are left out; reaching one from it is a bug, reported as one.
 */
const mainFile = path.join(root, 'src', 'cli', 'main.ts');
const genOnlyPlugin = {
  name: 'matrix-gen-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || path.resolve(args.importer) !== mainFile || args.path === './gen.js') return undefined;
      return { path: args.path, namespace: 'matrix-unreachable' };
    });
    b.onLoad({ filter: /.*/, namespace: 'matrix-unreachable' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`dist/gen.cjs runs only \`gen\`, but loaded ${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/**
 * crypto and child_process cost milliseconds to load and `gen` rarely calls
 * them (a long cache tag, the lock of a write). In gen.cjs they load on first
 * use: a CommonJS proxy that reads every property from the module, which it
 * loads on the first read. Its keys (what esbuild's interop copies) are the
 * module's, listed here, so listing them loads nothing.
 */
const LAZY_BUILTINS = /^node:(crypto|child_process)$/;
const require = createRequire(import.meta.url);
const lazyBuiltinsPlugin = {
  name: 'matrix-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      args.namespace === 'matrix-lazy' ? { path: args.path, external: true } : { path: args.path, namespace: 'matrix-lazy' },
    );
    b.onLoad({ filter: /.*/, namespace: 'matrix-lazy' }, (args) => ({
      contents: `let m;
const real = () => (m ??= require(${JSON.stringify(args.path)}));
const keys = ${JSON.stringify(Object.keys(require(args.path)))};
module.exports = new Proxy({}, {
  get: (_, k) => real()[k],
  has: (_, k) => k in real(),
  ownKeys: () => [...keys],
  getOwnPropertyDescriptor: (_, k) => (keys.includes(k) ? { get: () => real()[k], enumerable: true, configurable: true } : undefined),
});`,
      loader: 'js',
    }));
  },
};

const gen = await build({
  absWorkingDir: root,
  entryPoints: ['src/fast/gen-entry.ts'],
  outfile: 'dist/gen.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__matrixImportMetaUrl' },
  // Less to read and hash at every run; names stay for stack traces.
  minifyWhitespace: true,
  // Strict like the ES module bundle; import.meta.url as ES modules see it.
  banner: { js: "'use strict';\nconst __matrixImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [precompiledPlugin, genOnlyPlugin, lazyBuiltinsPlugin],
  logLevel: 'warning',
  write: false,
});
const genFile = path.join(dist, 'gen.cjs');
const genBody = Buffer.from(gen.outputFiles[0].contents).toString('utf8');
const genHash = createHash('sha256').update(genBody).digest('hex').slice(0, 16);
replaceFile(genFile, `// matrix-fast ${genHash}\n${genBody}`);

// The code cache: compile gen.cjs and run it as a pre-commit hook would (on the
// samples, writing nothing), so the functions that path needs are compiled too.
const fast = require(path.join(dist, 'fast.cjs'));
const cacheFile = path.join(dist, fast.cacheFileName(genHash));
try {
  const bundle = fast.loadFastBundle(dist, false);
  const quiet = { write: () => true };
  for (const sample of ['monorepo', 'hello-go']) {
    const cwd = path.join(root, 'samples', sample);
    if (existsSync(path.join(cwd, 'matrix.yaml'))) {
      await bundle.fastMain(['gen', '--check'], { stdout: quiet, stderr: quiet, cwd, env: {}, isTTY: false });
    }
  }
  replaceFile(cacheFile, bundle.script.createCachedData());
} catch (e) {
  console.warn(`build: no code cache for dist/gen.cjs (${e.message}); it compiles at every run`);
}

// Chunks and caches of earlier builds: hashed names, so removing them never touches a current file.
for (const dir of [dist, path.join(dist, 'chunks')]) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name.endsWith('.mjs') && !wanted.has(p)) rmSync(p, { force: true });
    if (/^gen-[0-9a-f]+\.cache$/.test(name) && p !== cacheFile) rmSync(p, { force: true });
  }
}
