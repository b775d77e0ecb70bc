// Process hygiene: when docker, its daemon, buildx or a multi-platform builder
// is missing, `matrix bake` says what is wrong and how to fix it, exits 2 and
// never prints a stack trace. The doctor's reading of `docker buildx inspect`
// is driven by a fake docker that prints canned output.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerAt } from '../../src/adapters/docker.js';
import { parseInspect, runDoctor } from '../../src/doctor/doctor.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';
import { matrixAsync, STACK_FRAME } from './run.js';

afterAll(removeTempDirs);

interface Fake {
  /** `docker buildx version` fails, as when the plugin is not installed. */
  noBuildx?: boolean;
  /** `docker version` cannot reach the server. */
  noDaemon?: boolean;
  inspect?: string;
  driverStatus?: string;
  /** Every call first sleeps this long (seconds). */
  delay?: number;
  /** Every call appends `+` to this file when it starts and `-` when its delay is over. */
  trace?: string;
  /** `docker buildx inspect` never answers; it writes its pid to this file (and a missing daemon takes half a second to fail). */
  inspectHangs?: string;
}

const INSPECT_DOCKER_DRIVER = [
  'Name:          default',
  'Driver:        docker',
  'Last Activity: 2024-06-05 10:00:00 +0000 UTC',
  '',
  'Nodes:',
  'Name:      default',
  'Endpoint:  default',
  'Status:    running',
  'BuildKit:  v0.13.1',
  'Platforms: linux/amd64, linux/amd64/v2, linux/386',
  '',
].join('\n');

const INSPECT_CONTAINER_DRIVER = [
  'Name:          multi',
  'Driver:        docker-container',
  '',
  'Nodes:',
  'Name:      multi0',
  'Status:    running',
  'Platforms: linux/amd64*, linux/arm64*, linux/arm/v7',
  'Name:      multi1',
  'Status:    running',
  'Platforms: linux/riscv64, linux/amd64',
  '',
].join('\n');

