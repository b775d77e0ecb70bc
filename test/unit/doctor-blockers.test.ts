// `matrix bake` asks the doctor only for what blocks a build (blockersOnly):
// one `docker buildx inspect` instead of four docker processes when it shows
// a working docker or docker-container builder; otherwise every probe runs and
// the failure and fix are the ones `matrix doctor` gives. `buildx inspect`
// exits 0 even when the daemon does not answer, with an `Error:` line
// (buildx 0.13.1: `DOCKER_HOST=unix:///x.sock docker buildx inspect` prints
// `Error: Cannot connect to the Docker daemon ...` and exits 0), so that line
// sends it to the full probes.
import { describe, expect, it } from 'vitest';
import type { Docker } from '../../src/adapters/docker.js';
import { runDoctor } from '../../src/doctor/doctor.js';
import { lastLine } from '../../src/adapters/process.js';

const INSPECT_OK =
  'Name:          default\nDriver:        docker\nLast Activity: 2026-01-01 00:00:00 +0000 UTC\n\nNodes:\nName:      default\nEndpoint:  default\nStatus:    running\nPlatforms: linux/amd64, linux/arm64\n';
const INSPECT_DOWN =
  'Name:          default\nDriver:        \nLast Activity: 2026-01-01 00:00:00 +0000 UTC\nError:         Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?\n';
const DOWN = 'Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?';

/** A docker whose answers are given per command (`version`, `buildx version`, `buildx inspect`, `info`), recording each call. */
function fakeDocker(answers: Record<string, { code: number; stdout?: string; stderr?: string }>) {
  const calls: string[] = [];
  const docker = {
    bin: 'docker',
    env: {},
    buildx: () => ({ direct: false, why: 'a recorded docker' }),
    capture: async (args: string[]) => {
      const key = args[0] === 'buildx' ? `buildx ${args[1]}` : args[0]!;
      calls.push(args.join(' '));
      return { stdout: '', stderr: '', ...answers[key]! };
    },
    stream: async () => ({ code: 0 }),
  } as unknown as Docker;
  return { docker, calls };
}

const input = (docker: Docker, blockersOnly: boolean) => ({
  docker,
  platforms: ['linux/amd64', 'linux/arm64'],
  emulatedPlatforms: ['linux/arm64'],
  registries: [],
  multiPlatform: false,
  blockersOnly,
});

describe('the doctor for a build (blockersOnly)', () => {
  it('a working builder: one `buildx inspect`, and the builder checks read from it', async () => {
    const fake = fakeDocker({ 'buildx inspect': { code: 0, stdout: INSPECT_OK } });
    const checks = await runDoctor(input(fake.docker, true));
    expect(fake.calls).toEqual(['buildx inspect']);
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['builder', 'emulation linux/arm64']);
  });

  it('a daemon that does not answer: every probe runs, and the failure and fix are the full doctor`s', async () => {
    const answers = {
      version: { code: 1, stdout: '', stderr: DOWN },
      'buildx version': { code: 0, stdout: 'github.com/docker/buildx v0.13.1 abc' },
      'buildx inspect': { code: 0, stdout: INSPECT_DOWN },
    };
    const quick = fakeDocker(answers);
    const full = fakeDocker(answers);
    const blockers = await runDoctor(input(quick.docker, true));
    expect(quick.calls).toEqual(expect.arrayContaining(['version --format {{.Server.Version}}', 'buildx version']));
    expect(blockers.filter((c) => c.status === 'fail')).toEqual((await runDoctor(input(full.docker, false))).filter((c) => c.status === 'fail'));
    expect(blockers.find((c) => c.status === 'fail')?.name).toBe('Docker daemon');
  });

  it('a missing buildx plugin, or a driver that need not ask the daemon (remote): every probe runs', async () => {
    const noBuildx = fakeDocker({ version: { code: 0, stdout: '26.1' }, 'buildx version': { code: 1 }, 'buildx inspect': { code: 1, stderr: "docker: 'buildx' is not a docker command." } });
    expect((await runDoctor(input(noBuildx.docker, true))).find((c) => c.status === 'fail')?.name).toBe('buildx');
    const remote = fakeDocker({
      version: { code: 0, stdout: '26.1' },
      'buildx version': { code: 0, stdout: 'github.com/docker/buildx v0.13.1 abc' },
      'buildx inspect': { code: 0, stdout: INSPECT_OK.replace('Driver:        docker', 'Driver:        remote') },
    });
    await runDoctor(input(remote.docker, true));
    expect(remote.calls).toEqual(expect.arrayContaining(['version --format {{.Client.Version}}', 'version --format {{.Server.Version}}', 'buildx version']));
  });
});

