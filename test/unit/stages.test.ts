import { afterAll, describe, expect, it } from 'vitest';
import { pinnedFinalStage } from '../../src/plan/final-stage.js';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);
import { classify, emulatedBy, emulationReason } from '../../src/plan/stages.js';
import { parseStages } from '../../src/dockerfile/stages.js';

const AMD = 'linux/amd64';
const ARM = 'linux/arm64';

const GO_CROSS = `FROM --platform=$BUILDPLATFORM golang:1.22 AS builder
ARG TARGETARCH
RUN GOARCH=$TARGETARCH go build -o /out/app .

FROM scratch
COPY --from=builder /out/app /app
`;

const EMULATED = `FROM alpine:3.19
RUN apk add --no-cache curl
`;

const NO_RUN = `FROM scratch
COPY app /app
CMD ["/app"]
`;

describe('stages classification', () => {
  it('the build platform itself is native', () => {
    expect(classify(EMULATED, AMD, AMD)).toBe('native');
    expect(classify(GO_CROSS, ARM, ARM)).toBe('native');
  });

  // containerd/platforms compare.go Only (platformVector), which BuildKit's getEmulator
  // (moby/buildkit solver/llbsolver/ops/exec_binfmt.go) asks before it looks for QEMU:
  // amd64/v3 runs amd64/v2, amd64 and 386; plain amd64 runs 386 but not amd64/v2; arm64 runs arm/v8..v5.
  it("what the build platform runs by containerd's matcher is native, not emulated", () => {
    for (const p of ['linux/amd64/v2', 'linux/amd64', 'linux/386']) expect(classify(EMULATED, p, 'linux/amd64/v3'), p).toBe('native');
    expect(classify(EMULATED, 'linux/amd64/v4', 'linux/amd64/v3')).toBe('emulated');
    expect(classify(EMULATED, 'linux/386', AMD)).toBe('native');
    expect(classify(EMULATED, 'linux/amd64/v2', AMD)).toBe('emulated');
    for (const p of ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']) expect(classify(EMULATED, p, ARM), p).toBe('native');
    expect(classify(EMULATED, ARM, 'linux/arm/v7')).toBe('emulated');
    expect(classify(EMULATED, 'windows/386', AMD)).toBe('emulated');
  });

  it('RUN only in stages pinned to $BUILDPLATFORM is cross', () => {
    expect(classify(GO_CROSS, ARM, AMD)).toBe('cross');
    expect(classify(GO_CROSS.replace('$BUILDPLATFORM', '${BUILDPLATFORM}'), ARM, AMD)).toBe('cross');
  });

  it('RUN in a target-platform stage is emulated', () => {
    expect(classify(EMULATED, ARM, AMD)).toBe('emulated');
  });

  it('a RUN in the final stage after a cross builder is emulated', () => {
    expect(classify(GO_CROSS + 'RUN chmod +x /app\n', ARM, AMD)).toBe('emulated');
  });

  it('no RUN at all is no-run', () => {
    expect(classify(NO_RUN, ARM, AMD)).toBe('no-run');
  });

  it('an empty Dockerfile is no-run', () => {
    expect(classify('', ARM, AMD)).toBe('no-run');
  });

  it('a stage that is not needed does not count', () => {
    const text = `FROM alpine AS unused\nRUN apk add x\n\n${NO_RUN}`;
    expect(classify(text, ARM, AMD)).toBe('no-run');
  });

  it('follows COPY --from and RUN --mount=...,from= to the stages they need', () => {
    const copy = `FROM alpine AS tools\nRUN apk add x\nFROM scratch\nCOPY --from=tools /x /x\n`;
    expect(classify(copy, ARM, AMD)).toBe('emulated');
    const mount = `FROM alpine AS tools\nRUN apk add x\nFROM --platform=$BUILDPLATFORM alpine AS b\nRUN --mount=type=bind,from=tools,target=/t true\nFROM scratch\nCOPY --from=b /x /x\n`;
    expect(classify(mount, ARM, AMD)).toBe('emulated');
  });

  it('a stage FROM a pinned stage runs on the build platform too', () => {
    const text = `FROM --platform=$BUILDPLATFORM alpine AS base\nFROM base AS build\nRUN make\nFROM scratch\nCOPY --from=build /x /x\n`;
    expect(classify(text, ARM, AMD)).toBe('cross');
  });

  it('the `target` stage decides, not the last one', () => {
    const text = `${GO_CROSS}\nFROM alpine AS debug\nRUN apk add gdb\n`;
    expect(classify(text, ARM, AMD)).toBe('emulated');
    expect(classify(text, ARM, AMD, 'builder')).toBe('cross');
  });

  it('stage names are case-insensitive', () => {
    const text = `FROM --platform=$BUILDPLATFORM golang AS Builder\nRUN go build\nFROM scratch\nCOPY --from=BUILDER /x /x\n`;
    expect(classify(text, ARM, AMD)).toBe('cross');
  });

  it('handles continuation lines and comments', () => {
    const text = `# comment\nFROM --platform=$BUILDPLATFORM \\\n    golang AS b\nRUN echo \\\n  hi\nFROM scratch\nCOPY --from=b /x /x\n`;
    expect(classify(text, ARM, AMD)).toBe('cross');
  });

  it('honours a backtick escape directive', () => {
    const text = '# escape=`\nFROM --platform=$BUILDPLATFORM `\n  golang AS b\nRUN go build\nFROM scratch\nCOPY --from=b /x /x\n';
    expect(parseStages(text).map((s) => ({ name: s.name, base: s.base, flag: s.platformFlag }))).toEqual([
      { name: 'b', base: 'golang', flag: '$BUILDPLATFORM' },
      { name: undefined, base: 'scratch', flag: undefined },
    ]);
    expect(classify(text, ARM, AMD)).toBe('cross');
  });

  it('a stage pinned to $TARGETPLATFORM that runs is emulated', () => {
    expect(classify('FROM --platform=$TARGETPLATFORM alpine\nRUN true\n', ARM, AMD)).toBe('emulated');
  });

  it('classifies the go template output as cross', () => {
    const text = `ARG GO_IMAGE="golang:1.22.1"\nFROM --platform=$BUILDPLATFORM \${GO_IMAGE} AS builder\nRUN go build -o /out/x .\n\nFROM --platform=$TARGETPLATFORM scratch\nCOPY --from=builder "/out/x" /\n`;
    expect(classify(text, ARM, AMD)).toBe('cross');
  });
});

// Issue 19: an image whose final stage is pinned to $BUILDPLATFORM ships the
// build platform's binaries labelled as each target platform. Only build stages
// belong on $BUILDPLATFORM (docs.docker.com/build/building/multi-platform/#cross-compilation).
describe('a final stage pinned to the build platform', () => {
  const PINNED = 'FROM --platform=$BUILDPLATFORM python:3.12 AS build\nRUN pip wheel .\n\nFROM  --platform=${BUILDPLATFORM} python:3.12-slim\nCOPY --from=build /w /w\n';

  it('is found at its flag; a pinned build stage with a free final stage is fine', () => {
    expect(pinnedFinalStage(PINNED)).toEqual({ line: 4, column: 7, raw: '--platform=${BUILDPLATFORM}' });
    expect(pinnedFinalStage(GO_CROSS)).toBeUndefined();
    expect(pinnedFinalStage('FROM --platform=$TARGETPLATFORM x\n')).toBeUndefined();
  });

  it('with `target:`, the named stage counts, not the last one', () => {
    expect(pinnedFinalStage(PINNED, 'build')).toEqual({ line: 1, column: 6, raw: '--platform=$BUILDPLATFORM' });
    expect(pinnedFinalStage(`${PINNED}FROM scratch AS out\n`, 'BUILD')).toMatchObject({ line: 1 });
    expect(pinnedFinalStage(`${PINNED}FROM scratch AS out\n`)).toBeUndefined();
  });

  it('`matrix plan` refuses it: exit 2, located in the Dockerfile, with a hint; files-only outputs are not images', async () => {
    const spec = 'version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  api:\n    context: api\n    dockerfile: api/Dockerfile\n';
    const dir = tempRepo({ 'matrix.yaml': spec, 'api/Dockerfile': PINNED });
    const r = await matrix(['plan', '--build-platform', 'linux/amd64'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/api\/Dockerfile:4:7: error .*pinned to the build platform.* \[final-stage-build-platform\]/);
    expect(r.stderr).toContain('--platform=$TARGETPLATFORM');
    const files = tempRepo({ 'matrix.yaml': `${spec}    output: ["type=local,dest=out"]\n`, 'api/Dockerfile': PINNED });
    expect((await matrix(['plan', '--build-platform', 'linux/amd64'], files)).status).toBe(0);
  });
});

// `matrix plan --build-platform linux/amd64/v3`: the platforms an amd64/v3 builder runs by
// containerd's matcher (containerd/platforms compare.go Only, platformVector) are native.
describe("plan: native by containerd's matcher", () => {
  it('on linux/amd64/v3, linux/amd64/v2 and linux/386 are native, linux/amd64/v4 is emulated', async () => {
    const spec = 'version: 1\nplatforms: [linux/amd64/v2, linux/386, linux/amd64/v4]\nservices:\n  api:\n    context: api\n    dockerfile: api/Dockerfile\n';
    const dir = tempRepo({ 'matrix.yaml': spec, 'api/Dockerfile': EMULATED });
    const r = await matrix(['plan', '--json', '--no-cache', '--build-platform', 'linux/amd64/v3'], dir);
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { targets: { platforms: { platform: string; mode: string }[] }[] };
    expect(plan.targets[0]!.platforms.map((p) => [p.platform, p.mode])).toEqual([
      ['linux/amd64/v2', 'native'],
      ['linux/386', 'native'],
      ['linux/amd64/v4', 'emulated'],
    ]);
  });
});

// Issue 19: `plan` says why a platform is emulated: the first RUN that executes as the target platform.
describe('emulatedBy: the stage and line that run as the target platform', () => {
  it('names the first such RUN, skipping stages pinned to $BUILDPLATFORM and stages not needed', () => {
    const text = `FROM alpine AS unused\nRUN x\nFROM --platform=$BUILDPLATFORM node AS builder\nRUN npm ci\nFROM node AS target-deps\nCOPY --from=builder /a /a\n# install\nRUN \\\n  npm ci\nFROM scratch\nCOPY --from=target-deps /a /a\n`;
    expect(emulatedBy(text)).toEqual({ stage: 'target-deps', line: 8 });
    expect(emulationReason(text, 'w/Dockerfile')).toBe('stage `target-deps` runs `RUN` as the target platform, w/Dockerfile:8');
  });

  it('an unnamed stage by its index; none for a cross-built or copy-only Dockerfile', () => {
    expect(emulatedBy(EMULATED)).toEqual({ stage: '0', line: 2 });
    expect(emulationReason(EMULATED, 'Dockerfile')).toBe('the final stage runs `RUN` as the target platform, Dockerfile:2');
    expect(emulationReason(`FROM alpine\nRUN a\nFROM scratch\nCOPY --from=0 /a /a\n`, 'Dockerfile')).toBe('stage `0` runs `RUN` as the target platform, Dockerfile:2');
    expect(emulatedBy(GO_CROSS)).toBeUndefined();
    expect(emulatedBy(NO_RUN)).toBeUndefined();
  });
});
