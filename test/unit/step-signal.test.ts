// A build step whose process a signal ended: BuildKit's error says only the
// exit code, 128 + the signal's number, and matrix names the signal with what
// to do. The lines are buildx's, measured on this project's engine (Docker
// 26, its BuildKit) with `RUN sh -c 'kill -9 $$'` and `RUN exit 139` under
// buildx 0.13.1 and 0.22.0. Where the text comes from:
// - moby/buildkit solver/llbsolver/ops/exec.go: `process %q did not complete
//   successfully` around the executor's error (`executor failed running %v`
//   before BuildKit 0.10);
// - moby/buildkit frontend/gateway/pb/exit.go (vendored in docker/buildx):
//   ExitError prints `exit code: %d`; executor/runcexecutor's exitError wraps
//   the context's error after it when the build was cancelled (`exit code:
//   137: context canceled`), a kill of BuildKit's own;
// - docker/buildx cmd/buildx/main.go prints `ERROR: %v`, and build/build.go
//   (0.17 and later) wraps a target's error as `target NAME` when bake builds
//   several;
// - signal(7), "Standard signals": Linux's numbers on x86 and ARM;
// - moby/buildkit bc9e857d0 ("executor: detect containers killed by
//   OOMKiller", BuildKit 0.16.0): when the step's cgroup counted an oom_kill,
//   executor/runcexecutor/executor_linux.go detectOOM makes the ExitError's
//   cause ENOMEM, and ExitError prints its cause instead of `exit code: %d`:
//   `... did not complete successfully: cannot allocate memory`. This engine's
//   BuildKit (0.13) predates it, so those lines are written from that source,
//   not measured.
import { describe, expect, it } from 'vitest';
import { linuxExitSignal, OOM_HINT, stepSignalHint } from '../../src/adapters/signals.js';
import { ProgressTracker } from '../../src/bake/progress.js';
import { formatStepSignals } from '../../src/output/format.js';
import { stepSignal, stepSignalOf } from '../../src/release/classify.js';

/** `matrix bake kill9` with buildx 0.13.1: the failed step's progress, then buildx's last line. */
const KILLED_0_13 = [
  "#6 [2/2] RUN sh -c 'kill -9 $$'",
  '#6 0.812 Killed',
  '#6 ERROR: process "/bin/sh -c sh -c \'kill -9 $$\'" did not complete successfully: exit code: 137',
  '------',
  " > [2/2] RUN sh -c 'kill -9 $$':",
  '0.812 Killed',
  '------',
  'Dockerfile:2',
  'ERROR: failed to solve: process "/bin/sh -c sh -c \'kill -9 $$\'" did not complete successfully: exit code: 137',
];

/** `matrix bake kill9 segv` with buildx 0.22.0: two targets, so each step is prefixed with its target, and so is the last line. */
const KILLED_0_22 = [
  "#8 [kill9 2/2] RUN sh -c 'kill -9 $$'",
  '#8 1.267 Killed',
  '#8 ERROR: process "/bin/sh -c sh -c \'kill -9 $$\'" did not complete successfully: exit code: 137',
  '#9 [segv 2/2] RUN exit 139',
  '#9 ERROR: process "/bin/sh -c exit 139" did not complete successfully: exit code: 139',
  'ERROR: target kill9: failed to solve: process "/bin/sh -c sh -c \'kill -9 $$\'" did not complete successfully: exit code: 137',
];

describe('linuxExitSignal: the signal of an exit code 128 + n, by Linux numbers', () => {
  it.each([
    [137, 'SIGKILL'],
    [139, 'SIGSEGV'],
    [143, 'SIGTERM'],
    [134, 'SIGABRT'],
    [130, 'SIGINT'],
    [141, 'SIGPIPE'],
    // Linux's numbers whatever system matrix runs on: macOS's SIGBUS is 10, its SIGSYS 12.
    [135, 'SIGBUS'],
    [159, 'SIGSYS'],
  ])('%i is %s', (code, sig) => {
    expect(linuxExitSignal(code)).toBe(sig);
  });

  it('no signal for an ordinary exit code, 128 itself, a signal that ends no process, or past the standard signals', () => {
    for (const code of [0, 1, 2, 125, 126, 127, 128, 255, 1137]) expect(linuxExitSignal(code)).toBeUndefined();
    // SIGCHLD (17), SIGCONT (18), SIGSTOP (19), SIGWINCH (28): ignored or stopping, they end nothing.
    for (const code of [145, 146, 147, 156]) expect(linuxExitSignal(code)).toBeUndefined();
  });
});

