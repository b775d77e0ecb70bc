// `matrix test` reads a single-manifest image's platform from
// `docker buildx imagetools inspect --format '{{json .Image}}'`: the image's
// config, whose `os`, `architecture` and `variant` are strings (OCI image-spec
// config.md). A docker wrapper that exits 0 with other text, or an image
// without a config (`null`), crashed it with JSON.parse (found by reading;
// a crash hunt flagged src/cli/test.ts).
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageConfig } from '../../src/cli/test.js';
import { matrix } from '../helpers/cli.js';
import { copySample, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('the image config matrix test reads a platform from', () => {
  it('reads the platform fields of an OCI image config', () => {
    expect(imageConfig('{"architecture":"arm","os":"linux","variant":"v7","rootfs":{}}\n')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(imageConfig('{"architecture":"amd64","os":"linux"}')).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('gives no platform, and never throws, for output that is no config', () => {
    for (const text of ['', 'not json', 'null', '[]', '"linux"', '42', '{"os":1,"architecture":["x"]}', '{"os":"","architecture":""}']) {
      expect(imageConfig(text), text).toEqual({});
    }
  });
});

// `matrix test` finds each platform's image through `docker buildx imagetools inspect` (--raw, then
// --format '{{json .Image}}' for a single manifest). When imagetools did not end on its own terms
// (src/adapters/exit.ts: Node's `signal`; a shell's 128 + n, 127, 126, POSIX Shell Command Language
// 2.8.2; docker's 125 and its silent 255 for a plugin a signal ended, docker/cli cmd/docker/docker.go)
// that is said, exit 74 for a signal and 2 for the others. It was "TAG has no image for linux/amd64 (is
// it built and pushed?)" for every platform, exit 1.
describe('matrix test when imagetools did not end on its own terms', () => {
  const MANIFEST =
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}';
  /** hello-go with a test, and a docker whose `buildx imagetools inspect --raw` runs `raw` and `--format` runs `format` (shell lines). */
  function setup(raw: string, format = 'exit 1'): { dir: string; bin: string } {
    const dir = copySample('hello-go');
    appendFileSync(path.join(dir, 'matrix.yaml'), '    test:\n      - name: runs\n        command: [/hello, --version]\n');
    const bin = path.join(dir, 'fake-docker');
    writeFileSync(bin, ['#!/bin/sh', 'case "$1 $2 $4" in', `  "buildx imagetools --raw") ${raw};;`, `  "buildx imagetools --format") ${format};;`, 'esac', 'exit 1', ''].join('\n'), { mode: 0o755 });
    return { dir, bin };
  }

  it.each([
    ['killed', 'kill -KILL $$', 74, 'a fault of this machine', 'was killed by SIGKILL'],
    ['exit 137 from a wrapper shell', 'exit 137', 74, 'a fault of this machine', 'exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL'],
    ['exit 255 with nothing said', 'exit 255', 74, 'a fault of this machine', 'exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed'],
    ['exit 127', 'exit 127', 2, 'a fault of the docker installation', 'exited 127: a command it runs was not found'],
    ['exit 126', 'exit 126', 2, 'a fault of the docker installation', 'exited 126: a command it runs was found but cannot be executed'],
    ['exit 125', 'exit 125', 2, 'a fault of the docker installation', 'exited 125: the docker CLI or buildx refused the command line'],
  ])('imagetools inspect --raw %s: said as that, exit 74 or 2, not "has no image"', async (_name, raw, exit, whose, words) => {
    const { dir, bin } = setup(raw);
    const r = await matrix(['test'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: the tests stopped on ${whose}, not of the spec or the build: \`${bin} buildx imagetools inspect\` ${words}`);
    expect(r.stderr).not.toContain('has no image');
  });

  it('the config read of a single manifest killed: said as that too, exit 74', async () => {
    const { dir, bin } = setup(`echo '${MANIFEST}'; exit 0`, 'kill -KILL $$');
    const r = await matrix(['test'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toContain(`\`${bin} buildx imagetools inspect\` was killed by SIGKILL`);
  });

  // What --raw printed is neither an index with platforms nor an image manifest (OCI image-spec
  // image-index.md, manifest.md): no image to test, said as that; the digest of those bytes (of
  // `null`, say) names nothing, and a test run on it failed as if the image were broken.
  it.each([
    ['null', 'echo null; exit 0', 'null'],
    ['a wrapper message', 'echo "login required"; exit 0', 'login required'],
    ['an index without platforms', `echo '{"schemaVersion":2,"manifests":[]}'; exit 0`, '{"schemaVersion":2,"manifests":[]}'],
    ['nothing', 'exit 0', 'nothing'],
  ])('imagetools inspect --raw printed %s: the image cannot be read, said as that; no config read, no docker run', async (_name, raw, shown) => {
    const { dir, bin } = setup(raw, 'echo \'{"os":"linux","architecture":"amd64"}\'; exit 0');
    const r = await matrix(['test'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`\`${bin} buildx imagetools inspect --raw localhost:5000/samples/hello-go:multiarch\` printed neither an image index with platforms nor an image manifest: ${shown}`);
    expect(r.stderr).not.toContain('has no image');
    expect(r.stderr).not.toContain('matrix test: hello');
  });

  it('a registry that says no stays what it was: no image, exit 1', async () => {
    const { dir, bin } = setup('echo "ERROR: localhost:5000/samples/hello-go:multiarch: not found" >&2; exit 1');
    const r = await matrix(['test'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('localhost:5000/samples/hello-go:multiarch has no image for linux/amd64 (is it built and pushed?)');
    expect(r.stderr).not.toContain('stopped on');
  });
});

// `matrix test` runs each test with `docker run`, and reads files through `docker create`, `docker cp`
// and `docker rm` (src/release/tests.ts). docker run exits with the test command's own status, 125 when
// docker could not run the container and 126 or 127 when the command in the image could not be run
// (docs.docker.com, `docker run` reference, "Exit status"): those stay the test's result. Only a docker
// CLI a signal ended, as Node reports it, is docker's end. create, cp and rm run nothing of the image:
// their ends are read as every docker command's (src/adapters/exit.ts: Node's `signal`; a shell's 128 + n,
// 127 and 126, POSIX Shell Command Language 2.8.2; docker's 125, docker/cli cmd/docker/docker.go). A
// killed docker run was "exited 137, expected 0", a killed create "cannot create a container to read
// files: " with nothing after the colon, a killed cp "/hello does not exist", and a killed rm nothing.
describe('matrix test when docker run, create, cp or rm did not end on its own terms', () => {
  const INDEX = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } }],
  });
  /** hello-go with a command test and a file test; docker's `verb` (run, create, cp, rm) runs `line` (a shell line) first. */
  function setup(verb: string, line: string): { dir: string; bin: string } {
    const dir = copySample('hello-go');
    appendFileSync(path.join(dir, 'matrix.yaml'), '    test:\n      - name: runs\n        command: [/hello, --version]\n      - name: binary\n        files:\n          - path: /hello\n');
    const bin = path.join(dir, 'fake-docker');
    const script = [
      '#!/bin/sh',
      `[ "$1" = '${verb}' ] && { ${line}; }`,
      'case "$1" in',
      `  buildx) echo '${INDEX}';;`,
      '  run) echo v1;;',
      '  create) echo c0ffee;;',
      "  cp) printf '%0512d' 0;;",
      'esac',
      'exit 0',
      '',
    ];
    writeFileSync(bin, script.join('\n'), { mode: 0o755 });
    return { dir, bin };
  }
  const test = (s: { dir: string; bin: string }) => matrix(['test', 'hello', '--platform', 'linux/amd64'], s.dir, { MATRIX_DOCKER: s.bin });

  it('all answered: the tests pass (the fake is sound)', async () => {
    const r = await test(setup('none', 'true'));
    expect(r.status, r.stderr).toBe(0);
  });

  it('docker run killed, as Node reports it: said as that, exit 74, not a failed test', async () => {
    const s = setup('run', 'kill -KILL $$');
    const r = await test(s);
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toContain(`matrix: the tests stopped on a fault of this machine, not of the spec or the build: \`${s.bin} run\` was killed by SIGKILL`);
    expect(r.stderr).not.toContain('test failed');
  });

  it.each([
    ['137: the command or docker killed', 'exit 137', 'exited 137 (128 + 9: the command, or docker running it, was killed by SIGKILL), expected 0'],
    ['127: the command not found in the image', 'echo \'docker: Error response from daemon: exec: "/hello": executable file not found in $PATH\' >&2; exit 127', 'exited 127, expected 0'],
    ['126: the command not executable', 'exit 126', 'exited 126, expected 0'],
    ['125: docker could not run the container', 'echo "docker: Error response from daemon: no matching manifest" >&2; exit 125', 'exited 125, expected 0'],
  ])('docker run %s: the test fails (exit 1), as docker run passes it on', async (_name, line, problem) => {
    const r = await test(setup('run', line));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`test failed: hello (linux/amd64) \`runs\`: ${problem}`);
    expect(r.stderr).not.toContain('stopped on');
  });

  it.each([
    ['create', 'kill -KILL $$', 74, 'this machine', 'create` was killed by SIGKILL'],
    ['create', 'exit 137', 74, 'this machine', 'create` exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL'],
    ['create', 'exit 127', 2, 'the docker installation', 'create` exited 127: a command it runs was not found'],
    ['create', 'exit 126', 2, 'the docker installation', 'create` exited 126: a command it runs was found but cannot be executed'],
    ['create', 'echo "unknown flag: --platform" >&2; exit 125', 2, 'the docker installation', 'create` exited 125: the docker CLI or buildx refused the command line'],
    ['cp', 'kill -KILL $$', 74, 'this machine', 'cp` was killed by SIGKILL'],
    ['cp', 'exit 137', 74, 'this machine', 'cp` exited 137 (128 + 9)'],
    ['cp', 'exit 127', 2, 'the docker installation', 'cp` exited 127'],
    ['cp', 'exit 126', 2, 'the docker installation', 'cp` exited 126'],
    ['cp', 'exit 125', 2, 'the docker installation', 'cp` exited 125'],
    ['rm', 'kill -KILL $$', 74, 'this machine', 'rm` was killed by SIGKILL, so container c0ffee was left (remove it with `docker rm -f c0ffee`)'],
    ['rm', 'exit 127', 2, 'the docker installation', 'rm` exited 127: a command it runs was not found (a `docker` wrapper or shim whose program is missing?), so container c0ffee was left'],
  ])('docker %s, %s: said as that (exit 74 or 2), not a file test that failed', async (verb, line, exit, whose, words) => {
    const s = setup(verb, line);
    const r = await test(s);
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: the tests stopped on a fault of ${whose}, not of the spec or the build: \`${s.bin} ${words}`);
    expect(r.stderr).not.toContain('does not exist');
    expect(r.stderr).not.toContain('cannot create a container');
  });

  it('ordinary failures stay what they were: create refused (exit 1), a file docker cp does not find, a 255 of a command that is no plugin', async () => {
    const created = await test(setup('create', 'echo "Error response from daemon: No such image: x" >&2; exit 1'));
    expect(created.status, created.stderr).toBe(1);
    expect(created.stderr).toContain('`binary`: cannot create a container to read files: Error response from daemon: No such image: x');
    const cp = await test(setup('cp', 'echo "Error response from daemon: Could not find the file /hello in container c0ffee" >&2; exit 1'));
    expect(cp.status, cp.stderr).toBe(1);
    expect(cp.stderr).toContain('`binary`: /hello does not exist, expected it to');
    const cp255 = await test(setup('cp', 'exit 255'));
    expect(cp255.status, cp255.stderr).toBe(1);
    expect(cp255.stderr).toContain('/hello does not exist');
    const rm = await test(setup('rm', 'echo "Error response from daemon: removal in progress" >&2; exit 1'));
    expect(rm.status, rm.stderr).toBe(0);
  });
});
