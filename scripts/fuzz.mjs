#!/usr/bin/env node
// Fuzzes the compile pipeline (load -> validate -> resolve -> render, and the
// read-only output plan) with random valid specs and mutations of them, in
// process, for a set time. It fails on anything but user diagnostics: a thrown
// error, an unhandled rejection, a diagnostic without a code or position, a
// bake file HashiCorp's parser rejects, or (sampled, when docker is there) a
// bake file `docker buildx bake --print` rejects or reads differently.
//
//   node scripts/fuzz.mjs [--seconds 60] [--seed N] [--case I] [--docker-every 10] [--no-docker]
//                         [--report FILE] [--failures DIR]
//
// Case I of seed N is always the same spec: `--seed N --case I` replays one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { stringify } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const seconds = Number(opt('seconds', '60'));
const seed = Number(opt('seed', String(Date.now() % 2 ** 31)));
const onlyCase = opt('case', undefined);
const dockerEvery = Number(opt('docker-every', '10'));
const reportFile = opt('report', undefined);
const failuresDir = opt('failures', undefined);
const useDocker = !argv.includes('--no-docker') && spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8' }).status === 0;

// ---------------------------------------------------------------- the pipeline, in process
// Bundled inside the package (packageRoot() looks for package.json above the module).
const cacheDir = path.join(ROOT, 'node_modules', '.cache', 'bake-matrix-fuzz');
mkdirSync(cacheDir, { recursive: true });
await build({
  stdin: {
    contents: "export { compile } from './src/compile.ts'; export { planSync } from './src/output/sync.ts'; export { UserError } from './src/diagnostics.ts';",
    resolveDir: ROOT,
    loader: 'ts',
  },
  outfile: path.join(cacheDir, 'entry.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: "import { createRequire as __matrixCreateRequire } from 'node:module'; const require = __matrixCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const { compile, planSync } = await import(path.join(cacheDir, 'entry.mjs'));

// ---------------------------------------------------------------- randomness
function rng(s) {
  // mulberry32
  let a = s >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    some: (xs, max) => {
      const n = 1 + Math.floor(next() * Math.min(max, xs.length));
      return [...xs].sort(() => next() - 0.5).slice(0, n);
    },
  };
  return r;
}

// ---------------------------------------------------------------- the repository specs are compiled in
const NAMES = ['api', 'web', 'worker', 'base', 'db', 'svc-1', 'svc_2', 'a', 'b0', 'x-y-z'];
const CONTEXTS = ['ctx/a', 'ctx/b', 'ctx/weird ${x} %{y} "q"', '.', 'ctx/${{ service }}', 'ctx/a/', './ctx/b', 'ctx/nested/deep'];
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64'];
const SAFE_VALUES = ['1', '1.22', 'a b', 'x.y', 'slim', 'full', '20', 'v1-beta', 'É', '日本'];
const HOSTILE_VALUES = [
  '${HOME}', '%{ if true }x%{ endif }', '$${x}', '%%{y}', '\\', '"', "'", 'a\nb', 'tab\there', 'cr\r', '`id`', '$(id)', ';|&', '<<EOF', '# not a comment',
  '=', ',', 'a,b"c', '${', '}', '%', '$', 'é日本👋', '\u00a0', '-rf', '--push', '..', '/etc/passwd', 'C:\\x', 'https://x.example/y',
];
const TEMPLATE = '{{!--\ndescription: fuzz\nparams:\n  p: { default: "v" }\n  n: { default: "8080" }\n  list: { default: [a, b] }\n--}}\n'
  + 'FROM scratch\nLABEL p={{word with.p}}\nRUN echo {{sh with.p}}\nEXPOSE {{int with.n}}\nCMD {{json with.list}}\n{{#each args}}ARG {{ident this}}\n{{/each}}';

function makeRepo() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-fuzz-'));
  const file = (rel, text) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  mkdirSync(path.join(dir, '.git'));
  for (const c of ['ctx/a', 'ctx/b', 'ctx/weird ${x} %{y} "q"', 'ctx/nested/deep', ...NAMES.map((n) => `ctx/${n}`)]) file(`${c}/go.mod`, 'module example.com/x\n');
  file('hand/Dockerfile', 'FROM scratch\n');
  file('tpl/fuzz.hbs', TEMPLATE);
  file('secret,file "x"', 'not a secret\n');
  symlinkSync('/', path.join(dir, 'escape'));
  return dir;
}

// ---------------------------------------------------------------- valid specs
function value(r) {
  return r.chance(0.6) ? r.pick(SAFE_VALUES) : r.pick(HOSTILE_VALUES);
}

function validSpec(r) {
  const names = r.some(NAMES, 5);
  const axesPool = ['go', 'node', 'flavour', 'os_name'];
  const services = {};
  names.forEach((name, i) => {
    const s = {};
    s.context = r.pick(CONTEXTS);
    const kind = r.int(10);
    if (kind < 6) {
      s.template = 'go';
      if (r.chance(0.5)) s.with = { binary: r.pick(['app', 'srv', 'a-b']), ...(r.chance(0.3) ? { ldflags: value(r) } : {}) };
    } else if (kind < 8) {
      s.template = 'tpl/fuzz.hbs';
      if (r.chance(0.6)) s.with = { p: value(r), ...(r.chance(0.3) ? { n: r.pick(['80', 'x', '99999']) } : {}) };
    } else s.dockerfile = 'hand/Dockerfile';
    if (r.chance(0.4)) s.platforms = r.some(PLATFORMS, 3);
    if (r.chance(0.6)) s.args = Object.fromEntries(r.some(['A', 'GO_VERSION', 'B_2', '_x'], 3).map((k) => [k, value(r)]));
    if (r.chance(0.5)) s.labels = Object.fromEntries(r.some(['org.opencontainers.image.title', 'x', '${k}', 'a b', 'é', '%{x}'], 3).map((k) => [k, value(r)]));
    if (r.chance(0.4)) s.tags = [`registry.example/${name}:${r.pick(['1', 'latest', '${{ target }}', 'v1.2', '${{ service }}-x'])}`];
    if (r.chance(0.3)) {
      const m = {};
      for (const axis of r.some(axesPool, 2)) m[axis] = r.some(SAFE_VALUES, 3);
      if (r.chance(0.3)) m.include = [{ [Object.keys(m)[0]]: r.pick(SAFE_VALUES), extra: 'yes' }];
      if (r.chance(0.3)) m.exclude = [{ [Object.keys(m)[0]]: m[Object.keys(m)[0]][0] }];
      s.matrix = m;
      if (s.tags) s.tags = [`registry.example/${name}:\${{ target }}`];
    }
    if (r.chance(0.15)) s.target = r.pick(['build', 'runtime', 'x.y-z']);
    if (r.chance(0.2)) s.secrets = [r.chance(0.5) ? { id: 'token', env: 'GITHUB_TOKEN' } : { id: 'npmrc', src: 'secret,file "x"' }];
    if (i > 0 && r.chance(0.25)) s.depends_on = r.some(names.slice(0, i), 2);
    if (r.chance(0.1)) s.metadata_action = true;
    services[name] = s;
  });
  const spec = { version: 1 };
  if (r.chance(0.3)) spec.registry = 'registry.example/acme';
  if (r.chance(0.5)) spec.platforms = r.some(PLATFORMS, 2);
  if (r.chance(0.1)) spec.bake_file = r.pick(['build/docker-bake.hcl', 'ci.hcl']);
  if (r.chance(0.2)) spec.defaults = { labels: { 'org.opencontainers.image.source': 'https://example.com/x' } };
  spec.services = services;
  return stringify(spec, { lineWidth: 0 });
}

// ---------------------------------------------------------------- mutations
const CHARS = [':', '-', '[', ']', '{', '}', '"', "'", '#', '&', '*', '!', '|', '>', '%', '@', '`', '\t', '\n', ' ', '?', ',', '\\', '\u0000', '\u202e', '\ufeff', 'é', '\u2028'];
const SCALARS = [
  '"\\ud800"', '"a\\nb"', '"\\u202e"', '"${HOME}"', '"%{x}"', '../..', '/etc', 'https://x.example/y', '[1, 2]', '{a: b}', '~', '1.20', '0x10', 'on',
  '!!binary aGk=', '!!set {a}', '*nothing', '&a x', '""', '"\\0"', '"\\x1b[31m"', 'escape', 'default', '"-x"', 'linux/x86_64', 'plan9/386',
  '"é\\u0301"', '"\\ufffd"', '"x\\ty"', '|\n  a\n  b', '>-\n  folded',
  // Tags outside YAML's core schema (unknown-tag), added 2026-12-02: cases of earlier runs replay differently.
  '!custom x', '!<tag:example.com,2026:x> y', '!!timestamp 2001-12-14', '!!omap [a: 1]',
];
const SNIPPETS = [
  () => 'bomb: &a [x, x, x, x, x, x, x, x, x]\nb1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nb3: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
  (r) => `deep: ${'['.repeat(60 + r.int(3000))}\n`,
  () => 'platfroms: [linux/amd64]\n',
  () => 'services:\n  dup: {}\n',
  () => '---\nversion: 1\n',
  () => '%YAML 1.1\n',
  () => '? [a, b]\n: c\n',
  () => '"\\udc00": x\n',
];

function mutate(text, r) {
  let t = text;
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const lines = t.split('\n');
    switch (r.int(8)) {
      case 0: { // insert a character
        const at = r.int(t.length + 1);
        t = t.slice(0, at) + r.pick(CHARS) + t.slice(at);
        break;
      }
      case 1: { // delete a run of characters
        const at = r.int(t.length + 1);
        t = t.slice(0, at) + t.slice(at + 1 + r.int(8));
        break;
      }
      case 2: // delete or duplicate a line
        if (r.chance(0.5)) lines.splice(r.int(lines.length), 1);
        else {
          const k = r.int(lines.length);
          lines.splice(k, 0, lines[k]);
        }
        t = lines.join('\n');
        break;
      case 3: { // re-indent a line
        const k = r.int(lines.length);
        lines[k] = r.chance(0.5) ? ' '.repeat(1 + r.int(3)) + lines[k] : lines[k].replace(/^ {1,3}/, '');
        t = lines.join('\n');
        break;
      }
      case 4:
      case 5: { // replace a value
        const k = r.int(lines.length);
        const m = /^(\s*(?:- )?[^:#]+: )(.*)$/.exec(lines[k]);
        if (m) lines[k] = m[1] + r.pick(SCALARS);
        t = lines.join('\n');
        break;
      }
      case 6: { // replace a key
        const k = r.int(lines.length);
        lines[k] = lines[k].replace(/^(\s*)([^:\s][^:]*):/, (_m, ws) => `${ws}${r.pick(['"${x}"', 'Upper', '-dash', 'default', '__proto__', 'constructor', '"a\\u0000b"', 'platfroms'])}:`);
        t = lines.join('\n');
        break;
      }
      default: // add a snippet at the top level
        t = r.chance(0.5) ? t + r.pick(SNIPPETS)(r) : r.pick(SNIPPETS)(r) + t;
    }
  }
  return t;
}

// ---------------------------------------------------------------- checks
const failures = [];
const stats = { cases: 0, valid: 0, mutated: 0, accepted: 0, refused: 0, docker: 0, dockerSkipped: 0, dockerMs: 0, codes: {}, slowest: { ms: 0, case: -1 } };

function fail(kind, index, source, detail) {
  failures.push({ kind, case: index, detail: String(detail).slice(0, 4000) });
  if (failuresDir) {
    mkdirSync(failuresDir, { recursive: true });
    writeFileSync(path.join(failuresDir, `case-${seed}-${index}.yaml`), source);
  }
  const lines = String(detail).split('\n').filter((l) => l.trim());
  console.error(`FAIL [${kind}] case ${index} (replay: --seed ${seed} --case ${index}): ${lines.find((l) => /ERROR|Error/.test(l)) ?? lines[0]}`);
}

process.on('unhandledRejection', (e) => fail('unhandled-rejection', stats.cases, '', e?.stack ?? e));
process.on('uncaughtException', (e) => fail('uncaught-exception', stats.cases, '', e?.stack ?? e));

async function bakePrint(files, spec, index, source) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-fuzz-bake-'));
  try {
    // bake stats secret sources while printing: give every relative one a file (they live on the build machine).
    for (const t of spec.targets) {
      for (const sec of t.secrets) {
        if (sec.src === undefined) continue;
        if (path.isAbsolute(sec.src) || sec.src.startsWith('~') || sec.src.split('/').includes('..')) return void stats.dockerSkipped++;
        mkdirSync(path.dirname(path.join(dir, sec.src)), { recursive: true });
        writeFileSync(path.join(dir, sec.src), 'x\n');
      }
    }
    for (const [rel, text] of files) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BUILDX_BAKE_')));
    const started = Date.now();
    const r = spawnSync('docker', ['buildx', 'bake', '-f', spec.bakeFile, '--print'], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
    stats.docker++;
    stats.dockerMs += Date.now() - started;
    if (r.status !== 0) return fail('bake-print-rejected', index, source, r.stderr);
    const printed = JSON.parse(r.stdout);
    const want = spec.targets.map((t) => t.name).sort();
    const got = Object.keys(printed.target ?? {}).filter((n) => n !== 'docker-metadata-action').sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) return fail('bake-print-targets', index, source, `want ${want} got ${got}`);
    for (const t of spec.targets) {
      const p = printed.target[t.name];
      const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
      if (!same([...(p.platforms ?? [])].sort(), [...t.platforms].sort())) return fail('bake-print-platforms', index, source, `${t.name}: want ${t.platforms} got ${p.platforms}`);
      if (t.tags.every((x) => typeof x === 'string') && !same(p.tags ?? [], t.tags)) return fail('bake-print-tags', index, source, `${t.name}: want ${t.tags} got ${p.tags}`);
      const contexts = Object.fromEntries(Object.entries(t.contexts).map(([k, v]) => [k, `target:${v}`]));
      const sorted = (o) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
      if (!same(sorted(p.contexts ?? {}), sorted(contexts))) return fail('bake-print-contexts', index, source, `${t.name}: want ${JSON.stringify(contexts)} got ${JSON.stringify(p.contexts)}`);
      for (const [k, v] of Object.entries(t.args)) {
        if (typeof v === 'string' && p.args?.[k] !== v) return fail('bake-print-arg', index, source, `${t.name}.args.${k}: want ${JSON.stringify(v)} got ${JSON.stringify(p.args?.[k])}`);
      }
      for (const [k, v] of Object.entries(t.labels)) {
        if (typeof v === 'string' && p.labels?.[k] !== v) return fail('bake-print-label', index, source, `${t.name}.labels.${k}: want ${JSON.stringify(v)} got ${JSON.stringify(p.labels?.[k])}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runCase(index, repo) {
  const r = rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const mutated = r.chance(0.6);
  const source = mutated ? mutate(validSpec(r), r) : validSpec(r);
  stats.cases++;
  if (mutated) stats.mutated++;
  else stats.valid++;
  const started = Date.now();
  let result;
  try {
    result = compile({ specPath: path.join(repo, 'matrix.yaml'), displayName: 'matrix.yaml', source, repoRoot: repo, cwd: repo });
  } catch (e) {
    return fail('internal-error', index, source, e?.stack ?? e);
  }
  const ms = Date.now() - started;
  if (ms > stats.slowest.ms) stats.slowest = { ms, case: index };
  if (ms > 5000) fail('slow', index, source, `${ms} ms`);
  for (const d of result.diagnostics) {
    stats.codes[d.code] = (stats.codes[d.code] ?? 0) + 1;
    if (typeof d.code !== 'string' || !d.code || !d.message) fail('bad-diagnostic', index, source, JSON.stringify(d));
    else if (!(d.line >= 1 && d.column >= 1)) fail('unlocated-diagnostic', index, source, JSON.stringify(d));
  }
  if (!result.files) {
    if (!result.diagnostics.length) fail('no-files-no-diagnostics', index, source, 'compile returned neither files nor diagnostics');
    stats.refused++;
    return;
  }
  // Warnings (severity 'warning') come with files; an error never does.
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) fail('files-and-diagnostics', index, source, JSON.stringify(errors[0]));
  stats.accepted++;
  try {
    planSync(repo, repo, result.files, result.spec.bakeFile);
  } catch (e) {
    return fail('internal-error-plan', index, source, e?.stack ?? e);
  }
  try {
    await parseHcl('docker-bake.hcl', result.files.get(result.spec.bakeFile));
  } catch (e) {
    return fail('hcl-rejected', index, source, e?.message ?? e);
  }
  // Sampled by case number, so a run is the same whatever the machine's speed.
  if (useDocker && (onlyCase !== undefined || index % dockerEvery === 0)) await bakePrint(result.files, result.spec, index, source);
}

// ---------------------------------------------------------------- main loop
const begin = Date.now();
const repo = makeRepo();
try {
  if (onlyCase !== undefined) {
    const r = rng((seed ^ Math.imul(Number(onlyCase) + 1, 0x9e3779b1)) >>> 0);
    const mutated = r.chance(0.6);
    console.log(mutated ? mutate(validSpec(r), r) : validSpec(r));
    await runCase(Number(onlyCase), repo);
  } else {
    for (let i = 0; Date.now() - begin < seconds * 1000; i++) await runCase(i, repo);
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
}

const summary = {
  seed, seconds: Math.round((Date.now() - begin) / 100) / 10, dockerAvailable: useDocker, node: process.version, ...stats,
  codes: Object.fromEntries(Object.entries(stats.codes).sort((a, b) => b[1] - a[1])),
  failures: failures.length, failureKinds: [...new Set(failures.map((f) => f.kind))],
};
console.log(JSON.stringify(summary, null, 2));
if (reportFile) writeFileSync(reportFile, JSON.stringify({ ...summary, failureList: failures }, null, 2));
process.exitCode = failures.length ? 1 : 0;
