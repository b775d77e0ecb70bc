// `matrix bake --push` as data: the release plan (how each image is pushed
// without its final tags), the final tags as bake resolves them, the decision
// to publish, and the metadata file. The mechanism is the shard + merge one
// (src/ci/shard.ts, src/ci/merge.ts), in one run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectTargets } from '../../src/bake/command.js';
import { tempTagFor } from '../../src/ci/shard.js';
import { colors } from '../../src/diagnostics.js';
import { planRelease, printedTargets, releaseOutcome, tempTagsOf, withResolvedTags } from '../../src/release/atomic.js';
import { releaseMetadata } from '../../src/release/metadata.js';
import type { ResolvedSpec } from '../../src/spec.js';
import { compileSpec, exportSpecSource } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function spec(): ResolvedSpec {
  const source = [
    'version: 1',
    'platforms: [linux/amd64, linux/arm64]',
    'services:',
    '  api:',
    '    context: api',
    '    template: go',
    '    tags: ["localhost:5000/acme/api:1.2"]',
    '  web:',
    '    context: web',
    '    template: go',
    '    platforms: [linux/amd64]',
    '    tags: ["localhost:5000/acme/web:1.2"]',
    '',
  ].join('\n');
  const c = compileSpec(source, { 'api/go.mod': 'module x\n', 'web/go.mod': 'module x\n' }, { validateOnly: true });
  expect(c.diagnostics).toEqual([]);
  return c.spec!;
}

// `docker buildx bake --print` output: {"group": ..., "target": {NAME: {tags: [...]}}}
// (https://docs.docker.com/reference/cli/docker/buildx/bake/#print).
const PRINTED = JSON.stringify({
  group: { default: { targets: ['api', 'web'] } },
  target: { api: { tags: ['localhost:5000/acme/api:9.9', 'localhost:5000/acme/api:latest'] }, web: { tags: ['localhost:5000/acme/web:1.2'] } },
});

describe('the release plan of bake --push', () => {
  it('on the docker driver: a temporary tag of the run per target (as a CI shard), final tags from bake --print', () => {
    const s = spec();
    const sel = withResolvedTags(selectTargets(s, []), printedTargets(PRINTED));
    const r = planRelease(s, sel, 'docker', 'run1');
    expect(r.shard.mode).toBe('temp-tag');
    expect(r.shard.set).toEqual([
      `api.tags=${tempTagFor('localhost:5000/acme/api', 'run1', 'api', ['linux/amd64', 'linux/arm64'])}`,
      'api.output=type=image,push=true',
      `web.tags=${tempTagFor('localhost:5000/acme/web', 'run1', 'web', ['linux/amd64'])}`,
      'web.output=type=image,push=true',
    ]);
    expect(r.expected.map((t) => [t.name, t.tags])).toEqual([
      ['api', ['localhost:5000/acme/api:9.9', 'localhost:5000/acme/api:latest']],
      ['web', ['localhost:5000/acme/web:1.2']],
    ]);
  });

  it('on docker-container: push by digest, layers clamped to SOURCE_DATE_EPOCH as a plain --push is there', () => {
    const s = spec();
    const r = planRelease(s, selectTargets(s, ['web']), 'docker-container', 'run1');
    expect(r.shard.set).toEqual(['web.tags=', 'web.output=type=image,name=localhost:5000/acme/web,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true']);
  });

  it('refuses output that is not bake --print JSON', () => {
    expect(() => printedTargets('not json')).toThrow(/bake --print/);
    expect(() => printedTargets('{"group":{}}')).toThrow(/bake --print/);
  });

  // bake/bake.go `Target`: tags a list of strings, output CSV text (0.13) or objects of strings (later,
  // util/buildflags/export.go). Other shapes were crashes (exit 70): `(p.output ?? []).map is not a
  // function`, `Cannot destructure property 'type' of 'o' as it is null`, `reading 'tags'` of null.
  it('refuses a target, tags or outputs of another shape by name, and reads own keys only', () => {
    expect(() => printedTargets('null')).toThrow('it printed null');
    expect(() => printedTargets('{"target":{"web":null}}')).toThrow('target `web` is no object');
    expect(() => printedTargets('{"target":{"web":{"tags":"a/b:1","output":"type=image"}}}')).toThrow('target `web` has `tags` that are no list of strings');
    expect(() => printedTargets('{"target":{"web":{"output":[null]}}}')).toThrow('target `web` has an `output` that is no list of strings or objects of strings');
    const s = spec();
    const own = withResolvedTags(selectTargets(s, ['web']), printedTargets('{"target":{"constructor":{"tags":["x/y:1"]}}}'));
    expect(own.targets[0]!.target.tags).toEqual(s.targets.find((t) => t.name === 'web')!.tags);
  });
});

