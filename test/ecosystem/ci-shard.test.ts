// Shards and merge as data: the --set arguments per driver, the result file,
// and the decision to publish (or not) from a set of result files.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectTargets } from '../../src/bake/command.js';
import { imagetoolsCreateArgs, indexPlatforms, planMerge, type ShardFile } from '../../src/ci/merge.js';
import { readShardResult, repositoryOf, shardFileName, runIdFromEnv, sanitizeRunId, shardPlan, shardResult, tempTagFor, writeShardResult, type ShardResult } from '../../src/ci/shard.js';
import type { ResolvedSpec } from '../../src/spec.js';
import { compileSpec } from '../helpers/spec.js';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;

function spec(source: string, tree: Record<string, string> = {}): ResolvedSpec {
  const c = compileSpec(source, tree, { validateOnly: true });
  expect(c.diagnostics).toEqual([]);
  return c.spec!;
}

const TWO = spec(
  [
    'version: 1',
    'registry: localhost:5000/acme',
    'platforms: [linux/amd64, linux/arm64]',
    'services:',
    '  api:',
    '    context: api',
    '    template: go',
    '    tags: ["localhost:5000/acme/api:1.2", "ghcr.io/acme/api:1.2"]',
    '  web:',
    '    context: web',
    '    template: go',
    '    platforms: [linux/amd64]',
    '',
  ].join('\n'),
  { 'api/go.mod': 'module x\n', 'web/go.mod': 'module x\n' },
);

describe('repositoryOf', () => {
  it.each([
    ['ghcr.io/acme/api:1.2', 'ghcr.io/acme/api'],
    ['localhost:5000/acme/api:1.2', 'localhost:5000/acme/api'],
    ['localhost:5000/acme/api', 'localhost:5000/acme/api'],
    ['acme/api@sha256:abc', 'acme/api'],
    ['api:latest', 'api'],
  ])('%s -> %s', (ref, repo) => expect(repositoryOf(ref)).toBe(repo));
});

describe('run ids and temporary tags', () => {
  it('takes GitHub run id and attempt', () => {
    expect(runIdFromEnv({ GITHUB_RUN_ID: '123', GITHUB_RUN_ATTEMPT: '2' })).toBe('123-2');
    expect(runIdFromEnv({})).toBeUndefined();
  });

  it('makes any run id safe for a tag, and refuses an empty one', () => {
    expect(sanitizeRunId('pr/42 build#3')).toBe('pr-42-build-3');
    expect(() => sanitizeRunId('///')).toThrow(/run id/);
  });

  it('names a temporary tag after run, target and platforms, within 128 characters', () => {
    expect(tempTagFor('r.io/a/api', '7-1', 'api', ['linux/arm/v7'])).toBe('r.io/a/api:matrix-tmp-7-1-api-linux-arm-v7');
    const long = tempTagFor('r.io/a/web', '7-1', 'web-' + 'x'.repeat(200), ['linux/amd64', 'linux/arm64']);
    const tag = long.slice('r.io/a/web:'.length);
    expect(tag.length).toBeLessThanOrEqual(128);
    expect(tag).toMatch(/^matrix-tmp-7-1-web-x+-[0-9a-f]{12}$/);
    expect(tempTagFor('r.io/a/web', '7-1', 'web-' + 'x'.repeat(200), ['linux/amd64'])).not.toBe(long);
  });
});

