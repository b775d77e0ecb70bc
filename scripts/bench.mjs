#!/usr/bin/env node
// npm run bench: the performance goals of issue 6, measured in one run on one
// machine, printed as one table and written to docs/benchmarks.md.
//
//   1 start-up             CPU of `matrix gen --check`, `plan`, `validate`,
//                          `--help` (samples/monorepo) / CPU of `node -e 0`       <= 1.5 each
//                          (and, in the same rounds, `gen --check` of matrix before
//                          the architecture step, built from git history)
//   2 scale                `matrix gen` wall, 1,000 services / `bake --print`       <= 0.25
//                          `matrix gen` wall, 10,000 / 1,000 services              <= 10
//                          `gen --check` CPU, 1,000 services / `node -e 0`         <= 4
//   3 multi-arch           cross-compiled build / builder stage under QEMU         <= 0.2
//   4 overhead             `matrix bake` / raw `docker buildx bake`, all cached    <= 1.03
//   5 affected             `bake --affected HEAD~1` after one leaf change / cold   <= 0.2
//   6 pre-commit           each documented hook through `pre-commit run` / a no-op hook <= 1.3
//
// Rows 3-5 need a Docker engine with buildx, QEMU and the local registry
// (scripts/engine-up.sh); without one they say so. Fixture images come from
// scripts/fixtures.sh and scripts/bench-fixtures.sh (cached by tag; the arm64
// toolchain takes ~10 minutes the first time).
//
//   node scripts/bench.mjs [--rows 1,2,3,4,5,6] [--quick] [--no-write] [--out FILE]
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rowHooks } from './bench-hooks.mjs';
import { writeScaleRepo } from './gen-scale-spec.mjs';
import { fixtureSetFlags } from './fixture-args.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'matrix.cjs');
/** The shipped hooks' entry (a POSIX sh script: answers from the manifest beside the record without Node). */
const HOOK = path.join(ROOT, 'bin', 'matrix-hook');
const NODE = process.execPath;

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
const QUICK = flag('--quick');
const ROWS = new Set(value('--rows', '1,2,3,4,5,6').split(',').map(Number));
const DEFAULT_OUT = path.resolve(ROOT, 'docs/benchmarks.md');
const OUT = path.resolve(ROOT, value('--out', DEFAULT_OUT));
const WRITE = !flag('--no-write');
const WORK = mkdtempSync(path.join(os.tmpdir(), 'matrix-bench-'));
const LOGS = path.join(WORK, 'logs');
mkdirSync(LOGS);

// ---------------------------------------------------------------- measuring
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 2) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
/** A ratio with enough digits to show which side of its goal it is on. */
const ratioText = (r, goal) => (Number(fmt(r)) === goal && r !== goal ? fmt(r, 3) : fmt(r));
const log = (s) => process.stderr.write(`[bench] ${s}\n`);
let logCount = 0;

/** Run and wait; output goes to a log file. Returns wall milliseconds too. */
function run(cmd, args, { cwd = ROOT, env = process.env, name = path.basename(cmd), allowFail = false } = {}) {
  const file = path.join(LOGS, `${String(++logCount).padStart(3, '0')}-${name.replace(/[^a-z0-9.-]+/gi, '_')}.log`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  writeFileSync(file, `$ ${[cmd, ...args].join(' ')}\n(cwd ${cwd}, exit ${r.status}, ${(ms / 1000).toFixed(2)} s)\n\n${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (!allowFail && (r.status !== 0 || r.error)) {
    throw new Error(`${[cmd, ...args].join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}); log: ${file}\n${(r.stderr ?? '').split('\n').slice(-15).join('\n')}`);
  }
  return { ms, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', log: file };
}

/**
 * Waits until the machine is idle again, and returns how long that took (ms).
 * A cached bake leaves the engine busy after docker exits: about 3 s of
 * containerd and dockerd at 40-80% of both cores on this kind of machine
 * (their CPU in /proc/PID/stat, sampled in the 4 s after a bake). A run
 * started then shares the cores with the last one's aftermath, whichever
 * command that was. Idle: the cores' busy share (user, nice, system, irq and
 * softirq time over all time in /proc/stat) under SETTLE_BUSY in each of
 * SETTLE_QUIET consecutive windows of SETTLE_WINDOW_MS; at most SETTLE_MAX_MS.
 * Where /proc/stat cannot be read (not Linux), no wait.
 */
const SETTLE_BUSY = 0.15;
const SETTLE_WINDOW_MS = 250;
const SETTLE_QUIET = 4;
const SETTLE_MAX_MS = 15_000;
const settled = [];
function settle() {
  const sample = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
      const busy = f[0] + f[1] + f[2] + f[5] + f[6];
      return { busy, all: busy + f[3] + f[4] };
    } catch {
      return undefined;
    }
  };
  const t0 = performance.now();
  let last = sample();
  if (!last) return 0;
  let quiet = 0;
  while (quiet < SETTLE_QUIET && performance.now() - t0 < SETTLE_MAX_MS) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SETTLE_WINDOW_MS);
    const now = sample();
    const share = (now.busy - last.busy) / Math.max(1, now.all - last.all);
    quiet = share < SETTLE_BUSY ? quiet + 1 : 0;
    last = now;
  }
  const ms = performance.now() - t0;
  settled.push(ms);
  return ms;
}

/** What settle() waited in a row, for its text. */
function settleText(from) {
  const waits = settled.slice(from);
  if (!waits.length) return '';
  return ` Before each run, the machine was let settle until idle (the cores under ${SETTLE_BUSY * 100}% busy in ${SETTLE_QUIET} windows of ${SETTLE_WINDOW_MS} ms in a row, /proc/stat; at most ${SETTLE_MAX_MS / 1000} s): a cached bake leaves containerd and dockerd busy for about 3 s after docker exits, which would slow whichever run came next. Waited ${fmt(median(waits) / 1000, 1)} s (median; ${fmt(Math.min(...waits) / 1000, 1)}-${fmt(Math.max(...waits) / 1000, 1)} s).`;
}

/**
 * CPU time (user + sys) of one child, from its resource usage: bash's `times`
 * prints the children's totals with millisecond resolution.
 */
function cpuOf(cmd, args, cwd, env = process.env) {
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; rc=$?; times; exit $rc', 'bench', cmd, ...args], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed (exit ${r.status}) in ${cwd}`);
  const line = r.stdout.trim().split('\n').at(-1);
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return (secs[0] + secs[1]) * 1000;
}

/**
 * Wall time (run's clock) and peak memory (maxRSS, from GNU time's report of
 * its resource usage) of one child. Not its CPU: GNU time cuts user and system
 * time to hundredths of a second each (cpuOf has milliseconds).
 */
function timeOf(cmd, args, { cwd, env = process.env, name } = {}) {
  const report = path.join(WORK, 'time.txt');
  const r = run('/usr/bin/time', ['-f', '%M', '-o', report, cmd, ...args], { cwd, env, name: name ?? path.basename(cmd) });
  const rss = Number(readFileSync(report, 'utf8').trim().split('\n').at(-1));
  return { wallMs: r.ms, maxRssMB: rss / 1024 };
}

const hasGnuTime = existsSync('/usr/bin/time');

/** `node ARGS` in `cwd`: its wall time, and its peak RSS where GNU time is there to tell it. */
const timedNode = (args, cwd, name) => (hasGnuTime ? timeOf(NODE, args, { cwd, name }) : { wallMs: run(NODE, args, { cwd, name }).ms });

/**
 * Interleaved runs of several commands (so they share the machine's load), CPU
 * ms of each; all in `cwd` but those `cwds` names another directory for.
 */
function interleavedCpu(cmds, rounds, cwd, cwds = {}) {
  const out = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    const keys = Object.keys(cmds);
    if (i % 2) keys.reverse();
    for (const k of keys) out[k].push(cpuOf(cmds[k][0], cmds[k].slice(1), cwds[k] ?? cwd));
  }
  return out;
}

// ---------------------------------------------------------------- environment
function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function environment() {
  const osRelease = existsSync('/etc/os-release') ? /PRETTY_NAME="?([^"\n]+)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
  const engine = sh('docker', ['buildx', 'version']) !== undefined && sh('docker', ['info', '--format', '{{.ServerVersion}}']) !== undefined;
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} x ${os.cpus().length}`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${osRelease ?? os.type()} (kernel ${os.release()})`,
    node: process.version,
    dockerClient: sh('docker', ['version', '--format', '{{.Client.Version}}']) ?? 'not found',
    dockerServer: sh('docker', ['version', '--format', '{{.Server.Version}}']) ?? 'not running',
    buildx: sh('docker', ['buildx', 'version']) ?? 'not found',
    engine,
    loadStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    nodeStart: nodeStartCost(),
  };
}

