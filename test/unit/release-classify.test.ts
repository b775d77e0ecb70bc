// Which failed bake runs are retried: pulls and pushes that failed for a
// network or registry reason, never a build error. The strings are buildx's
// output as users reported it (the issue of each is cited) and as this
// project's engine tests saw it; the wrapping (`failed to solve:`,
// `failed to do request: VERB "URL":`) is BuildKit's and containerd's
// remotes/docker client around Go's net and net/http errors.
import { describe, expect, it } from 'vitest';
import { backoffSeconds, cacheFault, classifyFailure, machineFault } from '../../src/release/classify.js';

const transient: [string, string][] = [
  // docker/buildx#298
  ['connection reset (GCR)', 'ERROR: failed to solve: rpc error: code = Unknown desc = failed to copy: read tcp 172.17.0.2:47038->173.194.214.128:443: read: connection reset by peer'],
  // moby/buildkit#2713
  [
    'reset on a blob upload',
    'ERROR: failed to solve: failed to copy: failed to do request: Put "https://cr.example.com/v2/blobhere": write tcp 172.17.0.2:48736->109.107.38.167:443: write: connection reset by peer',
  ],
  // mozilla/addons#14827, docker/build-push-action#1065
  [
    'TLS handshake timeout on a pull',
    'ERROR: failed to solve: python:3.11-slim-bookworm: failed to resolve source metadata for docker.io/library/python:3.11-slim-bookworm: failed to do request: Head "https://registry-1.docker.io/v2/library/python/manifests/3.11-slim-bookworm": net/http: TLS handshake timeout',
  ],
  ['a step line of the same', '#3 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/library/python/manifests/3.11-slim-bookworm": net/http: TLS handshake timeout'],
  // test/engine/engine.ts (the local registry's 500 on a concurrent tag push)
  ['5xx on HEAD', 'ERROR: failed to solve: failed to push localhost:5000/e2e/x:1: unexpected status from HEAD request to http://localhost:5000/v2/e2e/x/manifests/1: 500 Internal Server Error'],
  ['503 on a push', 'ERROR: failed to solve: failed to push r.example/x:1: failed commit on ref "manifest-sha256:abc": unexpected status: 503 Service Unavailable'],
  [
    'connection refused',
    'ERROR: failed to solve: failed to push 127.0.0.1:5001/x:1: failed to do request: Head "http://127.0.0.1:5001/v2/x/blobs/sha256:abc": dial tcp 127.0.0.1:5001: connect: connection refused',
  ],
  ['EOF', 'ERROR: failed to solve: failed to push 127.0.0.1:5001/x:1: failed to do request: Put "http://127.0.0.1:5001/v2/x/manifests/1": EOF'],
  ['unexpected EOF', 'ERROR: failed to solve: failed to copy: httpReadSeeker: failed open: unexpected EOF'],
];

const build: [string, string][] = [
  ['a step that exited', 'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2'],
  // A step whose own output mentions a network error is still a build error.
  ['curl in a RUN step', 'ERROR: failed to solve: process "/bin/sh -c curl -f http://x" did not complete successfully: exit code: 7'],
  ['a missing base image', 'ERROR: failed to solve: localhost:5000/x-missing:none: failed to resolve source metadata for localhost:5000/x-missing:none: localhost:5000/x-missing:none: not found'],
  ['a missing file', 'ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref abc::def: "/nope": not found'],
  ['credentials', 'ERROR: failed to solve: failed to push ghcr.io/a/b:1: unexpected status from POST request to https://ghcr.io/v2/a/b/blobs/uploads/: 403 Forbidden'],
];