// bake's --push pushes a target that has no outputs or an image/registry one, and leaves a target
// whose outputs only export files (local, tar, oci, docker, cacheonly) alone: docker/buildx
// bake/bake.go, AddOverrides' `push` key (v0.13.1), and docs/reference/buildx_bake.md (--push).
// `docker buildx bake --print --push` on 0.13.1 shows the same: a `type=local` target keeps its
// output and gets no push. `matrix bake --push` publishes the same targets bake would push.
describe('bake --push leaves a target that exports files alone', () => {
  function exportSpec(): ResolvedSpec {
    const { source, tree } = exportSpecSource();
    const c = compileSpec(source, tree, { validateOnly: true });
    expect(c.diagnostics).toEqual([]);
    return c.spec!;
  }

  it('only the targets bake would push are pushed and published; one that also exports keeps that output', () => {
    const s = exportSpec();
    const r = planRelease(s, selectTargets(s, []), 'docker', 'run1');
    expect(r.notPushed).toEqual(['bin', 'noimage']);
    expect(r.expected.map((t) => t.name)).toEqual(['api', 'both']);
    expect(r.shard.targets.map((t) => t.target)).toEqual(['api', 'both']);
    expect(r.shard.set.filter((x) => !x.includes('.tags='))).toEqual(['api.output=type=image,push=true', 'both.output=type=image,push=true', 'both.output=type=tar,dest=out/both.tar']);
    // A target that is not pushed needs no tag (shard-no-tag is for pushed ones).
    expect(() => planRelease(s, selectTargets(s, ['noimage']), 'docker-container', 'run1')).not.toThrow();
  });

  it("decides from bake's resolved outputs: the user's --set output, a -f file's, buildx 0.14+ printed objects", () => {
    const s = exportSpec();
    // `--set '*.output=type=local,dest=out'`: bake --push then pushes nothing.
    const local = { output: ['type=local,dest=out'] };
    const printed = printedTargets(JSON.stringify({ target: { api: local, bin: local, both: local, noimage: local } }));
    const r = planRelease(s, withResolvedTags(selectTargets(s, []), printed), 'docker', 'run1', ['*.output=type=local,dest=out']);
    expect(r.notPushed).toEqual(['api', 'bin', 'both', 'noimage']);
    expect(r.shard.set).toEqual([]);
    // buildx 0.14 and later print each output as an object of its fields; a -f file made `bin` push.
    const objects = printedTargets(
      JSON.stringify({ target: { api: {}, bin: { output: [{ type: 'registry' }] }, both: { output: [{ type: 'local', dest: 'a b' }, { type: 'image' }] }, noimage: {} } }),
    );
    const r2 = planRelease(s, withResolvedTags(selectTargets(s, []), objects), 'docker', 'run1');
    expect(r2.notPushed).toEqual([]);
    expect(r2.shard.set).toContain('both.output=type=local,"dest=a b"');
    // The user's --set gave `both` its outputs: they stay in bake's list, and are not given twice.
    const r3 = planRelease(s, withResolvedTags(selectTargets(s, []), objects), 'docker', 'run1', ['b?th.output=type=image']);
    expect(r3.shard.set.filter((x) => x.startsWith('both.output='))).toEqual(['both.output=type=image,push=true']);
  });
});