/** The environment without NODE_EXTRA_CA_CERTS (a copy; the run's own is left as it is). */
function withoutExtraCa(env = process.env) {
  const out = { ...env };
  delete out.NODE_EXTRA_CA_CERTS;
  return out;
}

/**
 * What NODE_EXTRA_CA_CERTS costs every Node start here, when this environment
 * sets it: Node 20 builds its root certificate store at start-up then (its
 * bundled roots parsed, the file's added), before any script runs, not on
 * the first TLS connection (nodejs/node issue 40524; later versions load
 * them off the main thread, once `tls` is loaded: pull requests 59856 and
 * 60764). Every `node` below pays it, matrix and `node -e 0` alike: it is the
 * environment's, and no script can avoid it. CPU ms of `node -e 0` with and
 * without it, median of 15 interleaved runs.
 */
function nodeStartCost() {
  if (!process.env.NODE_EXTRA_CA_CERTS) return undefined;
  const withCa = [];
  const without = [];
  for (let i = 0; i < 15; i++) {
    const pair = [() => withCa.push(cpuOf(NODE, ['-e', '0'], ROOT)), () => without.push(cpuOf(NODE, ['-e', '0'], ROOT, withoutExtraCa()))];
    if (i % 2) pair.reverse();
    for (const f of pair) f();
  }
  return { withCa: median(withCa), without: median(without) };
}

// ---------------------------------------------------------------- fixtures
let fixtureCache;
function fixtureImages() {
  if (fixtureCache) return fixtureCache;
  log('fixture images: scripts/fixtures.sh (cached by tag)');
  run('bash', [path.join(ROOT, 'scripts', 'fixtures.sh')], { name: 'fixtures' });
  log('multi-arch toolchain: scripts/bench-fixtures.sh (~10 minutes the first time, then cached)');
  const bench = run('bash', [path.join(ROOT, 'scripts', 'bench-fixtures.sh')], { name: 'bench-fixtures' })
    .stdout.trim()
    .split('\n')
    .at(-1);
  const env = Object.fromEntries(
    readFileSync(path.join(ROOT, 'test', 'engine', 'fixtures.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
  fixtureCache = { toolchain: env.MATRIX_TOOLCHAIN_IMAGE, runtime: env.MATRIX_RUNTIME_IMAGE, multiArchToolchain: bench };
  return fixtureCache;
}

/** The `--set` flags that point every template's base images at the fixtures (scripts/fixture-args.mjs, as the engine tests use them). */
function fixtureSets() {
  return fixtureSetFlags(fixtureImages());
}

/**
 * A private copy of a sample in its own git repository, committed, with its
 * generated files made by this matrix (the committed ones may lag behind a
 * template being edited).
 */
function sampleRepo(sample) {
  const dir = path.join(WORK, `${sample}-${++logCount}`);
  cpSync(path.join(ROOT, 'samples', sample), dir, { recursive: true });
  matrix(['gen', '-q'], { cwd: dir });
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'sample');
  return dir;
}

function git(cwd, ...args) {
  return run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, name: `git-${args[0]}` });
}

const matrix = (args, opts) => run(NODE, [BIN, ...args], { name: `matrix-${args[0]}`, ...opts });

// ---------------------------------------------------------------- row 1
/**
 * matrix as it was before the architecture step of issue 17 (the parent of
 * a769093): `gen` and `gen --check` ran from their own CommonJS bundle with a
 * V8 code cache and a hand-written reader of their options, every other
 * command from an ES module bundle; nothing kept a record, so every
 * `gen --check` compiled. Row 1 times its `gen --check` in the same rounds as
 * today's cold compile: the one start-up path against the fastest of the two
 * it replaced, on this machine.
 */
const REFERENCE = { commit: '9f45e7658fbf94868de917424fdd967cf5038db5', short: '9f45e76' };

/**
 * That commit from this clone's history, built with this checkout's
 * node_modules, and a copy of its samples/monorepo after its own `gen`.
 * Undefined (and row 1 says so) when the history does not hold it (a shallow clone).
 */
function referenceBuild() {
  const known = spawnSync('git', ['cat-file', '-e', `${REFERENCE.commit}^{commit}`], { cwd: ROOT });
  if (known.status !== 0) {
    log(`row 1: commit ${REFERENCE.short} is not in this clone's history (a shallow clone?): no reference`);
    return undefined;
  }
  const dir = path.join(WORK, 'reference');
  mkdirSync(dir);
  run('bash', ['-c', 'set -o pipefail; git archive "$1" | tar -x -C "$2"', 'bench', REFERENCE.commit, dir], { name: 'reference-archive' });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  log(`row 1: building matrix at ${REFERENCE.short} (before the architecture step) for the reference`);
  run(NODE, [path.join(dir, 'scripts', 'build.mjs')], { cwd: dir, name: 'reference-build' });
  const sample = path.join(WORK, 'reference-monorepo');
  cpSync(path.join(dir, 'samples', 'monorepo'), sample, { recursive: true });
  const bin = path.join(dir, 'bin', 'matrix.cjs');
  run(NODE, [bin, 'gen', '-q'], { cwd: sample, name: 'reference-gen' });
  run(NODE, [bin, 'gen', '--check'], { cwd: sample, name: 'reference-check' });
  return { bin, sample };
}

let referenceMade;

/** referenceBuild(), made once for every row that uses it. */
function reference() {
  if (referenceMade === undefined) referenceMade = referenceBuild() ?? null;
  return referenceMade ?? undefined;
}

/**
 * The start-up commands of row 1, each against `node -e 0`. `gen --check`,
 * `plan` and `validate` run twice: as a user runs them after `gen` (answered
 * from the records `gen` and `plan` keep, src/cache/) and cold (`--no-cache`:
 * the full compile, as on the first run after a clone or any change).
 */
const STARTUP = {
  check: { args: ['gen', '--check'], goal: 1.5, name: '`matrix gen --check`', label: 'gen --check' },
  plan: { args: ['plan'], goal: 1.5, name: '`matrix plan`', label: 'plan' },
  validate: { args: ['validate'], goal: 1.5, name: '`matrix validate`', label: 'validate' },
  help: { args: ['--help'], goal: 1.5, name: '`matrix --help`', label: '--help' },
};
/** The cold runs of the commands that answer from a record. */
const COLD = Object.fromEntries(['check', 'plan', 'validate'].map((k) => [`${k}Cold`, { ...STARTUP[k], args: [...STARTUP[k].args, '--no-cache'], name: `${STARTUP[k].name} \`--no-cache\` (cold)` }]));
/** The same commands in a fresh clone where no `gen` ran, after one untimed run of each (which keeps its record). */
const CLONE = Object.fromEntries(
  ['check', 'plan', 'validate'].map((k) => [`${k}Clone`, { ...STARTUP[k], name: `${STARTUP[k].name} in a fresh clone (no \`gen\` ran; after one untimed run)`, label: STARTUP[k].label }]),
);