describe('classifyFailure', () => {
  it.each(transient)('%s: transient, with the line as its cause', (_, line) => {
    expect(classifyFailure(['#9 exporting to image', line])).toEqual({ transient: true, cause: line });
  });

  it.each(build)('%s: never retried', (_, line) => {
    expect(classifyFailure([line]).transient).toBe(false);
  });

  it('a build error wins over a network error in the same run', () => {
    expect(classifyFailure([transient[0]![1], build[0]![1]])).toEqual({ transient: false, cause: build[0]![1] });
  });

  it('a step printing "connection refused" is not an error line: not retried', () => {
    expect(classifyFailure(['#8 0.512 curl: (7) Failed to connect: connection refused', build[1]![1]]).transient).toBe(false);
    expect(classifyFailure(['#8 0.512 connection reset by peer']).transient).toBe(false);
  });

  // Go's http2 client says "stream error: stream ID N; INTERNAL_ERROR" (golang.org/x/net/http2 errors.go
  // StreamError.Error); the pattern found it by running `.*` to the end of the line from every
  // "stream error: ", and an error line of a megabyte of them took minutes to classify.
  it('a long error line is classified at once, the stream error still transient', () => {
    const reset = 'ERROR: failed to solve: failed to copy: stream error: stream ID 5; INTERNAL_ERROR; received from peer';
    expect(classifyFailure([reset]).transient).toBe(true);
    expect(classifyFailure(['ERROR: stream error: stream ID 5; PROTOCOL_ERROR']).transient).toBe(false);
    const t0 = performance.now();
    const long = classifyFailure([`ERROR: ${'stream error: '.repeat(75_000)}`, `ERROR: ${'x'.repeat(1 << 20)}`]);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(long.transient).toBe(false);
  });

  it('backs off 2, 4, 8 ... seconds, at most 30', () => {
    expect([1, 2, 3, 4, 5, 9].map(backoffSeconds)).toEqual([2, 4, 8, 16, 30, 30]);
  });
});

// Storage faults end Go's error chain with the errno's text (syscall.Errno.Error).
const storage: [string, string, string][] = [
  // this project's engine test: TMPDIR full when buildx writes its metadata file
  ['the metadata file in a full TMPDIR', 'ERROR: write /tmp/full/matrix-bake-x1/.tmp-metadata.json311854196: no space left on device', 'ENOSPC'],
  // docker/cli#4844: the engine's storage full while it computes a cache key
  [
    'a mount of the engine',
    'ERROR: failed to solve: failed to compute cache key: mount callback failed on /tmp/containerd-mount1749269262: write /tmp/containerd-mount1749269262/usr/bin/cksum: no space left on device',
    'ENOSPC',
  ],
  // serverless/containers#19: BuildKit's temp dir under /var/lib/docker
  [
    "the engine's temp dir",
    'ERROR: failed to build: failed to solve: ResourceExhausted: failed to read dockerfile: failed to create temp dir: mkdir /var/lib/docker/tmp/buildkit-mount2667628103: no space left on device',
    'ENOSPC',
  ],
  ['a quota', 'ERROR: open /home/ci/out/app/.tmp-layer: disk quota exceeded', 'EDQUOT'],
  ['a read-only output', 'ERROR: failed to solve: error from receiver: mkdir /mnt/ro/out: read-only file system', 'EROFS'],
  ['a failing disk', '#12 ERROR: write /var/lib/docker/buildkit/content/ingest/abc/data: input/output error', 'EIO'],
];

describe('machineFault', () => {
  it.each(storage)('%s: a fault of the machine, never retried, even beside a network error', (_, line, errno) => {
    expect(machineFault(['#6 exporting to image', line])).toMatchObject({ errno, line });
    expect(classifyFailure([transient[0]![1], line])).toEqual({ transient: false, cause: line, fault: { what: expect.any(String), errno, line } });
  });

  it("a failed step's line that quotes its command, or a step's own output, is not one", () => {
    // perber/leafwiki#1523: the step's output says it; the error line is the step's exit code.
    const step = '#14 23.70 compile: writing output: write $WORK/b533/_pkg_.a: no space left on device';
    const failed = 'ERROR: failed to build: failed to solve: process "/bin/sh -c go build -o /out/app ./cmd/app" did not complete successfully: exit code: 1';
    expect(machineFault([step, failed])).toBeUndefined();
    expect(machineFault(['ERROR: failed to solve: process "/bin/sh -c echo read-only file system: no space left on device; false" did not complete successfully: exit code: 1'])).toBeUndefined();
  });
});