describe('publish or not', () => {
  const s = spec();
  const r = planRelease(s, selectTargets(s, []), 'docker', 'run1');
  const meta = { api: { 'containerimage.digest': D1 }, web: { 'containerimage.digest': D2 } };

  it('every target pushed: one imagetools source per target, nothing in the way', () => {
    const { plan } = releaseOutcome(r, 0, meta);
    expect(plan.problems).toEqual([]);
    expect(plan.targets.map((t) => [t.target, t.tags, t.sources])).toEqual([
      ['api', ['localhost:5000/acme/api:1.2'], [`localhost:5000/acme/api@${D1}`]],
      ['web', ['localhost:5000/acme/web:1.2'], [`localhost:5000/acme/web@${D2}`]],
    ]);
  });

  it('bake failed (no metadata, as bake writes none then): nothing is published, and every temporary tag is removed without a digest check', () => {
    const { plan, result } = releaseOutcome(r, 1, {});
    expect(plan.problems[0]).toBe('bake failed (exit 1)');
    expect(plan.problems.some((p) => /no image for linux\/amd64, linux\/arm64/.test(p))).toBe(true);
    expect(tempTagsOf(r, result).map((t) => [t.ref.split(':').pop()!.startsWith('matrix-tmp-run1-'), t.digest])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it('one target without a digest blocks every target', () => {
    const { plan } = releaseOutcome(r, 0, { api: meta.api });
    expect(plan.problems.length).toBeGreaterThan(0);
  });
});

describe('the metadata file', () => {
  it("per target: bake's keys for the final index, the tags, the index and each platform's manifest", () => {
    const out = releaseMetadata([{ target: 'api', tags: ['r/api:1', 'r/api:latest'], digests: { index: D1, platforms: { 'linux/amd64': D2 } } }]);
    expect(out).toEqual({
      api: { 'image.name': 'r/api:1,r/api:latest', 'containerimage.digest': D1, indexDigest: D1, tags: ['r/api:1', 'r/api:latest'], platforms: { 'linux/amd64': D2 } },
    });
  });
});

describe('publishing the final tags', () => {
  const INDEX = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D2, size: 1, platform: { os: 'linux', architecture: 'amd64' } }],
  });
  const plan = { targets: [{ target: 'api', tags: ['r/api:1'], sources: [`r/api@${D1}`], platforms: { 'linux/amd64': `r/api@${D1}` } }], tempTags: [], problems: [] };
  // containerd's pusher through BuildKit, as docker/buildx#454 and #298 show such faults.
  const RESET = 'ERROR: failed to do request: Put "https://r/v2/api/manifests/1": write tcp 1.2.3.4:5->6.7.8.9:443: write: connection reset by peer';

  function fakeDocker(createResults: { code: number; stderr: string }[]) {
    const calls: string[][] = [];
    const docker = {
      bin: 'docker',
      env: {},
      capture: async (args: string[]) => {
        calls.push(args);
        if (args[2] === 'inspect') return { code: 0, stdout: INDEX + '\n', stderr: '' };
        return { stdout: '', ...createResults.shift()! };
      },
      stream: async () => ({ code: 0 }),
    } as unknown as import('../../src/adapters/docker.js').Docker;
    return { docker, calls };
  }

  it('imagetools create per target; the index digest is the sha256 of what the registry serves', async () => {
    const { publishTargets } = await import('../../src/release/publish.js');
    const { docker, calls } = fakeDocker([{ code: 0, stderr: '' }]);
    const out = await publishTargets(docker, plan, () => undefined);
    expect(calls[0]).toEqual(['buildx', 'imagetools', 'create', '-t', 'r/api:1', `r/api@${D1}`]);
    const { createHash } = await import('node:crypto');
    expect(out.published[0]!.digests).toEqual({ index: `sha256:${createHash('sha256').update(INDEX).digest('hex')}`, platforms: { 'linux/amd64': D2 } });
  });

  it('a transient fault of imagetools create is retried and logged; a refusal is not', async () => {
    const { publishTargets } = await import('../../src/release/publish.js');
    const log: string[] = [];
    const flaky = fakeDocker([
      { code: 1, stderr: RESET },
      { code: 0, stderr: '' },
    ]);
    const ok = await publishTargets(flaky.docker, plan, (l) => log.push(l), { retries: 2, sleep: async () => undefined });
    expect(ok.failed).toBeUndefined();
    expect(log).toContain(`matrix: retry 1 of 2 in 2s: a transient registry or network error: ${RESET}`);
    const denied = fakeDocker([{ code: 1, stderr: 'ERROR: unexpected status from PUT request to https://r/v2/api/manifests/1: 403 Forbidden' }]);
    const no = await publishTargets(denied.docker, plan, () => undefined, { retries: 2, sleep: async () => undefined });
    expect(no.failed?.target).toBe('api');
    expect(denied.calls.filter((a) => a[2] === 'create')).toHaveLength(1);
  });

  // imagetools create that did not end on its own terms (src/adapters/exit.ts): POSIX, Shell Command
  // Language 2.8.2 (a wrapper's 128 + n, 127, 126); docker/cli cmd/docker/docker.go (125, and 255 with
  // nothing said for a plugin a signal ended); Node's `signal` for one it saw itself. It was a failed
  // target with an empty error ("publishing api failed" after a blank line), and a retry candidate.
  it.each([
    ['killed, as Node reports it', { code: 137, signal: 'SIGKILL' as const, stderr: '' }, 'signal', 74, 'was killed by SIGKILL'],
    ['137 from a wrapper shell', { code: 137, stderr: '' }, 'signal', 74, 'exited 137 (128 + 9)'],
    ['255 and nothing said: buildx killed under the docker CLI', { code: 255, stderr: '' }, 'plugin-signal', 74, 'exited 255 and said nothing'],
    ['127 from a wrapper', { code: 127, stderr: '' }, 'not-found', 2, 'exited 127'],
    ['126 from a wrapper', { code: 126, stderr: '' }, 'not-executable', 2, 'exited 126'],
    ['125: docker refused the command line', { code: 125, stderr: 'unknown flag: --annotation' }, 'cli-refused', 2, 'exited 125'],
  ])('imagetools create %s: the end, said as what it is, never retried', async (_name, result, kind, exit, words) => {
    const { publishTargets } = await import('../../src/release/publish.js');
    const { endExit } = await import('../../src/adapters/exit.js');
    const { docker, calls } = fakeDocker([result, { code: 0, stderr: '' }]);
    const out = await publishTargets(docker, plan, () => undefined, { retries: 2, sleep: async () => undefined });
    expect(out.published).toEqual([]);
    expect(out.end).toMatchObject({ kind });
    expect(out.failed).toEqual({ target: 'api', error: out.end!.what });
    expect(out.end!.what).toContain(`\`docker buildx imagetools create\` ${words}`);
    expect(endExit(out.end!)).toBe(exit);
    expect(calls.filter((a) => a[2] === 'create')).toHaveLength(1);
  });

  it('the digests read back after create killed: that target is published (no digests), the end said, the next not tried', async () => {
    const { publishTargets } = await import('../../src/release/publish.js');
    const two = { ...plan, targets: [plan.targets[0]!, { target: 'web', tags: ['r/web:1'], sources: [`r/web@${D2}`], platforms: { 'linux/amd64': `r/web@${D2}` } }] };
    const calls: string[][] = [];
    const docker = {
      bin: 'docker',
      env: {},
      capture: async (args: string[]) => (calls.push(args), args[2] === 'inspect' ? { code: 137, signal: 'SIGKILL', stdout: '', stderr: '' } : { code: 0, stdout: '', stderr: '' }),
      stream: async () => ({ code: 0 }),
    } as unknown as import('../../src/adapters/docker.js').Docker;
    const out = await publishTargets(docker, two, () => undefined);
    expect(out.published).toEqual([{ target: 'api', tags: ['r/api:1'], digests: { platforms: {} } }]);
    expect(out.failed).toBeUndefined();
    expect(out.end?.what).toBe('`docker buildx imagetools inspect` was killed by SIGKILL');
    expect(calls.filter((a) => a[2] === 'create')).toHaveLength(1);
  });
});