function row1() {
  // A private copy in its own repository: the records go to its .git, never to this checkout's.
  const sample = sampleRepo('monorepo');
  // The user's state before a commit: `gen` ran (and left its record); `plan` ran once (and left its own).
  matrix(['gen', '-q'], { cwd: sample });
  matrix(['plan'], { cwd: sample });
  // A fresh clone: the generated files as committed, no record in its .git; each command ran once, untimed.
  const clone = sampleRepo('monorepo');
  for (const c of Object.values(CLONE)) matrix(c.args, { cwd: clone });
  const rounds = QUICK ? 11 : 31;
  const empty = path.join(WORK, 'empty.mjs');
  writeFileSync(empty, '');
  const phases = path.join(WORK, 'phases.cjs');
  writeFileSync(phases, phasesScript());
  // yaml as matrix resolves it: the private copy is outside this checkout.
  const yamlPath = createRequire(path.join(ROOT, 'package.json')).resolve('yaml');
  const yamlAlone = `require(${JSON.stringify(yamlPath)}).parseDocument(require('fs').readFileSync('matrix.yaml', 'utf8'))`;
  const refBuild = reference();
  log(`row 1: ${rounds} interleaved runs of node -e 0 and matrix gen --check, plan, validate (after gen, and cold), --help (samples/monorepo)`);
  const load = os.loadavg()[0];
  const all = { ...STARTUP, ...CLONE, ...COLD };
  const cpu = interleavedCpu(
    {
      base: [NODE, '-e', '0'],
      ...Object.fromEntries(Object.entries(all).map(([k, c]) => [k, [NODE, BIN, ...c.args]])),
      esm: [NODE, empty],
      yaml: [NODE, '-e', yamlAlone],
      ...(refBuild ? { refBuild: [NODE, refBuild.bin, 'gen', '--check'] } : {}),
    },
    rounds,
    sample,
    { ...Object.fromEntries(Object.keys(CLONE).map((k) => [k, clone])), ...(refBuild ? { refBuild: refBuild.sample } : {}) },
  );
  const loadEnd = os.loadavg()[0];
  const ratiosOf = (k) => cpu[k].map((c, i) => c / cpu.base[i]);
  const ratio = (k) => median(ratiosOf(k));
  const spread = (k) => `${fmt(Math.min(...ratiosOf(k)))}-${fmt(Math.max(...ratiosOf(k)))}`;
  const cache = JSON.parse(
    run(NODE, ['-e', `process.stdout.write(JSON.stringify({ used: require(${JSON.stringify(path.join(ROOT, 'bin', 'load.cjs'))}).loadBundle().cacheUsed }))`], { name: 'cache-check' }).stdout,
  );
  const phaseOf = (argv, mode) => {
    const runs = [];
    for (let i = 0; i < (QUICK ? 5 : 11); i++) runs.push(JSON.parse(run(NODE, [phases, path.join(ROOT, 'bin', 'load.cjs'), mode, ...argv], { cwd: sample, name: 'phases' }).stdout));
    return (k) => median(runs.map((p) => p[k]));
  };
  const withCache = phaseOf(COLD.checkCold.args, 'cache');
  const noCache = phaseOf(COLD.checkCold.args, 'no-cache');
  const m = (k) => median(cpu[k]);
  const warm = { ...STARTUP, ...CLONE };
  const worst = Math.max(...Object.keys(warm).map((k) => ratio(k) / warm[k].goal));
  const figures = (keys) => keys.map((k) => `${all[k].label} ${ratioText(ratio(k), all[k].goal)}x`).join(', ');
  const coldWorst = Math.max(...Object.keys(COLD).map((k) => ratio(k) / COLD[k].goal));
  const referenceFigure = refBuild ? `; before the architecture step (${REFERENCE.short}, same rounds): gen --check ${fmt(ratio('refBuild'))}x` : '';
  return {
    id: 1,
    name: 'Start-up: `gen --check`, `plan`, `validate`, `--help`',
    figure: `after gen: ${figures(Object.keys(STARTUP))}; fresh clone, after one run: ${figures(Object.keys(CLONE))}; cold (--no-cache): ${figures(Object.keys(COLD))}${referenceFigure} (node -e 0 ${fmt(m('base'), 0)} ms CPU)`,
    goal: '<= 1.5 each',
    met: worst <= 1,
    metText: worst <= 1 ? (coldWorst <= 1 ? 'yes' : 'after gen and in a fresh clone yes; cold **no**') : '**no**',
    commands: [...Object.values(all).map((c) => `cd samples/monorepo && node bin/matrix.cjs ${c.args.join(' ')}`), 'node -e 0'],
    details: [
      `In a private copy of samples/monorepo in its own git repository, after \`matrix gen\` and one \`matrix plan\`: what a user has before running these by hand or from a pre-commit hook. \`gen --check\`, \`validate\` and \`plan\` then answer from the records those runs left (src/cache/: every file, probe and environment variable the run read is checked again; nothing is compiled). The fresh-clone rows run in a second copy, where no \`gen\` ran (the generated files as committed): the first \`gen --check\`, \`validate\` and \`plan\` there compiled, untimed, and kept their records. The \`--no-cache\` runs are the cold compile, as on the first run after a clone or after any change to what the spec reads. CPU time (user+sys from the child's resource usage), median of ${rounds} interleaved runs; each ratio is the median of the per-round ratios, with their spread. Load average when the runs started: ${fmt(load)}, when they ended: ${fmt(loadEnd)}. Other work on the machine inflates both sides, not in proportion: on a busy machine compare the ratio of the fastest runs.`,
      '',
      '| command | CPU ms (median) | x `node -e 0` (median) | spread of the ratios | ratio of the fastest runs |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| \`node -e 0\` | ${fmt(m('base'), 1)} | 1.00 | | |`,
      `| \`node empty.mjs\` (an empty ES module entry, for comparison: bin/matrix.cjs is CommonJS) | ${fmt(m('esm'), 1)} | ${fmt(ratio('esm'))} | ${spread('esm')} | ${fmt(Math.min(...cpu.esm) / Math.min(...cpu.base))} |`,
      `| \`node -e "require('yaml').parseDocument(spec)"\` (yaml alone) | ${fmt(m('yaml'), 1)} | ${fmt(ratio('yaml'))} | ${spread('yaml')} | ${fmt(Math.min(...cpu.yaml) / Math.min(...cpu.base))} |`,
      ...Object.entries(all).map(([k, c]) => `| ${c.name} | ${fmt(m(k), 1)} | ${fmt(ratio(k))} | ${spread(k)} | ${fmt(Math.min(...cpu[k]) / Math.min(...cpu.base))} |`),
      ...(refBuild
        ? [
            `| \`matrix gen --check\` before the architecture step (${REFERENCE.short}, in its own copy of the sample; no records, so it compiles) | ${fmt(m('refBuild'), 1)} | ${fmt(ratio('refBuild'))} | ${spread('refBuild')} | ${fmt(Math.min(...cpu.refBuild) / Math.min(...cpu.base))} |`,
          ]
        : []),
      '',
      refBuild
        ? `The last row is matrix at ${REFERENCE.short}, the parent of the architecture step (issue 17), built by this run from git history with this checkout's node_modules: \`gen\` and \`gen --check\` then had a start-up path of their own (a CommonJS bundle with a V8 code cache and a hand-written option reader) beside an ES module bundle for every other command, and kept no records. It is what one start-up path for every command is held to: today's cold rows against it, in the same rounds.`
        : `No reference row: commit ${REFERENCE.short} (before the architecture step) is not in this clone's history.`,
      '',
      `V8 code cache for dist/matrix.cjs accepted: ${cache.used ? 'yes' : 'NO (compiled from source)'}.`,
      '',
      'How: every command starts the same way. bin/matrix.cjs (a CommonJS entry: Node starts one sooner than an ES module) loads dist/matrix.cjs through bin/load.cjs: a small CommonJS core (the command table, its reader of plain invocations, the error boundary) that requires the chunks a command runs on first use (each command, yargs for help and usage errors, the modules they share), each compiled with the V8 code cache that `npm run build` made by running `gen --check`, `plan`, `validate`, `--help` and `bake --dry-run` on the samples; the chunks of each tier of start-up (`--help`, an answer from a record, a compile, and `bake` answering from its record) come from one pack file with one cache (dist/packs.json). The JSON Schema validator is ajv standalone code and the built-in templates are Handlebars template specs, both compiled at build time (src/precompiled/precompile.ts) and used when the file on disk is the one they were compiled from; node:crypto, node:child_process, node:v8, node:http and node:https load on first use, and so does the YAML parser (src/lazy.ts: a spec in plain YAML never needs it); whether stdout is a terminal is read from its descriptor, so no stdout stream is made; yargs reaches string-width only for text that is not printable ASCII.',
      '',
      'Where the CPU time of a cold `gen --check --no-cache` goes after Node has started (in-process `process.cpuUsage()`, median ms):',
      '',
      '| phase | with the code cache | without |',
      '| --- | ---: | ---: |',
      ...['load', 'run'].map((k) => `| ${PHASE_NAMES[k]} | ${fmt(withCache(k), 1)} | ${fmt(noCache(k), 1)} |`),
    ],
  };
}

const PHASE_NAMES = {
  load: 'load the core dist/matrix.cjs: read it and its cache, compile (deserialize the cache), evaluate',
  run: 'run `gen --check` (argv, the chunks it requires, yaml, validate, resolve, render, compare)',
};

function phasesScript() {
  return `// Phases of start-up, timed in-process (scripts/bench.mjs).
const [load, mode, ...argv] = process.argv.slice(2);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t = {}; let last = cpu();
const mark = (k) => { const now = cpu(); t[k] = now - last; last = now; };
const { loadBundle } = require(load);
const bundle = loadBundle(undefined, { cache: mode !== 'no-cache' });
mark('load');
const quiet = { write: () => true };
bundle.exports.main(argv, { stdout: quiet, stderr: quiet, cwd: process.cwd(), env: {}, isTTY: false }).then(() => {
  mark('run');
  process.stdout.write(JSON.stringify(t));
});
`;
}

