// Which images a build pulls, read as BuildKit reads FROM lines, and what a failed pull says.
// Dockerfile reference, ARG and FROM: https://docs.docker.com/reference/dockerfile/#understand-how-arg-and-from-interact
import { describe, expect, it } from 'vitest';
import type { Docker } from '../../src/adapters/docker.js';
import type { Captured } from '../../src/adapters/process.js';
import { baseImageChecks, baseImages, mirrorFix, PullFailures, pullReason, resolveFailure } from '../../src/doctor/base-images.js';

const go = [
  'ARG GO_IMAGE="golang:1.22.1"',
  'ARG RUNTIME_IMAGE=scratch',
  'FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build',
  'RUN go build',
  'FROM build AS test',
  'FROM ${RUNTIME_IMAGE}',
  'COPY --from=build /out /out',
].join('\n');

describe('baseImages', () => {
  it('substitutes global ARG defaults, skips scratch and earlier stages, and names the arg', () => {
    expect(baseImages([{ name: 'api', dockerfile: go, args: {}, contexts: {} }])).toEqual([{ image: 'golang:1.22.1', arg: 'GO_IMAGE', targets: ['api'] }]);
  });

  it("a target's build args override the defaults; an image pulled by two targets is listed once", () => {
    const r = baseImages([
      { name: 'a', dockerfile: go, args: { GO_IMAGE: 'mirror/golang:1.22.1', RUNTIME_IMAGE: 'debian:bookworm-slim' }, contexts: {} },
      { name: 'b', dockerfile: go, args: { GO_IMAGE: 'mirror/golang:1.22.1' }, contexts: {} },
    ]);
    expect(r).toEqual([
      { image: 'mirror/golang:1.22.1', arg: 'GO_IMAGE', targets: ['a', 'b'] },
      { image: 'debian:bookworm-slim', arg: 'RUNTIME_IMAGE', targets: ['a'] },
    ]);
  });

  it('a FROM that names a named context (a depends_on service) pulls nothing', () => {
    const text = 'ARG BASE=base\nFROM ${BASE}\nFROM alpine:3 AS x\n';
    expect(baseImages([{ name: 'api', dockerfile: text, args: {}, contexts: { base: 'target:base' } }]).map((i) => i.image)).toEqual(['alpine:3']);
  });

  it('`${X:-default}` and `${X-default}`, an ARG without a default, and an ARG declared after FROM (not global)', () => {
    const text = 'ARG A\nARG B=\nFROM ${A:-busybox:1}\nFROM ${B-node:20}\nFROM ${B:-node:22}\nARG C=python:3\nFROM ${C}\n';
    expect(baseImages([{ name: 't', dockerfile: text, args: {}, contexts: {} }]).map((i) => i.image)).toEqual(['busybox:1', 'node:22']);
  });

  it('FROM x AS x pulls x (a stage name refers to earlier stages only)', () => {
    expect(baseImages([{ name: 't', dockerfile: 'FROM golang AS golang\nFROM golang\n', args: {}, contexts: {} }]).map((i) => i.image)).toEqual(['golang']);
  });
});

