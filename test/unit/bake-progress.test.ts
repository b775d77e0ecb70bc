// buildx's plain progress read into per-target, per-platform cells. The lines
// below are from a real `docker buildx bake --progress=plain` (buildx 0.13.1,
// BuildKit in dockerd 26): kbase's RUN fails under kapp's name (the two share
// the vertex), bake cancels the rest, and kother's export, cut off mid-write,
// ends in an ERROR of its own.
import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/bake/progress.js';
import { THREE_FAIL_BUILDX_0_13_1, THREE_FAIL_BUILDX_0_22_0 } from '../helpers/bake-logs.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const plan = ['kbase', 'kapp', 'kother'].map((target) => ({ target, platforms: PLATFORMS }));
const RUN = 'RUN if [ "4" != 0 ]; then echo "step failed on purpose" >&2; exit "4"; fi; echo "arm64" > /arch';
const FAILED = 'ERROR: process "/bin/sh -c ..." did not complete successfully: exit code: 4';

const LOG = [
  '#21 [kother linux/amd64 stage-1 2/2] COPY --from=work /arch /arch',
  '#21 CACHED',
  '#22 [kother linux/arm64 stage-1 2/2] COPY --from=work /arch /arch',
  '#22 CACHED',
  `#20 [kapp linux/amd64->arm64 work 3/3] ${RUN}`,
  '#20 0.874 step failed on purpose',
  `#20 ${FAILED}`,
  '#23 [kother] exporting to image',
  '#23 exporting layers done',
  '#23 ERROR: error writing data blob sha256:130c: failed to get status: error getting writer status: EOF: unknown',
  `#18 [kbase linux/amd64 work 3/3] ${RUN}`,
  '#18 1.281 step failed on purpose',
  '#18 CANCELED',
];

const statuses = (lines: string[], code: number) => {
  const p = new ProgressTracker(plan, () => 0);
  for (const l of lines) p.line(l);
  return Object.fromEntries(p.finish(code).map((c) => [`${c.target} ${c.platform}`, c.status]));
};

describe('ProgressTracker', () => {
  it('the first failed step is the failure; a later ERROR of another target, cut off by the cancel, is cancelled', () => {
    expect(statuses(LOG, 1)).toEqual({
      'kbase linux/amd64': 'cancelled',
      'kbase linux/arm64': 'cancelled',
      'kapp linux/amd64': 'cancelled',
      'kapp linux/arm64': 'failed',
      'kother linux/amd64': 'cancelled',
      'kother linux/arm64': 'cancelled',
    });
  });

  it('keeps the error lines of the failure, none of the casualty', () => {
    const p = new ProgressTracker(plan, () => 0);
    for (const l of LOG) p.line(l);
    const cells = p.finish(1);
    expect(cells.find((c) => c.target === 'kapp' && c.platform === 'linux/arm64')!.error).toEqual(['step failed on purpose', FAILED.replace(/^ERROR:?\s*/, '')]);
    expect(cells.filter((c) => c.target === 'kother').flatMap((c) => c.error)).toEqual([]);
  });

  it('a later ERROR of the same target that failed first is a failure too', () => {
    const more = [...LOG.slice(0, 7), `#24 [kapp linux/amd64 work 3/3] ${RUN}`, `#24 ${FAILED}`];
    expect(statuses(more, 1)['kapp linux/amd64']).toBe('failed');
  });

  // Lines of a real bake (buildx 0.22.0, dockerd 26; the other targets' lines left out): kill9's RUN
  // (`sh -c 'sleep 1; kill -9 $$'`) interleaved with a step of seven; the printer's `#11 ...` (moby/buildkit util/progress/progressui/printer.go,
  // vendored in docker/buildx) is not among its output lines.
  it("`#N ...`, the printer leaving a step that goes on, is none of the step's output", () => {
    const p = new ProgressTracker(
      ['kill9', 'seven'].map((target) => ({ target, platforms: ['linux/amd64'] })),
      () => 0,
    );
    for (const l of [
      "#11 [kill9 2/2] RUN sh -c 'sleep 1; kill -9 $$'",
      '#11 ...',
      '',
      '#12 [seven internal] load .dockerignore',
      '#12 transferring context: 2B done',
      '#12 DONE 0.4s',
      '',
      "#11 [kill9 2/2] RUN sh -c 'sleep 1; kill -9 $$'",
      '#11 1.742 Killed',
      `#11 ERROR: process "/bin/sh -c sh -c 'sleep 1; kill -9 $$'" did not complete successfully: exit code: 137`,
    ])
      p.line(l);
    expect(p.finish(1).find((c) => c.target === 'kill9')!.error).toEqual(['Killed', `process "/bin/sh -c sh -c 'sleep 1; kill -9 $$'" did not complete successfully: exit code: 137`]);
  });

  it('a step two targets share fails both: its first ERROR names them both', () => {
    const shared = ['#5 [kbase linux/amd64 work 1/3] FROM x', '#5 [kother linux/amd64 work 1/3] FROM x', '#5 ERROR: pull access denied'];
    const s = statuses(shared, 1);
    expect([s['kbase linux/amd64'], s['kother linux/amd64'], s['kapp linux/amd64']]).toEqual(['failed', 'failed', 'cancelled']);
  });
});

