// `matrix verify` must rebuild with exactly what `matrix bake` gives docker
// (bake file, --set values, SOURCE_DATE_EPOCH and labels from git, the
// environment), or every digest would differ. Compared through --dry-run,
// which needs no engine.
import { spawnSync } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import type { Docker } from '../../src/adapters/docker.js';
import { EndedError } from '../../src/adapters/exit.js';
import type { Captured } from '../../src/adapters/process.js';
import { pushedImages, RegistryError } from '../../src/repro/registry.js';
import { copySample, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const DATE = '2024-01-02T03:04:05Z';
const EPOCH = '1704164645';

function gitRepo(sample: string): string {
  const dir = copySample(sample);
  rmSync(path.join(dir, '.git'), { recursive: true });
  const git = (args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: DATE, GIT_COMMITTER_DATE: DATE },
    });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'sample']);
  return dir;
}

/** The words of a dry-run line: `cd DIR && ENV=... docker ARGS...` (quotes as shellQuote writes them). */
function words(line: string): string[] {
  return [...line.trim().matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
}

/** Split `--set X` pairs out, so order among them does not matter. */
function parts(argv: string[]): { head: string[]; sets: string[] } {
  const head: string[] = [];
  const sets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--set') sets.push(argv[++i]!);
    else head.push(argv[i]!);
  }
  return { head, sets: sets.sort() };
}

