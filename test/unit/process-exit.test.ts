// How a docker or buildx process ended when not on its own terms
// (src/adapters/exit.ts). The shapes come from:
// - POSIX, Shell Command Language 2.8.2 "Exit Status for Commands": a shell (a
//   `docker` wrapper or shim) exits 127 for a command not found, 126 for one
//   found but not executable, and above 128 for a command a signal ended
//   (every shell here: 128 + the signal's number, 137 for SIGKILL);
// - docker/cli cmd/docker/docker.go: 125 is the StatusError of a refused
//   command line (`docker buildx bake --nosuchflag` exits 125 with docker 28.2
//   and buildx 0.13.1), and tryPluginRun passes on ws.ExitStatus() of the
//   plugin, which Go's syscall.WaitStatus gives as -1 for a plugin a signal
//   ended: the CLI exits 255 and prints nothing (measured with docker 28.2 and
//   a plugin that kills itself: test/cli/bake.test.ts).
// Node reports a signal itself with `signal` and no code (capture and stream
// then give code 128 + the number, os.constants.signals).
// cosign (sigstore/cosign cmd/cosign/errors/exit_codes.go) exits 1, or 10 to
// 12 for a signature it did not find: no 125 and no plugin, so only the
// shell's codes and signals are read from it.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { dockerAt, dockerEnd } from '../../src/adapters/docker.js';
import { abnormalEnd, COSIGN, endExit, endOf, exitSignal } from '../../src/adapters/exit.js';
import { capture, signalNumber, stream } from '../../src/adapters/process.js';

const bake = (code: number, o: { signal?: string; plugin?: boolean; said?: boolean } = {}) =>
  abnormalEnd('docker buildx bake', { code, ...(o.signal ? { signal: o.signal } : {}) }, { plugin: o.plugin ?? true, said: o.said ?? false });

describe('abnormalEnd', () => {
  it('a signal Node reports: named, a machine fault; SIGKILL names the OOM killer', () => {
    const end = bake(137, { signal: 'SIGKILL' })!;
    expect(end).toMatchObject({ kind: 'signal', signal: 'SIGKILL', code: 137, machine: true });
    expect(end.what).toBe('`docker buildx bake` was killed by SIGKILL');
    expect(end.hint).toContain('OOM killer');
    expect(bake(143, { signal: 'SIGTERM' })!.hint).toContain('matrix sent no signal');
    expect(bake(139, { signal: 'SIGSEGV' })!.hint).toContain('SIGSEGV is a crash');
  });

  it.each([
    [137, 'SIGKILL'],
    [143, 'SIGTERM'],
    [130, 'SIGINT'],
    [134, 'SIGABRT'],
  ])('exit %i from a shell is 128 + the number of %s', (code, sig) => {
    expect(bake(code)).toMatchObject({ kind: 'signal', signal: sig, machine: true });
    expect(bake(code)!.what).toContain(`exited ${code} (128 + ${code - 128})`);
    expect(os.constants.signals[sig as NodeJS.Signals]).toBe(code - 128);
  });

  it('255 with nothing said, of a plugin command: buildx killed under the docker CLI; not for other commands, nor with an error line', () => {
    expect(bake(255)).toMatchObject({ kind: 'plugin-signal', machine: true });
    expect(bake(255)!.hint).toContain('OOM killer');
    expect(bake(255, { said: true })).toBeUndefined();
    expect(bake(255, { plugin: false })).toBeUndefined();
  });

  it('127, 126, 125: the docker installation (not a machine fault), each said as what it is', () => {
    expect(bake(127)).toMatchObject({ kind: 'not-found', machine: false });
    expect(bake(127)!.what).toContain('was not found');
    expect(bake(126)).toMatchObject({ kind: 'not-executable', machine: false });
    expect(bake(126)!.what).toContain('cannot be executed');
    expect(bake(125)).toMatchObject({ kind: 'cli-refused', machine: false });
    expect(bake(125)!.what).toContain('refused the command line');
  });

  it('an ordinary failure (a build error exits 1) or success is no abnormal end', () => {
    expect(bake(0)).toBeUndefined();
    expect(bake(1)).toBeUndefined();
    expect(bake(2)).toBeUndefined();
    expect(bake(128)).toBeUndefined();
  });
});