describe("stepSignal: a failed step's error line", () => {
  it('reads the `#N ERROR:` text the progress keeps, and buildx 0.13.1 and 0.22.0 last lines', () => {
    expect(stepSignal('process "/bin/sh -c sh -c \'kill -9 $$\'" did not complete successfully: exit code: 137')).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(stepSignal(KILLED_0_13[2]!)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(stepSignal(KILLED_0_13[8]!)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(stepSignal(KILLED_0_22[4]!)).toEqual({ exitCode: 139, signal: 'SIGSEGV' });
    expect(stepSignal(KILLED_0_22[5]!)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    // A CRLF line, as a Windows terminal's copy carries it.
    expect(stepSignal(KILLED_0_13[2]! + '\r')).toEqual({ exitCode: 137, signal: 'SIGKILL' });
  });

  it("BuildKit before 0.10 (Docker 20.10): `executor failed running [ARGS]`, after the daemon's rpc error", () => {
    expect(stepSignal('ERROR: failed to solve: rpc error: code = Unknown desc = executor failed running [/bin/sh -c yarn build]: exit code: 134')).toEqual({ exitCode: 134, signal: 'SIGABRT' });
    expect(stepSignal('executor failed running [/bin/sh -c a=[x] go build]: exit code: 143')).toEqual({ exitCode: 143, signal: 'SIGTERM' });
  });

  it('a step that exited on its own terms, or one BuildKit cancelled, names no signal', () => {
    expect(stepSignal('process "/bin/sh -c make" did not complete successfully: exit code: 2')).toBeUndefined();
    expect(stepSignal('process "/bin/sh -c exit 255" did not complete successfully: exit code: 255')).toBeUndefined();
    // runcexecutor exitError: the context's error after the code, when the build was cancelled.
    expect(stepSignal('process "/bin/sh -c sleep 300" did not complete successfully: exit code: 137: context canceled')).toBeUndefined();
    expect(stepSignal('process "/bin/sh -c sleep 300" did not complete successfully: exit code: 137: context canceled: context canceled')).toBeUndefined();
  });

  it("only the error's end counts: a RUN command quoting the message, and other errors, name nothing", () => {
    expect(stepSignal('process "/bin/sh -c echo \\"did not complete successfully: exit code: 137\\"; exit 1" did not complete successfully: exit code: 1')).toBeUndefined();
    expect(stepSignal('failed to compute cache key: "/exit code: 137": not found')).toBeUndefined();
    expect(stepSignal('Killed')).toBeUndefined();
  });

  it('stepSignalOf: the first error line of a run that says it, with the target buildx 0.17+ names', () => {
    expect(stepSignalOf(KILLED_0_13)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(stepSignalOf([KILLED_0_22[5]!])).toEqual({ exitCode: 137, signal: 'SIGKILL', target: 'kill9' });
    // A name is a bake target's (buildx allows letters, digits, `_`, `-`): anything else in its place is not repeated.
    expect(stepSignalOf([KILLED_0_22[5]!.replace('kill9', 'k\u001b[2Jx')])).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    // Step output is no error line, whatever it prints.
    expect(
      stepSignalOf(['#7 0.2 ERROR-free: did not complete successfully: exit code: 137', 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1']),
    ).toBeUndefined();
  });
});

describe('the progress keeps the error line stepSignal reads', () => {
  it("buildx 0.13.1's lines: the failed cell's last error line is the step's own", () => {
    const t = new ProgressTracker([{ target: 'kill9', platforms: ['linux/amd64'] }], () => 0);
    for (const l of KILLED_0_13) t.line(l);
    const [cell] = t.finish(1);
    expect(cell!.status).toBe('failed');
    expect(cell!.error).toEqual(['Killed', 'process "/bin/sh -c sh -c \'kill -9 $$\'" did not complete successfully: exit code: 137']);
    expect(stepSignal(cell!.error[cell!.error.length - 1]!)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
  });
});

/** A step the OOM killer stopped, as BuildKit 0.16 and later say it: buildx's step line and its last line (text from the sources above). */
const OOM_0_16 = [
  "#9 [build 3/3] RUN python3 -c 'bytearray(1 << 36)'",
  '#9 ERROR: process "/bin/sh -c python3 -c \'bytearray(1 << 36)\'" did not complete successfully: cannot allocate memory',
  'ERROR: target api: failed to solve: process "/bin/sh -c python3 -c \'bytearray(1 << 36)\'" did not complete successfully: cannot allocate memory',
];

describe('BuildKit 0.16 and later: a step the OOM killer stopped says `cannot allocate memory`, no exit code', () => {
  it('is SIGKILL from the OOM killer, with no exit code said', () => {
    expect(stepSignal(OOM_0_16[1]!.replace(/^#9 ERROR: /, ''))).toEqual({ signal: 'SIGKILL', oomKilled: true });
    expect(stepSignalOf(OOM_0_16)).toEqual({ signal: 'SIGKILL', oomKilled: true });
    expect(stepSignalOf([OOM_0_16[2]!])).toEqual({ signal: 'SIGKILL', oomKilled: true, target: 'api' });
  });

  it('only at the end of the line: not a cancel, not a command that prints the words', () => {
    // exitError wraps the context's cause after the ExitError's text when the build was cancelled.
    expect(stepSignal('process "/bin/sh -c sleep 300" did not complete successfully: cannot allocate memory: context canceled')).toBeUndefined();
    expect(stepSignal('process "/bin/sh -c echo \\"did not complete successfully: cannot allocate memory\\"; exit 1" did not complete successfully: exit code: 1')).toBeUndefined();
    // Go's other ENOMEM errors (a fork BuildKit could not make) are no step's end.
    expect(stepSignal('failed to create shim task: OCI runtime create failed: cannot allocate memory')).toBeUndefined();
  });

  it("the progress fails the step's target with that line, and one paragraph names the OOM killer", () => {
    const t = new ProgressTracker([{ target: 'api', platforms: ['linux/amd64'] }], () => 0);
    for (const l of OOM_0_16) t.line(l);
    const [cell] = t.finish(1);
    expect(cell!.status).toBe('failed');
    expect(stepSignal(cell!.error[cell!.error.length - 1]!)).toEqual({ signal: 'SIGKILL', oomKilled: true });
    const text = formatStepSignals([
      { signal: 'SIGKILL', oomKilled: true, who: 'api (linux/amd64)' },
      { exitCode: 137, signal: 'SIGKILL', who: 'web (linux/arm64)' },
    ]);
    const paragraphs = text.split(/\n(?=matrix: )/);
    expect(paragraphs).toHaveLength(2);
    expect(paragraphs[0]).toMatch(
      /^matrix: the step that failed api \(linux\/amd64\) ran out of memory: BuildKit saw the kernel's OOM killer end a process of the step \(SIGKILL; its error says `cannot allocate memory`\)\n {2}hint: SIGKILL is what the kernel's OOM killer sends/,
    );
    expect(paragraphs[1]).toMatch(/^matrix: the step that failed web \(linux\/arm64\) exited 137 = 128 \+ 9/);
  });
});

describe('what matrix says of it', () => {
  it("SIGKILL: the OOM killer, in the same words as for a killed buildx, then the builder's memory, emulation and fewer platforms", () => {
    const hint = stepSignalHint('SIGKILL');
    const cause = OOM_HINT.slice(0, OOM_HINT.indexOf(';'));
    expect(cause).toContain("the kernel's OOM killer");
    expect(hint.startsWith(cause)).toBe(true);
    expect(hint).toContain('on the machine the builder runs on');
    expect(hint).toContain('--driver-opt memory=');
    expect(hint).toContain('emulated platform (QEMU) needs more memory');
    expect(hint).toContain('build fewer targets or platforms at once (`--platform`)');
  });

  it('a crash, an abort, a pipe, anything else: each as what it is', () => {
    expect(stepSignalHint('SIGSEGV')).toMatch(/^SIGSEGV is a crash of the step's program, or, on an emulated platform, of QEMU/);
    expect(stepSignalHint('SIGILL')).toMatch(/^SIGILL is a crash/);
    expect(stepSignalHint('SIGABRT')).toContain('JavaScript heap out of memory');
    expect(stepSignalHint('SIGPIPE')).toContain('set -o pipefail');
    expect(stepSignalHint('SIGTERM')).toMatch(/^SIGTERM was sent to the step's process/);
  });

  it('one paragraph per signal, naming each step that failed so', () => {
    const text = formatStepSignals([
      { exitCode: 137, signal: 'SIGKILL', who: 'api (linux/arm64)' },
      { exitCode: 139, signal: 'SIGSEGV', who: 'web (linux/arm/v7)' },
      { exitCode: 137, signal: 'SIGKILL', who: 'api (linux/s390x)' },
    ]);
    const paragraphs = text.split(/\n(?=matrix: )/);
    expect(paragraphs).toHaveLength(2);
    expect(paragraphs[0]).toMatch(
      /^matrix: the steps that failed api \(linux\/arm64\), api \(linux\/s390x\) exited 137 = 128 \+ 9: the exit code of a process killed by SIGKILL \(the step's command, or one it ran\)\n {2}hint: SIGKILL is what the kernel's OOM killer sends/,
    );
    expect(paragraphs[1]).toMatch(/^matrix: the step that failed web \(linux\/arm\/v7\) exited 139 = 128 \+ 11: the exit code of a process killed by SIGSEGV/);
    expect(formatStepSignals([{ exitCode: 143, signal: 'SIGTERM' }])).toMatch(/^matrix: the step that failed the build exited 143 = 128 \+ 15: /);
    expect(formatStepSignals([])).toBe('');
  });
});