// ---------------------------------------------------------------- row 2
function row2(env) {
  const sizes = [1000, 10000];
  // Each round times a fresh `gen` (at 1,000 services then `bake --print` on its
  // output, so both sides of the ratio share the machine's load). Odd: see below.
  // Creating 10,000 files here takes from 5 to 8 s from one run to the next (the
  // disk, after the removals of the run before): with 5 rounds, the comparison
  // with the reference read 0.97x to 1.24x on the same tree. 9 rounds, and each
  // round's pair (run back to back) is reported as well as the medians.
  const rounds = QUICK ? 1 : 9;
  const prints = [];
  const res = {};
  // Matrix before the architecture step, in the same rounds and the same directory as this tree's runs:
  // files written to another copy land elsewhere on the disk, and that alone changed the time of 10,000
  // creates by more than the two builds differed. The order alternates (each run pays for the writes and
  // removals of the one before it), and a round count is odd so the last round ends with this tree: its
  // output and record are what the directory holds afterwards (row 2c and the up-to-date runs below).
  const refBuild = reference();
  /** The reference's fresh `gen` runs, by spec size: wall ms and peak RSS. */
  const refRuns = new Map(sizes.map((n) => [n, []]));
  const fresh = new Map(sizes.map((n) => [n, []]));
  // Each timed run starts with the disk's queue empty: the last run's writes and removals are flushed first
  // (\`sync\`), so no run pays for the one before it, and the 10,000-service runs do not pay for the reference's.
  const settle = (dir) => {
    clearGenerated(dir);
    run('sync', [], { cwd: dir, allowFail: true });
  };
  const genRef = (n, dir) => {
    settle(dir);
    refRuns.get(n).push(timedNode([refBuild.bin, 'gen', '-q'], dir, `reference-gen-${n}`));
  };
  const genHere = (n, dir) => {
    settle(dir);
    fresh.get(n).push(timedNode([BIN, 'gen', '-q'], dir, `gen-${n}`));
    if (n === 1000 && env.engine) prints.push(run('docker', ['buildx', 'bake', '-f', 'docker-bake.hcl', '--print'], { cwd: dir, name: 'bake-print' }).ms);
  };
  for (const n of sizes) {
    const dir = path.join(WORK, `scale-${n}`);
    log(`row 2: ${n} services (scripts/gen-scale-spec.mjs ${n})`);
    writeScaleRepo(n, dir);
    for (let i = 0; i < rounds; i++) {
      if (refBuild && i % 2 === 1) {
        genHere(n, dir);
        genRef(n, dir);
      } else {
        if (refBuild) genRef(n, dir);
        genHere(n, dir);
      }
    }
    const again = timedNode([BIN, 'gen', '-q'], dir, `gen-again-${n}`);
    const check = timedNode([BIN, 'gen', '--check'], dir, `check-${n}`);
    staleGenerated(dir);
    run('sync', [], { cwd: dir, allowFail: true });
    const update = timedNode([BIN, 'gen', '-q'], dir, `gen-update-${n}`);
    res[n] = {
      dir,
      genMs: median(fresh.get(n).map((r) => r.wallMs)),
      genRss: median(fresh.get(n).map((r) => r.maxRssMB ?? NaN)),
      againMs: again.wallMs,
      checkMs: check.wallMs,
      checkRss: check.maxRssMB,
      updateMs: update.wallMs,
      updateRss: update.maxRssMB,
      bakeBytes: readFileSync(path.join(dir, 'docker-bake.hcl')).length,
    };
  }
  /** The reference's fresh `gen` of `n` services against this tree's, from the same rounds. */
  const referenceText = (n) => {
    const ref = refRuns.get(n);
    const ms = median(ref.map((r) => r.wallMs));
    const rss = median(ref.map((r) => r.maxRssMB ?? Number.NaN));
    // Each round's pair ran back to back: their ratio is free of the disk's drift from round to round.
    const pairs = ref.map((r, i) => fresh.get(n)[i].wallMs / r.wallMs);
    const faster = pairs.filter((x) => x < 1).length;
    return `Before the architecture step (${REFERENCE.short}, built as for row 1), in the same rounds and the same directory (the order alternating from round to round): a fresh \`matrix gen\` of the ${n.toLocaleString('en')} services took ${s(ms)} (median of ${ref.length}${Number.isNaN(rss) ? '' : `, peak RSS ${fmt(rss, 0)} MB`}), so this tree takes ${fmt(res[n].genMs / ms)}x its time${n === 1000 ? "; it kept no record, which this tree's `gen` writes for row 2c" : ''}. The ratio of each round's pair: median ${fmt(median(pairs))}, spread ${fmt(Math.min(...pairs))}-${fmt(Math.max(...pairs))}; this tree was the faster in ${faster} of ${pairs.length} rounds.`;
  };
  const checkCpu = scaleCheckCpu(res[1000].dir);
  const printMs = prints.length ? median(prints) : undefined;
  const vsPrint = printMs ? res[1000].genMs / printMs : undefined;
  const linear = res[10000].genMs / res[1000].genMs;
  const s = (ms) => `${fmt(ms / 1000)} s`;
  return [
    {
      id: '2a',
      name: 'Scale: 1,000 services vs `bake --print`',
      figure: vsPrint !== undefined ? `${ratioText(vsPrint, 0.25)}x (${s(res[1000].genMs)} / ${s(printMs)})` : `n/a (no engine; gen ${s(res[1000].genMs)})`,
      goal: '<= 0.25',
      met: vsPrint === undefined ? null : vsPrint <= 0.25,
      commands: ['node scripts/gen-scale-spec.mjs 1000 DIR && cd DIR && matrix gen', 'docker buildx bake -f docker-bake.hcl --print'],
      details: refRuns.get(1000).length ? [referenceText(1000)] : [],
    },
    {
      id: '2b',
      name: 'Scale: 10,000 / 1,000 services',
      figure: `${ratioText(linear, 10)}x (${s(res[10000].genMs)} / ${s(res[1000].genMs)})`,
      goal: '<= 10',
      met: linear <= 10,
      commands: ['node scripts/gen-scale-spec.mjs 10000 DIR && cd DIR && matrix gen'],
      details: [
        `Each spec: N services x 3 platforms x 2 matrix cells (2N targets, 6N images), one context directory each, template \`go\`. \`matrix gen\` in a fresh copy writes N Dockerfiles and the bake file (each written to a temporary file and renamed over its target), and at 1,000 services leaves the record that lets the next up-to-date \`gen\` and \`gen --check\` skip the compile (row 2c), made from what its compile read and what it wrote, without a second compile (src/cli/gen-run.ts recordAfterWrite); wall time, median of ${rounds}, each run after \`sync\` (the writes of the run before it on the disk). The up-to-date \`matrix gen\` and \`gen --check\` columns answer from that record at 1,000 services; a spec of 512 KiB or more keeps none (src/cache/large.ts), so at 10,000 they compile and compare.`,
        '',
        '| services | bake file | `matrix gen` (writes all) | peak RSS | `matrix gen` (up to date) | `gen --check` | peak RSS | `matrix gen` (every file stale) | peak RSS |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...sizes.map(
          (n) =>
            `| ${n.toLocaleString('en')} | ${fmt(res[n].bakeBytes / 1e6, 1)} MB | ${s(res[n].genMs)} | ${fmt(res[n].genRss, 0)} MB | ${s(res[n].againMs)} | ${s(res[n].checkMs)} | ${fmt(res[n].checkRss, 0)} MB | ${s(res[n].updateMs)} | ${fmt(res[n].updateRss, 0)} MB |`,
        ),
        '',
        'The last two columns: every generated Dockerfile made one line longer first (as after a template changed), so `gen` reads each old file, writes each again and compares once more under its lock.',
        '',
        printMs
          ? `\`docker buildx bake -f docker-bake.hcl --print\` on the 1,000-service output (2,000 targets): ${s(printMs)}, median of ${prints.length}, each run right after one of the fresh \`matrix gen\` runs.`
          : 'No engine: `bake --print` not measured.',
        ...(refRuns.get(10000).length ? ['', referenceText(10000)] : []),
      ],
    },
    checkCpu,
  ];
}

/**
 * Row 2c: CPU of `gen --check` on the 1,000-service spec, up to date, against
 * `node -e 0` in interleaved runs. The `gen` runs before left the record of
 * their up-to-date answer (src/cache/), so the measured run answers from it;
 * the same rounds also run it cold (`--no-cache`: no record, the full compile),
 * so the report gives both, and bin/matrix-hook, the shipped hooks' entry.
 */