// Which cells a failed step is charged to, by the vertex name alone. The forms
// come from how the name is built: buildx prefixes the target only when bake
// builds more than one (docker/buildx util/progress/multiwriter.go addPrefix;
// build/build.go `progress.WithPrefix(w, k, multiTarget)`, `multiTarget :=
// len(opt) > 1`), and BuildKit names a step `[platform stage n/m]`, the
// platform only for a multi-platform build, the counter padded to the width
// of the total (moby/buildkit frontend/dockerfile/dockerfile2llb/convert.go
// prefixCommand, formatTargetPlatform).
describe('ProgressTracker: vertex names', () => {
  const failedBy = (targets: Record<string, string[]>, name: string) => {
    const p = new ProgressTracker(
      Object.entries(targets).map(([target, platforms]) => ({ target, platforms })),
      () => 0,
    );
    for (const l of [`#5 [${name}] COPY missing /f`, '#5 ERROR: "/missing": not found']) p.line(l);
    const cells = p.finish(1);
    return {
      failed: cells.filter((c) => c.status === 'failed').map((c) => `${c.target} ${c.platform}`),
      errors: cells.flatMap((c) => c.error),
    };
  };
  const ONE = ['linux/amd64'];
  const TWO = ['linux/amd64', 'linux/arm64'];

  it('one target, one platform: the whole plain log of `docker buildx bake b` (buildx 0.13.1), its counter no platform', () => {
    const p = new ProgressTracker([{ target: 'b', platforms: ONE }], () => 0);
    for (const l of [
      '#1 [internal] load local bake definitions',
      '#1 DONE 0.0s',
      '#2 [internal] load build definition from Dockerfile',
      '#2 DONE 0.1s',
      '#5 [1/1] COPY missing /f',
      '#5 ERROR: failed to calculate checksum of ref g6mf::e3wl: "/missing": not found',
    ])
      p.line(l);
    expect(p.finish(1)).toEqual([
      {
        target: 'b',
        platform: 'linux/amd64',
        status: 'failed',
        startedAt: 0,
        endedAt: 0,
        error: ['failed to calculate checksum of ref g6mf::e3wl: "/missing": not found'],
        failedStep: 'COPY missing /f',
      },
    ]);
  });

  it('several targets, one platform each: `[b 1/1]` (`docker buildx bake a b`, buildx 0.13.1) fails b, not a', () => {
    expect(failedBy({ a: ONE, b: ONE }, 'b 1/1')).toEqual({ failed: ['b linux/amd64'], errors: ['"/missing": not found'] });
  });

  it('a counter padded to the width of the total: `[ 1/10]`, `[b  1/10]`, `[b builder  2/10]`', () => {
    expect(failedBy({ b: ONE }, ' 1/10').failed).toEqual(['b linux/amd64']);
    expect(failedBy({ a: ONE, b: ONE }, 'b  1/10').failed).toEqual(['b linux/amd64']);
    expect(failedBy({ a: ONE, b: ONE }, 'b builder  2/10').failed).toEqual(['b linux/amd64']);
  });

  it('a vertex that is no Dockerfile step: `[b internal] load build context` fails every platform of b', () => {
    expect(failedBy({ a: TWO, b: TWO }, 'b internal').failed).toEqual(['b linux/amd64', 'b linux/arm64']);
    expect(failedBy({ a: TWO, b: TWO }, 'b').failed).toEqual(['b linux/amd64', 'b linux/arm64']);
  });

  it('several platforms: `[linux/arm64 1/1]` alone, `[b linux/arm64 1/1]` and `[b linux/arm64 builder  1/10]` among targets', () => {
    expect(failedBy({ b: TWO }, 'linux/arm64 1/1').failed).toEqual(['b linux/arm64']);
    expect(failedBy({ a: TWO, b: TWO }, 'b linux/arm64 1/1').failed).toEqual(['b linux/arm64']);
    expect(failedBy({ a: TWO, b: TWO }, 'b linux/arm64 builder  1/10').failed).toEqual(['b linux/arm64']);
    expect(failedBy({ a: TWO, b: TWO }, 'b linux/arm64 internal').failed).toEqual(['b linux/arm64']);
  });

  it('a platform with a variant: `[linux/arm/v7 1/1]`', () => {
    expect(failedBy({ b: ['linux/amd64', 'linux/arm/v7'] }, 'linux/arm/v7 1/1').failed).toEqual(['b linux/arm/v7']);
  });

  it('cross-compiling, the target platform counts: `->arm64`, `->arm/v7` on the same OS, `->windows/amd64` on another', () => {
    expect(failedBy({ a: TWO, b: TWO }, 'b linux/amd64->arm64 work 3/3').failed).toEqual(['b linux/arm64']);
    expect(failedBy({ b: ['linux/amd64', 'linux/arm/v7'] }, 'linux/amd64->arm/v7 work 1/2').failed).toEqual(['b linux/arm/v7']);
    expect(failedBy({ b: ['linux/amd64', 'windows/amd64'] }, 'linux/amd64->windows/amd64 1/2').failed).toEqual(['b windows/amd64']);
  });
});

