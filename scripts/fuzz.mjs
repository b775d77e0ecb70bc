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
// Specs are drawn from fast-check arbitraries. Case I of seed N is always the
// same spec: `--seed N --case I` replays one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import { hoistLazyImportsPlugin } from './lazy-imports.mjs';
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
  plugins: [hoistLazyImportsPlugin],
  logLevel: 'warning',
});
const { compile, planSync } = await import(path.join(cacheDir, 'entry.mjs'));

// ---------------------------------------------------------------- randomness
// The generators are fast-check arbitraries; case I of seed N is one sample,
// drawn with a seed of its own mixed from (N, I), so any case replays alone.
const caseSeed = (index) => (seed ^ Math.imul(index + 1, 0x9e3779b1)) | 0;
/** `arb` with probability p, else undefined. */
const maybe = (p, arb) => fc.oneof({ weight: Math.round(p * 100), arbitrary: arb }, { weight: Math.round((1 - p) * 100), arbitrary: fc.constant(undefined) });
/** 1 to `max` distinct elements of xs, in a random order. */
const some = (xs, max) => fc.shuffledSubarray(xs, { minLength: 1, maxLength: Math.min(max, xs.length) });
/** Drops the keys whose value is undefined (absent fields). */
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// ---------------------------------------------------------------- the repository specs are compiled in
const NAMES = ['api', 'web', 'worker', 'base', 'db', 'svc-1', 'svc_2', 'a', 'b0', 'x-y-z'];
const CONTEXTS = ['ctx/a', 'ctx/b', 'ctx/weird ${x} %{y} "q"', '.', 'ctx/${{ service }}', 'ctx/a/', './ctx/b', 'ctx/nested/deep'];
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64'];
const SAFE_VALUES = ['1', '1.22', 'a b', 'x.y', 'slim', 'full', '20', 'v1-beta', 'É', '日本'];
const HOSTILE_VALUES = [
  '${HOME}',
  '%{ if true }x%{ endif }',
  '$${x}',
  '%%{y}',
  '\\',
  '"',
  "'",
  'a\nb',
  'tab\there',
  'cr\r',
  '`id`',
  '$(id)',
  ';|&',
  '<<EOF',
  '# not a comment',
  '=',
  ',',
  'a,b"c',
  '${',
  '}',
  '%',
  '$',
  'é日本👋',
  '\u00a0',
  '-rf',
  '--push',
  '..',
  '/etc/passwd',
  'C:\\x',
  'https://x.example/y',
];
const TEMPLATE =
  '{{!--\ndescription: fuzz\nparams:\n  p: { default: "v" }\n  n: { default: "8080" }\n  list: { default: [a, b] }\n--}}\n' +
  'FROM scratch\nLABEL p={{word with.p}}\nRUN echo {{sh with.p}}\nEXPOSE {{int with.n}}\nCMD {{json with.list}}\n{{#each args}}ARG {{ident this}}\n{{/each}}';

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
const value = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SAFE_VALUES) }, { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) });
const keyed = (keys, max) => some(keys, max).chain((ks) => fc.tuple(...ks.map(() => value)).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]]))));

const source = fc.oneof(
  { weight: 6, arbitrary: fc.record({ template: fc.constant('go'), with: maybe(0.5, fc.record({ binary: fc.constantFrom('app', 'srv', 'a-b'), ldflags: maybe(0.3, value) })) }) },
  { weight: 2, arbitrary: fc.record({ template: fc.constant('tpl/fuzz.hbs'), with: maybe(0.6, fc.record({ p: value, n: maybe(0.3, fc.constantFrom('80', 'x', '99999')) })) }) },
  { weight: 2, arbitrary: fc.record({ dockerfile: fc.constant('hand/Dockerfile') }) },
);

const matrixAxes = some(['go', 'node', 'flavour', 'os_name'], 2).chain((axes) =>
  fc.tuple(...axes.map(() => some(SAFE_VALUES, 3))).chain((values) => {
    const m = Object.fromEntries(axes.map((a, i) => [a, values[i]]));
    const first = axes[0];
    return fc
      .record({
        include: maybe(
          0.3,
          fc.constantFrom(...SAFE_VALUES).map((v) => [{ [first]: v, extra: 'yes' }]),
        ),
        exclude: maybe(0.3, fc.constant([{ [first]: m[first][0] }])),
      })
      .map((x) => ({ ...m, ...defined(x) }));
  }),
);

