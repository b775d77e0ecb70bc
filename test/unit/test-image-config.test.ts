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

  it('a registry that says no stays what it was: no image, exit 1', async () => {
    const { dir, bin } = setup('echo "ERROR: localhost:5000/samples/hello-go:multiarch: not found" >&2; exit 1');
    const r = await matrix(['test'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('localhost:5000/samples/hello-go:multiarch has no image for linux/amd64 (is it built and pushed?)');
    expect(r.stderr).not.toContain('stopped on');
  });
});