// Several targets whose steps fail at about the same moment, each for its own reason: only a cancelled
// step is a casualty of bake's cancel. The logs are real (test/helpers/bake-logs.ts, buildx 0.13.1 and
// 0.22.0); a cancelled RUN's error ends in the context's cause (moby/buildkit
// executor/runcexecutor/executor.go exitError: `exit code: 137: context canceled`), which buildx prints as
// `#N CANCELED` (moby/buildkit util/progress/progressui/printer.go, vendored in docker/buildx).
describe('ProgressTracker: targets that fail at once', () => {
  const FOUR = ['kill9', 'segv', 'seven', 'slow'].map((target) => ({ target, platforms: ['linux/amd64'] }));
  const run = (lines: readonly string[]) => {
    const p = new ProgressTracker(FOUR, () => 0);
    for (const l of lines) p.line(l);
    return Object.fromEntries(p.finish(1).map((c) => [c.target, c]));
  };

  it.each([
    ['0.13.1', THREE_FAIL_BUILDX_0_13_1],
    ['0.22.0', THREE_FAIL_BUILDX_0_22_0],
  ])('buildx %s: each failed step fails its target with its own line, the cancelled one is not finished', (_, log) => {
    const c = run(log);
    expect(Object.fromEntries(Object.values(c).map((x) => [x.target, x.status]))).toEqual({ kill9: 'failed', segv: 'failed', seven: 'failed', slow: 'cancelled' });
    expect(c.kill9!.error).toEqual(['Killed', `process "/bin/sh -c sh -c 'sleep 1; kill -9 $$'" did not complete successfully: exit code: 137`]);
    expect(c.segv!.error).toEqual(['process "/bin/sh -c sleep 1; exit 139" did not complete successfully: exit code: 139']);
    expect(c.seven!.error).toEqual(['process "/bin/sh -c sleep 1; exit 7" did not complete successfully: exit code: 7']);
    expect([c.kill9!.failedStep, c.segv!.failedStep, c.seven!.failedStep]).toEqual(["RUN sh -c 'sleep 1; kill -9 $$'", 'RUN sleep 1; exit 139', 'RUN sleep 1; exit 7']);
    expect(c.slow!.error).toEqual([]);
  });

  it("a later step's exit code followed by the cancel's cause is a casualty, should an ERROR line ever carry it", () => {
    // The rawjson text of the cancelled steps of the same bake (test/helpers/bake-logs.ts).
    const c = run([
      "#14 [kill9 2/2] RUN sh -c 'sleep 1; kill -9 $$'",
      '#14 ERROR: process "/bin/sh -c sh -c \'sleep 1; kill -9 $$\'" did not complete successfully: exit code: 137',
      '#12 [slow 2/2] RUN sleep 5',
      '#12 ERROR: process "/bin/sh -c sleep 5" did not complete successfully: exit code: 137: context canceled: context canceled',
      '#13 [seven 2/2] RUN sleep 1; exit 7',
      '#13 ERROR: process "/bin/sh -c sleep 1; exit 7" did not complete successfully: exit code: 137: context canceled',
    ]);
    expect([c.kill9!.status, c.slow!.status, c.seven!.status]).toEqual(['failed', 'cancelled', 'cancelled']);
    expect([...c.slow!.error, ...c.seven!.error]).toEqual([]);
  });

  it("BuildKit 0.16's end of a step the OOM killer stopped (`cannot allocate memory`, moby/buildkit bc9e857d0) is that target's own failure too; with the cancel's cause after it, a casualty", () => {
    const c = run([
      '#14 [segv 2/2] RUN exit 139',
      '#14 ERROR: process "/bin/sh -c exit 139" did not complete successfully: exit code: 139',
      '#15 [kill9 2/2] RUN ./big',
      '#15 ERROR: process "/bin/sh -c ./big" did not complete successfully: cannot allocate memory',
      '#16 [slow 2/2] RUN ./big',
      '#16 ERROR: process "/bin/sh -c ./big" did not complete successfully: cannot allocate memory: context canceled',
    ]);
    expect([c.segv!.status, c.kill9!.status, c.slow!.status]).toEqual(['failed', 'failed', 'cancelled']);
    expect(c.kill9!.error).toEqual(['process "/bin/sh -c ./big" did not complete successfully: cannot allocate memory']);
  });

  it('the command itself may say cancel: only what follows the exit code counts', () => {
    const c = run([
      '#14 [segv 2/2] RUN exit 139',
      '#14 ERROR: process "/bin/sh -c exit 139" did not complete successfully: exit code: 139',
      '#15 [seven 2/2] RUN ./cancel-context-canceled.sh',
      '#15 ERROR: process "/bin/sh -c ./cancel-context-canceled.sh" did not complete successfully: exit code: 7',
    ]);
    expect([c.segv!.status, c.seven!.status]).toEqual(['failed', 'failed']);
  });
});