/** One service; `earlier` are the names before it (what it may depend on). */
function service(name, earlier) {
  return fc
    .record({
      context: fc.constantFrom(...CONTEXTS),
      source,
      platforms: maybe(0.4, some(PLATFORMS, 3)),
      args: maybe(0.6, keyed(['A', 'GO_VERSION', 'B_2', '_x'], 3)),
      labels: maybe(0.5, keyed(['org.opencontainers.image.title', 'x', '${k}', 'a b', 'é', '%{x}'], 3)),
      tags: maybe(
        0.4,
        fc.constantFrom('1', 'latest', '${{ target }}', 'v1.2', '${{ service }}-x').map((t) => [`registry.example/${name}:${t}`]),
      ),
      matrix: maybe(0.3, matrixAxes),
      target: maybe(0.15, fc.constantFrom('build', 'runtime', 'x.y-z')),
      secrets: maybe(0.2, fc.constantFrom([{ id: 'token', env: 'GITHUB_TOKEN' }], [{ id: 'npmrc', src: 'secret,file "x"' }])),
      depends_on: earlier.length ? maybe(0.25, some(earlier, 2)) : fc.constant(undefined),
      metadata_action: maybe(0.1, fc.constant(true)),
    })
    .map(({ source: src, ...s }) => {
      const out = defined({
        context: s.context,
        ...defined(src),
        platforms: s.platforms,
        args: s.args,
        labels: s.labels,
        tags: s.tags,
        matrix: s.matrix,
        target: s.target,
        secrets: s.secrets,
        depends_on: s.depends_on,
        metadata_action: s.metadata_action,
      });
      if (out.matrix && out.tags) out.tags = [`registry.example/${name}:\${{ target }}`];
      return out;
    });
}

const validSpec = some(NAMES, 5).chain((names) =>
  fc
    .record({
      registry: maybe(0.3, fc.constant('registry.example/acme')),
      platforms: maybe(0.5, some(PLATFORMS, 2)),
      bake_file: maybe(0.1, fc.constantFrom('build/docker-bake.hcl', 'ci.hcl')),
      defaults: maybe(0.2, fc.constant({ labels: { 'org.opencontainers.image.source': 'https://example.com/x' } })),
      services: fc.tuple(...names.map((n, i) => service(n, names.slice(0, i)))),
    })
    .map(({ services, ...top }) => stringify({ version: 1, ...defined(top), services: Object.fromEntries(names.map((n, i) => [n, services[i]])) }, { lineWidth: 0 })),
);

// ---------------------------------------------------------------- mutations
const CHARS = [':', '-', '[', ']', '{', '}', '"', "'", '#', '&', '*', '!', '|', '>', '%', '@', '`', '\t', '\n', ' ', '?', ',', '\\', '\u0000', '\u202e', '\ufeff', 'é', '\u2028'];
const SCALARS = [
  '"\\ud800"',
  '"a\\nb"',
  '"\\u202e"',
  '"${HOME}"',
  '"%{x}"',
  '../..',
  '/etc',
  'https://x.example/y',
  '[1, 2]',
  '{a: b}',
  '~',
  '1.20',
  '0x10',
  'on',
  '!!binary aGk=',
  '!!set {a}',
  '*nothing',
  '&a x',
  '""',
  '"\\0"',
  '"\\x1b[31m"',
  'escape',
  'default',
  '"-x"',
  'linux/x86_64',
  'plan9/386',
  '"é\\u0301"',
  '"\\ufffd"',
  '"x\\ty"',
  '|\n  a\n  b',
  '>-\n  folded',
  // Tags outside YAML's core schema (unknown-tag), added 2026-12-02: cases of earlier runs replay differently.
  '!custom x',
  '!<tag:example.com,2026:x> y',
  '!!timestamp 2001-12-14',
  '!!omap [a: 1]',
];
const SNIPPETS = [
  () => 'bomb: &a [x, x, x, x, x, x, x, x, x]\nb1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nb3: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
  (n) => `deep: ${'['.repeat(60 + (n % 3000))}\n`,
  () => 'platfroms: [linux/amd64]\n',
  () => 'services:\n  dup: {}\n',
  () => '---\nversion: 1\n',
  () => '%YAML 1.1\n',
  () => '? [a, b]\n: c\n',
  () => '"\\udc00": x\n',
];
const KEYS = ['"${x}"', 'Upper', '-dash', 'default', '__proto__', 'constructor', '"a\\u0000b"', 'platfroms'];