// A probe a signal ended (the OOM killer's SIGKILL) or a docker wrapper that could not run its
// command (POSIX 2.8.2: 127 not found, 126 not executable; docker/cli: 125 a refused command line,
// 255 and nothing said for a plugin a signal ended) is said as that: it was "Docker daemon: not
// reachable" (a killed `docker version`) or "the buildx plugin is missing". Classified by
// src/adapters/exit.ts (test/unit/process-exit.test.ts).
describe('a probe that did not end on its own terms', () => {
  const killed = { code: 137, signal: 'SIGKILL' };
  it('docker CLI killed: the first check fails naming SIGKILL and the OOM killer, a fault of the machine; never "not reachable"', async () => {
    const fake = fakeDocker({ version: killed, 'buildx version': killed, 'buildx inspect': killed });
    const failed = (await runDoctor(input(fake.docker, true))).filter((c) => c.status === 'fail');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'docker CLI', detail: '`docker version` was killed by SIGKILL', fault: true });
    expect(failed[0]!.fix).toContain('OOM killer');
    expect(JSON.stringify(failed)).not.toContain('not reachable');
  });

  it('the daemon probe exits 137 from a wrapper shell: the daemon check says so (128 + 9), not "not reachable"', async () => {
    const fake = fakeDocker({ version: { code: 137 }, 'buildx version': { code: 0, stdout: 'github.com/docker/buildx v0.13.1 abc' }, 'buildx inspect': { code: 0, stdout: INSPECT_DOWN } });
    // The CLI probe (the same command) is killed as well: it fails first.
    const fail = (await runDoctor(input(fake.docker, false))).find((c) => c.status === 'fail')!;
    expect(fail).toMatchObject({ detail: '`docker version` exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL', fault: true });
  });

  it('buildx killed under the docker CLI (255, nothing said): not "the buildx plugin is missing"', async () => {
    const fake = fakeDocker({ version: { code: 0, stdout: '26.1' }, 'buildx version': { code: 255 }, 'buildx inspect': { code: 255 } });
    const fail = (await runDoctor(input(fake.docker, true))).find((c) => c.status === 'fail')!;
    expect(fail.name).toBe('buildx');
    expect(fail.detail).toContain('the docker CLI ends so when its buildx plugin was killed by a signal');
    expect(fail.fault).toBe(true);
  });

  it('127 and 126 of a wrapper: a fault of the installation (no `fault`), said as not found / not executable', async () => {
    for (const [code, words] of [
      [127, 'was not found'],
      [126, 'cannot be executed'],
    ] as const) {
      const fake = fakeDocker({ version: { code }, 'buildx version': { code }, 'buildx inspect': { code } });
      const fail = (await runDoctor(input(fake.docker, true))).find((c) => c.status === 'fail')!;
      expect(fail.name).toBe('docker CLI');
      expect(fail.detail).toContain(words);
      expect(fail.fault).toBeUndefined();
    }
  });
});

describe('a buildx that answers with no version', () => {
  // A `docker` that exits 0 and prints anything (a stub, a wrapper) was "ok buildx: version <its text>".
  it.each([['@@@ garbage \u0007'], [''], ['buildx (devel)']])('%j: a warning that names what it printed, never ok', async (out) => {
    const fake = fakeDocker({
      version: { code: 0, stdout: '26.1' },
      'buildx version': { code: 0, stdout: out },
      'buildx inspect': { code: 0, stdout: INSPECT_OK },
    });
    const bx = (await runDoctor(input(fake.docker, false))).find((c) => c.name === 'buildx')!;
    expect(bx.status).toBe('warn');
    expect(bx.detail).toMatch(/^`docker buildx version` printed no version matrix can read/);
    expect(bx.detail).not.toContain('\u0007');
    expect(bx.fix).toMatch(/is the Docker CLI and buildx its plugin/);
  });
});

