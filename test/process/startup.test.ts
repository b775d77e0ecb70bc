// One start-up path for every command: bin/matrix.cjs -> bin/load.cjs ->
// dist/matrix.cjs, the small core, which requires the chunks a command runs
// on first use (scripts/build.mjs), each compiled with the V8 code cache the
// build made. A plain command reads neither yargs nor another command's code;
// help, --version and usage errors load yargs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

const SAMPLES = path.join(REPO_ROOT, 'samples');
const samples = readdirSync(SAMPLES)
  .filter((d) => readdirSync(path.join(SAMPLES, d)).includes('matrix.yaml'))
  .sort();
const DIST = path.join(REPO_ROOT, 'dist');
const LOAD = path.join(REPO_ROOT, 'bin', 'load.cjs');
const manifest = () => JSON.parse(readFileSync(path.join(DIST, 'build.json'), 'utf8')) as { files: string[]; chunks: Record<string, string[]>; packs: Record<string, string[]> };

interface Started {
  cacheUsed: boolean;
  viaScript: boolean;
  code: number;
  out: string;
  /** Files Node itself loaded (require.cache). */
  loaded: string[];
  /** Chunks bin/load.cjs compiled, whether each took its code cache, and the pack it came from. */
  chunks: { file: string; cacheUsed: boolean; pack?: string }[];
}

/** Runs a CommonJS script in a fresh Node, as the bin would start, and returns what it prints as JSON. */
function inNode(script: string, cwd = REPO_ROOT): Started {
  const r = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Started;
}

/** Loads the bundle in `dir` through `load` (a bin/load.cjs), runs `matrix ARGV` in `cwd` and reports what happened. */
const runScript = (load: string, dir: string, argv: string[], cwd: string, env: Record<string, string> = {}) => `
  const { loadBundle } = require(${JSON.stringify(load)});
  const out = [];
  const io = { stdout: { write: (s) => out.push(s) }, stderr: { write: (s) => out.push(s) }, cwd: ${JSON.stringify(cwd)}, env: ${JSON.stringify(env)}, isTTY: false };
  const bundle = loadBundle(${JSON.stringify(dir)});
  bundle.exports.main(${JSON.stringify(argv)}, io).then((code) => {
    const chunks = [...(bundle.chunks?.values() ?? [])].map((c) => ({ file: c.file, cacheUsed: c.cacheUsed, pack: c.pack }));
    process.stdout.write(JSON.stringify({ cacheUsed: bundle.cacheUsed, viaScript: Boolean(bundle.script), code, out: out.join(''), loaded: Object.keys(require.cache), chunks }));
  });
`;

/** The modules (sources and packages) the chunks hold, from dist/build.json. */
function modulesOf(chunks: readonly string[]): string[] {
  const m = manifest();
  return chunks.flatMap((c) => (m.chunks[c] ?? [`(not in build.json: ${c})`]).map(packagePath));
}

/**
 * A module of a package as `node_modules/NAME/...`: esbuild names an input by
 * its real path, so in a checkout whose node_modules is a symbolic link (a git
 * worktree sharing another's) it is `../../elsewhere/node_modules/NAME/...`.
 */
function packagePath(input: string): string {
  const at = input.indexOf('node_modules/');
  return at > 0 ? input.slice(at) : input;
}

