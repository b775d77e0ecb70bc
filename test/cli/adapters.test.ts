// The outside world through the command's Io (issue 17): docker is resolved once
// from the Io's environment, and git runs with that environment, never with the
// process's. Driven in process through main(argv, io), so process.env stays what
// vitest has (git and docker on PATH) while the Io says otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerOf } from '../../src/adapters/docker.js';
import { main } from '../../src/cli/main.js';
import { copySample, hashTree, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

async function run(argv: string[], cwd: string, env: Record<string, string | undefined>) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd, env: { NO_COLOR: '1', ...env }, isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A docker that records its arguments and answers nothing useful. */
function fakeDocker(): { bin: string; log: string } {
  const dir = tempDir('matrix-fake-docker-');
  const bin = path.join(dir, 'docker');
  const log = path.join(dir, 'calls');
  writeFileSync(bin, `#!/bin/sh\necho "$@" >> '${log}'\nexit 1\n`);
  chmodSync(bin, 0o755);
  return { bin, log };
}

describe('docker: the binary comes from the Io once', () => {
  it('MATRIX_DOCKER of the Io names the binary; docker on PATH otherwise', () => {
    expect(dockerOf({ MATRIX_DOCKER: '/opt/docker' }).bin).toBe('/opt/docker');
    expect(dockerOf({}).bin).toBe('docker');
    expect(dockerOf({ MATRIX_DOCKER: '/opt/docker', PATH: '/x' }).env).toEqual({ MATRIX_DOCKER: '/opt/docker', PATH: '/x' });
  });

  it("bake --dry-run prints the Io's docker", async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker();
    const env = { ...process.env, MATRIX_DOCKER: fake.bin };
    const bake = await run(['bake', '--dry-run'], dir, env);
    expect(bake.code, bake.stderr).toBe(0);
    expect(bake.stdout).toContain(`${fake.bin} buildx bake -f docker-bake.hcl`);
    // The process's environment does not decide: it names no such binary.
    expect(process.env.MATRIX_DOCKER).not.toBe(fake.bin);
  });

  it("doctor runs the Io's docker, with the Io's DOCKER_HOST in its fix", async () => {
    const dir = tempDir('matrix-doctor-');
    const fake = fakeDocker();
    const r = await run(['doctor'], dir, { PATH: process.env.PATH, MATRIX_DOCKER: fake.bin, DOCKER_HOST: 'tcp://127.0.0.1:9' });
    expect(r.code).toBe(1);
    // `docker version` exits 1: the daemon check fails, and its fix names the Io's DOCKER_HOST.
    expect(r.stdout).toMatch(/FAIL Docker daemon: .*\n\s+fix: DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9 does not answer/);
  });

  // POSIX Shell Command Language 2.8.2: a command killed by signal n exits 128 + n; the README's
  // exit code 74 covers docker killed in an engine check, `matrix bake`'s or `matrix doctor`'s.
  it.each([
    ['the docker CLI', 'version', ':', 'kill -KILL $$'],
    ["a base image's registry lookup", 'imagetools', 'kill -KILL $$', ':'],
  ])('%s killed by a signal: doctor exits 74 (a fault of this machine), not 1', async (_what, killed, imagetools, version) => {
    // The seed sample without its local registry, so that every engine check passes.
    const dir = copySample('hello-go');
    writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  hello:\n    context: .\n    template: go\n    with:\n      binary: hello\n');
    const bin = path.join(tempDir('matrix-fake-docker-'), 'docker');
    // An engine that answers every check, a base image only in a registry, and one call killed.
    writeFileSync(
      bin,
      `#!/bin/sh
case "$*" in
  version*) ${version}; echo 26.1.5 ;;
  "buildx version") echo "github.com/docker/buildx v0.22.0 abc" ;;
  "buildx inspect"*) printf 'Name: default\nDriver: docker\n\nNodes:\nName: default\nStatus: running\nPlatforms: linux/amd64, linux/arm64\n' ;;
  "buildx imagetools"*) ${imagetools}; echo '{}' ;;
  info*) echo '[["driver-type","io.containerd.snapshotter.v1"]]' ;;
  "image inspect"*) exit 1 ;;
  *) exit 0 ;;
esac
`,
    );
    chmodSync(bin, 0o755);
    const r = await run(['doctor'], dir, { PATH: process.env.PATH, MATRIX_DOCKER: bin });
    expect(r.stdout).toContain('killed by SIGKILL');
    expect(r.code, r.stdout).toBe(74);
    expect(killed).toBeTruthy();
  });
});

describe("git: runs with the Io's environment", () => {
  it('an Io whose PATH has no git gets the no-git warning, although the process has git', async () => {
    const dir = copySample('hello-go');
    const before = hashTree(dir);
    const noGit = tempDir('matrix-path-');
    mkdirSync(path.join(noGit, 'bin'));
    const r = await run(['bake', '--dry-run'], dir, { PATH: path.join(noGit, 'bin'), MATRIX_DOCKER: 'docker' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^matrix: warning: git cannot be run \(ENOENT\)/m);
    expect(r.stdout).not.toContain('SOURCE_DATE_EPOCH=');
    expect(hashTree(dir)).toEqual(before);
  });

  it('bake starts no `git --version` of its own: whether git runs at all shows in its first read', async () => {
    const dir = copySample('hello-go');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'sample');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const bin = tempDir('matrix-git-log-');
    const log = path.join(bin, 'calls');
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$@" >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(path.join(bin, 'git'), 0o755);
    const r = await run(['bake', '--dry-run'], dir, { PATH: `${bin}${path.delimiter}${process.env.PATH}`, MATRIX_DOCKER: 'docker' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SOURCE_DATE_EPOCH=\d+/);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.some((c) => c.includes('log -1 --format=%H %ct%n%D --decorate=full'))).toBe(true); // HEAD's log is read right
    expect(calls.filter((c) => c.endsWith('--version'))).toEqual([]);
  });

  it('plan runs git only when a tag, build arg or label it shows has a git value', async () => {
    const dir = copySample('hello-go');
    const noGit = tempDir('matrix-path-');
    // hello-go's values are all static: no git, so no warning.
    const plain = await run(['plan'], dir, { PATH: noGit });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain('git cannot be run');
    const file = path.join(dir, 'matrix.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('hello-go:multiarch"]', 'hello-go:multiarch", "localhost:5000/samples/hello-go:${{ git.short_sha }}"]'));
    const withGit = await run(['plan'], dir, { PATH: noGit });
    expect(withGit.code, withGit.stderr).toBe(0);
    expect(withGit.stderr).toMatch(/^matrix: warning: git cannot be run \(ENOENT\)/m);
  });

  it('--affected with an Io whose PATH has no git: git-not-found, exit 2', async () => {
    const dir = copySample('hello-go');
    const r = await run(['plan', '--affected', 'HEAD'], dir, { PATH: tempDir('matrix-path-') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^matrix: error cannot run git: ENOENT \[git-not-found\]$/m);
  });
});