// A target whose image bake exported before another target's step failed: its export's DONE is in the
// progress (BuildKit names each exporter's vertex, moby/buildkit exporter/*: Name(), "exporting to
// image" for the image exporter). buildx writes no metadata after a failed bake, so the summary cannot
// show its digest; it still must not call it "not finished" (README: that is for what bake stopped).
describe('ProgressTracker: an export that ended before bake failed', () => {
  const two = [
    { target: 'quick', platforms: ['linux/amd64', 'linux/arm64'] },
    { target: 'slow', platforms: ['linux/amd64'] },
  ];
  const run = (lines: string[]) => {
    const p = new ProgressTracker(two, () => 0);
    for (const l of lines) p.line(l);
    return Object.fromEntries(p.finish(1).map((c) => [`${c.target} ${c.platform}`, [c.status, c.exported ?? false]]));
  };

  it('every platform of the exported target is exported; the failed one and a cut-off export are not', () => {
    expect(
      run([
        '#9 [quick linux/amd64 1/1] COPY f /f',
        '#9 DONE 0.1s',
        '#10 [quick linux/arm64 1/1] COPY f /f',
        '#10 DONE 0.1s',
        '#11 [quick] exporting to image',
        '#11 exporting layers done',
        '#11 naming to localhost:5000/quick:latest done',
        '#11 DONE 0.3s',
        '#12 [slow 2/2] RUN exit 3',
        '#12 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
      ]),
    ).toEqual({ 'quick linux/amd64': ['cancelled', true], 'quick linux/arm64': ['cancelled', true], 'slow linux/amd64': ['failed', false] });
    // The export cut off by the cancel (after the failure), or still running: not exported.
    for (const end of ['#11 ERROR: error writing data blob sha256:130c: EOF: unknown', '#11 CANCELED', '#11 exporting layers']) {
      const lines = ['#11 [quick] exporting to image', '#12 [slow 2/2] RUN exit 3', '#12 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3', end];
      expect(run(lines)['quick linux/amd64'], end).toEqual(['cancelled', false]);
    }
  });

  it('the other exporters count (oci, docker, local, tar); an exported cache does not', () => {
    for (const step of ['exporting to oci image format', 'exporting to docker image format', 'exporting to client directory', 'exporting to client tarball']) {
      expect(run([`#11 [quick] ${step}`, '#11 DONE 0.2s'])['quick linux/arm64'], step).toEqual(['cancelled', true]);
    }
    expect(run(['#13 [quick] exporting cache to registry', '#13 DONE 0.2s'])['quick linux/arm64']).toEqual(['cancelled', false]);
  });
});
