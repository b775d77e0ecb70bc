// Issue 8: the same commit gives the same image, on any machine. Two cold
// builds (--no-cache) from two checkouts in different directories, with file
// times that differ, must give the same per-platform manifest digests. The
// first is `matrix bake --push`; the second is `matrix verify` in the other
// checkout, which rebuilds every target without cache (exported as an OCI
// layout, not pushed) and compares each platform's manifest with the pushed
// one, so one cold build proves both the reproducibility and verify itself.
// verify must also name the layer when a file changed without a rebuild.
//
// Builds on one machine share BuildKit's content store, so equal digests alone
// could hide a time that only a fresh machine would see. Hence the second
// check: every file in every layer the build added carries SOURCE_DATE_EPOCH.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { copySample, docker, fixtureSets, fixtures, matrix, matrixAsync, ROOT, requireEngine, runId } from './engine.js';

const hasEngine = requireEngine();

const DATE = '2024-01-02T03:04:05Z';
const EPOCH = 1704164645;
const LATER = '2024-02-03T04:05:06Z';
const REGISTRY = 'http://127.0.0.1:5000';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process, awaited (a long spawnSync starves vitest's RPC). */
const run = (cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> => matrixAsync(cwd, args, env);

function git(dir: string, args: string[], date = DATE): void {
  const r = spawnSync('git', ['-c', 'user.name=matrix-e2e', '-c', 'user.email=e2e@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** A copy of a sample as a fresh checkout of one commit made at DATE; `skew` shifts its file times. */
function checkout(sample: string, skew: number): string {
  const dir = copySample(sample);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', `${sample} at a fixed time`]);
  // Two checkouts never share file times: make sure these do not either.
  const list = spawnSync('git', ['ls-files'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const t = new Date(Date.now() - skew * 1000);
  for (const f of list) utimesSync(path.join(dir, f), t, t);
  return dir;
}

/** The repository of a reference: `localhost:5000/a/b:tag` is `localhost:5000/a/b`. */
const repositoryOf = (ref: string): string => ref.replace(/:[^:/]+$/, '');

/** Per-platform image manifest digests of a pushed reference (attestations left out). */
function platformDigests(ref: string): Record<string, string> {
  const r = docker(['buildx', 'imagetools', 'inspect', '--raw', ref]);
  if (r.status !== 0) throw new Error(`imagetools inspect ${ref}: ${r.stderr}`);
  const index = JSON.parse(r.stdout) as { manifests: { digest: string; platform: { os: string; architecture: string; variant?: string }; annotations?: Record<string, string> }[] };
  const out: Record<string, string> = {};
  for (const m of index.manifests) {
    if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    out[`${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`] = m.digest;
  }
  return out;
}

async function registryJson(repo: string, kind: 'manifests' | 'blobs', ref: string): Promise<unknown> {
  const res = await fetch(`${REGISTRY}/v2/${repo}/${kind}/${ref}`, {
    headers: {
      accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
    },
  });
  if (!res.ok) throw new Error(`GET ${repo}/${kind}/${ref}: ${res.status}`);
  return res.json();
}

async function layerDigests(repo: string, manifestDigest: string): Promise<string[]> {
  const m = (await registryJson(repo, 'manifests', manifestDigest)) as { layers: { digest: string }[] };
  return m.layers.map((l) => l.digest);
}

/** Name and mtime of every entry of a (gzipped) layer; ustar, with PAX overrides. */
async function layerEntries(repo: string, digest: string): Promise<{ name: string; mtime: number }[]> {
  const res = await fetch(`${REGISTRY}/v2/${repo}/blobs/${digest}`);
  if (!res.ok) throw new Error(`GET blob ${digest}: ${res.status}`);
  const buf = gunzipSync(Buffer.from(await res.arrayBuffer()));
  const out: { name: string; mtime: number }[] = [];
  let pax: Record<string, string> = {};
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const field = (a: number, b: number) =>
      h
        .subarray(a, b)
        .toString('utf8')
        .replace(/\0[\s\S]*$/, '');
    const size = parseInt(field(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const body = buf.subarray(off + 512, off + 512 + size).toString('utf8');
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      for (const rec of body.split('\n').filter(Boolean)) {
        const kv = rec.slice(rec.indexOf(' ') + 1);
        pax[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
      }
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(345, 500);
    out.push({ name: pax.path ?? (prefix ? `${prefix}/` : '') + field(0, 100), mtime: pax.mtime !== undefined ? Number(pax.mtime) : parseInt(field(136, 148).trim(), 8) });
    pax = {};
  }
  return out;
}

/** Layers of the fixture runtime image (the base of most samples), per platform: not ours to stamp. */
async function baseLayers(): Promise<Set<string>> {
  const { runtime } = fixtures();
  const repo = repositoryOf(runtime).replace(/^localhost:5000\//, '');
  const out = new Set<string>();
  for (const digest of Object.values(platformDigests(runtime))) for (const l of await layerDigests(repo, digest)) out.add(l);
  return out;
}

/** Entries in the layers a build added on top of its base whose time is not SOURCE_DATE_EPOCH. */
async function unstampedFiles(ref: string): Promise<string[]> {
  const repo = repositoryOf(ref).replace(/^localhost:5000\//, '');
  const skip = await baseLayers();
  const bad: string[] = [];
  for (const [platform, digest] of Object.entries(platformDigests(ref))) {
    for (const layer of await layerDigests(repo, digest)) {
      if (skip.has(layer)) continue;
      for (const e of await layerEntries(repo, layer)) if (e.mtime !== EPOCH) bad.push(`${platform} ${e.name} ${new Date(e.mtime * 1000).toISOString()}`);
    }
  }
  return bad;
}

function seconds(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/** Verify's rows, as `TARGET PLATFORM match` lines, and each row's rebuilt digest. */
interface VerifyOut {
  match: boolean;
  targets: { target: string; platform: string; match: boolean; expected: string; actual: string }[];
}

/** The cold rebuild in a second checkout gives each pushed manifest again. */
function expectSameManifests(out: VerifyOut, refs: Record<string, string>): void {
  const mismatches: string[] = [];
  for (const [target, ref] of Object.entries(refs)) {
    const pushed = platformDigests(ref);
    expect(Object.keys(pushed).sort(), target).toEqual(['linux/amd64', 'linux/arm64']);
    const rows = out.targets.filter((row) => row.target === target);
    expect(rows.map((row) => row.platform).sort(), target).toEqual(['linux/amd64', 'linux/arm64']);
    for (const row of rows) if (row.actual !== pushed[row.platform]) mismatches.push(`${target} ${row.platform}: rebuilt ${row.actual}, pushed ${pushed[row.platform]}`);
  }
  expect(mismatches).toEqual([]);
  expect(out.match).toBe(true);
}

/** The registry's digest of a tag: the sha256 of its manifest or index bytes, as served. */
function registryDigest(ref: string): string {
  const r = spawnSync('docker', ['buildx', 'imagetools', 'inspect', '--raw', ref]);
  if (r.status !== 0) throw new Error(`imagetools inspect --raw ${ref}: ${r.stderr}`);
  return `sha256:${createHash('sha256').update(r.stdout).digest('hex')}`;
}

/** The digests the engine's own image store records for a tag, or undefined when it has no such tag. */
function localDigests(ref: string): string[] | undefined {
  const r = docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]);
  return r.status === 0 ? (JSON.parse(r.stdout) as string[]) : undefined;
}

// The checks above read the registry's layers of the fixture runtime image,
// but BuildKit in dockerd takes a FROM image from the engine's own store when
// that has the name. Another build under a fixture's tag there (the registry
// storage replaced, a tag rebuilt) made the builds use layers the registry
// does not have, and the stamp check failed on files no build of ours made.
// scripts/fixtures.sh removes such a local tag (drop_stale_local in lib.sh).
describe.skipIf(!hasEngine)('fixture images: the engine store holds the registry builds only', () => {
  it('every fixture tag in the engine store is the build the registry has', () => {
    const f = fixtures();
    const wrong: string[] = [];
    for (const ref of [f.toolchain, f.runtime, f.platform, f.jdk]) {
      const local = localDigests(ref);
      const want = `${repositoryOf(ref)}@${registryDigest(ref)}`;
      if (local && !local.includes(want)) wrong.push(`${ref}: the store has ${local.join(', ')}, the registry ${want}`);
    }
    expect(wrong, 'run scripts/fixtures.sh').toEqual([]);
  });

  it('drop_stale_local removes a local tag that is another build and keeps the registry build', () => {
    const ref = `localhost:5000/e2e-stale/probe:${runId()}`;
    const imported = (text: string): void => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-stale-'));
      writeFileSync(path.join(dir, 'build'), text);
      const tar = spawnSync('tar', ['-C', dir, '-cf', '-', 'build']);
      expect(tar.status).toBe(0);
      const r = spawnSync('docker', ['import', '-', ref], { input: tar.stdout });
      expect(r.status, String(r.stderr)).toBe(0);
    };
    const drop = () => spawnSync('bash', ['-c', '. scripts/lib.sh && drop_stale_local "$1"', 'drop', ref], { cwd: ROOT, encoding: 'utf8' });
    imported('pushed\n');
    expect(docker(['push', '-q', ref]).status).toBe(0);
    imported('built here later\n');
    const stale = drop();
    expect(stale.status, stale.stderr).toBe(0);
    expect(stale.stderr).toContain(`local ${ref} is not the registry's (${registryDigest(ref)})`);
    expect(localDigests(ref)).toBeUndefined();
    expect(docker(['pull', '-q', ref]).status).toBe(0);
    const same = drop();
    expect(same.status, same.stderr).toBe(0);
    expect(same.stderr).toBe('');
    expect(localDigests(ref)).toContain(`${repositoryOf(ref)}@${registryDigest(ref)}`);
  });
});

describe.skipIf(!hasEngine)('reproducible images: samples/hello-go', () => {
  const id = runId();
  const tag = `localhost:5000/e2e-repro/hello-go:${id}`;
  const goImage = () => `*.args.GO_IMAGE=${fixtures().toolchain}`;
  let pushed: Run;
  let verified: Run;

  beforeAll(async () => {
    const a = checkout('hello-go', 0);
    const b = checkout('hello-go', 86_400);
    let started = Date.now();
    // buildx gives SOURCE_DATE_EPOCH from the environment to every target as a build arg.
    pushed = await run(a, ['bake', '--push', '--no-cache', '--json', '--set', goImage(), '--set', `hello.tags=${tag}`], { SOURCE_DATE_EPOCH: String(EPOCH) });
    console.log(`hello-go cold build and push (checkout a): ${seconds(started)}s`);
    if (pushed.status !== 0) return;
    started = Date.now();
    // No SOURCE_DATE_EPOCH: verify takes it from the commit, made at EPOCH.
    verified = await run(b, ['verify', '--json', '--set', goImage(), '--set', `hello.tags=${tag}`]);
    console.log(`hello-go cold rebuild by matrix verify (checkout b): ${seconds(started)}s`);
  });

  it('a cold build in a second checkout gives the pushed image manifest for each platform', () => {
    expect(pushed.status, pushed.stderr.slice(-3000)).toBe(0);
    expect(verified.status, verified.stderr.slice(-3000)).toBe(0);
    expectSameManifests(JSON.parse(verified.stdout) as VerifyOut, { hello: tag });
  });

  it('every file the build put in the image carries SOURCE_DATE_EPOCH', async () => {
    expect(await unstampedFiles(tag)).toEqual([]);
  });
});

describe.skipIf(!hasEngine)('reproducible images: samples/monorepo', () => {
  const id = runId();
  const tagOf = (target: string, copy: string) => `localhost:5000/e2e-repro/${target}:${id}-${copy}`;
  const dirs: Record<string, string> = {};
  let targets: string[];
  const tagSets = (copy: string) => targets.flatMap((t) => ['--set', `${t}.tags=${tagOf(t, copy)}`]);

  beforeAll(async () => {
    dirs.a = checkout('monorepo', 0);
    dirs.b = checkout('monorepo', 86_400);
    targets = (JSON.parse(matrix(dirs.a, ['plan', '--json']).stdout).targets as { name: string }[]).map((t) => t.name);
    const started = Date.now();
    const r = await run(dirs.a, ['bake', '--push', '--no-cache', '--json', ...fixtureSets(), ...tagSets('a')], { SOURCE_DATE_EPOCH: String(EPOCH) });
    console.log(`monorepo cold build and push (checkout a): ${seconds(started)}s`);
    if (r.status !== 0) throw new Error(`bake in checkout a failed:\n${r.stderr.slice(-4000)}`);
  });

  it('matrix verify in a second checkout rebuilds every target cold and finds each pushed manifest', async () => {
    expect(targets.length).toBeGreaterThanOrEqual(8);
    const started = Date.now();
    // No SOURCE_DATE_EPOCH: verify takes each target's from the commit, made at EPOCH.
    const r = await run(dirs.b!, ['verify', '--json', ...fixtureSets(), ...tagSets('a')]);
    console.log(`matrix verify, all targets (checkout b): ${seconds(started)}s`);
    expect(r.status, r.stderr.slice(-4000)).toBe(0);
    const out = JSON.parse(r.stdout) as VerifyOut;
    expect(out.targets.map((row) => `${row.target} ${row.platform} ${row.match}`).sort()).toEqual(targets.flatMap((t) => [`${t} linux/amd64 true`, `${t} linux/arm64 true`]).sort());
    expectSameManifests(out, Object.fromEntries(targets.map((t) => [t, tagOf(t, 'a')])));
  });

  it('every file the builds put in the images carries SOURCE_DATE_EPOCH', async () => {
    const bad: string[] = [];
    for (const t of targets) bad.push(...(await unstampedFiles(tagOf(t, 'a'))).map((e) => `${t}: ${e}`));
    expect(bad).toEqual([]);
  });

  it('matrix verify names the layer when a file changed without a rebuild', async () => {
    const page = path.join(dirs.b!, 'services', 'web', 'public', 'index.html');
    appendFileSync(page, '<!-- edited after the build -->\n');
    try {
      const started = Date.now();
      // jobs: an unchanged target next to the changed one (cheap: base plus a COPY).
      const r = await run(dirs.b!, ['verify', 'web', 'jobs', '--json', ...fixtureSets(), ...tagSets('a')]);
      console.log(`matrix verify web jobs: ${seconds(started)}s`);
      expect(r.status, r.stderr.slice(-4000)).toBe(1);
      const out = JSON.parse(r.stdout) as {
        match: boolean;
        targets: { target: string; platform: string; match: boolean; difference?: { kind: string; index: number; actual?: { step?: string; digest: string }; expected?: { digest: string } } }[];
      };
      expect(out.match).toBe(false);
      const jobs = out.targets.filter((x) => x.target === 'jobs');
      expect(jobs.map((x) => x.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      for (const row of jobs) expect(row.match, row.platform).toBe(true);
      const web = out.targets.filter((x) => x.target === 'web');
      expect(web.map((x) => x.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      for (const row of web) {
        expect(row.match).toBe(false);
        expect(row.difference?.kind).toBe('layer');
        // The layer that copies public/ into /www.
        expect(row.difference?.actual?.step).toMatch(/COPY .*\/www\//);
        expect(row.difference?.expected?.digest).not.toBe(row.difference?.actual?.digest);
      }
      // The text report says the same.
      const text = await run(dirs.b!, ['verify', 'web', '--platform', 'linux/amd64', ...fixtureSets(), ...tagSets('a')]);
      expect(text.status).toBe(1);
      expect(text.stdout).toMatch(/web\s+linux\/amd64\s+sha256:\S+\s+sha256:\S+\s+NO/);
      expect(text.stdout).toMatch(/layer \d+ differs \(COPY .*\/www\/.*\)/);
    } finally {
      git(dirs.b!, ['checkout', '--', 'services/web/public/index.html']);
    }
  });

  it('a commit that changes one service changes the digests of that service only', async () => {
    const page = path.join(dirs.b!, 'services', 'web', 'public', 'index.html');
    appendFileSync(page, '<!-- a later commit -->\n');
    git(dirs.b!, ['commit', '-qam', 'web: new page'], LATER);
    // No SOURCE_DATE_EPOCH here: matrix bake takes each target's from the last commit of its inputs.
    const started = Date.now();
    const r = await run(dirs.b!, ['bake', '--push', '--json', ...fixtureSets(), ...tagSets('c')]);
    console.log(`monorepo build after a commit to web: ${seconds(started)}s`);
    expect(r.status, r.stderr.slice(-4000)).toBe(0);
    const changed: string[] = [];
    for (const t of targets) {
      const a = platformDigests(tagOf(t, 'a'));
      const c = platformDigests(tagOf(t, 'c'));
      if (JSON.stringify(a) !== JSON.stringify(c)) changed.push(t);
    }
    expect(changed).toEqual(['web']);
  });
});
