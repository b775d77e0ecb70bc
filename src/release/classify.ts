// Is a failed bake run worth running again? One classifier for buildx's
// output: a pull or push that failed for network or registry reasons
// (connection reset or refused, a 5xx answer, a TLS handshake timeout, EOF)
// is transient; a build error (a step that exited non-zero, a Dockerfile or
// cache-key error, a missing image or file) never is, even when the same run
// also shows a network error. The shapes are Go's net and net/http errors as
// BuildKit and containerd's registry client wrap them (see the unit test for
// the issues the strings come from).
import { linuxExitSignal } from '../adapters/signals.js';

export interface FailureClass {
  transient: boolean;
  /** The line that decided it (for the retry log). */
  cause?: string;
  /** A full, read-only or failing disk (machineFault): never transient, the machine's to fix. */
  fault?: MachineFault;
  /** The engine's build cache lost a snapshot it still lists (cacheFault): never transient, the engine's to fix. */
  cacheFault?: CacheFault;
}

/** Errors of the build itself: retrying gives the same answer. */
const BUILD_ERRORS: readonly RegExp[] = [
  /did not complete successfully: exit code: \d+/,
  /failed to compute cache key/,
  /dockerfile parse error|failed to parse dockerfile|unknown instruction/i,
  /\b(manifest unknown|not found: not found|: not found$)/,
  /failed to calculate checksum of ref/,
  /invalid reference format|invalid tag/,
  /\b(401 Unauthorized|403 Forbidden|insufficient_scope|authorization failed|denied: )/,
];