describe('the same reader for imagetools and cosign (release and CI commands)', () => {
  const cosign = (code: number, signal?: string) => abnormalEnd('cosign sign', { code, ...(signal ? { signal } : {}) }, { plugin: false, said: false, program: COSIGN });

  it("cosign: a signal and a shell's 128 + n as for docker, 127 and 126 name cosign, not docker; 125 and a silent 255 are its own failures", () => {
    expect(cosign(137, 'SIGKILL')).toMatchObject({ kind: 'signal', what: '`cosign sign` was killed by SIGKILL', machine: true, program: 'cosign' });
    expect(cosign(137)!.what).toBe('`cosign sign` exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL');
    expect(cosign(139, 'SIGSEGV')!.hint).toBe('SIGSEGV is a crash of the program: check that `cosign version` runs, and reinstall or upgrade cosign');
    expect(cosign(127)).toMatchObject({ kind: 'not-found', machine: false, program: 'cosign' });
    expect(cosign(127)!.what).toContain('(a `cosign` wrapper or shim whose program is missing?)');
    expect(cosign(127)!.hint).toContain('`command -v cosign`');
    expect(cosign(126)!.hint).not.toContain('docker');
    expect(cosign(125)).toBeUndefined();
    expect(cosign(255)).toBeUndefined();
    expect(cosign(10)).toBeUndefined();
    // docker's stays docker's.
    expect(bake(127)).toMatchObject({ program: 'docker' });
    expect(bake(127)!.hint).toContain('MATRIX_DOCKER');
  });

  it('endOf: success, an ordinary failure, a program that did not start and a run matrix timed out are not asked about', () => {
    const at = (r: { code: number; signal?: NodeJS.Signals; stderr?: string; spawnError?: string; timedOut?: true }) =>
      endOf('docker buildx imagetools create', { stderr: '', ...r }, { plugin: true });
    expect(at({ code: 0 })).toBeUndefined();
    expect(at({ code: 1, stderr: 'ERROR: denied' })).toBeUndefined();
    expect(at({ code: 127, spawnError: 'ENOENT' })).toBeUndefined();
    expect(at({ code: 137, signal: 'SIGKILL', timedOut: true })).toBeUndefined();
    expect(at({ code: 137, signal: 'SIGKILL' })).toMatchObject({ kind: 'signal', machine: true });
    // 255 is buildx killed only when nothing was said.
    expect(at({ code: 255 })).toMatchObject({ kind: 'plugin-signal' });
    expect(at({ code: 255, stderr: 'ERROR: something' })).toBeUndefined();
    expect(endExit(at({ code: 137 })!)).toBe(74);
    expect(endExit(at({ code: 125 })!)).toBe(2);
  });

  it('dockerEnd names the command by its words up to the first flag, never a reference; a plugin only under buildx', () => {
    const docker = dockerAt('/opt/docker', {});
    expect(dockerEnd(docker, ['buildx', 'imagetools', 'create', '-t', 'r/a:1', 'r/a@sha256:x'], { code: 137, signal: 'SIGKILL', stdout: '', stderr: '' })!.what).toBe(
      '`/opt/docker buildx imagetools create` was killed by SIGKILL',
    );
    expect(dockerEnd(docker, ['buildx', 'imagetools', 'inspect', 'r/a:1', '--format', '{{json .Image}}'], { code: 255, stdout: '', stderr: '' })!.what).toContain(
      '`/opt/docker buildx imagetools inspect` exited 255 and said nothing',
    );
    expect(dockerEnd(docker, ['image', 'inspect', '--format', '{{.Id}}', 'golang'], { code: 255, stdout: '', stderr: '' })).toBeUndefined();
  });

  it("dockerEnd names a command by docker's own words: one for a plain command, two for a group's (`image tag`) or buildx's, never an operand; --print or --help when asked", () => {
    const docker = dockerAt('/opt/docker', {});
    const killed = { code: 137, signal: 'SIGKILL' as const, stdout: '', stderr: '' };
    expect(dockerEnd(docker, ['cp', 'c0ffee:/etc/passwd', '-'], killed)!.what).toBe('`/opt/docker cp` was killed by SIGKILL');
    expect(dockerEnd(docker, ['image', 'tag', 'r/a:tmp', 'r/a:1'], killed)!.what).toBe('`/opt/docker image tag` was killed by SIGKILL');
    expect(dockerEnd(docker, ['buildx', 'inspect', 'fleet'], killed)!.what).toBe('`/opt/docker buildx inspect` was killed by SIGKILL');
    expect(dockerEnd(docker, ['buildx', 'rm', 'fleet'], { code: 255, stdout: '', stderr: '' })!.kind).toBe('plugin-signal');
    expect(dockerEnd(docker, ['buildx', 'bake', '-f', 'docker-bake.hcl', '--print', '--', 'api'], killed, '--print')!.what).toBe('`/opt/docker buildx bake --print` was killed by SIGKILL');
    expect(dockerEnd(docker, ['buildx', 'bake', '--help'], { code: 127, stdout: '', stderr: '' }, '--help')!.what).toMatch(/^`\/opt\/docker buildx bake --help` exited 127/);
    // A flag asked for that is not among the arguments is not said.
    expect(dockerEnd(docker, ['buildx', 'bake', '-f', 'x.hcl'], killed, '--print')!.what).toBe('`/opt/docker buildx bake` was killed by SIGKILL');
    // docker run's own codes are not read here: src/release/tests.ts asks only when Node saw a signal.
    expect(dockerEnd(docker, ['run', '--rm', '--', 'img', 'x'], { code: 1, stdout: '', stderr: '' })).toBeUndefined();
  });

  it("exitSignal: the signal a shell's 128 + n names, and nothing for other codes", () => {
    expect(exitSignal(137)).toBe('SIGKILL');
    expect(exitSignal(143)).toBe('SIGTERM');
    expect(exitSignal(128)).toBeUndefined();
    expect(exitSignal(127)).toBeUndefined();
    expect(exitSignal(255)).toBeUndefined();
  });
});

