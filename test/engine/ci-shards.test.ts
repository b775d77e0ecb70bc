// Building each platform as its own CI shard, then `matrix merge`: the final
// tag appears only when every shard delivered, as one index with every platform.
// The engine here has the `docker` driver, so shards push under temporary tags
// (push-by-digest is refused by that driver), and merge removes those tags.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShardResult } from '../../src/ci/shard.js';
import { copySample, docker, fixtures, matrix, matrixAsync, requireEngine, runId, type RunResult } from './engine.js';

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
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8').replace('localhost:5000/samples/hello-go:multiarch', finalTag);
    writeFileSync(path.join(dir, 'matrix.yaml'), spec);
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

  it('a failed shard says so in its result file', () => {
    expect(shards.broken!.bake.status).not.toBe(0);
    expect(shards.broken!.result.status).toBe('failed');
    expect(shards.broken!.result.targets.hello!.digest).toBeUndefined();
  });

  it('no shard touched the final tag', () => {
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  it('merge refuses when one shard failed, and the final tag still does not exist', () => {
    const r = matrix(dir, ['merge', shards.amd64!.file, shards.broken!.file]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('nothing was published');
    expect(r.stderr).toContain('shard-broken-arm64.json: the shard for linux/arm64 failed');
    expect(r.stderr).toContain('hello: no image for linux/arm64');
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  it('merge refuses when a shard result file is missing, and the final tag still does not exist', () => {
    const r = matrix(dir, ['merge', shards.amd64!.file, path.join(dir, 'shard-linux-arm64-never-written.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('shard-linux-arm64-never-written.json: file does not exist');
    expect(r.stderr).toContain('hello: no image for linux/arm64');
    const only = matrix(dir, ['merge', shards.amd64!.file]);
    expect(only.status).toBe(1);
    expect(only.stderr).toContain('hello: no image for linux/arm64');
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  it('merge --dry-run prints the imagetools command and publishes nothing', () => {
    const r = matrix(dir, ['merge', '--dry-run', shards.amd64!.file, shards.arm64!.file]);
    expect(r.status, r.stderr).toBe(0);
    const a = shards.amd64!.result.targets.hello!.digest!;
    const b = shards.arm64!.result.targets.hello!.digest!;
    expect(r.stdout).toContain(`docker buildx imagetools create -t ${finalTag} ${repo}@${a} ${repo}@${b}\n`);
    expect(docker(['buildx', 'imagetools', 'inspect', finalTag]).status).not.toBe(0);
  });

  describe('merge of the two good shards', () => {
    let merge: ReturnType<typeof matrix>;
    beforeAll(() => {
      merge = matrix(dir, ['merge', shards.amd64!.file, shards.arm64!.file]);
    });

    it('publishes one index with linux/amd64 and linux/arm64', () => {
      expect(merge.status, merge.stdout + merge.stderr).toBe(0);
      expect(merge.stdout).toContain(`published hello (linux/amd64, linux/arm64): ${finalTag}`);
      const raw = docker(['buildx', 'imagetools', 'inspect', '--raw', finalTag]);
      expect(raw.status, raw.stderr).toBe(0);
      const index = JSON.parse(raw.stdout) as { manifests: { digest: string; platform: { os: string; architecture: string } }[] };
      const platforms = index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`);
      expect(platforms).toContain('linux/amd64');
      expect(platforms).toContain('linux/arm64');
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