function scaleCheckCpu(dir) {
  // The measured pair is cheap (a quarter of a second): 21 rounds, as many as its spread needs (9 left
  // the median at the mercy of two or three noisy rounds); the cold run, five times its cost, in the first 9.
  const rounds = QUICK ? 3 : 21;
  const coldRounds = QUICK ? 3 : 9;
  log(`row 2: ${rounds} interleaved runs of node -e 0, matrix gen --check and bin/matrix-hook gen --check, and in ${coldRounds} of them gen --check --no-cache (1,000 services, up to date)`);
  // The hook must answer from its manifest here (else it runs Node, and this measures that): its words, once.
  const said = spawnSync(HOOK, ['gen', '--check'], { cwd: dir, encoding: 'utf8' });
  if (said.status !== 0 || said.stdout !== 'Up to date: 1001 files.\n') throw new Error(`bin/matrix-hook gen --check in ${dir}: exit ${said.status}, ${said.stdout}${said.stderr}`);
  const load = os.loadavg()[0];
  const cpu = { base: [], check: [], cold: [], hook: [] };
  const cmds = { base: [NODE, '-e', '0'], check: [NODE, BIN, 'gen', '--check'], cold: [NODE, BIN, 'gen', '--check', '--no-cache'], hook: [HOOK, 'gen', '--check'] };
  const orders = [
    ['base', 'check', 'cold', 'hook'],
    ['check', 'hook', 'cold', 'base'],
    ['cold', 'base', 'hook', 'check'],
    ['hook', 'cold', 'check', 'base'],
  ];
  for (let i = 0; i < rounds; i++) {
    for (const k of orders[i % orders.length]) {
      if (k === 'cold' && i >= coldRounds) continue;
      // The shell's `times` (milliseconds), as row 1: GNU time prints user and system time each cut to
      // hundredths of a second, which took up to 20 ms (a third) off `node -e 0`'s ~60 ms.
      cpu[k].push(cpuOf(cmds[k][0], cmds[k].slice(1), dir));
    }
  }
  const loadEnd = os.loadavg()[0];
  const ratios = cpu.check.map((c, i) => c / cpu.base[i]);
  const coldRatios = cpu.cold.map((c, i) => c / cpu.base[i]);
  const hookRatios = cpu.hook.map((c, i) => c / cpu.base[i]);
  const ratio = median(ratios);
  const coldRatio = median(coldRatios);
  return {
    id: '2c',
    name: 'Scale: `gen --check` CPU, 1,000 services, up to date / `node -e 0`',
    figure: `${ratioText(ratio, 4)}x (${fmt(median(cpu.check), 0)} ms / ${fmt(median(cpu.base), 0)} ms CPU)`,
    goal: '<= 4',
    met: ratio <= 4,
    commands: ['node scripts/gen-scale-spec.mjs 1000 DIR && cd DIR && matrix gen && matrix gen --check', 'node -e 0'],
    details: [
      `CPU (user + system) of each run, ${rounds} interleaved rounds; ratio median ${fmt(ratio)}, spread ${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))}; load average ${fmt(load, 2)} at the start, ${fmt(loadEnd, 2)} at the end.`,
      `The measured run answers from the record the last \`matrix gen\` left (every file, probe and variable it read is checked again; nothing is compiled). Cold, without a record (\`gen --check --no-cache\`, the full compile and comparison), in the first ${coldRounds} of the rounds: ${fmt(coldRatio)}x (${fmt(median(cpu.cold), 0)} ms CPU), spread ${fmt(Math.min(...coldRatios))}-${fmt(Math.max(...coldRatios))}.`,
      `What the shipped pre-commit hooks run, \`bin/matrix-hook gen --check\` (sh, awk, sha256sum and stat checking the manifest beside the record; no Node), in the same rounds: ${fmt(median(hookRatios))}x (${fmt(median(cpu.hook), 0)} ms CPU), spread ${fmt(Math.min(...hookRatios))}-${fmt(Math.max(...hookRatios))}.`,
    ],
  };
}

function clearGenerated(dir) {
  rmSync(path.join(dir, 'docker-bake.hcl'), { force: true });
  const services = path.join(dir, 'services');
  for (const s of readdirSync(services)) rmSync(path.join(services, s, 'Dockerfile'), { force: true });
}

/** Every generated Dockerfile one line longer: all of them stale, as after a template changed. */
function staleGenerated(dir) {
  const services = path.join(dir, 'services');
  for (const s of readdirSync(services)) appendFileSync(path.join(services, s, 'Dockerfile'), '\n');
}

// ---------------------------------------------------------------- row 3
/** The same Dockerfile with the builder stage on the target platform (so under QEMU for a foreign one). */
function emulatedVariant(dockerfile) {
  const text = readFileSync(dockerfile, 'utf8');
  const out = text.replace(/^FROM --platform=\$BUILDPLATFORM /gm, 'FROM ');
  if (out === text) throw new Error(`${dockerfile} has no FROM --platform=$BUILDPLATFORM line`);
  const file = path.join(path.dirname(dockerfile), 'Dockerfile.emulated');
  writeFileSync(file, out);
  return path.basename(file);
}

/**
 * Pull base images into the builder for both platforms first (a FROM and a
 * no-op RUN), so neither timed build pays for a pull.
 */
function pullImages(images) {
  const dir = path.join(WORK, `pull-${++logCount}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), 'ARG IMAGE\nFROM ${IMAGE}\nRUN true\n');
  for (const image of images) {
    run('docker', ['buildx', 'build', '--progress', 'plain', '--platform', 'linux/amd64,linux/arm64', '--build-arg', `IMAGE=${image}`, dir], { name: 'pull' });
  }
}

/**
 * Rounds of row 3: each a --no-cache cross build and a --no-cache emulated
 * one, in alternating order. BuildKit gives a --no-cache build fresh cache
 * mounts (a second cross build of samples/hello-go took as long as the first,
 * 2026-12-05), so every round compiles everything again; one pair alone said
 * little here, where the same cross build took 12 s on some days and 23 s on
 * others.
 */
const ROW3_ROUNDS = Number(process.env.MATRIX_BENCH_ROW3_ROUNDS) || 3;

function buildPair({ label, dir, target, sets, dockerfile, images }) {
  const emulated = emulatedVariant(path.join(dir, dockerfile));
  const base = ['buildx', 'bake', '-f', 'docker-bake.hcl', '--progress', 'plain', ...sets];
  // bake resolves `dockerfile` against the target's context.
  const ctx = readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8').match(new RegExp(`target "${target}" \\{[^}]*?context\\s*=\\s*"([^"]*)"`))?.[1] ?? '.';
  const variants = {
    cross: [...base, '--', target],
    emulated: [...base, '--set', `${target}.dockerfile=${path.posix.relative(ctx, path.posix.join(path.posix.dirname(dockerfile), emulated))}`, '--', target],
  };
  log(`row 3 (${label}): base images into the builder, then --no-cache builds`);
  pullImages(images);
  const t = { cross: [], emulated: [] };
  for (let round = 0; round < ROW3_ROUNDS; round++) {
    const order = round % 2 === 0 ? ['cross', 'emulated'] : ['emulated', 'cross'];
    for (const v of order) {
      log(`row 3 (${label}): round ${round + 1} of ${ROW3_ROUNDS}, ${v}, no cache`);
      t[v].push(run('docker', [...variants[v].slice(0, 2), '--no-cache', ...variants[v].slice(2)], { cwd: dir, name: `${label}-${v}` }).ms);
    }
  }
  return { ...t, commands: Object.values(variants).map((a) => `docker ${[...a.slice(0, 2), '--no-cache', ...a.slice(2)].join(' ')}`) };
}