// containerd's snapshotter ends the chain with `snapshot ID does not exist: not found`
// (metadata/snapshot.go: errdefs.ErrNotFound wrapped with the key), whatever BuildKit put before it.
const lostSnapshot: [string, string, string][] = [
  // this project's CI (2026-12-06, docker driver, containerd image store): the second bake after one
  // in which a target failed on arm64 while another exported; every cached bake after it failed alike
  [
    'exporting a layer the cache lists',
    '#14 ERROR: failed to commit cm7sno5k4vx763c94wwhdzo1c to 5qzyxfru9erqe7wczt3lvl6v6 during finalize: failed to stat active key during commit: snapshot cm7sno5k4vx763c94wwhdzo1c does not exist: not found',
    'cm7sno5k4vx763c94wwhdzo1c',
  ],
  // the shape of project-dalec/dalec#1069 (its ids elided there; these are made up): a diff over the same
  [
    'a diff over a lost parent',
    'ERROR: failed to solve: failed to finalize upper parent during diff: failed to commit w3k0q1y2r6n4m5b8v7c9x0z1a to p2o3i4u5y6t7r8e9w0q1l2k3j during finalize: failed to stat active key during commit: snapshot w3k0q1y2r6n4m5b8v7c9x0z1a does not exist: not found',
    'w3k0q1y2r6n4m5b8v7c9x0z1a',
  ],
  // moby/buildkit#6977: a RUN step on a lower layer that is gone
  [
    'a lower snapshot',
    '#39 ERROR: failed to apply diffs: failed to stat lower snapshot oqp2tt0j92m39s8wogp0pul7d: snapshot oqp2tt0j92m39s8wogp0pul7d does not exist: not found',
    'oqp2tt0j92m39s8wogp0pul7d',
  ],
  // the shape of ddev/ddev#8136 and moby/buildkit#6521 (the extraction key's digest cut short there, filled
  // in here): unpacking the exported image over a parent that is gone
  [
    'a parent snapshot while unpacking',
    '#19 ERROR: failed to prepare extraction snapshot "extract-771744199-MArs sha256:1d41b7b3d27c93b64dfdccfc6e369b418c2e41566531f1db7ee0900000000000": parent snapshot sha256:e644ff0c302d7de4c3e03dc718bc4b77ebeb324f7c8f5483b463fa230027b02c does not exist: not found',
    'sha256:e644ff0c302d7de4c3e03dc718bc4b77ebeb324f7c8f5483b463fa230027b02c',
  ],
];

describe('cacheFault', () => {
  it.each(lostSnapshot)("%s: the engine's fault, with the snapshot it lost; never retried, even beside a network error", (_, line, snapshot) => {
    expect(cacheFault(['#14 exporting layers 0.0s done', line])).toEqual({ snapshot, line });
    expect(classifyFailure([transient[0]![1], line])).toEqual({ transient: false, cause: line, cacheFault: { snapshot, line } });
  });

  it("a failed step's line that quotes its command, a step's own output, or a missing file is not one", () => {
    expect(cacheFault(['ERROR: failed to solve: process "/bin/sh -c echo snapshot x does not exist: not found; false" did not complete successfully: exit code: 1'])).toBeUndefined();
    expect(cacheFault(['#7 0.512 snapshot x does not exist: not found'])).toBeUndefined();
    expect(cacheFault([build[3]![1]])).toBeUndefined();
    expect(classifyFailure([build[3]![1]])).toEqual({ transient: false, cause: build[3]![1] });
  });

  it('a full disk in the same run is the fault said', () => {
    const full = storage[0]![1];
    expect(classifyFailure([lostSnapshot[0]![1], full])).toMatchObject({ transient: false, cause: full, fault: { errno: 'ENOSPC' } });
  });
});