/** A `docker` that answers the doctor's questions from files, and fails loudly if asked to build. */
function fakeDocker(fake: Fake): string {
  const dir = tempDir('matrix-fake-docker-');
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const inspect = file('inspect.txt', fake.inspect ?? INSPECT_DOCKER_DRIVER);
  const status = file('status.txt', fake.driverStatus ?? '[["Backing Filesystem","extfs"],["driver-type","io.containerd.snapshotter.v1"]]');
  const script = file(
    'docker',
    [
      '#!/bin/sh',
      // With a trace: a line when a probe starts and one when its delay is over (which probes ran at the same time).
      ...(fake.trace ? [`echo "+" >> '${fake.trace}'`] : []),
      ...(fake.delay ? [`sleep ${fake.delay}`] : []),
      ...(fake.trace ? [`echo "-" >> '${fake.trace}'`] : []),
      'case "$1 $2" in',
      `  "version --format") case "$3" in *Server*) ${fake.noDaemon ? (fake.inspectHangs ? 'sleep 0.5; ' : '') + 'echo "Cannot connect to the Docker daemon at unix:///nowhere.sock. Is the docker daemon running?" >&2; exit 1' : 'echo 26.1.5'} ;; *) echo 26.1.5 ;; esac ;;`,
      `  "buildx version") ${fake.noBuildx ? 'echo "docker: \'buildx\' is not a docker command." >&2; exit 1' : 'echo "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3"'} ;;`,
      // As the real CLI: without the plugin `buildx inspect` fails too; without a daemon it exits 0 with an Error line (buildx 0.13.1).
      fake.inspectHangs
        ? `  "buildx inspect") echo $$ > '${fake.inspectHangs}'; exec sleep 60 ;;`
        : fake.noBuildx
          ? `  "buildx inspect") echo "docker: 'buildx' is not a docker command." >&2; exit 1 ;;`
          : fake.noDaemon
            ? `  "buildx inspect") printf 'Name:   default\\nDriver: \\nError:  Cannot connect to the Docker daemon at unix:///nowhere.sock. Is the docker daemon running?\\n' ;;`
            : `  "buildx inspect") cat '${inspect}' ;;`,
      `  "info --format") cat '${status}' ;;`,
      '  *) echo "fake docker: unexpected call: $*" >&2; exit 99 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

const bakeable = new Map<string, Promise<string>>();

/** A repository whose generated files are current, so `matrix bake` gets as far as the engine checks (shared: bake writes nothing there). */
function bakeableRepo(platforms = '[linux/amd64]'): Promise<string> {
  if (!bakeable.has(platforms)) bakeable.set(platforms, makeBakeableRepo(platforms));
  return bakeable.get(platforms)!;
}

async function makeBakeableRepo(platforms: string): Promise<string> {
  const repo = tempRepo({
    'matrix.yaml': `version: 1\nplatforms: ${platforms}\nservices:\n  api:\n    context: api\n    template: go\n`,
    'api/go.mod': 'module example.com/api\n',
  });
  const gen = await matrixAsync(['gen', '-q'], repo);
  expect(gen.status, gen.stderr).toBe(0);
  return repo;
}

/** One line naming what failed, one with the fix, exit 2, no stack, nothing built. */
function expectDiagnosed(r: { status: number | null; stdout: string; stderr: string }, check: string, fix: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^FAIL ${check}: \\S`));
  expect(lines[1]).toMatch(/^ {5}fix: /);
  expect(lines[1]).toMatch(fix);
  expect(lines[2]).toBe('matrix: cannot build until this is fixed (see `matrix doctor`).');
  expect(lines).toHaveLength(3);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toMatch(/internal error|unexpected call/);
  expect(r.stdout).toBe('');
}

describe.concurrent('matrix bake without a working engine', () => {
  it('docker missing (MATRIX_DOCKER=/nonexistent): names it, says how to install it, exit 2', async () => {
    const repo = await bakeableRepo();
    expectDiagnosed(await matrixAsync(['bake'], repo, { MATRIX_DOCKER: '/nonexistent/docker' }), 'docker CLI', /install Docker/);
  });

  it('docker missing from PATH: the same diagnosis', async () => {
    const repo = await bakeableRepo();
    const env: Record<string, string> = { PATH: tempDir('matrix-empty-path-') };
    expectDiagnosed(await matrixAsync(['bake'], repo, env), 'docker CLI', /install Docker/);
  });

  it('daemon down (a fake docker that cannot reach it): names the daemon, exit 2', async () => {
    const repo = await bakeableRepo();
    expectDiagnosed(await matrixAsync(['bake'], repo, { MATRIX_DOCKER: fakeDocker({ noDaemon: true }), DOCKER_HOST: '' }), 'Docker daemon', /start Docker/);
  });

  const hasDocker = spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasDocker && process.env.CI !== 'true')('daemon down (the real docker CLI, DOCKER_HOST at a dead socket): the fix names DOCKER_HOST', async () => {
    const repo = await bakeableRepo();
    const r = await matrixAsync(['bake'], repo, { DOCKER_HOST: `unix://${path.join(repo, 'dead.sock')}` });
    expectDiagnosed(r, 'Docker daemon', /DOCKER_HOST=unix:\/\/.*dead\.sock does not answer: start that daemon or unset DOCKER_HOST/);
    expect(r.stderr).toMatch(/^FAIL Docker daemon: Cannot connect to the Docker daemon/);
  });

  it('buildx missing (docker answers, `docker buildx version` fails): says which package to install, exit 2', async () => {
    const repo = await bakeableRepo();
    expectDiagnosed(await matrixAsync(['bake'], repo, { MATRIX_DOCKER: fakeDocker({ noBuildx: true }) }), 'buildx', /install the buildx plugin/);
  });

  it('a builder that cannot output multi-platform images, asked to push two platforms: says how to get one, exit 2', async () => {
    const repo = await bakeableRepo('[linux/amd64, linux/arm64]');
    const docker = fakeDocker({ driverStatus: '[["Backing Filesystem","extfs"],["Supports d_type","true"]]' });
    expectDiagnosed(await matrixAsync(['bake', '--push'], repo, { MATRIX_DOCKER: docker }), 'multi-platform output', /containerd-snapshotter|docker-container/);
  });

  it('doctor prints every check and exits 1 (not a crash) when docker is missing', async () => {
    const repo = await bakeableRepo();
    const r = await matrixAsync(['doctor'], repo, { MATRIX_DOCKER: '/nonexistent/docker' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL docker CLI: `\/nonexistent\/docker` not found \(ENOENT\)\n {5}fix: /);
    expect(r.stderr + r.stdout).not.toMatch(STACK_FRAME);
  });
});

describe('doctor logic on canned output', () => {
  it('parseInspect reads name, driver and the union of node platforms, without the * marks', () => {
    expect(parseInspect(INSPECT_CONTAINER_DRIVER)).toEqual({
      name: 'multi',
      driver: 'docker-container',
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/riscv64'],
    });
    expect(parseInspect(INSPECT_DOCKER_DRIVER)).toEqual({ name: 'default', driver: 'docker', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/386'] });
    expect(parseInspect('')).toEqual({ name: '', driver: '', platforms: [] });
  });

  const base = { platforms: ['linux/amd64', 'linux/arm64'], emulatedPlatforms: [], registries: [] };
  const byName = async (input: Parameters<typeof runDoctor>[0]) => Object.fromEntries((await runDoctor(input)).map((c) => [c.name, c]));

  it('the docker driver without the containerd image store fails multi-platform output, with the fix', async () => {
    const checks = await byName({ ...base, multiPlatform: true, docker: dockerAt(fakeDocker({ driverStatus: '[["Backing Filesystem","extfs"]]' }), process.env) });
    expect(checks.builder!.status).toBe('ok');
    expect(checks['multi-platform output']).toMatchObject({ status: 'fail' });
    expect(checks['multi-platform output']!.fix).toMatch(/containerd-snapshotter/);
  });

  it('the docker driver with the containerd image store, or a docker-container builder, passes', async () => {
    expect((await byName({ ...base, multiPlatform: true, docker: dockerAt(fakeDocker({}), process.env) }))['multi-platform output']!.status).toBe('ok');
    expect((await byName({ ...base, multiPlatform: true, docker: dockerAt(fakeDocker({ inspect: INSPECT_CONTAINER_DRIVER }), process.env) }))['multi-platform output']!.status).toBe('ok');
  });

  it('stops at the first missing piece: no buildx means no builder checks', async () => {
    const checks = await runDoctor({ ...base, multiPlatform: true, docker: dockerAt(fakeDocker({ noBuildx: true }), process.env) });
    expect(checks.map((c) => `${c.name}:${c.status}`)).toEqual(['docker CLI:ok', 'Docker daemon:ok', 'buildx:fail']);
  });

  it('runs its docker and buildx probes side by side', async () => {
    const trace = path.join(tempDir('matrix-trace-'), 'probes');
    const checks = await runDoctor({ ...base, multiPlatform: true, docker: dockerAt(fakeDocker({ delay: 1, trace }), process.env) });
    expect(checks.map((c) => `${c.name}:${c.status}`)).toEqual(['docker CLI:ok', 'Docker daemon:ok', 'buildx:ok', 'builder:ok', 'multi-platform output:ok']);
    // Five probes of one second each: the work is their overlap, not the time. Probes at once, at the most:
    const events = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    let running = 0;
    let most = 0;
    for (const e of events) most = Math.max(most, (running += e === '+' ? 1 : -1));
    expect(events.filter((e) => e === '+').length).toBe(5);
    // One after another would be 1 (all five start together today; 2 already proves they overlap).
    expect(most).toBeGreaterThanOrEqual(2);
  });

  it('does not wait for the probes still running after a check failed, and stops them', async () => {
    const pidFile = path.join(tempDir('matrix-hang-'), 'pid');
    // The hanging probe sleeps 60 s, longer than this test may run: runDoctor returned without waiting for it.
    const checks = await runDoctor({ ...base, multiPlatform: true, docker: dockerAt(fakeDocker({ noDaemon: true, inspectHangs: pidFile }), process.env) });
    expect(checks.map((c) => `${c.name}:${c.status}`)).toEqual(['docker CLI:ok', 'Docker daemon:fail']);
    // The hanging inspect was started, and is gone (killed, not left to run for a minute).
    await expect.poll(() => existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await expect
      .poll(
        () => {
          try {
            process.kill(pid, 0);
            return 'running';
          } catch {
            return 'gone';
          }
        },
        { timeout: 5000 },
      )
      .toBe('gone');
  });

  it('a platform that must be emulated and that the builder does not list fails with how to register QEMU', async () => {
    const checks = await byName({ ...base, emulatedPlatforms: ['linux/s390x'], multiPlatform: false, docker: dockerAt(fakeDocker({ inspect: INSPECT_CONTAINER_DRIVER }), process.env) });
    // Whether this machine has a binfmt handler decides; either way the check exists and a failure carries a fix.
    const c = checks['emulation linux/s390x']!;
    expect(['ok', 'fail']).toContain(c.status);
    if (c.status === 'fail') expect(c.fix).toMatch(/binfmt|qemu/);
  });
});