describe('dist/', () => {
  it('holds the core, its chunks and packs, each named by the hash of its text in its first line, and a code cache for each unpacked chunk and each pack for this V8; nothing else', () => {
    const m = manifest();
    const chunks = Object.keys(m.chunks).sort();
    expect(chunks).toContain('matrix.cjs');
    const packed = new Set(Object.values(m.packs).flat());
    /** The hash line of `file` checked against the rest of its text, and the name of its cache. */
    const cacheOf = (file: string) => {
      const source = readFileSync(path.join(DIST, file), 'latin1');
      const hash = /^\/\/ matrix-bundle ([0-9a-f]{16})\n/.exec(source)?.[1];
      expect(hash, file).toBe(
        createHash('sha256')
          .update(source.slice(source.indexOf('\n') + 1))
          .digest('hex')
          .slice(0, 16),
      );
      // ASCII, so bin/load.cjs may read it as latin1.
      expect(/^[\x00-\x7f]*$/.test(source), file).toBe(true);
      return `${file.slice(0, -'.cjs'.length)}-${hash}-v8-${process.versions.v8}.cache`;
    };
    const caches = [...chunks.filter((c) => !packed.has(c)).map(cacheOf), ...Object.keys(m.packs).map(cacheOf)];
    // And the help texts yargs printed at build time (src/cli/help-built.ts), and the packs' index.
    expect(m.files).toEqual([...chunks, ...Object.keys(m.packs), 'packs.json', ...caches, 'help.json'].sort());
    expect(readdirSync(DIST).sort()).toEqual(['build.json', ...m.files].sort());
    // Each module is in exactly one chunk (esbuild's splitting): one instance of every class, whichever command loads it.
    const all = Object.values(m.chunks).flat();
    expect(all.length).toBe(new Set(all).size);
  });

  // scripts/chunk-exports.mjs: a chunk's exports are getters on module.exports itself, not esbuild's copy of them.
  it("every chunk defines its exports on module.exports itself; none keeps esbuild's copy (__toCommonJS)", () => {
    const files = manifest().files.filter((f) => f.endsWith('.cjs') && !f.startsWith('pack-'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(path.join(DIST, f), 'latin1');
      expect([f, text.includes('module.exports=__toCommonJS(stdin_exports)')]).toEqual([f, false]);
      if (text.includes('stdin_exports')) expect([f, text.includes('var stdin_exports=module.exports;')]).toEqual([f, true]);
    }
  });

  it("each chunk is in one pack at most, or in compile's and one of bake's two (they share); the core in none; a pack holds the very text of each of its chunks", () => {
    const m = manifest();
    expect(JSON.parse(readFileSync(path.join(DIST, 'packs.json'), 'utf8'))).toEqual(m.packs);
    expect(Object.keys(m.packs)).toEqual(['pack-help.cjs', 'pack-check.cjs', 'pack-compile.cjs', 'pack-bakestart.cjs', 'pack-bake.cjs']);
    const { 'pack-bake.cjs': rest = [], 'pack-bakestart.cjs': start = [], ...tiers } = m.packs;
    const bake = [...start, ...rest];
    const members = Object.values(tiers).flat();
    expect(members.length).toBeGreaterThan(10);
    expect(members.length).toBe(new Set(members).size);
    // bake's entry and what it requires as it loads (git's reads) in the first; the second never repeats them.
    expect(start[0]).toMatch(/^bake-entry-[A-Z0-9]+\.cjs$/);
    expect(bake.length).toBe(new Set(bake).size);
    // What bake shares comes from compile's pack only, never from help's or check's (loaded before it in every run).
    for (const name of bake) expect([name, [...(m.packs['pack-help.cjs'] ?? []), ...(m.packs['pack-check.cjs'] ?? [])].includes(name)]).toEqual([name, false]);
    expect(bake.filter((name) => m.packs['pack-compile.cjs']?.includes(name)).length).toBeGreaterThan(0);
    expect([...members, ...bake]).not.toContain('matrix.cjs');
    for (const [pack, names] of Object.entries(m.packs)) {
      const text = readFileSync(path.join(DIST, pack), 'latin1');
      for (const name of names) {
        expect(Object.hasOwn(m.chunks, name), name).toBe(true);
        expect(text.includes(`${JSON.stringify(name)}: function (exports, require, module, __filename, __dirname) {${readFileSync(path.join(DIST, name), 'latin1')}\n},\n`), `${pack}: ${name}`).toBe(
          true,
        );
      }
    }
  });

  it('a second build finds dist/ up to date and changes nothing (one build per `npm test`)', () => {
    const before = readdirSync(DIST).map((f) => [f, statSync(path.join(DIST, f)).mtimeMs]);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dist\/ is up to date/);
    expect(readdirSync(DIST).map((f) => [f, statSync(path.join(DIST, f)).mtimeMs])).toEqual(before);
  });
});