// The emulation check asks what BuildKit asks before it looks for an emulator
// (moby/buildkit solver/llbsolver/ops/exec_binfmt.go getEmulator): does some
// platform the builder lists run it, by containerd's matcher (containerd/platforms
// compare.go Only). Platforms with no QEMU binary matrix knows of, so no
// binfmt_misc entry of this machine answers for them.
describe("the emulation check of a builder by containerd's matcher", () => {
  const listing = (platforms: string) => INSPECT_OK.replace('Platforms: linux/amd64, linux/arm64', `Platforms: ${platforms}`);
  const emulation = async (platforms: string, emulated: string[]) => {
    const fake = fakeDocker({ 'buildx inspect': { code: 0, stdout: listing(platforms) } });
    const checks = await runDoctor({ ...input(fake.docker, true), emulatedPlatforms: emulated });
    return Object.fromEntries(checks.filter((c) => c.name.startsWith('emulation ')).map((c) => [c.name.slice('emulation '.length), c.status]));
  };

  it('a builder listing linux/amd64/v3 runs linux/amd64/v2 (not windows/amd64); one listing linux/amd64 and linux/arm64 runs linux/arm/v5, not linux/amd64/v4', async () => {
    expect(await emulation('linux/amd64/v3', ['linux/amd64/v2', 'windows/amd64'])).toEqual({ 'linux/amd64/v2': 'ok', 'windows/amd64': 'fail' });
    expect(await emulation('linux/amd64, linux/arm64', ['linux/arm/v5', 'linux/amd64/v4'])).toEqual({ 'linux/arm/v5': 'ok', 'linux/amd64/v4': 'fail' });
  });
});

// containerd's platform parser took no dot in a part until arm64's minor versions
// (containerd/platforms platforms.go specifierRe `^[A-Za-z0-9_.-]+$`); docker/buildx vendors
// that from v0.20.0. buildx 0.13.1 refuses `linux/arm64/v8.2` in every target ("is an invalid
// component ... must match ^[A-Za-z0-9_-]+$"), after matrix generated the files.
describe('a platform variant with a dot and the buildx that reads it', () => {
  const dotted = (docker: Docker, blockersOnly: boolean) => ({ ...input(docker, blockersOnly), platforms: ['linux/amd64', 'linux/arm64/v8.2'], emulatedPlatforms: [] });
  const answers = (version: string, server = '28.0.1', inspect = INSPECT_OK) => ({
    version: { code: 0, stdout: server },
    'buildx version': { code: 0, stdout: `github.com/docker/buildx ${version} abc` },
    'buildx inspect': { code: 0, stdout: inspect },
  });

  it('buildx before 0.20 blocks the build, in bake (blockersOnly) and in the doctor, naming the platform and the fix', async () => {
    for (const blockersOnly of [true, false]) {
      const fake = fakeDocker(answers('0.13.1+ds1'));
      const fail = (await runDoctor(dotted(fake.docker, blockersOnly))).find((c) => c.status === 'fail');
      expect(fail, String(blockersOnly)).toMatchObject({ name: 'buildx', detail: 'version 0.13.1 cannot read linux/arm64/v8.2: buildx reads a variant with a dot from 0.20 on' });
      expect(fail!.fix).toBe('upgrade the buildx plugin to 0.20 or later, or build linux/arm64 instead');
    }
  });

  it('buildx 0.20 and later, or no dotted variant: nothing more to say, and bake asks buildx nothing more', async () => {
    for (const blockersOnly of [true, false]) {
      const fake = fakeDocker(answers('v0.20.0'));
      expect((await runDoctor(dotted(fake.docker, blockersOnly))).filter((c) => c.status === 'fail')).toEqual([]);
    }
    const plain = fakeDocker(answers('0.13.1'));
    await runDoctor(input(plain.docker, true));
    expect(plain.calls).toEqual(['buildx inspect']);
  });
});