describe('signalNumber and what capture and stream report', () => {
  it('the signals every Unix numbers alike by their number (SIGSEGV was 1, which read as SIGHUP); another is 0, never a wrong one', () => {
    for (const sig of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGABRT', 'SIGKILL', 'SIGSEGV', 'SIGPIPE', 'SIGTERM'] as const) expect(signalNumber(sig)).toBe(os.constants.signals[sig]);
    expect(signalNumber('SIGUSR1')).toBe(0);
    // abnormalEnd names it, with this system's number.
    expect(abnormalEnd('docker', { code: 128, signal: 'SIGUSR1' }, { plugin: false, said: false })).toMatchObject({ signal: 'SIGUSR1', code: 128 + os.constants.signals.SIGUSR1 });
  });

  const sh = spawnSync('sh', ['-c', 'exit 0']).status === 0;
  it.skipIf(!sh)('a program that a signal ends: code 128 + its number, and the signal', async () => {
    const env = { PATH: process.env.PATH };
    const c = await capture({ file: 'sh', args: ['-c', 'kill -SEGV $$'], env });
    expect(c).toMatchObject({ code: 128 + os.constants.signals.SIGSEGV, signal: 'SIGSEGV' });
    const s = await stream(
      { file: 'sh', args: ['-c', 'kill -KILL $$'], env },
      () => {},
      () => {},
    );
    expect(s).toMatchObject({ code: 137, signal: 'SIGKILL' });
    expect(s.interruptedBy).toBeUndefined();
    // A shell that reports its child's signal exits with a code, and no signal.
    const w = await capture({ file: 'sh', args: ['-c', 'sh -c "kill -KILL \\$\\$"; exit $?'], env });
    expect(w.code).toBe(137);
    expect(w.signal).toBeUndefined();
  });
});