// The end of an all-or-nothing `matrix bake --push` (src/release/finish.ts) when cosign, or a read
// before publishing, did not end on its own terms: cosign killed (Node's `signal`, a wrapper's 137)
// or a `cosign` wrapper whose program is missing (127; POSIX Shell Command Language 2.8.2). It was
// "cosign could not sign REF: " with nothing after the colon, and a run that went on signing.
describe('finishing a release when a command did not end on its own terms', () => {
  const s = spec();
  const release = planRelease(s, selectTargets(s, []), 'docker-container', 'run1');
  const meta = { api: { 'containerimage.digest': D1 }, web: { 'containerimage.digest': D2 } };
  const INDEX = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });

  /** A docker whose imagetools answer, and a `cosign` on PATH that runs `body` (a shell line) and logs its calls. */
  function tools(body: string) {
    const bin = tempDir();
    const log = path.join(bin, 'cosign.log');
    writeFileSync(path.join(bin, 'cosign'), `#!/bin/sh\necho "$1" >> '${log}'\n${body}\n`, { mode: 0o755 });
    const calls: string[][] = [];
    const docker = {
      bin: 'docker',
      env: {},
      capture: async (args: string[]) => (calls.push(args), { code: 0, stdout: args[2] === 'inspect' ? INDEX : '', stderr: '' }),
      stream: async () => ({ code: 0 }),
    } as unknown as import('../../src/adapters/docker.js').Docker;
    const signed = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    return { docker, calls, signed, env: { PATH: `${bin}:${process.env.PATH}` } };
  }

  const finish = async (t: ReturnType<typeof tools>, extra: Partial<import('../../src/release/finish.js').FinishInput> = {}) => {
    const { finishRelease } = await import('../../src/release/finish.js');
    const err: string[] = [];
    const input = {
      docker: t.docker,
      release,
      exitCode: 0,
      interrupted: false,
      metadata: meta,
      metadataFile: undefined,
      retries: 0,
      sign: { sign: { key: 'cosign.key' }, specDir: '/', env: t.env },
      ...extra,
    };
    return { result: await finishRelease({ stdout: () => undefined, stderr: (x) => err.push(x) }, input, colors(false)), err: err.join('') };
  };

  it.each([
    ['killed, as Node reports it', 'kill -KILL $$', 'signal', 'was killed by SIGKILL', true],
    ['137 from a wrapper shell', 'exit 137', 'signal', 'exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL', true],
    ['127 from a wrapper', 'exit 127', 'not-found', 'exited 127: a command it runs was not found (a `cosign` wrapper', false],
  ])('cosign sign %s: the end (the release exits 74 or 2), signing stops, the rest is said as not signed', async (_name, body, kind, words, machine) => {
    const t = tools(body);
    const { result } = await finish(t);
    expect(result.published).toBe(true);
    expect(result.end).toMatchObject({ kind, machine, program: 'cosign' });
    expect(result.problems[0]).toMatch(/^api: published, but cosign could not sign localhost:5000\/acme\/api@sha256:[0-9a-f]{64}: `cosign sign` /);
    expect(result.problems[0]).toContain(words);
    expect(result.problems[1]).toBe('web: published, not signed (signing stopped)');
    expect(t.signed()).toEqual(['sign']);
  });

  it('an ordinary cosign failure (exit 1, its error) stays a problem of its target, and the next is signed', async () => {
    const t = tools('echo "Error: signing: getting signer: reading key: decrypt: encrypted: decryption failed" >&2; exit 1');
    const { result } = await finish(t);
    expect(result.end).toBeUndefined();
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toMatch(/: Error: signing: getting signer: reading key: decrypt: encrypted: decryption failed$/);
    expect(t.signed()).toEqual(['sign', 'sign']);
  });

  it('a read before publishing that did not end on its own terms (the image tests): nothing is published, and it is the end', async () => {
    const { abnormalEnd } = await import('../../src/adapters/exit.js');
    const end = abnormalEnd('docker buildx imagetools inspect', { code: 137, signal: 'SIGKILL' }, { plugin: true, said: false })!;
    const t = tools('exit 0');
    const { result, err } = await finish(t, { end });
    expect(result).toMatchObject({ published: false, end });
    expect(result.problems).toContain('the checks before publishing did not finish: `docker buildx imagetools inspect` was killed by SIGKILL');
    expect(err).toContain('nothing was published');
    expect(t.calls.filter((a) => a[2] === 'create')).toEqual([]);
    expect(t.signed()).toEqual([]);
  });
});