describe('bake from its record', () => {
  // A second `matrix bake` at the same commit answers from the record of its compile (src/cache/bake.ts):
  // it runs git, bake's command line and the build's progress, none of the YAML parser, the validator or
  // the renderer, which are most of compile's pack (scripts/build.mjs TIERS).
  it.skipIf(process.platform === 'win32')("loads bake's two packs (its start, then the rest) beside help's and check's, not compile's, and no chunk file of its own; each with its code cache", () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'matrix-bake-pack-'));
    try {
      const copy = path.join(work, 'monorepo');
      cpSync(path.join(SAMPLES, 'monorepo'), copy, { recursive: true });
      const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: copy });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-q', '-m', 'sample');
      const docker = path.join(work, 'docker');
      writeFileSync(docker, `#!/bin/sh\n[ "$1 $2" = "buildx bake" ] || exit 0\necho '#0 building with "default" instance using docker driver' >&2\nexit 0\n`, { mode: 0o755 });
      const env = { TMPDIR: work, MATRIX_DOCKER: docker, PATH: process.env.PATH ?? '' };
      const first = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'bake'], { cwd: copy, env, encoding: 'utf8' });
      expect(first.status, first.stderr).toBe(0);
      const r = inNode(runScript(LOAD, DIST, ['bake'], copy, env));
      expect(r.code, r.out).toBe(0);
      expect(r.out).not.toContain('matrix: warning: git');
      const packs = [...new Set(r.chunks.map((c) => c.pack ?? c.file))];
      expect(packs).toEqual(['matrix.cjs', 'pack-help.cjs', 'pack-check.cjs', 'pack-bakestart.cjs', 'pack-bake.cjs']);
      expect(r.chunks.filter((c) => !c.cacheUsed)).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('start-up', () => {
  it.each(samples)('gen --check on samples/%s finds the committed files up to date (precompiled forms)', (sample) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'gen', '--check'], { cwd: path.join(SAMPLES, sample), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Up to date: \d+ files\.\n$/);
    expect(r.status).toBe(0);
  });

  // The commands users run most: plain ones never read yargs, nor does help (printed at build time,
  // src/cli/help-built.ts), nor `--version` alone (package.json's version, as yargs prints it); `gen --version` does.
  const version = new RegExp(`^${(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version.replaceAll('.', '\\.')}\n$`);
  it.each([
    [['gen', '--check'], /^Up to date/, false],
    [['plan'], /^12 targets from matrix\.yaml/, false],
    [['validate'], /^matrix\.yaml is valid/, false],
    [['--help'], /^matrix <command> \[options\]/, false],
    [['plan', '--help'], /^matrix plan\n/, false],
    [['--version'], version, false],
    [['gen', '--version'], version, true],
  ])('%j starts from dist/matrix.cjs, every chunk it loads with its code cache; yargs loaded: %s', (argv, expected, yargs) => {
    const r = inNode(runScript(LOAD, DIST, argv, path.join(SAMPLES, 'monorepo')));
    expect(r.out).toMatch(expected);
    expect(r.code).toBe(0);
    expect(r.viaScript).toBe(true);
    expect(r.cacheUsed).toBe(true);
    expect(r.chunks.filter((c) => !c.cacheUsed)).toEqual([]);
    // Everything runs from dist/'s chunks: nothing from node_modules, no file of dist/ through Node's loader.
    expect(r.loaded.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`) || f.startsWith(DIST))).toEqual([]);
    const modules = modulesOf(r.chunks.map((c) => c.file));
    expect(modules.some((m) => m.includes('node_modules/yargs/'))).toBe(yargs);
    // No other command's code: bake, init, CI, verify.
    expect(modules.filter((m) => /^src\/(cli\/(bake|init|ci|verify|doctor)\.ts|init\/|ci\/|doctor\/)/.test(m))).toEqual([]);
  });

  // node:v8 (and the heap utilities it brings) is only for a large spec's GC flags; child_process only for git and docker.
  it.each([[['gen', '--check', '--no-cache']], [['plan', '--no-cache']], [['validate']]])(
    '%j loads neither node:v8 nor node:child_process (scripts/lazy-imports.mjs LAZY_BUILTINS: they load on first use)',
    (argv) => {
      const script = `
      const before = new Set(process.moduleLoadList);
      const { loadBundle } = require(${JSON.stringify(LOAD)});
      const io = { stdout: { write: () => true }, stderr: { write: (s) => process.stderr.write(s) }, cwd: process.cwd(), env: {}, isTTY: false };
      loadBundle(${JSON.stringify(DIST)}).exports.main(${JSON.stringify(argv)}, io).then((code) => {
        const builtins = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
        process.stdout.write(JSON.stringify({ code, builtins }));
      });
    `;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const { code, builtins } = JSON.parse(r.stdout) as { code: number; builtins: string[] };
      expect(code).toBe(0);
      expect(builtins).toContain('vm'); // the list is read right: bin/load.cjs compiles the chunks with vm.Script
      expect(builtins.filter((m) => /^(v8|child_process|internal\/heap_utils|internal\/child_process)$/.test(m))).toEqual([]);
    },
  );

  // Whether stdout is a terminal (colours) is read from the descriptor (src/cli/stdio.ts): Node's stdout
  // stream, made on first use, loads net for a pipe and a SyncWriteStream for a file or /dev/null.
  it.each([['a pipe'], ['a file'], ['/dev/null']])('a cold gen --check with stdout to %s creates no stdout stream, and prints as ever', (to) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-stdout-'));
    try {
      const list = path.join(dir, 'modules.json');
      const preload = path.join(dir, 'preload.cjs');
      writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
      const out = path.join(dir, 'out.txt');
      const fd = to === 'a pipe' ? 'pipe' : openSync(to === 'a file' ? out : '/dev/null', 'w');
      const r = spawnSync(process.execPath, ['-r', preload, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'gen', '--check', '--no-cache'], {
        cwd: path.join(SAMPLES, 'monorepo'),
        stdio: ['ignore', fd, 'pipe'],
        encoding: 'utf8',
      });
      if (typeof fd === 'number') closeSync(fd);
      expect([r.status, r.stderr]).toEqual([0, '']);
      if (to === 'a pipe') expect(r.stdout).toMatch(/^Up to date: \d+ files\.\n$/);
      if (to === 'a file') expect(readFileSync(out, 'utf8')).toMatch(/^Up to date: \d+ files\.\n$/);
      const loaded = JSON.parse(readFileSync(list, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule vm'); // the list is read right
      expect(loaded.filter((m) => /^NativeModule (net|tty|internal\/fs\/sync_write_stream)$/.test(m))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A compile that keeps no record compares a small spec's texts as they are (render/files.ts keepsTexts):
  // it takes no digest, so node:crypto (and node:stream under it, about 6 ms) never loads; the semver
  // package builds its regular expressions only for a version tag (src/bake/semver.ts, loaded on first use).
  it.each([[['gen', '--check', '--no-cache']], [['plan', '--no-cache']], [['validate', '--no-cache']]])('%j on samples/monorepo loads neither node:crypto nor the semver package', (argv) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-no-crypto-'));
    try {
      const list = path.join(dir, 'modules.json');
      const preload = path.join(dir, 'preload.cjs');
      // Not \`node -e\`: Node's eval entry loads node:crypto itself.
      writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
      const r = spawnSync(process.execPath, ['-r', preload, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), ...argv], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const loaded = JSON.parse(readFileSync(list, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule vm'); // the list is read right
      expect(loaded.filter((m) => /^NativeModule (crypto|stream)$/.test(m))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = inNode(runScript(LOAD, DIST, argv, path.join(SAMPLES, 'monorepo')));
    expect(r.code).toBe(0);
    const modules = modulesOf(r.chunks.map((c) => c.file));
    expect(modules).toContain('src/bake/gitenv.ts'); // the list is read right: resolve reads its variable names
    expect(modules.filter((m) => m.includes('node_modules/semver/'))).toEqual([]);
  });

  // node:fs/promises (with readline's interface and the file watchers under it, about 2 ms on Node 20) is
  // for a write or a listing in the thread pool, node:os for the temporary and home directories: both load
  // on first use (scripts/lazy-imports.mjs LAZY_BUILTINS), and a cold compile that writes nothing calls neither.
  it.each([[['gen', '--check', '--no-cache']], [['plan', '--no-cache']], [['validate', '--no-cache']]])('%j on samples/monorepo loads neither node:fs/promises nor node:os', (argv) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-no-fs-promises-'));
    try {
      const list = path.join(dir, 'modules.json');
      const preload = path.join(dir, 'preload.cjs');
      writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
      const r = spawnSync(process.execPath, ['-r', preload, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), ...argv], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const loaded = JSON.parse(readFileSync(list, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule vm'); // the list is read right
      expect(loaded.filter((m) => /^NativeModule (fs\/promises|os|internal\/readline\/interface)$/.test(m))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // node:module is for a template without a precompiled form, which the Handlebars compiler (required
  // through createRequire) compiles at run time; it loads on first use (scripts/lazy-imports.mjs) and
  // bin/load.cjs takes createRequire from its own module's class on Node 20.
  it('a cold gen --check on samples/monorepo loads no node:module; a template of your own compiles through it, loaded then', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-lazy-module-'));
    const modulesLoaded = (cwd: string, argv: string[]) => {
      const list = path.join(dir, 'modules.json');
      const preload = path.join(dir, 'preload.cjs');
      writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
      const r = spawnSync(process.execPath, ['-r', preload, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), ...argv], { cwd, encoding: 'utf8', env: { ...process.env, TMPDIR: dir } });
      expect([r.status, r.stderr]).toEqual([0, '']);
      return { out: r.stdout, loaded: JSON.parse(readFileSync(list, 'utf8')) as string[] };
    };
    try {
      const cold = modulesLoaded(path.join(SAMPLES, 'monorepo'), ['gen', '--check', '--no-cache']);
      expect(cold.loaded).toContain('NativeModule vm'); // the list is read right
      // Node 22 and later: bin/load.cjs requires node:module for enableCompileCache.
      if (Number(process.versions.node.split('.')[0]) < 22) expect(cold.loaded).not.toContain('NativeModule module');
      const own = path.join(dir, 'own');
      mkdirSync(path.join(own, 'svc'), { recursive: true });
      writeFileSync(path.join(own, 'svc', 'README'), 'hello\n');
      writeFileSync(path.join(own, 'step.hbs'), ['{{!--', 'description: a template of its own', '--}}', 'FROM scratch', 'COPY README /README', ''].join('\n'));
      writeFileSync(path.join(own, 'matrix.yaml'), 'version: 1\nservices:\n  svc:\n    context: svc\n    template: step.hbs\n');
      const gen = modulesLoaded(own, ['gen', '--no-cache']);
      expect(readFileSync(path.join(own, 'svc', 'Dockerfile'), 'utf8')).toContain('FROM scratch\nCOPY README /README\n');
      expect(gen.loaded).toContain('NativeModule module');
      expect(modulesLoaded(own, ['gen', '--check', '--no-cache']).out).toMatch(/^Up to date: 2 files\.\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The registry client and the doctor's registry probe need node:http and node:https (and tls and the
  // http agent under them: with them about 8 ms to load); a bake that pushes nothing and has no registry
  // to probe never calls them: they load on first use (scripts/lazy-imports.mjs LAZY_BUILTINS). (node:net comes
  // with child_process's pipes.)
  it('bake --dry-run on samples/monorepo loads none of node:http, https and tls', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-no-http-'));
    try {
      const list = path.join(dir, 'modules.json');
      const preload = path.join(dir, 'preload.cjs');
      writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
      const r = spawnSync(process.execPath, ['-r', preload, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'bake', '--dry-run'], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(/ buildx bake -f docker-bake\.hcl /);
      const loaded = JSON.parse(readFileSync(list, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule child_process'); // the list is read right: git ran
      expect(loaded.filter((m) => /^NativeModule (http|https|tls|_http_agent|_http_client|_tls_wrap)$/.test(m))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // validate with the cache off keeps no record (src/cli/validate.ts): the module that keeps records and
  // the hook's manifest (src/cache/save.ts, manifest.ts: a 4,096-entry table built at load) stay unloaded.
  it.each([
    [['validate', '--no-cache'], {}],
    [['validate'], { MATRIX_CACHE: '0' }],
  ])('%j %j loads no module that keeps records, and says what a validate with the cache says', (argv, env) => {
    const monorepo = path.join(SAMPLES, 'monorepo');
    const off = inNode(runScript(LOAD, DIST, argv, monorepo, env));
    expect([off.code, off.out]).toEqual([0, 'matrix.yaml is valid: 9 services, 12 targets.\n']);
    const modules = modulesOf(off.chunks.map((c) => c.file));
    expect(modules).toContain('src/cli/validate.ts'); // the list is read right
    expect(modules.filter((m) => /^src\/cache\/(save|manifest)\.ts$/.test(m))).toEqual([]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-validate-on-'));
    try {
      // With the cache, in a copy outside any repository (its records in this test's directory), the same answer: compiled and recorded.
      const copy = path.join(dir, 'monorepo');
      cpSync(monorepo, copy, { recursive: true });
      const on = inNode(runScript(LOAD, DIST, ['validate'], copy, { TMPDIR: dir }));
      expect([on.code, on.out]).toEqual([off.code, off.out]);
      expect(modulesOf(on.chunks.map((c) => c.file))).toContain('src/cache/save.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // yaml's parser is a chunk of its own, required on first use (src/lazy.ts, src/load/yaml-lib.ts): a
  // spec in plain YAML is read by load/plain-yaml.ts, and yaml parses it only for a diagnostic's position.
  it.each([[['gen', '--check', '--no-cache']], [['plan', '--no-cache']], [['validate', '--no-cache']]])('%j compiles samples/monorepo (plain YAML) without loading the yaml package', (argv) => {
    const r = inNode(runScript(LOAD, DIST, argv, path.join(SAMPLES, 'monorepo')));
    expect(r.code).toBe(0);
    const modules = modulesOf(r.chunks.map((c) => c.file));
    expect(modules).toContain('src/load/plain-yaml.ts'); // the list is read right
    expect(modules.filter((m) => m.startsWith('node_modules/yaml/'))).toEqual([]);
  });

  it('a spec in YAML beyond the plain subset (an anchor), or with an error to locate, loads yaml when it needs it, and compiles as ever', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-lazy-yaml-'));
    try {
      mkdirSync(path.join(dir, 'svc'));
      writeFileSync(path.join(dir, 'svc', 'Dockerfile'), 'FROM scratch\n');
      writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nplatforms: &p [linux/amd64]\nservices:\n  svc: {context: svc, dockerfile: svc/Dockerfile, platforms: *p}\n');
      writeFileSync(path.join(dir, 'typo.yaml'), 'version: 1\nservices:\n  svc:\n    context: svc\n    dockerfil: svc/Dockerfile\n');
      const anchored = inNode(runScript(LOAD, DIST, ['validate', '--no-cache'], dir));
      expect([anchored.code, anchored.out]).toEqual([0, 'matrix.yaml is valid: 1 services, 1 targets.\n']);
      expect(modulesOf(anchored.chunks.map((c) => c.file)).some((m) => m.startsWith('node_modules/yaml/'))).toBe(true);
      const typo = inNode(runScript(LOAD, DIST, ['validate', '--no-cache', '--spec', 'typo.yaml'], dir));
      expect(typo.code).toBe(2);
      expect(typo.out).toContain('typo.yaml:5:5: error unknown key `dockerfil`');
      expect(modulesOf(typo.chunks.map((c) => c.file)).some((m) => m.startsWith('node_modules/yaml/'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('plan answers from the record of its last run (src/cache/plan.ts) with no chunk of the compiler, and prints the same', () => {
    const cwd = path.join(SAMPLES, 'monorepo');
    const first = inNode(runScript(LOAD, DIST, ['plan'], cwd));
    const hit = inNode(runScript(LOAD, DIST, ['plan'], cwd));
    expect([hit.code, hit.out]).toEqual([first.code, first.out]);
    expect(hit.out).toMatch(/^12 targets from matrix\.yaml/);
    expect(hit.chunks.filter((c) => !c.cacheUsed)).toEqual([]);
    const modules = modulesOf(hit.chunks.map((c) => c.file));
    expect(modules).toContain('src/cache/plan.ts'); // the names are read right
    // Neither the compiler (load, validate, resolve, render) nor the full plan.
    expect(modules.filter((m) => /^src\/(compile|cli\/io|cli\/plan\.ts|load\/|validate\/|resolve\/|render\/|plan\/)/.test(m) || m.includes('node_modules/'))).toEqual([]);
  });

  // bake's build plan (for the doctor) is src/plan/build-plan.ts, which imports nothing of the
  // compiler: a bake whose committed files are current by its record starts docker without it.
  it('bake answers from the record of its last compile with no chunk of the compiler, and prints the same command', () => {
    const cwd = path.join(SAMPLES, 'monorepo');
    // bake keeps its record in the user's private directory under TMPDIR: a new one, so the first run compiles.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'matrix-bake-record-'));
    try {
      const first = inNode(runScript(LOAD, DIST, ['bake', '--dry-run'], cwd, { TMPDIR: tmp }));
      const hit = inNode(runScript(LOAD, DIST, ['bake', '--dry-run'], cwd, { TMPDIR: tmp }));
      expect([hit.code, hit.out]).toEqual([first.code, first.out]);
      expect(hit.out).toMatch(/ buildx bake -f docker-bake\.hcl /);
      expect(hit.chunks.filter((c) => !c.cacheUsed)).toEqual([]);
      const modules = modulesOf(hit.chunks.map((c) => c.file));
      expect(modules).toContain('src/plan/build-plan.ts'); // the names are read right
      const compiler =
        /^src\/(compile\.ts|cli\/(io|plan)\.ts|validate\/(validator|schema|rules)\.ts|resolve\/(resolve|service|matrix)\.ts|render\/(template|files|hcl)\.ts)$|^node_modules\/(handlebars|ajv|yaml)\//;
      expect(modulesOf(first.chunks.map((c) => c.file)).some((m) => compiler.test(m))).toBe(true); // the first run compiled
      expect(modules.filter((m) => compiler.test(m))).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a usage error loads yargs, which reports it (exit 2)', () => {
    const r = inNode(runScript(LOAD, DIST, ['gen', '--frobnicate'], path.join(SAMPLES, 'monorepo')));
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/unknown option --frobnicate/);
    expect(modulesOf(r.chunks.map((c) => c.file)).some((m) => m.includes('node_modules/yargs/'))).toBe(true);
  });

  it('a pack that cannot be read: its chunks load from their own files, and the command works the same', () => {
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'matrix-nopack-'));
    try {
      for (const p of ['package.json', 'bin', 'schemas', 'templates', 'dist']) cpSync(path.join(REPO_ROOT, p), path.join(pkg, p), { recursive: true });
      const packs = Object.keys(manifest().packs);
      expect(packs.length).toBeGreaterThan(0);
      for (const p of packs) rmSync(path.join(pkg, 'dist', p));
      const r = inNode(runScript(path.join(pkg, 'bin', 'load.cjs'), path.join(pkg, 'dist'), ['gen', '--check', '--no-cache'], path.join(SAMPLES, 'monorepo')));
      expect([r.code, r.out]).toEqual([0, expect.stringMatching(/^Up to date: \d+ files\.\n$/)]);
      expect(r.chunks.length).toBeGreaterThan(10);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });

  describe('without a code cache for this V8 (another Node than the build)', () => {
    // A copy of the installed package without the cache files.
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'matrix-nocache-'));
    for (const p of ['package.json', 'bin', 'schemas', 'templates']) cpSync(path.join(REPO_ROOT, p), path.join(pkg, p), { recursive: true });
    mkdirSync(path.join(pkg, 'dist'));
    for (const c of Object.keys(manifest().chunks)) cpSync(path.join(DIST, c), path.join(pkg, 'dist', c));
    afterAll(() => rmSync(pkg, { recursive: true, force: true }));

    it("the chunks are compiled (Node 20) or loaded as CommonJS modules with Node's own compile cache (Node 22 and later), and work the same", () => {
      const r = inNode(runScript(path.join(pkg, 'bin', 'load.cjs'), path.join(pkg, 'dist'), ['gen', '--check'], path.join(SAMPLES, 'monorepo')));
      expect(r.out).toMatch(/^Up to date: \d+ files\.\n$/);
      expect(r.code).toBe(0);
      expect(r.cacheUsed).toBe(false);
      // module.enableCompileCache: Node 22.1 and later (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir).
      const hasCompileCache = typeof (require('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';
      expect(r.viaScript).toBe(!hasCompileCache);
      expect(r.loaded).toEqual(hasCompileCache ? expect.arrayContaining([path.join(pkg, 'dist', 'matrix.cjs')]) : expect.not.arrayContaining([path.join(pkg, 'dist', 'matrix.cjs')]));
      if (!hasCompileCache) expect(r.chunks.filter((c) => c.cacheUsed)).toEqual([]);
    });

    it('bin/matrix.cjs runs from the copy: exit codes as ever', () => {
      const bin = path.join(pkg, 'bin', 'matrix.cjs');
      const ok = spawnSync(process.execPath, [bin, 'gen', '--check'], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, expect.stringMatching(/^Up to date/), '']);
      const usage = spawnSync(process.execPath, [bin, 'gen', '--check', '--check'], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(usage.status).toBe(2);
      const help = spawnSync(process.execPath, [bin, 'plan', '--help'], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect([help.status, help.stdout]).toEqual([0, expect.stringMatching(/^matrix plan\n/)]);
    });
  });
});