// A mutation names its place with a number that is taken modulo the length of the text or of its
// line list when it is applied, so it is drawn before the text it changes is known.
const at = fc.nat();
const mutation = fc.oneof(
  fc.record({ op: fc.constant('insert'), at, ch: fc.constantFrom(...CHARS) }),
  fc.record({ op: fc.constant('delete'), at, n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('line'), at, duplicate: fc.boolean() }),
  fc.record({ op: fc.constant('indent'), at, add: fc.boolean(), n: fc.integer({ min: 1, max: 3 }) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('value'), at, scalar: fc.constantFrom(...SCALARS) }) },
  fc.record({ op: fc.constant('key'), at, key: fc.constantFrom(...KEYS) }),
  fc.record({ op: fc.constant('snippet'), append: fc.boolean(), snippet: fc.nat({ max: SNIPPETS.length - 1 }), n: fc.nat() }),
);

function applyMutation(t, m) {
  const lines = t.split('\n');
  const k = m.at % lines.length;
  switch (m.op) {
    case 'insert': {
      const i = m.at % (t.length + 1);
      return t.slice(0, i) + m.ch + t.slice(i);
    }
    case 'delete': {
      const i = m.at % (t.length + 1);
      return t.slice(0, i) + t.slice(i + m.n);
    }
    case 'line': // delete or duplicate a line
      if (m.duplicate) lines.splice(k, 0, lines[k]);
      else lines.splice(k, 1);
      return lines.join('\n');
    case 'indent':
      lines[k] = m.add ? ' '.repeat(m.n) + lines[k] : lines[k].replace(/^ {1,3}/, '');
      return lines.join('\n');
    case 'value': {
      const v = /^(\s*(?:- )?[^:#]+: )(.*)$/.exec(lines[k]);
      if (v) lines[k] = v[1] + m.scalar;
      return lines.join('\n');
    }
    case 'key':
      lines[k] = lines[k].replace(/^(\s*)([^:\s][^:]*):/, (_m, ws) => `${ws}${m.key}:`);
      return lines.join('\n');
    default: {
      // add a snippet at the top level
      const snippet = SNIPPETS[m.snippet](m.n);
      return m.append ? t + snippet : snippet + t;
    }
  }
}

const mutatedSpec = fc.tuple(validSpec, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([text, ms]) => ms.reduce(applyMutation, text));

/** A case: a valid spec (40%) or a mutated one (60%). */
const fuzzCase = fc.oneof({ weight: 4, arbitrary: validSpec.map((source) => ({ mutated: false, source })) }, { weight: 6, arbitrary: mutatedSpec.map((source) => ({ mutated: true, source })) });
const caseAt = (index) => fc.sample(fuzzCase, { seed: caseSeed(index), numRuns: 1 })[0];

// ---------------------------------------------------------------- checks
const failures = [];
const stats = { cases: 0, valid: 0, mutated: 0, accepted: 0, refused: 0, docker: 0, dockerSkipped: 0, dockerMs: 0, codes: {}, slowest: { ms: 0, case: -1 } };

function fail(kind, index, source, detail) {
  failures.push({ kind, case: index, detail: String(detail).slice(0, 4000) });
  if (failuresDir) {
    mkdirSync(failuresDir, { recursive: true });
    writeFileSync(path.join(failuresDir, `case-${seed}-${index}.yaml`), source);
  }
  const lines = String(detail)
    .split('\n')
    .filter((l) => l.trim());
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
    const got = Object.keys(printed.target ?? {})
      .filter((n) => n !== 'docker-metadata-action')
      .sort();
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
  const { mutated, source } = caseAt(index);
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
    console.log(caseAt(Number(onlyCase)).source);
    await runCase(Number(onlyCase), repo);
  } else {
    for (let i = 0; Date.now() - begin < seconds * 1000; i++) await runCase(i, repo);
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
}

const summary = {
  seed,
  seconds: Math.round((Date.now() - begin) / 100) / 10,
  dockerAvailable: useDocker,
  node: process.version,
  ...stats,
  codes: Object.fromEntries(Object.entries(stats.codes).sort((a, b) => b[1] - a[1])),
  failures: failures.length,
  failureKinds: [...new Set(failures.map((f) => f.kind))],
};
console.log(JSON.stringify(summary, null, 2));
if (reportFile) writeFileSync(reportFile, JSON.stringify({ ...summary, failureList: failures }, null, 2));
process.exitCode = failures.length ? 1 : 0;