// The image tests of an all-or-nothing `matrix bake --push` (src/release/gate.ts), and the engine's local
// temporary tags after it (src/release/local-tags.ts), when docker did not end on its own terms
// (src/adapters/exit.ts): the docker CLI of `docker run` killed (Node's `signal`), `docker create` ended
// 127 (POSIX Shell Command Language 2.8.2), `docker image rm` killed. The test was "exited 137, expected
// 0", a file test "cannot create a container to read files: ", the local tag a warning with nothing after
// the colon, and the run's exit code told nothing of them.
describe('the release tests and local tags when docker did not end on its own terms', () => {
  const s = spec();
  const INDEX = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    ],
  });
  const meta = { api: { 'containerimage.digest': D1, 'image.name': 'localhost:5000/acme/api' }, web: { 'containerimage.digest': D2, 'image.name': 'localhost:5000/acme/web' } };
  /** A docker whose `verb` answers `r`; imagetools gives INDEX; the rest succeed. */
  const dockerAnswering = (verb: string, r: Record<string, unknown>) => {
    const calls: string[][] = [];
    const docker = {
      bin: 'docker',
      env: {},
      capture: async (args: string[]) => {
        calls.push(args);
        if (args[0] === verb) return { code: 0, stdout: '', stderr: '', ...r };
        return { code: 0, stdout: args[0] === 'buildx' ? INDEX : args[0] === 'create' ? 'c0ffee\n' : '', stderr: '' };
      },
      stream: async () => ({ code: 0 }),
    } as unknown as import('../../src/adapters/docker.js').Docker;
    return { docker, calls };
  };

  it.each([
    ['docker run killed, as Node reports it', 'run', { code: 137, signal: 'SIGKILL' }, { command: ['/api', '--version'] }, 'signal', '`docker run` was killed by SIGKILL'],
    ['docker create exited 127', 'create', { code: 127 }, { files: [{ path: '/api' }] }, 'not-found', '`docker create` exited 127'],
  ])('%s: the tests stop with the end (nothing may be published), the later images untested', async (_name, verb, r, test, kind, words) => {
    const { releaseTests } = await import('../../src/release/gate.js');
    const release = planRelease(s, selectTargets(s, []), 'docker-container', 'run1');
    const { docker, calls } = dockerAnswering(verb, r);
    const out = await releaseTests(docker, release, { services: { api: { test: [test] }, web: { test: [test] } } }, meta);
    expect(out.end).toMatchObject({ kind });
    expect(out.end!.what).toContain(words);
    expect(out.failures).toEqual([]);
    expect(calls.filter((a) => a[0] === verb)).toHaveLength(1);
  });

  it('an ordinary test failure stays one, and a 137 of docker run (the command killed in its container) is a failure naming the signal', async () => {
    const { releaseTests } = await import('../../src/release/gate.js');
    const release = planRelease(s, selectTargets(s, []), 'docker-container', 'run1');
    const { docker } = dockerAnswering('run', { code: 137, stdout: '' });
    const out = await releaseTests(docker, release, { services: { api: { test: [{ command: ['/api'] }] } } }, meta);
    expect(out.end).toBeUndefined();
    expect(out.failures.map((f) => f.problem)).toEqual([
      'exited 137 (128 + 9: the command, or docker running it, was killed by SIGKILL), expected 0',
      'exited 137 (128 + 9: the command, or docker running it, was killed by SIGKILL), expected 0',
    ]);
  });

  it("the docker driver's local temporary tag, `docker image rm` killed after publishing: the result's localEnd, said in its line", async () => {
    const { finishRelease } = await import('../../src/release/finish.js');
    const release = planRelease(s, selectTargets(s, []), 'docker', 'run1');
    expect(release.shard.targets.some((t) => t.tempTag)).toBe(true);
    const { docker } = dockerAnswering('image', { code: 137, signal: 'SIGKILL' });
    const err: string[] = [];
    const result = await finishRelease(
      { stdout: () => undefined, stderr: (x) => err.push(x) },
      { docker, release, exitCode: 0, interrupted: false, metadata: meta, metadataFile: undefined, retries: 0 },
      colors(false),
    );
    expect(result.localEnd).toMatchObject({ kind: 'signal', signal: 'SIGKILL' });
    expect(result.end).toBeUndefined();
    expect(err.join('')).toMatch(
      /matrix: kept the local temporary tag localhost:5000\/acme\/api:matrix-tmp-\S+: tagging it localhost:5000\/acme\/api:1\.2 failed: `docker image tag` was killed by SIGKILL/,
    );
  });
});