/** Network and registry faults that go away on their own. */
const TRANSIENT: readonly RegExp[] = [
  /connection reset by peer/,
  /connection refused/,
  /net\/http: TLS handshake timeout/,
  /i\/o timeout/,
  /(?::|\bunexpected) EOF\b/,
  /\b50[0234] (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/,
  /unexpected status(?: from \w+ request to \S+)?: 5\d\d\b/,
  /broken pipe/,
  /temporary failure in name resolution|server misbehaving/i,
  // Anchored, up to the first `stream error: `: unanchored, `.*` ran to the end of the line from every
  // occurrence, and a long error line of them took minutes.
  /http2: server sent GOAWAY|^(?:(?!stream error: ).)*stream error: .*INTERNAL_ERROR/,
];

/** An error line of a bake run: buildx's `ERROR:` lines and the failed steps' (`#N ERROR: ...`). */
export function isErrorLine(line: string): boolean {
  return /^(#\d+ )?ERROR\b|^error: |failed to solve/.test(line);
}

export function errorLines(lines: readonly string[]): string[] {
  return lines.filter(isErrorLine);
}

/**
 * Faults of a machine's storage, as Go prints the errno (syscall.Errno's
 * strings) at the end of an error chain: buildx writing its metadata file or
 * a local output, or the engine writing layers or a mount. Neither the spec
 * nor the build can fix them, and a retry meets the same full disk. Only at
 * the end of an error line: a failed step's line quotes its RUN command,
 * whose text can say anything.
 */
const MACHINE_FAULTS: Readonly<Record<string, string>> = {
  'no space left on device': 'ENOSPC',
  'disk quota exceeded': 'EDQUOT',
  'read-only file system': 'EROFS',
  'input/output error': 'EIO',
};
const MACHINE_FAULT_END = /: (no space left on device|disk quota exceeded|read-only file system|input\/output error)\s*$/i;

export interface MachineFault {
  /** As strerror says it, and its name: `no space left on device`, `ENOSPC`. */
  what: string;
  errno: string;
  /** The error line that says it. */
  line: string;
}

/** The first storage fault among a failed run's error lines, if any. */
export function machineFault(lines: readonly string[]): MachineFault | undefined {
  for (const line of errorLines(lines)) {
    const what = MACHINE_FAULT_END.exec(line)?.[1]?.toLowerCase();
    if (what) return { what, errno: MACHINE_FAULTS[what]!, line: line.trim() };
  }
  return undefined;
}

/**
 * The engine's build cache names a snapshot (the filesystem of a layer it
 * keeps) that its storage no longer has. containerd's snapshotter says
 * `snapshot ID does not exist: not found` (`parent snapshot ...` for the
 * layer under a new one), and BuildKit wraps it: `failed to commit A to B
 * during finalize: failed to stat active key during commit: snapshot A does
 * not exist: not found` as it exports a layer. Reported on the docker
 * driver's BuildKit with the containerd image store (moby/buildkit#6521,
 * #6977; project-dalec/dalec#1069 reproduces it with a build that fails
 * beside others), and seen on this project's engine after a bake in which
 * one target failed while another was exporting: every later build that
 * takes that layer from the cache fails the same way, with the same id,
 * until the record goes. Neither the spec nor the build is at fault, and a
 * retry meets the same record. Only at the end of an error line, as for
 * machineFault: a failed step's line ends in its exit code, whatever its
 * RUN command says.
 */
const CACHE_FAULT_END = /\bsnapshot (\S+) does not exist: not found\s*$/;

export interface CacheFault {
  /** The snapshot the cache lists and the storage lacks. */
  snapshot: string;
  /** The error line that says it. */
  line: string;
}

/** The first lost snapshot among a failed run's error lines, if any. */
export function cacheFault(lines: readonly string[]): CacheFault | undefined {
  for (const line of errorLines(lines)) {
    const snapshot = CACHE_FAULT_END.exec(line)?.[1];
    if (snapshot) return { snapshot, line: line.trim() };
  }
  return undefined;
}

/**
 * A build step whose process ended with an exit code that is 128 + a signal's
 * number (137: SIGKILL). BuildKit says a RUN failed as `process
 * "/bin/sh -c go build ./..." did not complete successfully: exit code: 137`:
 * the step's arguments %q-quoted (solver/llbsolver/ops/exec.go), then the
 * executor's ExitError, `exit code: %d` (frontend/gateway/pb/exit.go, vendored
 * in buildx), whose code is runc's or containerd's status of the step's
 * process: 128 + n when signal n ended it, as a shell's for its command.
 * BuildKit before 0.10 (Docker 20.10) said `executor failed running
 * [/bin/sh -c yarn build]: exit code: 134`. buildx prints it after `#N ERROR: `
 * and once more as `ERROR: failed to solve: ...`; buildx 0.17 and later,
 * when bake builds several targets, as `ERROR: target NAME: failed to solve:
 * ...` (build/build.go wraps each target's error; measured with 0.13.1 and
 * 0.22.0). Only at the end of the line: a step BuildKit stopped because the
 * build was cancelled ends `exit code: 137: context canceled` (runcexecutor
 * and containerdexecutor exitError wrap the context's cause when the context
 * is done as the process ends; `exit code: 137: context canceled: context
 * canceled` in bake's rawjson progress, buildx 0.13.1 and 0.22.0), a kill of
 * BuildKit's, not the step's. buildx's plain progress prints such a step as
 * `#N CANCELED` (progressui/printer.go: an error ending `context canceled`).
 */
const STEP_EXIT = /(?:\bdid not complete successfully|\bexecutor failed running \[.*\]): exit code: (\d+)\s*$/;

/**
 * A step the kernel's OOM killer stopped, as BuildKit 0.16 and later say it
 * (moby/buildkit bc9e857d0, "executor: detect containers killed by
 * OOMKiller"; the Docker Engine's BuildKit from 27.3, and the buildkitd of a
 * docker-container builder): when the step's process fails and its cgroup's
 * memory.events counts an oom_kill, the runc executor sets the ExitError's
 * cause to ENOMEM (executor/runcexecutor/executor_linux.go detectOOM), and
 * ExitError's text is then its cause's, `cannot allocate memory`, in place of
 * `exit code: N` (frontend/gateway/pb/exit.go): `process "/bin/sh -c make"
 * did not complete successfully: cannot allocate memory`. Only at the end of
 * the line, as STEP_EXIT: a cancel goes on with `: context canceled`.
 */
const STEP_OOM = /\bdid not complete successfully: cannot allocate memory\s*$/;

export interface StepSignal {
  /** The step's exit code, 128 + the signal's number; none when BuildKit said only that the OOM killer ran (`oomKilled`). */
  exitCode?: number;
  /** The signal's name on Linux, where the step ran (src/adapters/exit.ts linuxExitSignal). */
  signal: string;
  /** BuildKit saw the OOM killer end a process of the step (STEP_OOM): SIGKILL, with the exit code not said. */
  oomKilled?: true;
}

/**
 * The exit code a failed step's error (the text of its `#N ERROR:` line, or
 * buildx's `ERROR:` line) says its process ended with, if it says one and no
 * more: not a step the build's cancel stopped (its error goes on with
 * `: context canceled`, STEP_EXIT).
 */
export function stepExitCode(error: string): number | undefined {
  const code = STEP_EXIT.exec(error)?.[1];
  return code === undefined ? undefined : Number(code);
}

/**
 * Whether a failed step's error ends as the step's own end: its exit code
 * (stepExitCode), or the OOM killer BuildKit saw (STEP_OOM); never a cancel's.
 */
export function stepOwnEnd(error: string): boolean {
  return stepExitCode(error) !== undefined || STEP_OOM.test(error);
}

/** The signal a failed step's error (the text of its `#N ERROR:` line, or buildx's `ERROR:` line) says ended its process, if any. */
export function stepSignal(error: string): StepSignal | undefined {
  if (STEP_OOM.test(error)) return { signal: 'SIGKILL', oomKilled: true };
  const exitCode = stepExitCode(error);
  if (exitCode === undefined) return undefined;
  const signal = linuxExitSignal(exitCode);
  return signal ? { exitCode, signal } : undefined;
}

/** The first of a failed run's error lines that says a step's process was ended by a signal, with the target buildx names in it (`ERROR: target NAME: ...`). */
export function stepSignalOf(lines: readonly string[]): (StepSignal & { target?: string }) | undefined {
  for (const line of errorLines(lines)) {
    const found = stepSignal(line);
    if (!found) continue;
    // A bake target's name is letters, digits, `_` and `-` (buildx bake/bake.go validTargetNameChars): nothing else is repeated.
    const target = /^ERROR: target ([\w.-]+): /.exec(line)?.[1];
    return { ...found, ...(target ? { target } : {}) };
  }
  return undefined;
}

export function classifyFailure(lines: readonly string[]): FailureClass {
  const errors = errorLines(lines);
  const fault = machineFault(errors);
  if (fault) return { transient: false, cause: fault.line, fault };
  const lost = cacheFault(errors);
  if (lost) return { transient: false, cause: lost.line, cacheFault: lost };
  for (const l of errors) if (BUILD_ERRORS.some((re) => re.test(l))) return { transient: false, cause: l.trim() };
  for (const l of errors) if (TRANSIENT.some((re) => re.test(l))) return { transient: true, cause: l.trim() };
  return { transient: false, ...(errors.length ? { cause: errors[errors.length - 1]!.trim() } : {}) };
}

/** Seconds before retry `attempt` (1-based): 2, 4, 8 ... at most 30. */
export function backoffSeconds(attempt: number): number {
  return Math.min(30, 2 ** attempt);
}