describe('shardPlan: the extra bake --set arguments', () => {
  const sel = selectTargets(TWO, [], ['linux/arm64']);

  it.each(['docker-container', 'remote', 'kubernetes'])("%s: push by digest, no tags, to the first tag's repository", (driver) => {
    const plan = shardPlan(sel, driver, '99-1');
    expect(plan.mode).toBe('push-by-digest');
    expect(plan.platforms).toEqual(['linux/arm64']);
    // web builds only linux/amd64: not part of an arm64 shard.
    expect(plan.set).toEqual(['api.tags=', 'api.output=type=image,name=localhost:5000/acme/api,push-by-digest=true,name-canonical=true,push=true']);
    expect(plan.targets).toEqual([{ target: 'api', repository: 'localhost:5000/acme/api', platforms: ['linux/arm64'] }]);
  });

  it('docker: a temporary tag per run, target and platform instead', () => {
    const plan = shardPlan(selectTargets(TWO, [], ['linux/amd64']), 'docker', '99-1');
    expect(plan.mode).toBe('temp-tag');
    expect(plan.set).toEqual([
      'api.tags=localhost:5000/acme/api:matrix-tmp-99-1-api-linux-amd64',
      'api.output=type=image,push=true',
      'web.tags=localhost:5000/acme/web:matrix-tmp-99-1-web-linux-amd64',
      'web.output=type=image,push=true',
    ]);
    expect(plan.targets.map((t) => t.tempTag)).toEqual(['localhost:5000/acme/api:matrix-tmp-99-1-api-linux-amd64', 'localhost:5000/acme/web:matrix-tmp-99-1-web-linux-amd64']);
  });

  it('names the shard file after its platforms', () => {
    expect(shardFileName(shardPlan(sel, 'remote', '1'))).toBe('matrix-shard-linux-arm64.json');
    expect(shardFileName(shardPlan(selectTargets(TWO, []), 'remote', '1'))).toBe('matrix-shard-linux-amd64_linux-arm64.json');
  });

  it('refuses a driver it does not know how to push with', () => {
    expect(() => shardPlan(sel, 'cloud', '1')).toThrow(/cloud/);
  });
});

describe('shard result files', () => {
  const plan = shardPlan(selectTargets(TWO, [], ['linux/amd64']), 'docker', '5-1');

  it('records digests from bake metadata; a missing digest or a non-zero exit is a failed shard', () => {
    const ok = shardResult(plan, 0, { api: { 'containerimage.digest': D1 }, web: { 'containerimage.digest': D2 } });
    expect(ok.status).toBe('succeeded');
    expect(ok.targets.api).toEqual({ repository: 'localhost:5000/acme/api', platforms: ['linux/amd64'], digest: D1, tempTags: ['localhost:5000/acme/api:matrix-tmp-5-1-api-linux-amd64'] });
    expect(shardResult(plan, 0, { api: { 'containerimage.digest': D1 } }).status).toBe('failed');
    const failed = shardResult(plan, 1, {});
    expect(failed.status).toBe('failed');
    expect(failed.targets.api!.digest).toBeUndefined();
  });

  it("writes the file from bake's metadata file (or its absence) and reads it back", () => {
    const dir = tempDir();
    const meta = path.join(dir, 'meta.json');
    writeFileSync(meta, JSON.stringify({ api: { 'containerimage.digest': D1 }, web: { 'containerimage.digest': D2 } }));
    const file = path.join(dir, 'shard.json');
    const written = writeShardResult(file, plan, { exitCode: 0, metadataFile: meta });
    expect(readShardResult(file)).toEqual({ result: written });
    const failed = writeShardResult(path.join(dir, 'f.json'), plan, { exitCode: 1, metadataFile: path.join(dir, 'never-written.json') });
    expect(failed.status).toBe('failed');
  });

  it('says why a file is unusable', () => {
    const dir = tempDir();
    expect(readShardResult(path.join(dir, 'nope.json')).error).toMatch(/does not exist/);
    writeFileSync(path.join(dir, 'bad.json'), '{');
    expect(readShardResult(path.join(dir, 'bad.json')).error).toMatch(/not readable JSON/);
    writeFileSync(path.join(dir, 'other.json'), '{"kind":"something"}');
    expect(readShardResult(path.join(dir, 'other.json')).error).toMatch(/not a matrix shard/);
    const good = shardResult(plan, 0, { api: { 'containerimage.digest': D1 }, web: { 'containerimage.digest': D2 } });
    writeFileSync(path.join(dir, 'evil.json'), JSON.stringify({ ...good, targets: { api: { ...good.targets.api, digest: 'sha256:../../x' } } }));
    expect(readShardResult(path.join(dir, 'evil.json')).error).toMatch(/malformed entry for target `api`/);
    expect(readFileSync(path.join(dir, 'bad.json'), 'utf8')).toBe('{');
  });
});

function shard(file: string, platforms: string[], targets: Record<string, { digest?: string; platforms?: string[] }>, over: Partial<ShardResult> = {}): ShardFile {
  const result: ShardResult = {
    kind: 'matrix-shard',
    version: 1,
    runId: '7-1',
    status: 'succeeded',
    exitCode: 0,
    driver: 'docker-container',
    mode: 'push-by-digest',
    platforms,
    targets: Object.fromEntries(
      Object.entries(targets).map(([n, t]) => [n, { repository: `localhost:5000/acme/${n}`, platforms: t.platforms ?? platforms, ...(t.digest ? { digest: t.digest } : {}), tempTags: [] }]),
    ),
    ...over,
  };
  return { file, result };
}