function row3(env) {
  /** A row 3 figure: the cross-compiled build's time over the emulated one's. */
  const multiArchRow = (id, name, r, details) => {
    // Each round's pair, then the median of those ratios: the figure. Beside it the medians of each side.
    const ratios = r.cross.map((c, i) => c / r.emulated[i]);
    const ratio = median(ratios);
    const secs = (list) => list.map((ms) => fmt(ms / 1000, 1)).join(', ');
    const rounds = `${r.cross.length} rounds, the order alternating (cross first in the first); cross ${secs(r.cross)} s, emulated ${secs(r.emulated)} s; the ratio of each round's pair: median ${fmt(ratio)}, spread ${fmt(Math.min(...ratios))}-${fmt(Math.max(...ratios))}; the ratio of the medians ${fmt(median(r.cross) / median(r.emulated))}.`;
    return {
      id,
      name,
      figure: `${ratioText(ratio, 0.2)}x (${fmt(median(r.cross) / 1000, 1)} s / ${fmt(median(r.emulated) / 1000, 1)} s)`,
      goal: '<= 0.2',
      met: ratio <= 0.2,
      commands: r.commands,
      details: [details, rounds],
    };
  };
  const skip = (name) => ({ id: '3', name, figure: 'n/a: no Docker engine', goal: '<= 0.2', met: null, commands: [], details: [] });
  if (!env.engine) return [skip('Multi-arch: go'), skip('Multi-arch: rust')];
  const fx = fixtureImages();
  const out = [];
  {
    const dir = sampleRepo('hello-go');
    matrix(['gen', '-q'], { cwd: dir });
    const sets = ['--set', `hello.args.GO_IMAGE=${fx.multiArchToolchain}`, '--set', 'hello.platform=linux/amd64,linux/arm64'];
    const r = buildPair({ label: 'go', dir, target: 'hello', sets, dockerfile: 'Dockerfile', images: [fx.multiArchToolchain] });
    out.push(
      multiArchRow(
        '3a',
        'Multi-arch: go (samples/hello-go)',
        r,
        `linux/amd64 + linux/arm64, --no-cache. GO_IMAGE=${fx.multiArchToolchain} (linux/amd64: the fixture toolchain; linux/arm64: Debian trixie golang-go, scripts/bench-fixtures.sh). Cross: the generated Dockerfile (builder on $BUILDPLATFORM, GOOS/GOARCH). Emulated: the same Dockerfile with \`FROM --platform=$BUILDPLATFORM\` made a plain FROM, so the arm64 builder runs under QEMU.`,
      ),
    );
  }
  {
    const dir = sampleRepo('monorepo');
    const sets = ['--set', `hasher.args.RUST_IMAGE=${fx.multiArchToolchain}`, '--set', `hasher.args.RUST_RUNTIME_IMAGE=${fx.runtime}`, '--set', 'hasher.platform=linux/amd64,linux/arm64'];
    const r = buildPair({ label: 'rust', dir, target: 'hasher', sets, dockerfile: 'services/hasher/Dockerfile', images: [fx.multiArchToolchain, fx.runtime] });
    out.push(
      multiArchRow(
        '3b',
        'Multi-arch: rust (samples/monorepo hasher)',
        r,
        `linux/amd64 + linux/arm64, --no-cache. RUST_IMAGE=${fx.multiArchToolchain} (linux/amd64: the fixture toolchain with gcc-aarch64-linux-gnu and libstd-rust-dev:arm64; linux/arm64: Debian trixie rustc, cargo, gcc). Cross: cargo --target on $BUILDPLATFORM with the cross linker. Emulated: builder stage on the target platform.`,
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------- row 4
/** Issue 18: a no-change `matrix bake` within 3% of raw `docker buildx bake` of the same file. */
const ROW4_GOAL = 1.03;

function row4(env) {
  if (!env.engine) return { id: 4, name: 'Overhead of `matrix bake`', figure: 'n/a: no Docker engine', goal: `<= ${ROW4_GOAL}`, met: null, commands: [], details: [] };
  const dir = sampleRepo('monorepo');
  const sets = fixtureSets();
  log('row 4: warm-up (everything cached afterwards)');
  matrix(['bake', ...sets], { cwd: dir });
  const dry = matrix(['bake', '--dry-run', ...sets], { cwd: dir }).stdout.trim();
  // The same cached build takes 3.2-5.0 s from one run to the next here, and a
  // round's pair differs by up to a quarter either way: 7 rounds left the
  // median a few hundredths off, as wide as the goal's margin (1.02x in one run,
  // 1.10x and 1.12x in the next two on the same tree). 15 rounds, and each
  // round's order alternates, so neither side always runs just after the other.
  const rounds = QUICK ? 3 : 15;
  const wrapped = [];
  const raw = [];
  const floor = [];
  let discarded = 0;
  const settledFrom = settled.length;
  const wrappedRun = () => {
    settle();
    return matrix(['bake', ...sets], { cwd: dir });
  };
  const rawRun = () => {
    settle();
    return run('bash', ['-c', dry], { cwd: dir, name: 'raw-bake' });
  };
  // The floor under any wrapper written for Node: a script that only starts
  // the raw command and relays its output (as matrix relays bake's), in the
  // same rounds. What it adds is Node's own start and one spawn; the goal
  // leaves matrix what is left of 3% after it.
  const relay = path.join(WORK, 'relay.cjs');
  writeFileSync(
    relay,
    "const c = require('node:child_process').spawn('bash', ['-c', process.argv[2]], { stdio: ['inherit', 'pipe', 'pipe'] });\nc.stdout.pipe(process.stdout);\nc.stderr.pipe(process.stderr);\nc.on('close', (code) => { process.exitCode = code ?? 1; });\n",
  );
  const floorRun = () => {
    settle();
    return run(NODE, [relay, dry], { cwd: dir, name: 'relay-bake' });
  };
  // Where this environment sets NODE_EXTRA_CA_CERTS (which every Node start pays for here:
  // nodeStartCost), the same script without it too: the floor on a machine without it.
  const bareFloor = process.env.NODE_EXTRA_CA_CERTS ? [] : undefined;
  const bareFloorRun = () => {
    settle();
    return run(NODE, [relay, dry], { cwd: dir, env: withoutExtraCa(), name: 'relay-bake-no-extra-ca' });
  };
  // And matrix itself without it, in the same rounds: matrix on a machine whose
  // Node start does not build a certificate store (matrix bake makes no TLS
  // connection of its own; docker does not read the variable).
  const bareWrapped = bareFloor ? [] : undefined;
  const bareWrappedRun = () => {
    settle();
    return matrix(['bake', ...sets], { cwd: dir, env: withoutExtraCa(), name: 'matrix-bake-no-extra-ca' });
  };
  for (let i = 0; wrapped.length < rounds && i < rounds * 3; i++) {
    log(`row 4: round ${wrapped.length + 1}/${rounds}`);
    let a;
    let b;
    let f;
    let g;
    let h;
    if (wrapped.length % 2 === 0) {
      a = wrappedRun();
      b = rawRun();
      f = floorRun();
      if (bareFloor) g = bareFloorRun();
      if (bareWrapped) h = bareWrappedRun();
    } else {
      if (bareWrapped) h = bareWrappedRun();
      if (bareFloor) g = bareFloorRun();
      f = floorRun();
      b = rawRun();
      a = wrappedRun();
    }
    // Everything must come from the cache; a step that ran means the cache was
    // evicted or pruned meanwhile (another build on the machine), and the round says nothing.
    if (executedSteps(a.stderr) + executedSteps(b.stderr) + executedSteps(f.stderr) + (g ? executedSteps(g.stderr) : 0) + (h ? executedSteps(h.stderr) : 0) > 0) {
      discarded++;
      continue;
    }
    wrapped.push(a.ms);
    raw.push(b.ms);
    floor.push(f.ms);
    if (g) bareFloor.push(g.ms);
    if (h) bareWrapped.push(h.ms);
  }
  if (wrapped.length < rounds) throw new Error(`the build cache did not stay intact: ${discarded} rounds ran build steps (is something pruning the builder cache?)`);
  const cli = cliStartCost(dir);
  const parts = cli ? bakeParts(dir, sets, dry, cli.plugin) : undefined;
  const ratio = median(wrapped) / median(raw);
  const perRound = wrapped.map((w, i) => w / raw[i]);
  const floorRatio = median(floor) / median(raw);
  const floorRounds = floor.map((f, i) => f / raw[i]);
  const overFloor = wrapped.map((w, i) => w - floor[i]);
  const floorText = `In the same rounds, a Node script that only starts the raw command and relays its output, as matrix relays bake's (\`node relay.cjs COMMAND\`: \`spawn('bash', ['-c', COMMAND])\`, its stdout and stderr piped through): ${fmt(median(floor) / 1000)} s, ${fmt(floorRatio)}x raw (the ratio of each round's pair: median ${fmt(median(floorRounds))}, spread ${fmt(Math.min(...floorRounds))}-${fmt(Math.max(...floorRounds))}). That is the floor of any wrapper written for Node (Node's start and one spawn): its median is ${fmt(median(floor) - median(raw), 0)} ms above raw's, where the goal allows ${fmt(median(raw) * (ROW4_GOAL - 1), 0)} ms; \`matrix bake\` takes ${fmt(median(overFloor), 0)} ms more than the script (median of the rounds' differences, spread ${fmt(Math.min(...overFloor), 0)} to ${fmt(Math.max(...overFloor), 0)} ms).`;
  const bareRounds = bareWrapped?.map((x, i) => x / raw[i]) ?? [];
  const bareFloorText = bareFloor
    ? ` This environment sets NODE_EXTRA_CA_CERTS, which every Node start pays for here (see Node's start above): the same script without it, in the same rounds, ${fmt(median(bareFloor) / 1000)} s, ${fmt(median(bareFloor) / median(raw))}x raw (the ratio of each round's pair: median ${fmt(median(bareFloor.map((x, i) => x / raw[i])))}); \`matrix bake\` without it, in the same rounds, ${fmt(median(bareWrapped) / 1000)} s, ${fmt(median(bareWrapped) / median(raw))}x raw (the ratio of each round's pair: median ${fmt(median(bareRounds))}, spread ${fmt(Math.min(...bareRounds))}-${fmt(Math.max(...bareRounds))}). The figure above is the run with it, as this machine starts every Node process.`
    : '';
  const cliText = cli
    ? ` What the docker CLI adds before buildx starts on the raw command (its own start, and a run of the plugin with \`docker-cli-plugin-metadata\` to check it), which matrix skips: \`docker buildx bake -f docker-bake.hcl --print\` ${fmt(cli.through, 0)} ms, the plugin the CLI names (\`docker info\`: ${cli.plugin}) run as the CLI runs it, with the same arguments and DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND, ${fmt(cli.direct, 0)} ms (wall, medians of ${cli.rounds} interleaved runs after the rounds above).`
    : '';
  const partsText = parts ? ` ${parts}` : '';
  return {
    id: 4,
    name: 'Overhead of `matrix bake`',
    figure: `${ratioText(ratio, ROW4_GOAL)}x (${fmt(median(wrapped) / 1000)} s / ${fmt(median(raw) / 1000)} s); a Node script that only runs and relays the raw command ${fmt(floorRatio)}x${bareWrapped ? `; both without this environment's NODE_EXTRA_CA_CERTS: matrix ${fmt(median(bareWrapped) / median(raw))}x, the script ${fmt(median(bareFloor) / median(raw))}x` : ''}`,
    goal: `<= ${ROW4_GOAL}`,
    met: ratio <= ROW4_GOAL,
    commands: [
      'matrix bake --set ... (samples/monorepo, every target and platform, all cached)',
      'the docker command that matrix bake --dry-run prints (same file, targets, --set and environment)',
      'node relay.cjs "that command" (the floor of a Node wrapper: start it, relay its output)',
    ],
    details: [
      `samples/monorepo in a git repository, fixture base images (test/engine/engine.ts fixtureSets()), after one warm-up build; wall time, median of ${rounds} rounds of one run each, \`matrix bake\` first in every other round, in which every build step came from the cache${discarded ? ` (${discarded} rounds discarded: a step ran, the cache had been evicted)` : ''}. The ratio of the medians; the ratio of each round's pair: median ${fmt(median(perRound))}, spread ${fmt(Math.min(...perRound))}-${fmt(Math.max(...perRound))} (the same cached build takes from ${fmt(Math.min(...raw) / 1000)} s to ${fmt(Math.max(...raw) / 1000)} s raw here, so one round's pair says little alone). \`matrix bake\` also checks that the committed files are current (after the warm-up, from its record of that build's compile when every read it made answers the same, src/cache/bake.ts: no compile), reads git for SOURCE_DATE_EPOCH and labels (HEAD's commit, branch and tags from one \`git log\` and the remote from \`git remote get-url\`, in one shell started before the rest of bake loads, src/cli/bake-entry.ts, src/bake/gitenv.ts readGitInfo and src/adapters/git.ts gitBatch; each target's last commit in a few shells, gitEach), runs the buildx plugin itself, as the docker CLI would run it for the raw command (src/adapters/buildx-plugin.ts: no CLI start and no metadata run of the plugin before the build), holds bake's output until bake's first line of progress names the builder it reached (that line stands for the doctor's checks, so no \`buildx inspect\` runs beside the build; src/cli/bake.ts buildBesideChecks), and prints a summary.${settleText(settledFrom)}`,
      floorText + bareFloorText + cliText + partsText,
      '',
      'Raw command:',
      '',
      '```',
      dry,
      '```',
    ],
  };
}

/**
 * The docker CLI's share of a raw `docker buildx ...`: the same bake --print
 * through the CLI and through the plugin the CLI names, run as the CLI runs it
 * (src/adapters/buildx-plugin.ts). undefined when `docker info` names no buildx plugin.
 */
function cliStartCost(dir) {
  const info = run('docker', ['info', '--format', '{{json .ClientInfo.Plugins}}'], { cwd: dir, name: 'docker-info-plugins', allowFail: true });
  let plugin;
  try {
    plugin = JSON.parse(info.stdout).find((p) => p.Name === 'buildx')?.Path;
  } catch {
    plugin = undefined;
  }
  if (!plugin) return undefined;
  const args = ['buildx', 'bake', '-f', 'docker-bake.hcl', '--print'];
  const rounds = QUICK ? 3 : 15;
  const through = [];
  const direct = [];
  for (let i = 0; i < rounds; i++) {
    const pair = [
      () => through.push(run('docker', args, { cwd: dir, name: 'cli-bake-print' }).ms),
      () => direct.push(run(plugin, args, { cwd: dir, env: { ...process.env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker' }, name: 'plugin-bake-print' }).ms),
    ];
    if (i % 2) pair.reverse();
    for (const f of pair) f();
  }
  return { plugin, rounds, through: median(through), direct: median(direct) };
}

/**
 * Where each side's time goes, in rounds of their own: the build itself (the
 * plugin's run, the same work on both sides) and what comes before it and
 * after it (matrix's own start, checks and summary; the docker CLI's start and
 * its check of the plugin). A config directory of the bench's own (a copy of
 * the user's, so the same builder and context) holds a plugin that times the
 * real one; both sides find it there, as docker and matrix find plugins. The
 * build's own time varies by a second from run to run here, and the rest by
 * milliseconds: this says what matrix adds, which the wall-time ratio of a
 * few rounds cannot resolve. undefined when the timing plugin did not run.
 */
function bakeParts(dir, sets, dry, plugin) {
  const config = path.join(WORK, 'docker-config');
  const user = process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  if (existsSync(path.join(user, 'config.json'))) {
    mkdirSync(config, { recursive: true });
    cpSync(path.join(user, 'config.json'), path.join(config, 'config.json'));
  }
  // The builders and the current one; not `refs`, buildx's record of each build's local contexts (thousands of files here), which no build reads.
  const refs = path.join(user, 'buildx', 'refs');
  if (existsSync(path.join(user, 'buildx'))) cpSync(path.join(user, 'buildx'), path.join(config, 'buildx'), { recursive: true, filter: (src) => src !== refs });
  mkdirSync(path.join(config, 'cli-plugins'), { recursive: true });
  const times = path.join(WORK, 'plugin-times.log');
  const q = (x) => `'${x.replaceAll("'", "'\\''")}'`;
  writeFileSync(
    path.join(config, 'cli-plugins', 'docker-buildx'),
    `#!/bin/sh\nif [ "$1" = buildx ]; then\n  s=$(date +%s%N)\n  ${q(plugin)} "$@"\n  rc=$?\n  echo "$s $(date +%s%N)" >> ${q(times)}\n  exit $rc\nfi\nexec ${q(plugin)} "$@"\n`,
    { mode: 0o755 },
  );
  const env = { ...process.env, DOCKER_CONFIG: config };
  // The plugin's `date` and this are the same clock (the system's real time).
  const now = () => Date.now();
  const timed = (f) => {
    writeFileSync(times, '');
    settle();
    const t0 = now();
    f();
    const t1 = now();
    const last = readFileSync(times, 'utf8')
      .trim()
      .split('\n')
      .at(-1)
      ?.split(' ')
      .map((n) => Number(n) / 1e6);
    if (last?.length !== 2 || !last.every(Number.isFinite)) return undefined;
    return { before: last[0] - t0, build: last[1] - last[0], after: t1 - last[1] };
  };
  const mine = [];
  const raws = [];
  const rounds = QUICK ? 2 : 9;
  for (let i = 0; i < rounds; i++) {
    const pair = [
      () => mine.push(timed(() => matrix(['bake', ...sets], { cwd: dir, env, name: 'matrix-bake-timed' }))),
      () => raws.push(timed(() => run('bash', ['-c', dry], { cwd: dir, env, name: 'raw-bake-timed' }))),
    ];
    if (i % 2) pair.reverse();
    for (const f of pair) f();
  }
  if (mine.some((x) => !x) || raws.some((x) => !x)) return undefined;
  const med = (list, k) => median(list.map((x) => x[k]));
  const around = (list) => list.map((x) => x.before + x.after);
  const extra = median(around(mine)) - median(around(raws));
  return `Where the time goes, in ${rounds} more rounds of each side, alternating, with a plugin that times the real one (in a config directory of the bench's own): \`matrix bake\` ${fmt(med(mine, 'before'), 0)} ms before the plugin started, the build ${fmt(med(mine, 'build') / 1000)} s, ${fmt(med(mine, 'after'), 0)} ms after it ended; the raw command ${fmt(med(raws, 'before'), 0)} ms before (the CLI's start and its check of the plugin), the build ${fmt(med(raws, 'build') / 1000)} s, ${fmt(med(raws, 'after'), 0)} ms after (medians). So matrix adds ${fmt(extra, 0)} ms to what the raw command takes around the same build, ${fmt((extra / med(raws, 'build')) * 100, 1)}% of the build's median.`;
}

/** Build steps (RUN, COPY, ADD, WORKDIR) that ran instead of coming from the cache, in `--progress plain` output. */
function executedSteps(plain) {
  const names = new Map();
  const cached = new Set();
  for (const line of plain.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === 'CACHED') cached.add(m[1]);
    else if (!names.has(m[1]) && /^\[[^\]]*\] (RUN|COPY|ADD|WORKDIR) /.test(m[2])) names.set(m[1], m[2]);
  }
  return [...names.keys()].filter((id) => !cached.has(id)).length;
}

// ---------------------------------------------------------------- row 5
function row5(env) {
  if (!env.engine) return { id: 5, name: 'Affected build after one leaf change', figure: 'n/a: no Docker engine', goal: '<= 0.2', met: null, commands: [], details: [] };
  const dir = sampleRepo('monorepo');
  const sets = fixtureSets();
  log('row 5: cold build of everything (--no-cache)');
  const cold = matrix(['bake', '--no-cache', ...sets], { cwd: dir }).ms;
  const leaf = path.join(dir, 'services', 'web', 'public', 'index.html');
  writeFileSync(leaf, readFileSync(leaf, 'utf8') + '<!-- bench: one leaf change -->\n');
  git(dir, 'commit', '-q', '-am', 'web: one leaf change');
  log('row 5: matrix bake --affected HEAD~1');
  const affected = matrix(['bake', '--affected', 'HEAD~1', ...sets], { cwd: dir });
  const picked = /Affected since HEAD~1: (.*)/.exec(affected.stderr)?.[1] ?? '?';
  const ratio = affected.ms / cold;
  return {
    id: 5,
    name: 'Affected build after one leaf change',
    figure: `${ratioText(ratio, 0.2)}x (${fmt(affected.ms / 1000, 1)} s / ${fmt(cold / 1000, 1)} s)`,
    goal: '<= 0.2',
    met: ratio <= 0.2,
    commands: ['matrix bake --no-cache --set ... (cold: every target and platform)', 'edit services/web/public/index.html; git commit', 'matrix bake --affected HEAD~1 --set ...'],
    details: [`samples/monorepo in a git repository with fixture base images. Built by \`--affected HEAD~1\`: ${picked}.`],
  };
}

// ---------------------------------------------------------------- report
function table(rows) {
  const head = ['#', 'measure', 'figure', 'goal', 'met'];
  const body = rows.map((r) => [String(r.id), r.name, r.figure, r.goal, r.met === null ? 'n/a' : r.metText ? r.metText.replaceAll('**', '').replace(/\bno\b/, 'NO') : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function markdown(env, rows, seconds) {
  const out = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (scripts/bench.mjs); do not edit by hand. Every ratio below was measured in one run on one machine, so the two sides of a ratio share its load.',
    '',
    '| | |',
    '| --- | --- |',
    `| date | ${env.date} |`,
    `| machine | ${env.cpu}, ${env.memory}, ${env.os} |`,
    `| node | ${env.node} |`,
    `| docker | client ${env.dockerClient}, engine ${env.dockerServer} |`,
    `| buildx | ${env.buildx} |`,
    `| load average (1, 5, 15 min) | ${env.loadStart} at the start, ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the end |`,
    `| duration | ${fmt(seconds / 60, 1)} min |`,
    ...(env.nodeStart
      ? [
          `| Node's start | NODE_EXTRA_CA_CERTS is set here: \`node -e 0\` takes ${fmt(env.nodeStart.withCa, 0)} ms CPU with it, ${fmt(env.nodeStart.without, 0)} ms without (median of 15 each; Node 20 loads every root certificate at start-up when it is set, nodejs/node issue 40524). Every Node process below pays it, matrix and the \`node -e 0\` baselines alike |`,
        ]
      : []),
    '',
    ...summaryRows(rows),
    '',
  ];
  for (const r of rows) {
    out.push(`## ${r.id}. ${r.name}`, '');
    if (r.error) out.push('```', r.error, '```', '');
    if (r.commands.length) out.push('Commands:', '', ...r.commands.map((c) => `- \`${c}\``), '');
    if (r.details.length) out.push(...r.details, '');
  }
  return out.join('\n');
}

/** The summary table of docs/benchmarks.md: the rows, as that file prints them. */
function summaryRows(rows) {
  return [
    '| # | measure | figure | goal | met |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.id} | ${r.name} | ${r.figure} | ${r.goal} | ${r.met === null ? 'n/a' : (r.metText ?? (r.met ? 'yes' : '**no**'))} |`),
  ];
}

const README_START = '<!-- bench:summary: written by `npm run bench` with docs/benchmarks.md, from the same run; do not edit -->';
const README_END = '<!-- /bench:summary -->';

/**
 * The README's copy of the summary, between its markers: the same table as
 * docs/benchmarks.md, with when and where it ran (test/ecosystem/bench-readme.test.ts
 * fails when the two differ).
 */
function writeReadmeSummary(env, rows) {
  const file = path.join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} ... ${README_END} block`);
  const measured = rows.filter((r) => r.met !== null);
  // A row met in part (row 1: after gen, not cold) is not counted as met.
  const met = measured.filter((r) => r.met && (r.metText ?? 'yes') === 'yes').length;
  const loadEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const block = [
    README_START,
    '',
    `The last run: ${env.date}, ${env.cpu}, Node ${env.node}, load average ${env.loadStart} at the start and ${loadEnd} at the end. ${met} of ${measured.length} goals met.`,
    '',
    ...summaryRows(rows),
    '',
    README_END,
  ].join('\n');
  writeFileSync(file, text.slice(0, start) + block + text.slice(end + README_END.length));
}

// ---------------------------------------------------------------- main
const started = performance.now();
log(`work directory ${WORK}`);
log('building dist/ (node scripts/build.mjs)');
run(NODE, [path.join(ROOT, 'scripts', 'build.mjs')], { name: 'build' });
const env = environment();
if (!env.engine) log('no Docker engine with buildx answers: rows 3-5 are not measured');

const steps = [
  [1, () => row1()],
  [2, () => row2(env)],
  [3, () => row3(env)],
  // Row 5's cold build fills the cache that row 4 measures against.
  [5, () => row5(env)],
  [4, () => row4(env)],
  [6, () => rowHooks({ root: ROOT, work: WORK, quick: QUICK, log })],
];
const results = [];
for (const [id, step] of steps) {
  if (!ROWS.has(id)) continue;
  try {
    results.push(...[step()].flat());
  } catch (e) {
    log(`row ${id} failed: ${e.message}`);
    results.push({ id, name: `row ${id}`, figure: 'failed', goal: '', met: false, commands: [], details: [], error: e.message });
  }
}
results.sort((a, b) => String(a.id).localeCompare(String(b.id), 'en', { numeric: true }));
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`\n${table(results)}\n\nmachine: ${env.cpu}, ${env.memory}; node ${env.node}; docker ${env.dockerServer}; ${env.buildx}; ${(seconds / 60).toFixed(1)} min\n`);
if (WRITE) {
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, markdown(env, results, seconds));
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUT) || OUT}\n`);
  if (OUT === DEFAULT_OUT) {
    writeReadmeSummary(env, results);
    process.stdout.write('wrote the summary in README.md (Performance)\n');
  }
}
// Logs stay when a row failed: its error names one.
if (results.some((r) => r.error)) log(`logs kept in ${LOGS}`);
else rmSync(WORK, { recursive: true, force: true });