describe('matrix verify --dry-run', () => {
  let dir: string;
  const env = { SOURCE_DATE_EPOCH: '' };
  beforeAll(() => {
    dir = gitRepo('monorepo');
  });

  it("runs bake's command, with --no-cache and an OCI layout per target instead of --push", async () => {
    const extra = ['--set', '*.args.GO_IMAGE=mirror.example/golang:1', '--platform', 'linux/arm64'];
    const bake = await matrix(['bake', 'api', 'web', 'jobs', '--push', '--dry-run', ...extra], dir, env);
    const verify = await matrix(['verify', 'api', 'web', 'jobs', '--dry-run', '--keep', 'out', ...extra], dir, env);
    expect(bake.status, bake.stderr).toBe(0);
    expect(verify.status, verify.stderr).toBe(0);
    const b = parts(words(bake.stdout));
    const v = parts(words(verify.stdout));
    // Same directory, same environment from git, same bake file and targets.
    expect(v.head.filter((w) => w !== '--no-cache')).toEqual(b.head.filter((w) => w !== '--push'));
    expect(v.head).toContain('--no-cache');
    expect(b.head.some((w) => w.startsWith('MATRIX_GIT_SHA='))).toBe(true);
    // Every --set of bake, plus one output per target and nothing else.
    const outputs = ['api', 'web', 'jobs'].map((t) => `${t}.output=type=oci,dest=${path.join(dir, 'out', t)},tar=false`).sort();
    expect(v.sets).toEqual([...b.sets, ...outputs].sort());
    // SOURCE_DATE_EPOCH comes from the commit, per target.
    expect(v.sets).toContain(`web.args.SOURCE_DATE_EPOCH=${EPOCH}`);
  });

  it('a target built only as a named context of the selection gets its own SOURCE_DATE_EPOCH and labels, in bake and verify', async () => {
    // jobs is FROM base (a `depends_on`: bake builds base as the context `target:base`).
    // base's files must carry base's commit time whether base is selected or not, or
    // jobs' layers differ from a full run's. A later commit to another service moves HEAD.
    const later = gitRepo('monorepo');
    const commit = (args: string[], date: string) =>
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: later, env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
    appendFileSync(path.join(later, 'services', 'web', 'public', 'index.html'), '<!-- later -->\n');
    expect(commit(['commit', '-qam', 'web: later'], '2024-02-03T04:05:06Z').status).toBe(0);
    for (const cmd of [
      ['bake', 'jobs', '--push'],
      ['verify', 'jobs'],
    ]) {
      const r = await matrix([...cmd, '--dry-run'], later, env);
      expect(r.status, r.stderr).toBe(0);
      const sets = parts(words(r.stdout)).sets;
      expect(sets, cmd.join(' ')).toContain(`base.args.SOURCE_DATE_EPOCH=${EPOCH}`);
      expect(sets, cmd.join(' ')).toContain(`jobs.args.SOURCE_DATE_EPOCH=${EPOCH}`);
      expect(
        sets.some((x) => x.startsWith('base.labels.org.opencontainers.image.revision=')),
        cmd.join(' '),
      ).toBe(true);
      // Nothing for targets that are not built.
      expect(
        sets.some((x) => x.startsWith('web.')),
        cmd.join(' '),
      ).toBe(false);
    }
  });

  it('refuses outputs of its own and ambiguous comparisons (exit 2)', async () => {
    for (const args of [
      ['verify', '--dry-run', '--set', '*.output=type=registry'],
      ['verify', 'api', '--dry-run', '--set', 'api.push=true'],
      // bake reads `api-*.output.x` as setting `output` too (buildx bake/bake.go newOverrides; src/bake/command.ts setTarget).
      ['verify', 'api', '--dry-run', '--set', 'a?i.output.x=type=local,dest=o'],
      ['verify', 'api', 'web', '--against', 'localhost:5000/x/api:1'],
      ['verify', 'api', '--against', 'v1', '--metadata-file', 'm.json'],
      ['verify', 'api', '--against', 'not a tag'],
      ['verify', 'api', '--keep', 'a,b'],
    ]) {
      const r = await matrix(args, dir, env);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    }
  });

  it('an unknown target is a usage error with a hint', async () => {
    const r = await matrix(['verify', 'nope', '--dry-run'], dir, env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no target or group named `nope`/);
  });

  it("a docker whose bake --print prints no JSON is error bake-print (exit 2), never a bug in matrix (release/atomic.ts reads bake's --print output)", async () => {
    const bin = path.join(dir, 'fake-docker');
    // A docker, buildx and builder that answer; everything else (`bake --print` too) exits 0 with nothing on stdout.
    const script = [
      '#!/bin/sh',
      'case "$1 $2" in',
      `  "version "*) echo '{"Client":{"Version":"26.1.0"},"Server":{"Version":"26.1.0"}}';;`,
      '  "buildx version") echo "github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dddce2e08c7a0";;',
      `  "buildx inspect") printf 'Name: default\\nDriver: docker-container\\n\\nNodes:\\nName: default0\\nEndpoint: unix:///x\\nStatus: running\\nPlatforms: linux/amd64, linux/arm64\\n';;`,
      'esac',
      'exit 0',
    ];
    writeFileSync(bin, `${script.join('\n')}\n`, { mode: 0o755 });
    const r = await matrix(['verify', 'api'], dir, { ...env, MATRIX_DOCKER: bin });
    expect(r.stderr).not.toMatch(/bug in matrix/);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot read the resolved targets from `docker buildx bake --print`: it printed no JSON \(Unexpected end of JSON input\) \[bake-print\]/);
  });

  it('is listed in --help', async () => {
    expect((await matrix(['--help'], dir)).stdout).toMatch(/matrix verify/);
  });
});