describe('planMerge', () => {
  const amd = shard('amd.json', ['linux/amd64'], { api: { digest: D1 }, web: { digest: D3 } });
  const arm = shard('arm.json', ['linux/arm64'], { api: { digest: D2 } });

  it('publishes every tag of a target from one source per platform', () => {
    const plan = planMerge(TWO, [amd, arm]);
    expect(plan.problems).toEqual([]);
    expect(plan.runId).toBe('7-1');
    expect(plan.targets).toEqual([
      {
        target: 'api',
        tags: ['localhost:5000/acme/api:1.2', 'ghcr.io/acme/api:1.2'],
        sources: [`localhost:5000/acme/api@${D1}`, `localhost:5000/acme/api@${D2}`],
        platforms: { 'linux/amd64': `localhost:5000/acme/api@${D1}`, 'linux/arm64': `localhost:5000/acme/api@${D2}` },
      },
      { target: 'web', tags: ['localhost:5000/acme/web:latest'], sources: [`localhost:5000/acme/web@${D3}`], platforms: { 'linux/amd64': `localhost:5000/acme/web@${D3}` } },
    ]);
    expect(imagetoolsCreateArgs(plan.targets[0]!)).toEqual([
      'buildx',
      'imagetools',
      'create',
      '-t',
      'localhost:5000/acme/api:1.2',
      '-t',
      'ghcr.io/acme/api:1.2',
      `localhost:5000/acme/api@${D1}`,
      `localhost:5000/acme/api@${D2}`,
    ]);
  });

  it('a shard that built several platforms into one index is one source', () => {
    const both = shard('all.json', ['linux/amd64', 'linux/arm64'], { api: { digest: D1 }, web: { digest: D3, platforms: ['linux/amd64'] } });
    const plan = planMerge(TWO, [both]);
    expect(plan.problems).toEqual([]);
    expect(plan.targets[0]!.sources).toEqual([`localhost:5000/acme/api@${D1}`]);
  });

  it('refuses when a shard failed, naming the shard and the missing platform', () => {
    const failedArm = shard('arm.json', ['linux/arm64'], { api: {} }, { status: 'failed', exitCode: 1 });
    const plan = planMerge(TWO, [amd, failedArm]);
    expect(plan.problems).toEqual(['arm.json: the shard for linux/arm64 failed (exit 1; no image for api)', 'api: no image for linux/arm64 (a shard is missing or did not build it)']);
  });

  it('refuses when a shard file is missing or unreadable', () => {
    const plan = planMerge(TWO, [amd, { file: 'arm.json', error: 'file does not exist (did the shard run?)' }]);
    expect(plan.problems).toContain('arm.json: file does not exist (did the shard run?)');
    expect(plan.problems).toContain('api: no image for linux/arm64 (a shard is missing or did not build it)');
    expect(planMerge(TWO, []).problems).toContain('no shard result files given');
  });

  it('refuses shards of different runs, conflicting digests and targets the spec does not have', () => {
    expect(planMerge(TWO, [amd, shard('arm.json', ['linux/arm64'], { api: { digest: D2 } }, { runId: '8-1' })]).problems).toContain(
      'the shard files come from different runs (7-1, 8-1): give merge the files of one run',
    );
    expect(planMerge(TWO, [amd, arm, shard('again.json', ['linux/arm64'], { api: { digest: D3 } })]).problems).toContain(
      'api linux/arm64 was built by two shards (arm.json and again.json) with different digests',
    );
    expect(planMerge(TWO, [amd, arm, shard('x.json', ['linux/arm64'], { gone: { digest: D3 } })]).problems).toContain(
      'gone: a shard built it, but the spec has no such target (is it the same spec and revision?)',
    );
  });

  it('with expected targets narrowed, only those must be complete', () => {
    const plan = planMerge(
      TWO,
      [amd],
      selectTargets(TWO, ['web']).targets.map((t) => t.target),
    );
    expect(plan.problems).toEqual([]);
    expect(plan.targets.map((t) => t.target)).toEqual(['web']);
  });

  // A multi-platform bake pushes one index with the spec's index and manifest-descriptor
  // annotations. imagetools create writes a new index from several sources and keeps none of
  // theirs (docker/buildx util/imagetools/create.go combine: the new index's annotations are
  // its --annotation flags alone; measured with buildx 0.13.1, 2026-12-06: two single-platform
  // indexes with `index:org.example.idx=hello` merged into an index without it), so merge gives
  // them again. One source is copied as it is, annotations and all: nothing to add.
  it('gives imagetools the index and manifest-descriptor annotations when it merges several sources', () => {
    const annotated = spec(
      [
        'version: 1',
        'registry: localhost:5000/acme',
        'platforms: [linux/amd64, linux/arm64]',
        'services:',
        '  api:',
        '    context: api',
        '    template: go',
        '    annotations:',
        '      "index:org.opencontainers.image.description": "the api"',
        '      "index,manifest:org.opencontainers.image.revision": "${{ git.sha }}"',
        '      "manifest-descriptor[linux/arm64]:org.example.arch": "arm"',
        '      "org.example.manifest-only": "m"',
        '',
      ].join('\n'),
      { 'api/go.mod': 'module x\n' },
    );
    const apiAmd = shard('amd.json', ['linux/amd64'], { api: { digest: D1 } });
    const plan = planMerge(annotated, [apiAmd, arm], annotated.targets, { MATRIX_GIT_SHA: 'abc123' });
    expect(plan.problems).toEqual([]);
    expect(plan.targets[0]!.annotations).toEqual([
      'index:org.opencontainers.image.description=the api',
      'index:org.opencontainers.image.revision=abc123',
      'manifest-descriptor[linux/arm64]:org.example.arch=arm',
    ]);
    expect(imagetoolsCreateArgs(plan.targets[0]!).slice(3)).toEqual([
      '-t',
      'localhost:5000/acme/api:latest',
      '--annotation',
      'index:org.opencontainers.image.description=the api',
      '--annotation',
      'index:org.opencontainers.image.revision=abc123',
      '--annotation',
      'manifest-descriptor[linux/arm64]:org.example.arch=arm',
      `localhost:5000/acme/api@${D1}`,
      `localhost:5000/acme/api@${D2}`,
    ]);
    // An empty git value is an empty value, as bake reads the unset HCL variable.
    expect(planMerge(annotated, [apiAmd, arm]).targets[0]!.annotations).toContain('index:org.opencontainers.image.revision=');
    const one = planMerge(annotated, [shard('all.json', ['linux/amd64', 'linux/arm64'], { api: { digest: D1 } })]);
    expect(one.targets[0]!.annotations).toBeUndefined();
    expect(imagetoolsCreateArgs(one.targets[0]!)).not.toContain('--annotation');
  });

  it('collects the temporary tags to remove, once each', () => {
    const a = shard('amd.json', ['linux/amd64'], { api: { digest: D1 }, web: { digest: D3 } });
    a.result!.targets.api!.tempTags = ['localhost:5000/acme/api:matrix-tmp-7-1-api-linux-amd64'];
    const plan = planMerge(TWO, [a, a, arm]);
    expect(plan.tempTags).toEqual([{ ref: 'localhost:5000/acme/api:matrix-tmp-7-1-api-linux-amd64', digest: D1 }]);
  });
});

