// Building each platform as its own CI shard, then `matrix merge`: the final
// tag appears only when every shard delivered, as one index with every platform.
// The engine here has the `docker` driver, so shards push under temporary tags
// (push-by-digest is refused by that driver), and merge removes those tags.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShardResult } from '../../src/ci/shard.js';
import { CLI, copySample, docker, fixtures, matrix, matrixAsync, requireEngine, ROOT, runId, type RunResult, spawnCollected } from './engine.js';

const hasEngine = requireEngine();

interface Shard {
  file: string;
  result: ShardResult;
  bake: RunResult;
}

function registryGet(
  pathname: string,
  accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: 5000, path: pathname, headers: { Accept: accept }, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe.skipIf(!hasEngine)('CI shards for linux/amd64 and linux/arm64, then matrix merge', () => {
  let dir: string;
  let id: string;
  let finalTag: string;
  const repo = 'localhost:5000/e2e/ci-shards';
  const shards: Record<string, Shard> = {};

  /** One shard run, as a CI job does it: `matrix bake --push-by-digest --platform P --shard-file F`. */
  async function runShard(platform: string, file: string, extraSet: string[] = []): Promise<Shard> {
    const bake = await matrixAsync(dir, [
      'bake',
      '--push-by-digest',
      '--platform',
      platform,
      '--shard-file',
      file,
      '--run-id',
      id,
      '--json',
      '--set',
      `*.args.GO_IMAGE=${fixtures().toolchain}`,
      ...extraSet.flatMap((s) => ['--set', s]),
    ]);
    const written = JSON.parse(readFileSync(file, 'utf8')) as ShardResult;
    return { file, result: written, bake };
  }

  beforeAll(async () => {
    dir = copySample('hello-go');
    id = runId();
    finalTag = `${repo}:${id}`;
    // An index annotation, which a multi-platform bake writes on its index: merge writes a new index, and gives it again.
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8').replace('localhost:5000/samples/hello-go:multiarch', finalTag);
    writeFileSync(path.join(dir, 'matrix.yaml'), `${spec}    annotations:\n      "index:org.opencontainers.image.description": "merged from shards ${id}"\n`);
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    shards.amd64 = await runShard('linux/amd64', path.join(dir, 'shard-linux-amd64.json'));
    shards.arm64 = await runShard('linux/arm64', path.join(dir, 'shard-linux-arm64.json'));
    // A shard that really fails: its toolchain image does not exist.
    shards.broken = await runShard('linux/arm64', path.join(dir, 'shard-broken-arm64.json'), [`*.args.GO_IMAGE=${repo}-missing-toolchain:none`]);
  });

  it('each shard pushed its platform under a temporary tag and recorded the digest', () => {
    for (const [platform, s] of [
      ['linux/amd64', shards.amd64!],
      ['linux/arm64', shards.arm64!],
    ] as const) {
      expect(s.bake.status, s.bake.stderr.slice(-3000)).toBe(0);
      expect(s.result.status).toBe('succeeded');
      expect(s.result.mode).toBe('temp-tag');
      expect(s.result.platforms).toEqual([platform]);
      const t = s.result.targets.hello!;
      expect(t.repository).toBe(repo);
      expect(t.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(t.tempTags).toEqual([`${repo}:matrix-tmp-${id}-hello-${platform.replace('/', '-')}`]);
      const inspect = docker(['buildx', 'imagetools', 'inspect', t.tempTags[0]!, '--format', '{{json .Manifest}}']);
      expect(inspect.status, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout).digest).toBe(t.digest);
    }
  });

  it("leaves no temporary tag in the engine's image store: the registry and the result file hold what merge needs", () => {
    const local = docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', repo]);
    expect(local.status, local.stderr).toBe(0);
    expect(local.stdout.split('\n').filter((t) => t.includes(`matrix-tmp-${id}`))).toEqual([]);
    for (const s of Object.values(shards)) expect(s.bake.stderr).not.toMatch(/temporary tag/);
  });

  it('a failed shard says so in its result file', () => {
    expect(shards.broken!.bake.status).not.toBe(0);
    expect(shards.broken!.result.status).toBe('failed');
    expect(shards.broken!.result.targets.hello!.digest).toBeUndefined();
  });

  it('no shard touched the final tag', () => {
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  it('merge refuses when one shard failed, and the final tag still does not exist', async () => {
    const r = await matrixAsync(dir, ['merge', shards.amd64!.file, shards.broken!.file]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('nothing was published');
    expect(r.stderr).toContain('shard-broken-arm64.json: the shard for linux/arm64 failed');
    expect(r.stderr).toContain('hello: no image for linux/arm64');
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  it('merge refuses when a shard result file is missing, and the final tag still does not exist', async () => {
    const r = await matrixAsync(dir, ['merge', shards.amd64!.file, path.join(dir, 'shard-linux-arm64-never-written.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('shard-linux-arm64-never-written.json: file does not exist');
    expect(r.stderr).toContain('hello: no image for linux/arm64');
    const only = await matrixAsync(dir, ['merge', shards.amd64!.file]);
    expect(only.status).toBe(1);
    expect(only.stderr).toContain('hello: no image for linux/arm64');
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  it('merge --dry-run prints the imagetools command and publishes nothing', async () => {
    const r = await matrixAsync(dir, ['merge', '--dry-run', shards.amd64!.file, shards.arm64!.file]);
    expect(r.status, r.stderr).toBe(0);
    const a = shards.amd64!.result.targets.hello!.digest!;
    const b = shards.arm64!.result.targets.hello!.digest!;
    expect(r.stdout).toContain(`docker buildx imagetools create -t ${finalTag} --annotation 'index:org.opencontainers.image.description=merged from shards ${id}' ${repo}@${a} ${repo}@${b}\n`);
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  describe('merge of the two good shards', () => {
    let merge: RunResult;
    beforeAll(async () => {
      merge = await matrixAsync(dir, ['merge', shards.amd64!.file, shards.arm64!.file]);
    });

    it('publishes one index with linux/amd64 and linux/arm64', () => {
      expect(merge.status, merge.stdout + merge.stderr).toBe(0);
      expect(merge.stdout).toContain(`published hello (linux/amd64, linux/arm64): ${finalTag}`);
      const raw = docker(['buildx', 'imagetools', 'inspect', '--raw', finalTag]);
      expect(raw.status, raw.stderr).toBe(0);
      const index = JSON.parse(raw.stdout) as { annotations?: Record<string, string>; manifests: { digest: string; platform: { os: string; architecture: string } }[] };
      const platforms = index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`);
      expect(platforms).toContain('linux/amd64');
      expect(platforms).toContain('linux/arm64');
      expect(index.annotations?.['org.opencontainers.image.description']).toBe(`merged from shards ${id}`);
    });

    it('removes the temporary tags, and only them: every manifest of the final index is still served', async () => {
      for (const s of [shards.amd64!, shards.arm64!]) expect(merge.stdout).toContain(`removed temporary tag ${s.result.targets.hello!.tempTags[0]}`);
      const tags = JSON.parse((await registryGet('/v2/e2e/ci-shards/tags/list')).body) as { tags: string[] };
      expect(tags.tags).toContain(id);
      expect(tags.tags.filter((t) => t.includes(`matrix-tmp-${id}`))).toEqual([]);
      const index = JSON.parse(docker(['buildx', 'imagetools', 'inspect', '--raw', finalTag]).stdout) as { manifests: { digest: string }[] };
      for (const m of index.manifests) expect((await registryGet(`/v2/e2e/ci-shards/manifests/${m.digest}`)).status).toBe(200);
    });

    it.each(['linux/amd64', 'linux/arm64'])('the final tag runs on %s', (platform) => {
      const run = docker(['run', '--rm', '--pull', 'always', '--platform', platform, finalTag]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe('[Multi Arch] 👋 hello world 🌍\n');
    });
  });
});

// Issue 16: the layered plan across two real, separate Docker daemons (one per
// simulated runner; scripts/engine-second.sh starts the second with its own
// socket and data root): level 1 (base) on both, level 2 (FROM base) on both,
// each platform on its own daemon, then merge. The jobs run the plan's own
// `run` lines (docs/ci-plan.md), as any CI would.
const SECOND_HOST = 'unix:///run/matrix-engine/second/docker.sock';
const MAIN_HOST = 'unix:///var/run/docker.sock';

function secondEngine(): boolean {
  const ok = () => spawnSync('docker', ['--host', SECOND_HOST, 'info'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
  if (!hasEngine || ok()) return hasEngine;
  // Idempotent, and stops nothing: started here when .ci/run has not.
  const up = spawnSync('bash', [path.join(ROOT, 'scripts/engine-second.sh'), 'up'], { encoding: 'utf8', timeout: 180_000 });
  if (up.status !== 0 && process.env.CI === 'true') throw new Error(`the second dockerd did not start:\n${up.stderr}`);
  return ok();
}

interface PlanJob {
  id: string;
  level: number;
  platforms: string[];
  run: string[];
  shard: string;
}

/** One job of the plan, as a CI runner runs it: its lines in order with `sh -e`, on the daemon of its platform. */
async function runJob(dir: string, job: PlanJob, runIdValue: string): Promise<RunResult & { failedAt?: string }> {
  const host = job.platforms[0] === 'linux/arm64' ? SECOND_HOST : MAIN_HOST;
  const env = { ...process.env, NO_COLOR: '1', MATRIX_RUN_ID: runIdValue, DOCKER_HOST: host, BUILDX_BUILDER: 'default' };
  let out = '';
  let err = '';
  for (const line of job.run) {
    const cmd = line.replace(/^npx matrix /, `"${process.execPath}" "${CLI}" `);
    const r = await spawnCollected('sh', ['-e', '-c', cmd], { cwd: dir, env });
    out += r.stdout;
    err += r.stderr;
    if (r.status !== 0) return { status: r.status, stdout: out, stderr: err, failedAt: line };
  }
  return { status: 0, stdout: out, stderr: err };
}

/** The layers of one platform's image manifest, from the registry (through an index when there is one). */
async function layersOf(repoPath: string, digest: string, platform: string): Promise<string[]> {
  const top = JSON.parse((await registryGet(`/v2/${repoPath}/manifests/${digest}`)).body) as {
    manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
    layers?: { digest: string }[];
  };
  if (top.layers) return top.layers.map((l) => l.digest);
  const m = top.manifests!.find((x) => `${x.platform?.os}/${x.platform?.architecture}` === platform)!;
  return layersOf(repoPath, m.digest, platform);
}

describe.skipIf(!secondEngine())('layered jobs on two separate Docker daemons (base once per platform, dependents FROM its digest)', () => {
  let dir: string;
  let id: string;
  let plan: { levels: { jobs: PlanJob[] }[]; merge: { run: string[] } };
  const repo = 'localhost:5000/e2e/layers';
  const finalTag = (name: string) => `${repo}/${name}:${id}`;

  beforeAll(() => {
    id = runId();
    dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-layers-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const files: Record<string, string> = {
      'matrix.yaml': [
        'version: 1',
        'platforms: [linux/amd64, linux/arm64]',
        'services:',
        '  base:',
        '    context: base',
        '    dockerfile: base/Dockerfile',
        `    args: { RUNTIME_IMAGE: "${fixtures().runtime}" }`,
        `    tags: ["${repo}/base:${id}"]`,
        '  app:',
        '    context: app',
        '    dockerfile: app/Dockerfile',
        '    depends_on: [base]',
        `    tags: ["${repo}/app:${id}"]`,
        '  tool:',
        '    context: app',
        '    dockerfile: app/tool.Dockerfile',
        '    depends_on: [base]',
        `    tags: ["${repo}/tool:${id}"]`,
        '',
      ].join('\n'),
      // A RUN step whose text appears in a log only where base is really built.
      'base/Dockerfile': `ARG RUNTIME_IMAGE\nFROM \${RUNTIME_IMAGE}\nCOPY base.txt /base.txt\nRUN echo "matrix-layer-base-built-${id}" > /base-marker\n`,
      'base/base.txt': `base ${id}\n`,
      'app/Dockerfile': 'FROM base\nCOPY app.txt /app.txt\n',
      'app/tool.Dockerfile': 'FROM base\nCOPY app.txt /tool.txt\n',
      'app/app.txt': 'app\n',
    };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    const p = matrix(dir, ['ci-matrix', '--format', 'plan']);
    expect(p.status, p.stderr).toBe(0);
    plan = JSON.parse(p.stdout);
  });

  it('the plan: level 1 builds base, level 2 builds app and tool, one job per platform', () => {
    expect(plan.levels.map((l) => l.jobs.map((j) => `${j.id}:${j.run.length}`))).toEqual([
      ['level-1-linux-amd64:2', 'level-1-linux-arm64:2'],
      ['level-2-linux-amd64:3', 'level-2-linux-arm64:3'],
    ]);
  });

  it('a failed level-1 job: its platform has no level-2 build, and merge publishes nothing', async () => {
    const failRun = `${id}-fail`;
    const [l1amd, l1arm] = plan.levels[0]!.jobs;
    expect((await runJob(dir, l1amd!, failRun)).status).toBe(0);
    // The arm64 runner's checkout lacks a file base needs: its build fails for real.
    const baseTxt = path.join(dir, 'base/base.txt');
    rmSync(baseTxt);
    const broken = await runJob(dir, l1arm!, failRun);
    writeFileSync(baseTxt, `base ${id}\n`);
    expect(broken.status).not.toBe(0);
    expect((JSON.parse(readFileSync(path.join(dir, l1arm!.shard), 'utf8')) as ShardResult).status).toBe('failed');
    const l2arm = await runJob(dir, plan.levels[1]!.jobs[1]!, failRun);
    expect(l2arm.status).toBe(1);
    expect(l2arm.failedAt).toMatch(/ci-contexts/);
    expect(l2arm.stderr).toContain('app: no image of base for linux/arm64');
    const merge = await matrixAsync(dir, ['merge', ...readdirSync(path.join(dir, 'shards')).map((f) => `shards/${f}`)]);
    expect(merge.status, merge.stderr).toBe(1);
    expect(merge.stderr).toContain('nothing was published');
    for (const n of ['base', 'app', 'tool']) expect(docker(['buildx', 'imagetools', 'inspect', finalTag(n)]).status, n).not.toBe(0);
    rmSync(path.join(dir, 'shards'), { recursive: true });
  });

  describe('a good run', () => {
    const results: Record<string, RunResult> = {};
    const shardOf = (jobId: string) => JSON.parse(readFileSync(path.join(dir, `shards/${jobId}.json`), 'utf8')) as ShardResult;

    /** When the good run's jobs started (seconds): image events since then tell which daemon stored what. */
    let since = 0;
    /** The image events of one daemon since the jobs started (push, untag, delete ...): `ACTION ID NAME` lines (a push's ID is the reference it pushed, an untag's name the tag it removed). */
    const tagEvents = (host: string) => {
      const r = spawnSync(
        'docker',
        [
          '--host',
          host,
          'events',
          '--since',
          String(since),
          '--until',
          String(Math.ceil(Date.now() / 1000) + 1),
          '--filter',
          'type=image',
          '--format',
          '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n');
    };

    beforeAll(async () => {
      since = Math.floor(Date.now() / 1000) - 1;
      for (const level of plan.levels) {
        // The jobs of a level run in parallel, each on its own daemon.
        const done = await Promise.all(level.jobs.map((j) => runJob(dir, j, id)));
        level.jobs.forEach((j, i) => (results[j.id] = done[i]!));
      }
    });

    it('level 1 built base once per platform, each on its own daemon; level 2 built app and tool', () => {
      for (const [jobId, r] of Object.entries(results)) expect(r.status, `${jobId}\n${r.stderr.slice(-3000)}`).toBe(0);
      for (const j of plan.levels.flat().flatMap((l) => l.jobs)) expect(shardOf(j.id).status, j.id).toBe('succeeded');
      expect(shardOf('level-1-linux-amd64').targets.base!.digest).not.toBe(shardOf('level-1-linux-arm64').targets.base!.digest);
      // Each daemon has its own image store: the arm64 runner's base was pushed from the second
      // daemon's (under its temporary tag, which the shard then removed), never from the main one's.
      const tmpArm = shardOf('level-1-linux-arm64').targets.base!.tempTags[0]!;
      const naming = (events: string[]) => events.filter((e) => e.split(' ').includes(tmpArm)).map((e) => e.split(' ')[0]);
      expect(naming(tagEvents(SECOND_HOST))).toEqual(expect.arrayContaining(['push', 'untag']));
      expect(naming(tagEvents(MAIN_HOST))).toEqual([]);
      // And no runner keeps a temporary tag once its shard is done.
      for (const j of plan.levels.flatMap((l) => l.jobs)) {
        const host = j.platforms[0] === 'linux/arm64' ? SECOND_HOST : MAIN_HOST;
        for (const t of Object.values(shardOf(j.id).targets).flatMap((x) => x.tempTags)) {
          expect(spawnSync('docker', ['--host', host, 'image', 'inspect', t], { encoding: 'utf8' }).status, `${j.id}: ${t}`).not.toBe(0);
        }
      }
    });

    it.each(['linux/amd64', 'linux/arm64'])('on %s, level 2 did not build base: it was pinned to the level-1 digest and its RUN step never ran', async (platform) => {
      const slug = platform.replace('/', '-');
      const base = shardOf(`level-1-${slug}`).targets.base!;
      const l2 = results[`level-2-${slug}`]!;
      expect(l2.stderr).toContain(`base=docker-image://${repo}/base@${base.digest}`);
      expect(results[`level-1-${slug}`]!.stderr).toContain(`matrix-layer-base-built-${id}`);
      expect(l2.stderr).not.toContain(`matrix-layer-base-built-${id}`);
      // FROM the level-1 digest: every layer of that base image starts each dependent's layers.
      const baseLayers = await layersOf('e2e/layers/base', base.digest!, platform);
      for (const n of ['app', 'tool']) {
        const t = shardOf(`level-2-${slug}`).targets[n]!;
        const layers = await layersOf(`e2e/layers/${n}`, t.digest!, platform);
        expect(layers.slice(0, baseLayers.length), n).toEqual(baseLayers);
        expect(layers.length, n).toBe(baseLayers.length + 1);
      }
    });

    it('merge publishes base, app and tool with both platforms, from the shards of both levels', async () => {
      const merge = await matrixAsync(dir, ['merge', ...readdirSync(path.join(dir, 'shards')).map((f) => `shards/${f}`)]);
      expect(merge.status, merge.stdout + merge.stderr).toBe(0);
      for (const n of ['base', 'app', 'tool']) {
        const raw = docker(['buildx', 'imagetools', 'inspect', '--raw', finalTag(n)]);
        expect(raw.status, raw.stderr).toBe(0);
        const index = JSON.parse(raw.stdout) as { manifests: { platform: { os: string; architecture: string } }[] };
        const platforms = index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).filter((p) => p !== 'unknown/unknown');
        expect(platforms.sort(), n).toEqual(['linux/amd64', 'linux/arm64']);
      }
    });
  });
});