// The builder parses the target platform again: dockerd 26.1.5 (its own BuildKit, shown as
// v0.0.0+unknown) with buildx 0.22 said "failed to parse target platform linux/arm64/v8.2".
// BuildKit reads it from v0.19.0 (its go.mod: containerd/platforms v1.0.0-rc.1, as docker/buildx
// "vendor: update buildkit to v0.19.0-rc1" shows); Docker Engine 28.0 builds with BuildKit 0.20.
describe("a platform variant with a dot and the builder's BuildKit", () => {
  const dotted = (docker: Docker, blockersOnly: boolean) => ({ ...input(docker, blockersOnly), platforms: ['linux/arm64/v8.2'], emulatedPlatforms: [] });
  const withBuildkit = (v: string, driver = 'docker-container') =>
    INSPECT_OK.replace('Driver:        docker', `Driver:        ${driver}`).replace('Status:    running\n', `Status:    running\nBuildKit version: ${v}\n`);
  const answers = (server: string, inspect: string) => ({
    version: { code: 0, stdout: server },
    'buildx version': { code: 0, stdout: 'github.com/docker/buildx v0.22.0 abc' },
    'buildx inspect': { code: 0, stdout: inspect },
  });
  const failOf = async (server: string, inspect: string, blockersOnly: boolean) =>
    (await runDoctor(dotted(fakeDocker(answers(server, inspect)).docker, blockersOnly))).find((c) => c.status === 'fail');

  it('a BuildKit before 0.19, or a Docker Engine before 28.0 whose BuildKit version is unknown, blocks the build', async () => {
    for (const blockersOnly of [true, false]) {
      expect(await failOf('28.0.1', withBuildkit('v0.18.2'), blockersOnly)).toMatchObject({
        name: 'builder',
        detail: 'BuildKit 0.18.2 cannot read linux/arm64/v8.2: BuildKit reads a variant with a dot from 0.19 on',
      });
      const engine = await failOf('26.1.5+dfsg1', withBuildkit('v0.0.0+unknown', 'docker'), blockersOnly);
      expect(engine?.detail).toBe('Docker Engine 26.1.5+dfsg1 builds with a BuildKit older than 0.19, which cannot read linux/arm64/v8.2: Docker Engine 28.0 and later build with one that can');
      expect(engine?.fix).toContain('or build linux/arm64 instead');
    }
  });

  it('BuildKit 0.19 or later, or Docker Engine 28.0 or later: no failure', async () => {
    for (const blockersOnly of [true, false]) {
      expect(await failOf('26.1.5', withBuildkit('v0.19.0'), blockersOnly)).toBeUndefined();
      expect(await failOf('28.0.1', withBuildkit('v0.0.0+unknown', 'docker'), blockersOnly)).toBeUndefined();
    }
  });
});

// What docker prints is quoted, never passed through: `docker version --format '{{.Server.Version}}'`
// prints the engine's version (docker/cli cli/command/system/version.go, a Go template over the
// version struct), `docker buildx inspect` its Name/Driver/Platforms lines and, failing, an error
// on stderr. A docker that prints escape sequences, NULs or a line of a megabyte put them raw on
// the terminal (and into --json) in every check's detail.
describe('the text of docker in the checks', () => {
  const long = 'x'.repeat(1 << 20);
  const odd = '\u001b]0;title\u0007\u001b[2J26.1\u0000.5';

  it('control characters are shown escaped and a long line is cut, in every detail', async () => {
    const fake = fakeDocker({
      version: { code: 0, stdout: `${odd}\r\n${long}` },
      'buildx version': { code: 0, stdout: `github.com/docker/buildx v0.13.1 abc\n${long}` },
      'buildx inspect': { code: 1, stderr: `ERROR: \u001b[31m${long}\n` },
    });
    const checks = await runDoctor({ ...input(fake.docker, false), multiPlatform: false });
    const text = JSON.stringify(checks);
    expect(text.length).toBeLessThan(5_000);
    for (const ch of checks) expect(`${ch.detail} ${ch.fix ?? ''}`, ch.name).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(checks.find((c) => c.name === 'Docker daemon')!.detail).toBe('version \\u001b]0;title\\u0007\\u001b[2J26.1\\u0000.5');
    expect(checks.find((c) => c.name === 'builder')!.detail).toMatch(/^ERROR: \\u001b\[31mx{280,300}\.\.\. \(\d+ more characters\)$/);
  });

  it('a failed inspect that said nothing is said so, not an empty detail', async () => {
    const fake = fakeDocker({ version: { code: 0, stdout: '26.1.5\n' }, 'buildx version': { code: 0, stdout: 'github.com/docker/buildx v0.13.1 abc' }, 'buildx inspect': { code: 1 } });
    const builder = (await runDoctor({ ...input(fake.docker, false), multiPlatform: false })).find((c) => c.name === 'builder');
    expect(builder).toMatchObject({ status: 'fail', detail: '`docker buildx inspect` exited 1 and said nothing' });
  });

  it('the last line of a failed command, as merge, test, verify and the release quote it', () => {
    expect(lastLine({ stderr: `first\nERROR: \u0000bad\r\n` })).toBe('ERROR: \\u0000bad');
    expect(lastLine({ stderr: long }).length).toBeLessThan(400);
  });
});
