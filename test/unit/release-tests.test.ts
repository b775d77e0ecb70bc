// The `test:` checks of a service as data: the docker command (an argument
// list after `--`, the entrypoint cleared, a shell only for `shell:`), the
// verdict on a result, and the mode from a tar header (`docker cp C:PATH -`
// writes a tar stream: https://docs.docker.com/reference/cli/docker/container/cp/;
// ustar mode field at offset 100, 8 octal digits, POSIX pax/ustar).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judge, runArgs, tarMode, testName, testsOf } from '../../src/release/tests.js';
import { REPO_ROOT } from '../helpers/tree.js';

const CP_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/docker-cp');

describe('image tests', () => {
  it('a command is an argument list after --: a value starting with - is never an option of docker', () => {
    expect(runArgs('r/a@sha256:1', 'linux/arm64', { command: ['--privileged', '-v', '/:/host'] })).toEqual([
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      '--entrypoint=',
      '--',
      'r/a@sha256:1',
      '--privileged',
      '-v',
      '/:/host',
    ]);
  });

  it('a shell only when the spec writes `shell:`', () => {
    expect(runArgs('img', 'linux/amd64', { shell: 'echo $HOME; id' })!.slice(-4)).toEqual(['img', '/bin/sh', '-c', 'echo $HOME; id']);
    expect(runArgs('img', 'linux/amd64', { files: [{ path: '/x' }] })).toBeUndefined();
  });

  // A shell's 128 + n is signal n (POSIX, Shell Command Language, 2.8.2 Exit Status for Commands), and docker
  // run passes on the status of a command a signal ended (docs.docker.com, `docker run`, "Exit status").
  it('an exit code of 128 + n names the signal; a test that expects it passes', () => {
    expect(judge({ command: ['x'] }, { code: 137, stdout: '' })).toBe('exited 137 (128 + 9: the command, or docker running it, was killed by SIGKILL), expected 0');
    expect(judge({ command: ['x'], exit_code: 137 }, { code: 137, stdout: '' })).toBeUndefined();
    expect(judge({ command: ['x'], exit_code: 1 }, { code: 143, stdout: '' })).toBe('exited 143 (128 + 15: the command, or docker running it, was killed by SIGTERM), expected 1');
    expect(judge({ command: ['x'] }, { code: 127, stdout: '' })).toBe('exited 127, expected 0');
  });

  it('judges exit code, exact stdout (one trailing newline aside) and a pattern', () => {
    expect(judge({ command: ['x'] }, { code: 0, stdout: '' })).toBeUndefined();
    expect(judge({ command: ['x'] }, { code: 3, stdout: '' })).toBe('exited 3, expected 0');
    expect(judge({ command: ['x'], exit_code: 3 }, { code: 3, stdout: '' })).toBeUndefined();
    expect(judge({ command: ['x'], stdout: 'amd64' }, { code: 0, stdout: 'amd64\n' })).toBeUndefined();
    expect(judge({ command: ['x'], stdout: 'amd64' }, { code: 0, stdout: 'arm64\n' })).toBe('stdout was "arm64\\n", expected "amd64"');
    expect(judge({ command: ['x'], stdout_matches: '^v1\\.' }, { code: 0, stdout: 'app\nv1.2\n' })).toBeUndefined();
    expect(judge({ command: ['x'], stdout_matches: '^v2' }, { code: 0, stdout: 'v1\n' })).toBe('stdout "v1\\n" does not match /^v2/');
    expect(judge({ command: ['x'], stdout_matches: '(' }, { code: 0, stdout: '' })).toBe('stdout_matches "(" is not a valid regular expression');
  });

  // What the docker CLI printed for `docker cp ID:PATH -` (test/fixtures/docker-cp/README.md): a
  // file whose name is not ASCII or is long, or that has an extended attribute, comes after a PAX
  // extended header of mode 0 (POSIX pax, "pax Interchange Format"; Go's archive/tar).
  it.each([
    ['plain-0640.tar', 0o640],
    ['non-ascii-name-0750.tar', 0o750],
    ['long-name-0700.tar', 0o700],
    ['capability-0755.tar', 0o755],
  ])('reads the mode of the file docker cp archived, after the extended headers before it: %s', (file, mode) => {
    const tar = readFileSync(path.join(CP_FIXTURES, file));
    expect(String.fromCharCode(tar[156]!)).toBe(file.startsWith('plain') ? '0' : 'x');
    expect(tarMode(tar)).toBe(mode);
  });

  it('no mode from what is not a whole tar header: too short, a bad checksum, an extended header that ends early', () => {
    const tar = readFileSync(path.join(CP_FIXTURES, 'non-ascii-name-0750.tar'));
    expect(tarMode(Buffer.alloc(0))).toBeUndefined();
    expect(tarMode(Buffer.from('short'))).toBeUndefined();
    expect(tarMode(Buffer.alloc(1024))).toBeUndefined();
    // The PAX header alone (the bytes stop before the file's own header).
    expect(tarMode(tar.subarray(0, 1024))).toBeUndefined();
    // One byte of the name changed: its checksum no longer agrees.
    const changed = Buffer.from(readFileSync(path.join(CP_FIXTURES, 'plain-0640.tar')));
    changed[0] = 'q'.charCodeAt(0);
    expect(tarMode(changed)).toBeUndefined();
    // Text that docker never prints for a file: no archive.
    expect(tarMode(Buffer.from('Error response from daemon: Could not find the file /x in container c\n'.padEnd(600, ' ')))).toBeUndefined();
  });

  it("a service's own tests, else the defaults'; a name from the command when none is given", () => {
    const spec = { defaults: { test: [{ command: ['true'] }] }, services: { a: { test: [{ name: 'own', command: ['x'] }] }, b: {} } };
    expect(testsOf(spec, { service: 'a' }).map((t, i) => testName(t, i))).toEqual(['own']);
    expect(testsOf(spec, { service: 'b' }).map((t, i) => testName(t, i))).toEqual(['true']);
    expect(testName({ files: [{ path: '/x' }] }, 1)).toBe('files #2');
  });
});

describe('cosign commands of sign:', async () => {
  const { signArgs, verifyArgs } = await import('../../src/release/sign.js');
  // Offline key pairs: --tlog-upload=false to sign, --insecure-ignore-tlog=true to verify
  // (https://docs.sigstore.dev/cosign/signing/overview/, cosign sign/verify --help).
  it('a key file (resolved from the spec directory) or env://NAME, each one --key= word; the image after --', () => {
    expect(signArgs({ key: '-k.key' }, '/repo', 'ghcr.io/a/b@sha256:1')).toEqual(['sign', '--yes', '--tlog-upload=false', '--key=/repo/-k.key', '--', 'ghcr.io/a/b@sha256:1']);
    expect(signArgs({ key_env: 'COSIGN_KEY' }, '/repo', 'localhost:5000/a@sha256:1')).toEqual([
      'sign',
      '--yes',
      '--tlog-upload=false',
      '--allow-http-registry=true',
      '--key=env://COSIGN_KEY',
      '--',
      'localhost:5000/a@sha256:1',
    ]);
    expect(verifyArgs('/repo/cosign.pub', 'ghcr.io/a/b:1')).toEqual(['verify', '--insecure-ignore-tlog=true', '--key=/repo/cosign.pub', '--', 'ghcr.io/a/b:1']);
  });
});
