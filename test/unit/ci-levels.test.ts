// Layered CI jobs (issue 16): targets grouped by dependency level; each
// level's jobs build FROM the digests the earlier levels pushed, wired as
// named contexts `docker-image://REPO@sha256:...` (buildx bake `contexts`:
// https://docs.docker.com/build/bake/contexts/#using-a-target-as-a-build-context
// and the `docker-image://` scheme of https://docs.docker.com/reference/cli/docker/buildx/build/#build-context).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { planContexts } from '../../src/ci/contexts.js';
import { githubLevelOutputs } from '../../src/ci/github.js';
import { dependencyLevels, jobCommands, levelJobs } from '../../src/ci/levels.js';
import type { ShardFile } from '../../src/ci/merge.js';
import type { ShardResult } from '../../src/ci/shard.js';
import { repoRootOf } from '../../src/paths.js';
import type { ResolvedSpec } from '../../src/spec.js';
import { matrix } from '../helpers/cli.js';
import { compileSpec } from '../helpers/spec.js';
import { copySample, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

function monorepo(): { dir: string; spec: ResolvedSpec } {
  const dir = copySample('monorepo');
  const specPath = path.join(dir, 'matrix.yaml');
  const r = compile({ specPath, displayName: 'matrix.yaml', source: readFileSync(specPath, 'utf8'), repoRoot: repoRootOf(dir), cwd: dir, validateOnly: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { dir, spec: r.spec! };
}

const LEVEL1 = ['base', 'api', 'worker', 'web', 'notify', 'reports-3-11-slim-bookworm', 'reports-3-12-slim-bookworm', 'reports-3-12-bookworm', 'reports-3-13-slim-bookworm', 'hasher'];
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('dependency levels of samples/monorepo', () => {
  const { spec } = monorepo();

  it('level 1: everything without depends_on (base among them); level 2: jobs and admin (FROM base)', () => {
    expect(dependencyLevels(spec.targets).map((l) => l.map((t) => t.name))).toEqual([LEVEL1, ['jobs', 'admin']]);
  });

  it('a selection brings its dependencies along, at their own level', () => {
    const jobs = spec.targets.filter((t) => t.name === 'jobs');
    expect(dependencyLevels(spec.targets, jobs).map((l) => l.map((t) => t.name))).toEqual([['base'], ['jobs']]);
  });

  it('by platform: one job per platform per level; a level-2 job needs the level-1 job of its own platform', () => {
    const levels = levelJobs(spec.targets, spec.targets, { by: 'platform' });
    expect(levels.map((l) => l.map((j) => [j.id, j.runner, j.needs, j.shard]))).toEqual([
      [
        ['level-1-linux-amd64', 'ubuntu-24.04', [], 'shards/level-1-linux-amd64.json'],
        ['level-1-linux-arm64', 'ubuntu-24.04-arm', [], 'shards/level-1-linux-arm64.json'],
      ],
      [
        ['level-2-linux-amd64', 'ubuntu-24.04', ['level-1-linux-amd64'], 'shards/level-2-linux-amd64.json'],
        ['level-2-linux-arm64', 'ubuntu-24.04-arm', ['level-1-linux-arm64'], 'shards/level-2-linux-arm64.json'],
      ],
    ]);
    expect(levels[0]![0]!.targets).toEqual(LEVEL1);
    expect(levels[1]![1]!.targets).toEqual(['jobs', 'admin']);
  });

  it('by target: a job per target; jobs and admin need only the job that built base', () => {
    const levels = levelJobs(spec.targets, spec.targets, { by: 'target', platforms: ['linux/arm64'] });
    expect(levels[1]!.map((j) => [j.id, j.platforms, j.needs])).toEqual([
      ['level-2-jobs', ['linux/arm64'], ['level-1-base']],
      ['level-2-admin', ['linux/arm64'], ['level-1-base']],
    ]);
    expect(levels[0]!.map((j) => j.id)).toEqual(LEVEL1.map((t) => `level-1-${t}`));
  });

  it('the commands: level 1 pushes by digest; level 2 pins its contexts first, then bakes with them', () => {
    const [l1, l2] = levelJobs(spec.targets, spec.targets, { by: 'platform' });
    expect(jobCommands(l1![1]!)).toEqual([
      'mkdir -p shards',
      `npx matrix bake --push-by-digest --run-id "$MATRIX_RUN_ID" --platform linux/arm64 --shard-file shards/level-1-linux-arm64.json ${LEVEL1.join(',')}`,
    ]);
    expect(jobCommands(l2![0]!)).toEqual([
      'mkdir -p shards',
      'npx matrix ci-contexts --run-id "$MATRIX_RUN_ID" --platform linux/amd64 --target jobs,admin --out matrix-contexts-level-2-linux-amd64.json shards/*.json',
      'npx matrix bake --push-by-digest --run-id "$MATRIX_RUN_ID" --platform linux/amd64 --shard-file shards/level-2-linux-amd64.json -f matrix-contexts-level-2-linux-amd64.json jobs,admin',
    ]);
  });
});

describe('three levels', () => {
  const SPEC = [
    'version: 1',
    'registry: localhost:5000/three',
    'platforms: [linux/amd64, linux/arm64]',
    'services:',
    '  base: { context: base, dockerfile: base/Dockerfile }',
    '  mid: { context: mid, dockerfile: mid/Dockerfile, depends_on: [base] }',
    '  top: { context: top, dockerfile: top/Dockerfile, depends_on: [mid, base] }',
    '  solo: { context: top, dockerfile: top/Dockerfile, platforms: [linux/amd64] }',
    '',
  ].join('\n');
  const c = compileSpec(SPEC, { 'base/Dockerfile': 'FROM scratch\n', 'mid/Dockerfile': 'FROM base\n', 'top/Dockerfile': 'FROM mid\n' }, { validateOnly: true });

  it('a target sits one level above its deepest dependency, and needs the jobs of every direct dependency', () => {
    expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const levels = levelJobs(c.spec!.targets, c.spec!.targets, { by: 'platform' });
    expect(levels.map((l) => l.map((j) => `${j.id}:${j.targets.join('+')}<-${j.needs.join('+')}`))).toEqual([
      ['level-1-linux-amd64:base+solo<-', 'level-1-linux-arm64:base<-'],
      ['level-2-linux-amd64:mid<-level-1-linux-amd64', 'level-2-linux-arm64:mid<-level-1-linux-arm64'],
      ['level-3-linux-amd64:top<-level-2-linux-amd64+level-1-linux-amd64', 'level-3-linux-arm64:top<-level-2-linux-arm64+level-1-linux-arm64'],
    ]);
  });

  it('GitHub outputs: one matrix per level; a workflow with too few level jobs is refused, extra ones get an empty matrix', () => {
    const levels = levelJobs(c.spec!.targets, c.spec!.targets, { by: 'platform' });
    expect(() => githubLevelOutputs(levels, 2)).toThrow(/3 dependency levels, the workflow jobs for 2/);
    const out = githubLevelOutputs(levels, 4).split('\n');
    expect(out[0]).toBe('levels=3');
    expect(JSON.parse(out[3]!.slice('level3='.length)).include[0]).toEqual({
      id: 'level-3-linux-amd64',
      platforms: 'linux/amd64',
      runner: 'ubuntu-24.04',
      targets: 'top',
      shard: 'shards/level-3-linux-amd64.json',
    });
    expect(out[4]).toBe('level4=');
  });
});

function shard(file: string, runId: string, platform: string, targets: Record<string, { repository: string; digest?: string }>): ShardFile {
  const result: ShardResult = {
    kind: 'matrix-shard',
    version: 1,
    runId,
    status: Object.values(targets).every((t) => t.digest) ? 'succeeded' : 'failed',
    exitCode: Object.values(targets).every((t) => t.digest) ? 0 : 1,
    driver: 'docker',
    mode: 'temp-tag',
    platforms: [platform],
    targets: Object.fromEntries(Object.entries(targets).map(([n, t]) => [n, { repository: t.repository, platforms: [platform], ...(t.digest ? { digest: t.digest } : {}), tempTags: [] }])),
  };
  return { file, result };
}

describe('planContexts: a level-2 job builds FROM the digest of its platform', () => {
  const { spec } = monorepo();
  const BASE = 'localhost:5000/monorepo/base';
  const l1 = [shard('a.json', 'r1', 'linux/amd64', { base: { repository: BASE, digest: D('a') } }), shard('b.json', 'r1', 'linux/arm64', { base: { repository: BASE, digest: D('b') } })];
  const jobsAdmin = spec.targets.filter((t) => t.name === 'jobs' || t.name === 'admin');

  it('pins `base` of jobs and admin to the level-1 digest of the platform the job builds', () => {
    for (const [platform, digest] of [
      ['linux/amd64', D('a')],
      ['linux/arm64', D('b')],
    ] as const) {
      const p = planContexts(spec, jobsAdmin, [platform], l1, {}, 'r1');
      expect(p.problems).toEqual([]);
      expect(p.file).toEqual({ target: { jobs: { contexts: { base: `docker-image://${BASE}@${digest}` } }, admin: { contexts: { base: `docker-image://${BASE}@${digest}` } } } });
    }
  });

  it('one named context cannot hold two platforms built by two shards: both platforms at once is refused', () => {
    expect(planContexts(spec, jobsAdmin, [], l1, {}).problems).toEqual([
      'jobs: no image of base for linux/amd64, linux/arm64 in the shard files (its earlier-level job failed, did not run, or built other platforms)',
      'admin: no image of base for linux/amd64, linux/arm64 in the shard files (its earlier-level job failed, did not run, or built other platforms)',
    ]);
  });

  it('by target: one level-1 job built base for both platforms (one index), so a level-2 job building both pins that digest', () => {
    const both: ShardFile = {
      file: 't.json',
      result: {
        ...shard('t.json', 'r1', 'linux/amd64', {}).result!,
        platforms: ['linux/amd64', 'linux/arm64'],
        targets: { base: { repository: BASE, platforms: ['linux/amd64', 'linux/arm64'], digest: D('f'), tempTags: [] } },
      },
    };
    const p = planContexts(spec, jobsAdmin, ['linux/amd64', 'linux/arm64'], [both], {}, 'r1');
    expect(p.problems).toEqual([]);
    expect(p.file.target.jobs!.contexts.base).toBe(`docker-image://${BASE}@${D('f')}`);
  });

  it('a failed level-1 job: no digest, so no build (and merge publishes nothing)', () => {
    const failed = [shard('a.json', 'r1', 'linux/amd64', { base: { repository: BASE } })];
    expect(planContexts(spec, jobsAdmin.slice(0, 1), ['linux/amd64'], failed, {}, 'r1').problems).toEqual([expect.stringMatching(/^jobs: no image of base for linux\/amd64/)]);
  });

  it('untrusted shard files: another repository, another run, an unreadable file', () => {
    const foreign = [shard('x.json', 'r1', 'linux/amd64', { base: { repository: 'localhost:5000/evil/base', digest: D('c') } })];
    expect(planContexts(spec, jobsAdmin, ['linux/amd64'], foreign, {}, 'r1').problems[0]).toBe(
      "x.json: base was pushed to localhost:5000/evil/base, which none of the target's tags in the spec names",
    );
    expect(planContexts(spec, jobsAdmin, ['linux/amd64'], l1, {}, 'r2').problems).toContain('the shard files are of run r1, but this is run r2');
    const mixed = [...l1, shard('c.json', 'r0', 'linux/amd64', { api: { repository: 'localhost:5000/monorepo/api', digest: D('d') } })];
    expect(planContexts(spec, jobsAdmin, ['linux/amd64'], mixed, {}).problems).toEqual(['the shard files come from different runs (r0, r1)']);
    expect(planContexts(spec, jobsAdmin, ['linux/amd64'], [{ file: 'gone.json', error: 'file does not exist (did the shard run?)' }], {}).problems[0]).toBe(
      'gone.json: file does not exist (did the shard run?)',
    );
  });
});

describe('matrix ci-matrix --layered / --format (CLI)', () => {
  it('runner overrides reach the GitLab tags; --max-levels needs --layered; too few level jobs is a usage error', async () => {
    const { dir } = monorepo();
    const gl = await matrix(['ci-matrix', '--format', 'gitlab', '--runner', 'linux/arm64=["arm","big"]'], dir);
    expect(gl.status, gl.stderr).toBe(0);
    expect(gl.stdout).toContain('level-2-linux-arm64:\n  stage: level-2\n  tags:\n    - arm\n    - big\n');
    const flat = await matrix(['ci-matrix', '--max-levels', '2'], dir);
    expect([flat.status, flat.stderr.includes('--max-levels needs --layered')]).toEqual([2, true]);
    const few = await matrix(['ci-matrix', '--layered', '--max-levels', '1'], dir);
    expect(few.status).toBe(2);
    expect(few.stderr).toContain('the spec has 2 dependency levels, the workflow jobs for 1');
    expect(few.stdout).toBe('');
  });
});

describe('levelJobs: --platform by canonical name (as buildx normalises it), unbuilt platforms refused', () => {
  it('linux/aarch64 is the linux/arm64 jobs; a platform no target builds is an error, never a job left out', async () => {
    const { dir } = monorepo();
    const alias = await matrix(['ci-matrix', '--layered', '--platform', 'linux/aarch64'], dir);
    const canonical = await matrix(['ci-matrix', '--layered', '--platform', 'linux/arm64'], dir);
    expect(alias.status, alias.stderr).toBe(0);
    expect(alias.stdout).toBe(canonical.stdout);
    expect(alias.stdout).toContain('linux-arm64');
    const unbuilt = await matrix(['ci-matrix', '--format', 'gitlab', '--platform', 'linux/arm64,linux/arm'], dir);
    expect(unbuilt.status).toBe(2);
    expect(unbuilt.stdout).toBe('');
    expect(unbuilt.stderr).toContain('--platform linux/arm/v7: no target builds it [unknown-platform]');
  });
});

describe('matrix ci-contexts (CLI)', () => {
  it('writes the bake file of pinned contexts; refuses (exit 1, no file) when a dependency has no image', async () => {
    const { dir } = monorepo();
    const { writeFileSync, existsSync, mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'shards'));
    const s = shard('s.json', 'run-7', 'linux/arm64', { base: { repository: 'localhost:5000/monorepo/base', digest: D('e') } }).result!;
    writeFileSync(path.join(dir, 'shards/level-1-linux-arm64.json'), JSON.stringify(s));
    const ok = await matrix(['ci-contexts', '--run-id', 'run-7', '--platform', 'linux/arm64', '--target', 'jobs', 'shards/level-1-linux-arm64.json'], dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'matrix-contexts.json'), 'utf8'))).toEqual({ target: { jobs: { contexts: { base: `docker-image://localhost:5000/monorepo/base@${D('e')}` } } } });
    const bad = await matrix(['ci-contexts', '--platform', 'linux/amd64', '--target', 'jobs', '--out', 'other.json', 'shards/level-1-linux-arm64.json'], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('jobs: no image of base for linux/amd64');
    expect(existsSync(path.join(dir, 'other.json'))).toBe(false);
    const usage = await matrix(['ci-contexts', 'shards/level-1-linux-arm64.json'], dir);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('needs --target');
  });

  // As ci-matrix refuses it (src/ci/runners.ts requestedPlatforms): a platform the job's targets do not
  // build pins nothing for it; before, the file was written (every image of base "fitted" no platform at all).
  it('--platform that none of the --target builds is an error naming it, the hint listing what they build; no file written', async () => {
    const { dir } = monorepo();
    const { writeFileSync, existsSync, mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'shards'));
    const s = shard('s.json', 'run-7', 'linux/arm64', { base: { repository: 'localhost:5000/monorepo/base', digest: D('e') } }).result!;
    writeFileSync(path.join(dir, 'shards/level-1-linux-arm64.json'), JSON.stringify(s));
    for (const [platforms, named] of [
      ['linux/s390x', 'linux/s390x'],
      ['linux/arm64,linux/arm', 'linux/arm/v7'],
    ]) {
      const r = await matrix(['ci-contexts', '--run-id', 'run-7', '--platform', platforms!, '--target', 'jobs', 'shards/level-1-linux-arm64.json'], dir);
      expect(r.status, platforms).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`--platform ${named}: no target builds it [unknown-platform]`);
      expect(r.stderr).toMatch(/hint: the targets build linux\/amd64, linux\/arm64;/);
      expect(existsSync(path.join(dir, 'matrix-contexts.json'))).toBe(false);
    }
  });
});
