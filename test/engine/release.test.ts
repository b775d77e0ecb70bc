// Safe releases (issue 14) on the real engine and the local registry:
// `matrix bake --push` publishes all or nothing. Every image is pushed
// without its final tags first (temporary tags of the run on this engine's
// `docker` driver, as `matrix merge` does), and the final tags are created
// only when every target was built and pushed. Tiny images FROM the runtime
// fixture, built on the build platform (nothing under QEMU), share the cache.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, fixtures, matrix, matrixAsync, requireEngine, runId, type RunResult } from './engine.js';

const hasEngine = requireEngine();

function registry(method: 'GET' | 'HEAD', pathname: string): Promise<{ status: number; body: string; digest?: string }> {
  const accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json';
  return new Promise((resolve, reject) => {
    const req = http.request({ method, host: '127.0.0.1', port: 5000, path: pathname, headers: { Accept: accept }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers['docker-content-digest'] ? { digest: String(res.headers['docker-content-digest']) } : {}) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Tags of a repository of the local registry (an empty list when it has none). */
async function tagsOf(repo: string): Promise<string[]> {
  const r = await registry('GET', `/v2/${repo}/tags/list`);
  if (r.status === 404) return [];
  return ((JSON.parse(r.body) as { tags?: string[] | null }).tags ?? []).sort();
}

/** The tags of `repo` (e.g. localhost:5000/e2e/release-one) in the engine's own image store. */
function localTagsOf(repo: string): string[] {
  return docker(['image', 'ls', '--format', '{{.Tag}}', repo]).stdout.split('\n').filter(Boolean).sort();
}

/** A repository with services built from a tiny template: one shell step, FAIL (a build arg) makes it exit. */
/** A file name longer than a ustar header's 100 bytes. */
const LONG_NAME = 'l'.repeat(120);

function releaseRepo(id: string, services: Record<string, { depends?: string[]; registry?: string; extra?: string[] }>, top: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-release-'));
  spawnSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(
    path.join(dir, 'step.hbs'),
    [
      '{{!--',
      'description: one shell step on the build platform',
      '--}}',
      'ARG BASE_IMAGE=debian:bookworm-slim',
      'FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS work',
      'ARG TARGETARCH',
      'ARG FAIL=0',
      'COPY README /README',
      'RUN if [ "$FAIL" != 0 ]; then echo "step failed on purpose" >&2; exit "$FAIL"; fi; echo "$TARGETARCH" > /arch',
      // Names docker cp archives after a PAX header (test/fixtures/docker-cp/README.md).
      `RUN mkdir /named && echo a > /named/données && chmod 0750 /named/données && echo b > /named/${LONG_NAME} && chmod 0700 /named/${LONG_NAME}`,
      'FROM ${BASE_IMAGE}',
      'COPY --from=work /arch /arch',
      'COPY --from=work /named /named',
      '',
    ].join('\n'),
  );
  // A dependent service is built FROM its dependency (a named context).
  writeFileSync(path.join(dir, 'on.hbs'), ['{{!--', 'description: on top of the dependency', '--}}', 'FROM dep', 'COPY README /README', ''].join('\n'));
  const lines = ['version: 1', ...top, 'platforms: [linux/amd64, linux/arm64]', 'services:'];
  for (const [name, s] of Object.entries(services)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'README'), `${name} ${id}\n`);
    const repo = s.registry ?? 'localhost:5000';
    lines.push(`  ${name}:`, `    context: ${name}`, `    template: ${s.depends ? 'on.hbs' : 'step.hbs'}`, `    tags: ["${repo}/e2e/release-${name}:${id}"]`);
    if (s.depends) lines.push(`    depends_on: [${s.depends.join(', ')}]`);
    lines.push(...(s.extra ?? []));
  }
  writeFileSync(path.join(dir, 'matrix.yaml'), lines.join('\n') + '\n');
  const gen = matrix(dir, ['gen']);
  if (gen.status !== 0) throw new Error(gen.stderr);
  return dir;
}

const base = () => ['--set', `*.args.BASE_IMAGE=${fixtures().runtime}`];

describe.skipIf(!hasEngine)('matrix bake --push: all or nothing', () => {
  const id = runId();
  const names = ['one', 'two', 'bad'];
  let dir: string;
  let failed: RunResult;
  let second: RunResult;
  /** The repositories' tags right after the failed run. */
  let tagsAfterFailure: string[][];
  /** The same repositories' tags in the engine's image store then (the docker driver keeps what it pushed). */
  let localAfterFailure: string[][];

  beforeAll(async () => {
    dir = releaseRepo(id, { one: {}, two: {}, bad: {} });
    failed = await matrixAsync(dir, ['bake', '--push', '--json', ...base(), '--set', 'bad.args.FAIL=3', '--metadata-file', 'meta.json']);
    tagsAfterFailure = await Promise.all(names.map((n) => tagsOf(`e2e/release-${n}`)));
    localAfterFailure = names.map((n) => localTagsOf(`localhost:5000/e2e/release-${n}`));
    second = await matrixAsync(dir, ['bake', '--push', '--json', ...base(), '--metadata-file', 'meta.json']);
  }, 600_000);

  it('a run where one target fails publishes no final tag, says so, and leaves no temporary tag', async () => {
    expect(failed.status, failed.stderr.slice(-3000)).toBe(1);
    expect(failed.stderr).toMatch(/nothing was published/);
    expect(failed.stderr).toMatch(/bake failed \(exit 1\)/);
    // A build error is never retried.
    expect(failed.stderr).not.toMatch(/matrix: retry/);
    const summary = JSON.parse(failed.stdout) as { release: { published: boolean; problems: string[] } };
    expect(summary.release.published).toBe(false);
    // The final tags did not move; the temporary ones (matrix-tmp-...) are gone (none here is of an earlier run).
    for (const tags of tagsAfterFailure) expect(tags.filter((t) => t === id || t.startsWith('matrix-tmp-'))).toEqual([]);
    // Nor in the engine's image store, where the docker driver kept each image it pushed under its temporary tag.
    for (const tags of localAfterFailure) expect(tags.filter((t) => t === id || t.startsWith('matrix-tmp-'))).toEqual([]);
  });

  it('the next run publishes every target, from the cache, with one index per target and a metadata file', async () => {
    expect(second.status, second.stderr.slice(-3000)).toBe(0);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Record<
      string,
      { tags: string[]; indexDigest: string; platforms: Record<string, string>; 'containerimage.digest': string }
    >;
    expect(Object.keys(meta).sort()).toEqual([...names].sort());
    for (const n of names) {
      const head = await registry('HEAD', `/v2/e2e/release-${n}/manifests/${id}`);
      expect(head.status).toBe(200);
      const m = meta[n]!;
      expect(m.tags).toEqual([`localhost:5000/e2e/release-${n}:${id}`]);
      expect(m.indexDigest).toBe(head.digest);
      expect(m['containerimage.digest']).toBe(head.digest);
      const index = JSON.parse((await registry('GET', `/v2/e2e/release-${n}/manifests/${id}`)).body) as { manifests: { digest: string; platform: { os: string; architecture: string } }[] };
      const own = (p: string) => index.manifests.find((x) => `${x.platform.os}/${x.platform.architecture}` === p)?.digest;
      expect(m.platforms).toEqual({ 'linux/amd64': own('linux/amd64'), 'linux/arm64': own('linux/arm64') });
      expect((await tagsOf(`e2e/release-${n}`)).filter((t) => t.startsWith('matrix-tmp-'))).toEqual([]);
      // The engine's image store has each image under its final tag, as `docker buildx bake --push` leaves it on this driver.
      expect(localTagsOf(`localhost:5000/e2e/release-${n}`).filter((t) => t === id || t.startsWith('matrix-tmp-'))).toEqual([id]);
    }
    // The finished targets came from the cache of the failed run.
    expect(second.stderr).toMatch(/CACHED/);
    const run = docker(['run', '--rm', '--platform', 'linux/arm64', `localhost:5000/e2e/release-two:${id}`, 'cat', '/arch']);
    expect(run.stdout.trim()).toBe('arm64');
  });
});

// docker/buildx bake/bake.go setPushOverride (buildx 0.14+): bake --push pushes a target whose every
// output is `docker`, adding an image output beside them; one that exports files (`local`) is built
// and exported, not pushed. The engine's buildx is 0.13.1, whose --push did not push the first:
// matrix spells the outputs out itself, so the rule is the same whatever buildx runs it.
describe.skipIf(!hasEngine)('matrix bake --push: which outputs push', () => {
  it('a target with only a docker output is published and loaded; one with a local export is exported, not pushed', async () => {
    const id = runId();
    const dir = releaseRepo(id, { dockout: { extra: ['    output: ["type=docker"]'] } });
    // The exported target's image is FROM scratch: a local export of the whole runtime fixture (multi-platform) fails
    // on this engine now and then with raw `docker buildx bake` too ("failed to solve: not found", "context canceled").
    mkdirSync(path.join(dir, 'localout'));
    writeFileSync(path.join(dir, 'localout', 'README'), `localout ${id}\n`);
    writeFileSync(path.join(dir, 'scratch.hbs'), ['{{!--', 'description: one file on scratch', '--}}', 'FROM scratch', 'COPY README /README', ''].join('\n'));
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    const localout = [
      '  localout:',
      '    context: localout',
      '    template: scratch.hbs',
      `    tags: ["localhost:5000/e2e/release-localout:${id}"]`,
      '    output: ["type=local,dest=out/localout"]',
      '',
    ];
    writeFileSync(path.join(dir, 'matrix.yaml'), spec + localout.join('\n'));
    expect(matrix(dir, ['gen']).status).toBe(0);
    const r = await matrixAsync(dir, ['bake', '--push', ...base()]);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(await tagsOf('e2e/release-dockout')).toContain(id);
    expect(localTagsOf('localhost:5000/e2e/release-dockout')).toContain(id);
    expect(r.stderr).toMatch(/note: localout is not pushed: its outputs export it/);
    expect(r.stderr).not.toMatch(/note: dockout is not pushed/);
    expect(await tagsOf('e2e/release-localout')).not.toContain(id);
    expect(readFileSync(path.join(dir, 'out/localout/linux_arm64/README'), 'utf8')).toBe(`localout ${id}\n`);
  }, 600_000);
});

describe.skipIf(!hasEngine)('matrix bake --keep-going', () => {
  it('builds the unrelated target, skips the dependents of the failed one, and exits 1', async () => {
    const id = runId();
    // Services named apart from the other cases: one bake file, distinct images.
    const dir = releaseRepo(id, { kbase: {}, kapp: { depends: ['kbase'] }, kother: {} });
    writeFileSync(path.join(dir, 'on.hbs'), ['{{!--', 'description: on top of the dependency', '--}}', 'FROM kbase', 'COPY README /README', ''].join('\n'));
    expect(matrix(dir, ['gen']).status).toBe(0);
    const r = await matrixAsync(dir, ['bake', '--keep-going', '--json', ...base(), '--set', 'kbase.args.FAIL=4']);
    expect(r.status, r.stderr.slice(-3000)).toBe(1);
    const out = JSON.parse(r.stdout) as { keepGoing: { built: string[]; failed: string[]; skipped: { target: string; reason: string }[] } };
    // (bake's log in the message: an intermittent failure here classified kother as failed)
    expect(out.keepGoing, r.stderr.slice(-6000)).toEqual({ built: ['kother'], failed: ['kbase'], skipped: [{ target: 'kapp', reason: 'depends on kbase, which failed' }] });
    expect(r.stderr).toMatch(/--keep-going: kbase failed; building what does not depend on it/);
  }, 600_000);
});

/**
 * A TCP proxy in front of the local registry that resets every connection
 * which starts an upload (POST, PUT or PATCH) for `windowMs` after the first
 * one, as a flaky network or load balancer would; everything else is passed
 * through. BuildKit retries a failed blob push itself, up to a backoff of 8 s
 * (1 s, 2 s, 4 s: util/resolver/retryhandler/retry.go in moby/buildkit; older
 * versions 2 s, 4 s), so a window longer than its retries fails the first
 * push, whatever the number of layers, and matrix's own retry must publish.
 * (A count of resets spread over concurrent blob pushes let BuildKit's own
 * retries absorb them in some runs.)
 */
function flakyProxy(windowMs: number): Promise<{ port: number; resetCount: () => number; close: () => void }> {
  let done = 0;
  let firstUpload: number | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(5000, '127.0.0.1');
    // Each request is inspected on its way (a connection carries several: keep-alive).
    client.on('data', (chunk) => {
      if (/^(POST|PUT|PATCH) /.test(chunk.toString('latin1', 0, 8))) {
        firstUpload ??= Date.now();
        if (Date.now() - firstUpload < windowMs) {
          done++;
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, resetCount: () => done, close: () => server.close() })));
}

describe.skipIf(!hasEngine)('matrix bake --push through a registry that resets its first uploads', () => {
  it('retries the push, logs the cause, and publishes', async () => {
    const proxy = await flakyProxy(12_000);
    try {
      const id = runId();
      const host = `127.0.0.1:${proxy.port}`;
      const dir = releaseRepo(id, { flaky: { registry: host } });
      const r = await matrixAsync(dir, ['bake', '--push', '--json', '--retries', '3', ...base()]);
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      expect(proxy.resetCount()).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/matrix: retry 1 of 3 in 2s: a transient registry or network error: .*(connection reset by peer|EOF)/);
      const head = await registry('HEAD', `/v2/e2e/release-flaky/manifests/${id}`);
      expect(head.status).toBe(200);
    } finally {
      proxy.close();
    }
  }, 600_000);
});

describe.skipIf(!hasEngine)('matrix bake --push with image tests', () => {
  it('a test that fails on arm64 only (run under QEMU) blocks the release and names the platform', async () => {
    const id = runId();
    const extra = [
      '    test:',
      '      - name: built-for-amd64',
      '        command: [cat, /arch]',
      '        stdout: amd64',
      '      - name: arch-file',
      '        files: [{path: /arch, mode: "0644"}, {path: /no-such-file, exists: false}]',
    ];
    const dir = releaseRepo(id, { tarch: { extra }, tplain: {} });
    const r = await matrixAsync(dir, ['bake', '--push', '--json', ...base()]);
    expect(r.status, r.stderr.slice(-3000)).toBe(1);
    expect(r.stderr).toMatch(/test failed: tarch \(linux\/arm64\) `built-for-amd64`: stdout was "arm64\\n", expected "amd64"/);
    expect(r.stderr).not.toMatch(/test failed: tarch \(linux\/amd64\)/);
    expect(r.stderr).not.toMatch(/arch-file/);
    expect(r.stderr).toMatch(/nothing was published/);
    const out = JSON.parse(r.stdout) as { release: { published: boolean; problems: string[] } };
    expect(out.release.problems).toContain('tarch (linux/arm64): test `built-for-amd64` failed: stdout was "arm64\\n", expected "amd64"');
    // Neither the tested target nor the other one was published.
    for (const n of ['tarch', 'tplain']) expect((await registry('HEAD', `/v2/e2e/release-${n}/manifests/${id}`)).status).toBe(404);
  }, 600_000);

  it('matrix test runs the checks alone on the published images, and names the platform that fails', async () => {
    const id = runId();
    const passing = [
      '    test:',
      '      - name: arch-file',
      `        files: [{path: /arch, mode: "0644"}, {path: /named/données, mode: "0750"}, {path: /named/${LONG_NAME}, mode: "0700"}]`,
      '      - command: [cat, /arch]',
      '        stdout_matches: "^(amd64|arm64)$"',
    ];
    const dir = releaseRepo(id, { ttest: { extra: passing } });
    const bake = await matrixAsync(dir, ['bake', '--push', ...base()]);
    expect(bake.status, bake.stderr.slice(-3000)).toBe(0);
    const ok = await matrixAsync(dir, ['test']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/passed: every check on 2 image\(s\)/);
    // The same images, a check that only amd64 passes.
    // The same images, a check that only amd64 passes, and another mode for the file with a non-ASCII name.
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8').replace('"^(amd64|arm64)$"', '"^amd64$"').replace('mode: "0750"', 'mode: "0755"');
    writeFileSync(path.join(dir, 'matrix.yaml'), spec);
    const bad = await matrixAsync(dir, ['test']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/test failed: ttest \(linux\/arm64\) `cat \/arch`: stdout "arm64\\n" does not match \/\^amd64\$\//);
    expect(bad.stderr).toMatch(/test failed: ttest \(linux\/amd64\) `arch-file`: \/named\/données has mode 0750, expected 0755/);
    expect(bad.stderr).not.toMatch(/\(linux\/amd64\)` /);
  }, 600_000);
});

const hasCosign = spawnSync('cosign', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasCosign && process.env.CI === 'true') throw new Error('CI=true but cosign is missing: .ci/run installs it (Debian package cosign)');

describe.skipIf(!hasEngine || !hasCosign)('matrix bake --push with sign:', () => {
  it('cosign signs every published index with the spec key (offline); cosign verify accepts them and rejects a tampered index', async () => {
    const id = runId();
    const dir = releaseRepo(id, { sone: {}, stwo: {} }, ['sign: {key: cosign.key, public_key: cosign.pub}']);
    const env = { COSIGN_PASSWORD: `pw-${id}` };
    const keys = spawnSync('cosign', ['generate-key-pair'], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(keys.status, keys.stderr).toBe(0);
    const r = await matrixAsync(dir, ['bake', '--push', ...base(), '--metadata-file', 'meta.json'], env);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Record<string, { tags: string[]; indexDigest: string }>;
    // https://docs.sigstore.dev/cosign/verifying/verify/ (a key pair, no transparency log)
    const verify = (ref: string) => spawnSync('cosign', ['verify', '--insecure-ignore-tlog=true', '--allow-http-registry=true', '--key=cosign.pub', '--', ref], { cwd: dir, encoding: 'utf8' });
    for (const n of ['sone', 'stwo']) {
      expect(r.stderr).toContain(`signed ${n}: localhost:5000/e2e/release-${n}@${meta[n]!.indexDigest}`);
      const ok = verify(`localhost:5000/e2e/release-${n}@${meta[n]!.indexDigest}`);
      expect(ok.status, ok.stderr).toBe(0);
      expect(verify(meta[n]!.tags[0]!).status).toBe(0);
    }
    const checked = await matrixAsync(dir, ['verify', '--signatures']);
    expect(checked.status, checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/^signed sone: .*\nsigned stwo: /m);
    // Tampered: the tag moved to another index (an annotation added): no signature for it.
    const tag = meta.sone!.tags[0]!;
    const moved = docker(['buildx', 'imagetools', 'create', '--annotation', 'index:tampered=1', '-t', tag, `localhost:5000/e2e/release-sone@${meta.sone!.indexDigest}`]);
    expect(moved.status, moved.stderr).toBe(0);
    const bad = verify(tag);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/no signatures found|no matching signatures/);
    const refused = await matrixAsync(dir, ['verify', '--signatures']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^NOT SIGNED sone: /m);
    expect(refused.stdout).toMatch(/^signed stwo: /m);
  }, 600_000);
});