describe('indexPlatforms', () => {
  it('lists image platforms of an index, without attestation manifests', () => {
    const raw = JSON.stringify({
      manifests: [
        { platform: { os: 'linux', architecture: 'amd64' } },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    });
    expect(indexPlatforms(raw)).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    expect(indexPlatforms(JSON.stringify({ config: {}, layers: [] }))).toBeUndefined();
  });

  // containerd/platforms Normalize (platforms.go; normalizeArch in database.go): merge checks
  // each shard's image against the platforms the spec names, so an index that says `arm`
  // without a variant, or amd64/v1, still holds linux/arm/v7 and linux/amd64.
  it('names each platform by containerd Normalize: {arm} is linux/arm/v7, {amd64, v1} is linux/amd64', () => {
    const raw = JSON.stringify({
      manifests: [{ platform: { os: 'linux', architecture: 'amd64', variant: 'v1' } }, { platform: { os: 'linux', architecture: 'arm' } }, { platform: { os: 'linux', architecture: 'aarch64' } }],
    });
    expect(indexPlatforms(raw)).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
  });
});

// `matrix merge` reads each source (`docker buildx imagetools inspect --raw`) and publishes with
// `imagetools create`. When imagetools did not end on its own terms (src/adapters/exit.ts: Node's
// `signal`; a shell's 128 + n, 127, 126, POSIX Shell Command Language 2.8.2; docker's 125 and its silent
// 255 for a plugin a signal ended, docker/cli cmd/docker/docker.go) that is said, exit 74 for a signal
// and 2 for the others. It was "SOURCE cannot be read from the registry: " and "publishing api failed"
// after a blank line, exit 1.
describe('matrix merge when imagetools did not end on its own terms', () => {
  const SOURCE = ['version: 1', 'registry: localhost:5000/acme', 'platforms: [linux/amd64, linux/arm64]', 'services:', '  api:', '    context: api', '    template: go', ''].join('\n');
  const s = spec(SOURCE, { 'api/go.mod': 'module x\n' });
  const INDEX = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });

  /** The repository, both shard files, and a docker whose `imagetools inspect` runs `inspect` and `create` runs `create` (shell lines). */
  function setup(inspect: string, create: string): { dir: string; bin: string } {
    const dir = tempRepo({ 'api/go.mod': 'module x\n', 'matrix.yaml': SOURCE });
    for (const [p, d] of [
      ['linux/amd64', D1],
      ['linux/arm64', D2],
    ] as const) {
      const result = shardResult(shardPlan(selectTargets(s, ['api'], [p]), 'docker-container', '42-1'), 0, { api: { 'containerimage.digest': d } });
      writeFileSync(path.join(dir, `${p.replace('/', '-')}.json`), JSON.stringify(result));
    }
    const bin = path.join(dir, 'fake-docker');
    writeFileSync(bin, ['#!/bin/sh', 'case "$1 $2 $3" in', `  "buildx imagetools inspect") ${inspect};;`, `  "buildx imagetools create") ${create};;`, 'esac', 'exit 1', ''].join('\n'), {
      mode: 0o755,
    });
    return { dir, bin };
  }
  const answer = `echo '${INDEX}'; exit 0`;

  it.each([
    ['create killed', answer, 'kill -KILL $$', 74, 'a fault of this machine', 'create` was killed by SIGKILL', 'publishing api failed. Nothing was published.'],
    ['create exits 137 (a wrapper shell)', answer, 'exit 137', 74, 'a fault of this machine', 'create` exited 137 (128 + 9)', 'publishing api failed. Nothing was published.'],
    ['create exits 255, nothing said', answer, 'exit 255', 74, 'a fault of this machine', 'create` exited 255 and said nothing', 'publishing api failed. Nothing was published.'],
    ['create exits 125', answer, 'echo "unknown flag: --annotation" >&2; exit 125', 2, 'a fault of the docker installation', 'create` exited 125', 'publishing api failed. Nothing was published.'],
    ['inspect killed', 'kill -KILL $$', 'exit 0', 74, 'a fault of this machine', 'inspect` was killed by SIGKILL', 'matrix merge: nothing was published. The final tags are unchanged.'],
    [
      'inspect exits 127',
      'exit 127',
      'exit 0',
      2,
      'a fault of the docker installation',
      'inspect` exited 127: a command it runs was not found',
      'matrix merge: nothing was published. The final tags are unchanged.',
    ],
    ['inspect exits 126', 'exit 126', 'exit 0', 2, 'a fault of the docker installation', 'inspect` exited 126', 'matrix merge: nothing was published. The final tags are unchanged.'],
  ])('%s: said as that, exit 74 or 2', async (_name, inspect, create, exit, whose, words, after) => {
    const { dir, bin } = setup(inspect, create);
    const r = await matrix(['merge', 'linux-amd64.json', 'linux-arm64.json'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: the merge stopped on ${whose}, not of the spec or the build: \`${bin} buildx imagetools ${words}`);
    expect(r.stderr).toContain(after);
    expect(r.stdout).not.toContain('published from run');
  });

  it("imagetools create's own failure (exit 1, its error) stays what it was: the error, exit 1", async () => {
    const { dir, bin } = setup(answer, 'echo "ERROR: unexpected status: 403 Forbidden" >&2; exit 1');
    const r = await matrix(['merge', 'linux-amd64.json', 'linux-arm64.json'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('ERROR: unexpected status: 403 Forbidden\nmatrix merge: publishing api failed. Nothing was published.');
    expect(r.stderr).not.toContain('stopped on');
  });
});