describe('a failed pull', () => {
  // The three lines below are what BuildKit (dockerd 26.1, buildx 0.13) printed on this machine.
  const unreachable =
    'ERROR: failed to solve: golang:1.22: failed to resolve source metadata for docker.io/library/golang:1.22: failed to do request: Head "https://registry-1.docker.io/v2/library/golang/manifests/1.22": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host';
  const missing = 'ERROR: failed to solve: localhost:5000/nosuch/img:1: failed to resolve source metadata for localhost:5000/nosuch/img:1: localhost:5000/nosuch/img:1: not found';
  const denied =
    'ERROR: failed to solve: ghcr.io/acme/private:1: failed to resolve source metadata for ghcr.io/acme/private:1: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed';

  it('is classified by its cause', () => {
    expect([unreachable, missing, denied, 'something else'].map(pullReason)).toEqual(['unreachable', 'not-found', 'denied', 'other']);
  });

  it('names the image as the FROM line had it, the targets, and the build arg that points elsewhere', () => {
    const p = new PullFailures();
    for (const l of ['#2 ERROR: x', unreachable, unreachable]) p.line(l);
    const [msg, ...rest] = p.explain([{ image: 'golang:1.22', arg: 'GO_IMAGE', targets: ['api', 'worker'] }]);
    expect(rest).toEqual([]);
    expect(msg).toContain('base image golang:1.22 could not be pulled: its registry cannot be reached from here (needed by api, worker)');
    expect(msg).toContain("--set '*.args.GO_IMAGE=MIRROR/golang:1.22'");
    expect(msg).toContain('defaults.args');
  });

  // The line's shape: BuildKit's sourceresolver wraps the resolver's error as "failed to resolve source metadata for %s"
  // (moby/buildkit client/llb/sourceresolver/imageresolver.go), after the FROM reference and before the cause.
  it('reads the FROM reference and the cause, as the line ends with LF or CRLF', () => {
    expect(resolveFailure(unreachable)).toEqual({ image: 'golang:1.22', why: unreachable.slice(unreachable.indexOf('failed to do request')) });
    expect(resolveFailure(`${missing}\r`)).toEqual({ image: 'localhost:5000/nosuch/img:1', why: 'localhost:5000/nosuch/img:1: not found' });
    expect(resolveFailure('#5 ERROR: alpine:3: failed to resolve source metadata for docker.io/library/alpine:3')).toBeUndefined();
    expect(resolveFailure(': failed to resolve source metadata for x: y')).toBeUndefined();
    expect(resolveFailure('something else')).toBeUndefined();
  });

  // A build's output is the user's: a step may print a line of a megabyte. Every line of bake's output goes
  // through PullFailures; the regular expression it used backtracked over each start of a long run of
  // non-space characters (minutes for 1 MB, Ctrl-C unanswered), where this reads it once.
  it('a line of a megabyte, with or without the mark, is read at once', () => {
    const long = 'x'.repeat(1 << 20);
    const p = new PullFailures();
    const t0 = performance.now();
    p.line(long);
    p.line(`${long}: failed to resolve source metadata for ${long}`);
    p.line(`img:1: failed to resolve source metadata for docker.io/library/img:1: ${long}`);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p.explain([]).map((m) => m.split(':')[0])).toEqual(['base image img']);
  });

  it('an image written in a FROM line is changed there; one from elsewhere is checked where it came from', () => {
    expect(mirrorFix({ image: 'alpine:3', targets: ['t'] })).toContain("Dockerfile's FROM line");
    expect(mirrorFix({ image: 'alpine:3', targets: [] })).toContain('--set');
  });
});

// The doctor's base-image lookup (`docker image inspect`, then `docker buildx imagetools inspect --raw`)
// when imagetools did not end on its own terms (src/adapters/exit.ts): Node's `signal`, a shell's 128 + n,
// 127 and 126 (POSIX, Shell Command Language 2.8.2), docker's 125 and its silent 255 for a plugin a
// signal ended (docker/cli cmd/docker/docker.go). A killed lookup was "did not answer within 15 s" (its
// 137 read as the time limit) or "it could not be resolved", with a mirror as the fix.
describe('a base image lookup that did not end on its own terms', () => {
  const img = { image: 'golang:1.22', arg: 'GO_IMAGE', targets: ['api'] };
  const lookup = (remote: Partial<Captured>) => {
    const docker = {
      bin: 'docker',
      env: {},
      capture: async (args: string[]) => (args[0] === 'image' ? { code: 1, stdout: '', stderr: 'Error: No such image: golang:1.22' } : { code: 0, stdout: '', stderr: '', ...remote }),
    } as unknown as Docker;
    return baseImageChecks([img], docker).then((c) => c[0]!);
  };

  it.each([
    ['killed, as Node reports it', { code: 137, signal: 'SIGKILL' as const }, '`docker buildx imagetools inspect` was killed by SIGKILL', true],
    ['137 from a wrapper shell', { code: 137 }, '`docker buildx imagetools inspect` exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL', true],
    ['255, nothing said', { code: 255 }, '`docker buildx imagetools inspect` exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed', true],
    ['127', { code: 127 }, '`docker buildx imagetools inspect` exited 127: a command it runs was not found', false],
    ['126', { code: 126 }, '`docker buildx imagetools inspect` exited 126: a command it runs was found but cannot be executed', false],
    ['125', { code: 125, stderr: 'unknown flag: --raw' }, '`docker buildx imagetools inspect` exited 125: the docker CLI or buildx refused the command line', false],
  ])('%s: the check fails saying so (a fault of the machine for a signal), never a mirror to use', async (_name, remote, detail, fault) => {
    const ch = await lookup(remote);
    expect(ch.status).toBe('fail');
    expect(ch.detail).toContain(detail);
    expect(ch.fault).toBe(fault ? true : undefined);
    expect(ch.fix).not.toContain('mirror');
  });

  it('its own time limit is still said as one, and a registry error as before', async () => {
    expect((await lookup({ code: 137, signal: 'SIGKILL', timedOut: true })).detail).toBe('did not answer within 15 s; needed by api');
    const denied = await lookup({ code: 1, stderr: 'ERROR: pull access denied' });
    expect(denied).toMatchObject({ status: 'fail', detail: 'the registry refused access (a private image needs `docker login`); needed by api (pull access denied)' });
    expect(denied.fault).toBeUndefined();
  });
});
