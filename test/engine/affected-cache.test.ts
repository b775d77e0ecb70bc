// Monorepo scale on a real engine: affected-only builds from git history,
// a no-change rebuild that is fully cached, and a local cache that survives
// `docker builder prune`.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copySample, docker, fixtures, fixtureSets, matrix, matrixAsync, requireEngine, runId } from './engine.js';

const hasEngine = requireEngine();

function git(dir: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=matrix-e2e', '-c', 'user.email=e2e@example.com', ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

interface Row {
  target: string;
  platform: string;
  status: string;
}
const builtTargets = (stdout: string) => [...new Set((JSON.parse(stdout).targets as Row[]).map((r) => r.target))].sort();

/** Every RUN step of the log, and whether BuildKit took it from the cache. */
function runSteps(log: string): { name: string; cached: boolean }[] {
  const names = new Map<string, string>();
  const cached = new Set<string>();
  for (const line of log.split('\n')) {
    const head = /^#(\d+) (\[[^\]]*\] RUN .*)$/.exec(line);
    if (head) names.set(head[1]!, head[2]!);
    const c = /^#(\d+) CACHED$/.exec(line);
    if (c) cached.add(c[1]!);
  }
  return [...names].map(([id, name]) => ({ name, cached: cached.has(id) }));
}

describe.skipIf(!hasEngine)('affected-only builds on samples/monorepo', () => {
  let dir: string;
  const id = runId();
  let tagSets: string[];
  const bake = (...extra: string[]) => matrixAsync(dir, ['bake', '--json', ...fixtureSets(), ...tagSets, ...extra]);

  beforeAll(async () => {
    dir = copySample('monorepo');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'initial');
    const planned = JSON.parse(matrix(dir, ['plan', '--json']).stdout).targets as { name: string }[];
    tagSets = planned.flatMap((t) => ['--set', `${t.name}.tags=localhost:5000/e2e-affected/${t.name}:${id}`]);
    const first = await bake();
    expect(first.status, first.stderr.slice(-3000)).toBe(0);
  });

  it('a second bake with no change takes every RUN step from the cache', async () => {
    const again = await bake();
    expect(again.status, again.stderr.slice(-3000)).toBe(0);
    const steps = runSteps(again.stderr);
    expect(steps.length).toBeGreaterThan(5);
    expect(steps.filter((s) => !s.cached)).toEqual([]);
  });

  it('nothing changed: nothing is built, and it says so', async () => {
    const r = await matrixAsync(dir, ['bake', '--affected', 'HEAD']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Nothing affected since HEAD/);
    expect(r.stderr).not.toMatch(/load local bake definitions/);
  });

  it('one leaf service changed: exactly that target is built', async () => {
    appendFileSync(path.join(dir, 'services/hasher/src/main.rs'), '\n// touched by the affected test\n');
    git(dir, 'commit', '-qam', 'change hasher');
    const r = await bake('--affected', 'HEAD~1');
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(builtTargets(r.stdout)).toEqual(['hasher']);
    expect(r.stderr).toMatch(/Affected since HEAD~1: hasher \(services\/hasher\/src\/main\.rs changed\)/);
  });

  it('the shared base changed: base and its dependents are built, nothing else', async () => {
    const release = path.join(dir, 'base/rootfs/etc/monorepo/release');
    writeFileSync(release, readFileSync(release, 'utf8') + 'touched=1\n');
    git(dir, 'commit', '-qam', 'change base');
    const r = await bake('--affected', 'HEAD~1');
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(builtTargets(r.stdout)).toEqual(['admin', 'base', 'jobs']);
  });

  it('an ignored file changed (.dockerignore): nothing is built', async () => {
    expect(readFileSync(path.join(dir, 'services/notify/.dockerignore'), 'utf8')).toMatch(/^npm-debug\.log$/m);
    writeFileSync(path.join(dir, 'services/notify/npm-debug.log'), 'ignored\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'ignored file');
    const r = await matrixAsync(dir, ['bake', '--affected', 'HEAD~1']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Nothing affected since HEAD~1/);
  });
});

describe.skipIf(!hasEngine)('cache: local survives docker builder prune', () => {
  it('reuses the cache for every platform after the builder cache is gone', async () => {
    const dir = copySample('hello-go');
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-cache-'));
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('    template: go\n', '    template: go\n    cache: local\n'));
    expect(matrix(dir, ['gen']).status).toBe(0);
    // The fixture base image is pinned by digest in the cache key, not by the builder cache.
    const sets = ['--set', `*.args.GO_IMAGE=${fixtures().toolchain}`, '--set', `hello.tags=localhost:5000/e2e-cache/hello:${runId()}`];
    expect(docker(['builder', 'prune', '-af']).status).toBe(0);
    const cold = await matrixAsync(dir, ['bake', ...sets], { MATRIX_CACHE_DIR: cacheDir });
    expect(cold.status, cold.stderr.slice(-3000)).toBe(0);
    expect(runSteps(cold.stderr).filter((s) => s.cached)).toEqual([]);
    expect(docker(['builder', 'prune', '-af']).status).toBe(0);
    const warm = await matrixAsync(dir, ['bake', ...sets], { MATRIX_CACHE_DIR: cacheDir });
    expect(warm.status, warm.stderr.slice(-3000)).toBe(0);
    const steps = runSteps(warm.stderr);
    // Both platforms' go build steps came from the local cache.
    expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining([expect.stringMatching(/linux\/amd64 builder .*RUN/), expect.stringMatching(/linux\/amd64->arm64 builder .*RUN/)]));
    expect(steps.filter((s) => !s.cached)).toEqual([]);
  });
});