// verify reads the pushed images with `docker buildx imagetools inspect` (src/repro/registry.ts) and
// checks signatures with `cosign verify`. When either did not end on its own terms (src/adapters/exit.ts:
// Node's `signal`; a shell's 128 + n, 127 and 126, POSIX Shell Command Language 2.8.2; docker's 125 and
// its silent 255 for a plugin a signal ended, docker/cli cmd/docker/docker.go), that is said, exit 74 for
// a signal and 2 for the others. It was "cannot read REF: imagetools inspect failed (exit 137)" and
// "nothing to compare with" (exit 1), and "NOT SIGNED hello: REF: " with nothing after the colon.
describe('verify when imagetools or cosign did not end on its own terms', () => {
  const reader = (r: Partial<Captured>) => ({ bin: 'docker', env: {}, capture: async () => ({ code: 0, stdout: '', stderr: '', ...r }) }) as unknown as Docker;

  it.each([
    ['killed, as Node reports it', { code: 137, signal: 'SIGKILL' as const }, 'signal', true],
    ['137 from a wrapper shell', { code: 137 }, 'signal', true],
    ['255, nothing said', { code: 255 }, 'plugin-signal', true],
    ['127', { code: 127 }, 'not-found', false],
    ['126', { code: 126 }, 'not-executable', false],
    ['125', { code: 125, stderr: 'unknown flag: --format' }, 'cli-refused', false],
  ])('reading a pushed image, imagetools %s: EndedError, not a registry error', async (_name, r, kind, machine) => {
    const err = await pushedImages(reader(r), 'localhost:5000/x/hello:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndedError);
    expect((err as EndedError).end).toMatchObject({ kind, machine });
    expect((err as EndedError).end.what).toMatch(/^`docker buildx imagetools inspect` /);
  });

  it('a registry that says no stays a registry error', async () => {
    const err = await pushedImages(reader({ code: 1, stderr: 'ERROR: localhost:5000/x/hello:1: not found' }), 'localhost:5000/x/hello:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toBe('localhost:5000/x/hello:1: not found');
  });

  /** A docker that passes the engine checks; `buildx imagetools` runs `imagetools` (a shell line). */
  function fakeDocker(imagetools: string): string {
    const bin = path.join(tempDir(), 'docker');
    const script = [
      '#!/bin/sh',
      'case "$1 $2" in',
      '  "version --format") echo 26.1.0;;',
      '  "buildx version") echo "github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dddce2e08c7a0";;',
      `  "buildx inspect") printf 'Name: default\\nDriver: docker\\nPlatforms: linux/amd64, linux/arm64\\n';;`,
      `  "info --format") echo '[["driver-type","io.containerd.snapshotter.v1"]]';;`,
      `  "buildx imagetools") ${imagetools};;`,
      '  *) exit 1;;',
      'esac',
      'exit 0',
    ];
    writeFileSync(bin, `${script.join('\n')}\n`, { mode: 0o755 });
    return bin;
  }

  it.each([
    ['killed', 'kill -KILL $$', 74, 'a fault of this machine', 'was killed by SIGKILL'],
    ['exit 127 from a wrapper', 'exit 127', 2, 'a fault of the docker installation', 'exited 127: a command it runs was not found'],
  ])('matrix verify, imagetools %s: said as that, exit 74 or 2, nothing rebuilt', async (_name, imagetools, exit, whose, words) => {
    const dir = copySample('hello-go');
    const bin = fakeDocker(imagetools);
    const r = await matrix(['verify', 'hello', '--against', 'localhost:5000/x/hello:1'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: reading the pushed images stopped on ${whose}, not of the spec or the build: \`${bin} buildx imagetools inspect\` ${words}`);
    expect(r.stderr).not.toContain('nothing to compare with');
  });

  /** hello-go with `sign:`, and a `cosign` on PATH that runs `body` (a shell line). */
  function signed(body: string): { dir: string; env: Record<string, string> } {
    const dir = copySample('hello-go');
    appendFileSync(path.join(dir, 'matrix.yaml'), 'sign:\n  key: cosign.key\n  public_key: cosign.pub\n');
    writeFileSync(path.join(dir, 'cosign.pub'), 'not a key\n');
    const bin = tempDir();
    writeFileSync(path.join(bin, 'cosign'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return { dir, env: { PATH: `${bin}:${process.env.PATH}` } };
  }

  it.each([
    ['killed', 'kill -KILL $$', 74, 'a fault of this machine', '`cosign verify` was killed by SIGKILL'],
    ['137 from a wrapper shell', 'exit 137', 74, 'a fault of this machine', '`cosign verify` exited 137 (128 + 9)'],
    ['127 from a wrapper', 'exit 127', 2, 'a fault of the cosign installation', '`cosign verify` exited 127: a command it runs was not found (a `cosign` wrapper'],
    ['126 from a wrapper', 'exit 126', 2, 'a fault of the cosign installation', '`cosign verify` exited 126'],
  ])('matrix verify --signatures, cosign %s: said as that, exit 74 or 2, not "NOT SIGNED"', async (_name, body, exit, whose, words) => {
    const { dir, env } = signed(body);
    const r = await matrix(['verify', '--signatures'], dir, env);
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: the signature check stopped on ${whose}, not of the spec or the build: ${words}`);
    expect(r.stdout).not.toContain('NOT SIGNED');
  });

  it("matrix verify --signatures: cosign's own failures (exit 1, or 125, which is no docker here) stay NOT SIGNED, exit 1", async () => {
    for (const body of ['echo "Error: no matching signatures" >&2; exit 1', 'exit 125']) {
      const { dir, env } = signed(body);
      const r = await matrix(['verify', '--signatures'], dir, env);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^NOT SIGNED hello: localhost:5000\/samples\/hello-go:multiarch: /m);
      expect(r.stderr).not.toContain('stopped on');
    }
  });
});

// verify reads the tags to compare with from `docker buildx bake --print` (src/cli/verify.ts resolvedTags).
// When that did not end on its own terms (src/adapters/exit.ts: Node's `signal`; a shell's 128 + n, 127 and
// 126, POSIX Shell Command Language 2.8.2; docker's 125 and its silent 255 for a plugin a signal ended,
// docker/cli cmd/docker/docker.go tryPluginRun) it was "docker buildx bake --print failed: " with nothing
// after the colon, exit 2 for every kind.
describe('verify when bake --print did not end on its own terms', () => {
  /** A docker that passes the engine checks; `buildx bake` (--print) runs `print` (a shell line). */
  function fakeDocker(print: string): string {
    const bin = path.join(tempDir(), 'docker');
    const script = [
      '#!/bin/sh',
      'case "$1 $2" in',
      '  "version --format") echo 26.1.0;;',
      '  "buildx version") echo "github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dddce2e08c7a0";;',
      `  "buildx inspect") printf 'Name: default\\nDriver: docker\\nPlatforms: linux/amd64, linux/arm64\\n';;`,
      `  "info --format") echo '[["driver-type","io.containerd.snapshotter.v1"]]';;`,
      `  "buildx bake") ${print};;`,
      '  *) exit 1;;',
      'esac',
      'exit 0',
    ];
    writeFileSync(bin, `${script.join('\n')}\n`, { mode: 0o755 });
    return bin;
  }

  it.each([
    ['killed', 'kill -KILL $$', 74, 'a fault of this machine', 'was killed by SIGKILL'],
    ['255 with nothing said', 'exit 255', 74, 'a fault of this machine', 'exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed'],
    ['exit 127 from a wrapper', 'exit 127', 2, 'a fault of the docker installation', 'exited 127: a command it runs was not found'],
    ['exit 125', 'exit 125', 2, 'a fault of the docker installation', 'exited 125: the docker CLI or buildx refused the command line'],
  ])('matrix verify, bake --print %s: said as that, exit 74 or 2, nothing rebuilt', async (_name, print, exit, whose, words) => {
    const dir = copySample('hello-go');
    const bin = fakeDocker(print);
    const r = await matrix(['verify', 'hello'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: reading the tags to compare with stopped on ${whose}, not of the spec or the build: \`${bin} buildx bake --print\` ${words}`);
    expect(r.stderr).not.toContain('[bake-print]');
  });

  it('bake --print failing on its own terms stays a bake-print error (exit 2)', async () => {
    const dir = copySample('hello-go');
    const r = await matrix(['verify', 'hello'], dir, { MATRIX_DOCKER: fakeDocker('echo "ERROR: docker-bake.hcl:3: bad" >&2; exit 1') });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('docker buildx bake --print failed: ERROR: docker-bake.hcl:3: bad [bake-print]');
  });
});
