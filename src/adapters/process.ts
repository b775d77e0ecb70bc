// The only place that starts processes. Argument arrays, never a shell.
// Every child gets its own process group, so one signal reaches docker and
// its buildx plugin together, and a terminal's Ctrl-C is delivered once (by
// us) instead of racing with the terminal's own.
//
// Signals: while a command has children or temporary directories, SIGINT,
// SIGTERM and SIGHUP are handled here for the whole process. Each is
// forwarded to every child's group; a group still there after GRACE_MS gets
// SIGKILL. A streamed build (bake) then ends through its command, which
// reports and returns 128+signal; with no build running (a signal during the
// doctor's checks, a registry call) or if the command does not finish in
// time, matrix removes its temporary directories and exits 128+signal itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { diagnostic, UserError, visible } from '../diagnostics.js';
import { writeDescriptor } from '../fs/descriptor.js';
import { causeOf } from '../fs/errno.js';
import { RESOURCE_HINTS } from '../resource-faults.js';
import { sizeText } from '../size-text.js';

export interface Command {
  file: string;
  args: string[];
  cwd?: string;
  /** The whole environment of the child: the caller's Io's, never read here from the process. */
  env: Readonly<Record<string, string | undefined>>;
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: string;
  /** Set when it was killed for taking longer than its time limit. */
  timedOut?: true;
  /** The signal that ended the program, as Node reports it (its `code` is then 128 + the signal's number). */
  signal?: NodeJS.Signals;
  /** With `headBytes`: the first bytes of stdout as they came (`stdout` is then ''), the rest read and dropped. */
  head?: Buffer;
  /** With `partialStdout`: stdout went past its limit; `stdout` holds its first `stdoutChars` characters, the rest was read and dropped. */
  stdoutCut?: true;
}

/** How much of a captured program's output is kept (`capture`). */
export interface CaptureOutput {
  /** stdout as bytes: only its first `headBytes` are kept, in `head` (an archive). */
  headBytes?: number;
  /** The most characters of text stdout kept (STDOUT_CHARS unless given). */
  stdoutChars?: number;
  /** Past `stdoutChars`, keep the first characters and read the rest to its end (`stdoutCut`), instead of stopping the program with an error. */
  partialStdout?: boolean;
}

/**
 * The most text of a captured program's stdout matrix keeps: far above what
 * git or docker print for a repository of a million files or a bake of ten
 * thousand targets, and about half of the longest string V8 makes (2^29 - 24
 * UTF-16 units on 64-bit platforms; past it `+=` throws RangeError, which
 * ended matrix as an internal error).
 */
export const STDOUT_CHARS = 256 * 1024 * 1024;
/**
 * The end of a captured program's stderr that is kept once it passes twice
 * this: messages quote its last lines (lastLine), never its first megabytes.
 */
export const STDERR_TAIL_CHARS = 1024 * 1024;

/** A program's output went past what matrix keeps of it: stopped, and said. */
function outputLimitError(cmd: Command, chars: number): UserError {
  const shown = shellQuote([cmd.file, ...cmd.args.slice(0, 4)]) + (cmd.args.length > 4 ? ' ...' : '');
  return new UserError([
    diagnostic({
      code: 'output-limit',
      message: `\`${visible(shown)}\` printed more than ${sizeText(chars, 'characters')} on its standard output; matrix keeps at most that much of a command it reads and stopped it there`,
      hint: 'no command matrix reads prints that much for a repository or a build: run it yourself to see what it printed (a wrapper or a program in the way of the real one?)',
    }),
  ]);
}

/** What capture keeps of a program's output, within the bounds of its CaptureOutput. */
class KeptOutput {
  stdout = '';
  stderr = '';
  /** Text stdout went past its limit with partialStdout: the rest is read and dropped. */
  private cut = false;
  /** Text stdout went past its limit without partialStdout: the program is to be stopped, and said. */
  overflowed = false;
  readonly stdoutChars: number;
  private readonly head: Buffer[] = [];
  private headLength = 0;

  constructor(private readonly output: CaptureOutput) {
    this.stdoutChars = output.stdoutChars ?? STDOUT_CHARS;
  }

  /** One chunk of stdout (text, or bytes with headBytes); false for the chunk that went past the limit: the program must be stopped (once). */
  addStdout(d: string | Buffer): boolean {
    if (typeof d !== 'string') {
      const room = this.output.headBytes! - this.headLength;
      if (room > 0) {
        this.head.push(d.subarray(0, room));
        this.headLength += Math.min(d.length, room);
      }
      return true;
    }
    if (this.cut || this.overflowed) return true;
    if (this.stdout.length + d.length <= this.stdoutChars) this.stdout += d;
    else if (this.output.partialStdout) {
      this.stdout += d.slice(0, this.stdoutChars - this.stdout.length);
      this.cut = true;
    } else this.overflowed = true;
    return !this.overflowed;
  }

  addStderr(d: string): void {
    this.stderr += d;
    if (this.stderr.length > 2 * STDERR_TAIL_CHARS) this.stderr = this.stderr.slice(-STDERR_TAIL_CHARS);
  }

  result(): Pick<Captured, 'stdout' | 'stderr' | 'head' | 'stdoutCut'> {
    return {
      stdout: this.stdout,
      stderr: this.stderr,
      ...(this.output.headBytes !== undefined ? { head: Buffer.concat(this.head) } : {}),
      ...(this.cut ? { stdoutCut: true as const } : {}),
    };
  }
}

/**
 * What a failed program said last: why it could not start, else the last line
 * of its stderr ('' when it said nothing). Most tools end with the error.
 */
export function lastLine(r: Pick<Captured, 'stderr' | 'spawnError'>): string {
  return r.spawnError ?? quoted(r.stderr.trim().split('\n').pop() ?? '');
}

/** The most of one line of a program's output a message quotes. */
export const QUOTED_MAX = 300;

/**
 * One line of what a program printed, as a message quotes it: a CR line end
 * dropped, control characters made visible (the terminal never gets the
 * program's escape sequences or NULs), and at most QUOTED_MAX characters
 * (a line of a megabyte is said to be one, not printed).
 */
export function quoted(line: string): string {
  const text = visible(line.replace(/\r$/, '').trim());
  return text.length > QUOTED_MAX ? `${text.slice(0, QUOTED_MAX)}... (${text.length - QUOTED_MAX} more characters)` : text;
}

/** The first line of a program's output, quoted (`quoted`). */
export function firstLine(text: string): string {
  return quoted(text.trim().split('\n')[0] ?? '');
}

/**
 * Starting a program failed because the machine ran out of something (file
 * descriptors, processes, memory): the user's to fix, not a missing program
 * and not a bug in matrix. Exit 74, as main() reports other machine faults
 * (src/cli/faults.ts, FileFault), with the errno and what to do.
 */
const SPAWN_FAULTS: Record<string, { cause: string; hint: string }> = {
  EMFILE: { cause: causeOf({ code: 'EMFILE' }), hint: RESOURCE_HINTS.EMFILE },
  ENFILE: { cause: causeOf({ code: 'ENFILE' }), hint: RESOURCE_HINTS.ENFILE },
  EAGAIN: { cause: 'resource temporarily unavailable', hint: 'too many processes or threads (`ulimit -u`), or the system is short of resources: run it again later' },
  ENOMEM: { cause: 'out of memory', hint: RESOURCE_HINTS.ENOMEM },
};

export const SPAWN_FAULT_EXIT = 74;

/** A spawn failure in the result's terms (`spawnError`: the program could not be started, e.g. ENOENT), or the machine fault to throw. */
export function spawnFailure(file: string, e: unknown): { spawnError: string } | UserError {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const fault = code ? SPAWN_FAULTS[code] : undefined;
  if (!fault) return { spawnError: code ?? String(err?.message ?? e) };
  return new UserError([diagnostic({ code: 'file-error', message: `cannot start \`${file}\`: ${fault.cause} (${code})`, hint: fault.hint })], SPAWN_FAULT_EXIT);
}

/** Linux's PATH_MAX: the longest path execve takes, its terminating NUL included. */
const PATH_MAX = 4096;

/**
 * The child's environment with the PATH entries left out where `file` would
 * make a path execve cannot take (PATH_MAX): none can start it. Node's spawn
 * searches PATH for a name without `/`, and with such an entry it returned a
 * child whose exit it never reported (Node 20.20, an entry of 4,100
 * characters: a pid, no 'exit', no 'close'), or an error that named no real
 * cause (ENOTTY, EINVAL): `matrix doctor` waited forever. The shorter entries
 * keep their order, so the program found is the one execvp would find.
 */
export function searchableEnv(file: string, env: Command['env']): Command['env'] | undefined {
  const dirs = env.PATH?.split(':');
  const fits = (d: string) => Buffer.byteLength(d) + 1 + Buffer.byteLength(file) < PATH_MAX;
  if (file.includes('/') || !dirs || dirs.every(fits)) return env;
  const kept = dirs.filter(fits);
  // None left: not found (an empty PATH would search the working directory).
  return kept.length ? { ...env, PATH: kept.join(':') } : undefined;
}

type Piped = ChildProcess & { stdout: NonNullable<ChildProcess['stdout']>; stderr: NonNullable<ChildProcess['stderr']> };

/**
 * Start `cmd` with piped stdout and stderr, or settle `failed` with why it
 * did not start. Node reports some failures (EMFILE, ENFILE, EAGAIN, ENOENT)
 * with an 'error' event on the next tick and a child without a pid or stdio
 * (EMFILE, ENFILE): nothing of it may be touched then.
 */
function start(cmd: Command, failed: (e: unknown) => void, signal?: AbortSignal): Piped | undefined {
  let child: ChildProcess;
  const env = searchableEnv(cmd.file, cmd.env);
  if (!env) {
    failed(Object.assign(new Error(`spawn ${cmd.file} ENOENT`), { code: 'ENOENT' }));
    return undefined;
  }
  try {
    child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(signal ? { signal } : {}) });
  } catch (e) {
    failed(e);
    return undefined;
  }
  if (child.pid === undefined || !child.stdout || !child.stderr) {
    child.once('error', failed);
    return undefined;
  }
  return child as Piped;
}

/**
 * Run to completion and capture output (short commands: version checks,
 * inspect). Aborting `signal` kills the command; it then resolves with a
 * spawnError. A program that cannot be started resolves with a spawnError;
 * a machine out of file descriptors, processes or memory rejects (spawnFailure).
 * With `perOutput`, the time limit counts from the last output on stdout
 * instead (a command that answers a line per step: gitEach).
 *
 * What is kept is bounded, whatever the program prints (`output`). With
 * `headBytes`, stdout is bytes, not text (an archive): only its first
 * `headBytes` are kept, in `head`; the rest is read to the end and dropped, so
 * a file of any size costs no more memory. Text stdout past `stdoutChars`
 * (STDOUT_CHARS) stops the program and rejects with an error naming it (exit 2),
 * or with `partialStdout` keeps its first characters and reads on
 * (`stdoutCut`; a test command's output). Of stderr only the end is kept once
 * it is long (STDERR_TAIL_CHARS).
 */
export function capture(cmd: Command, timeoutMs = 20_000, signal?: AbortSignal, perOutput = false, output: CaptureOutput = {}): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const kept = new KeptOutput(output);
    const failed = (e: unknown) => {
      const f = spawnFailure(cmd.file, e);
      if (f instanceof UserError) reject(f);
      else resolve({ code: 127, stdout: kept.stdout, stderr: kept.stderr, ...f });
    };
    const child = start(cmd, failed, signal);
    if (!child) return;
    const untrack = track(child, false);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      untrack();
      failed(e);
    });
    // Decode the streams, not each chunk: a character may straddle two chunks.
    if (output.headBytes === undefined) child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string | Buffer) => {
      if (!kept.addStdout(d)) killGroup(child, 'SIGKILL');
      if (perOutput) timer.refresh();
    });
    child.stderr.on('data', (d: string) => kept.addStderr(d));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (kept.overflowed) {
        void untrackAfterPoll(untrack).then(() => reject(outputLimitError(cmd, kept.stdoutChars)));
        return;
      }
      // The handlers stay until the loop has polled (untrackAfterPoll): a signal that came as the child ended is still queued.
      void untrackAfterPoll(untrack).then(() =>
        resolve({
          code: code ?? (signal ? 128 + signalNumber(signal) : 1),
          ...kept.result(),
          ...(timedOut ? { timedOut: true as const } : {}),
          ...(signal ? { signal } : {}),
        }),
      );
    });
  });
}

const HANDLED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long a signalled group may take to stop before SIGKILL. */
const GRACE_MS = 5_000;
/** How long a command may take to wind down after a signal before matrix exits anyway. */
const EXIT_AFTER_MS = 8_000;

interface Running {
  child: ChildProcess;
  /** A streamed build: its command reports the interruption and returns. */
  streamed: boolean;
}

const running = new Set<Running>();
const cleanups = new Set<() => void>();
let handlersOn = false;
let interrupted: NodeJS.Signals | undefined;
/** Holds taken (holdSignals) and not yet released; the end of a run a signal asked for while any is held. */
let holds = 0;
let heldEnd: (() => void) | undefined;

/** The first signal matrix received during this process, if any. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return interrupted;
}

/** Run `fn` on a signal or at exit (temporary directories); src/fs/owned.ts registers them. */
export function addCleanup(fn: () => void): void {
  cleanups.add(fn);
  updateHandlers();
}

export function removeCleanup(fn: () => void): void {
  cleanups.delete(fn);
  updateHandlers();
}

/**
 * Until the returned release is called, a SIGINT, SIGTERM or SIGHUP is
 * handled (children are signalled, the signal is remembered) but the run does
 * not end: work that must not stop halfway (renaming written files into
 * place) finishes first. The release ends the run then, as the signal would
 * have (cleanups, its line on stderr, 128+signal).
 */
export function holdSignals(): () => void {
  holds++;
  updateHandlers();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    updateHandlers();
    if (holds === 0 && heldEnd) {
      const end = heldEnd;
      heldEnd = undefined;
      end();
    }
  };
}

/**
 * Resolves once the event loop has polled for I/O since this call: libuv
 * reports a signal through its poll phase, so a signal that came before the
 * call has reached its handler by then. One setImmediate is not enough: from
 * the poll phase itself (an I/O callback's continuation) its callback runs in
 * the same turn's check phase, before any other poll; the second runs a
 * turn later.
 */
export function afterPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Every registered cleanup, newest first; each runs at most once. */
export function runCleanups(): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      /* the next one still runs */
    }
  }
  updateHandlers();
}

/** Signal a child's whole group (`even`: also after the child itself exited, for what it left behind). */
function killGroup(child: ChildProcess, sig: NodeJS.Signals, even = false): void {
  if (child.pid === undefined || (!even && (child.exitCode !== null || child.signalCode !== null))) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  const first = interrupted === undefined;
  interrupted ??= sig;
  for (const r of running) killGroup(r.child, sig);
  if (!first) return;
  // A group member may outlive the docker process it was started by (and keep its pipes open).
  setTimeout(() => {
    for (const r of running) killGroup(r.child, 'SIGKILL', true);
  }, GRACE_MS).unref();
  const finish = () => {
    for (const r of running) killGroup(r.child, 'SIGKILL', true);
    runCleanups();
    sayInterrupted();
    process.exit(128 + signalNumber(sig));
  };
  const end = () => {
    if (holds > 0) heldEnd = finish;
    else finish();
  };
  if ([...running].some((r) => r.streamed)) setTimeout(end, EXIT_AFTER_MS).unref();
  else end();
}

/**
 * Write to stderr before the process exits: with write(2) on its descriptor
 * (src/fs/descriptor.ts, as src/cli/stdio.ts does: Node's stream may not
 * exist yet, and one made now could still hold the line when the process
 * exits), else through the stream when the descriptor would block.
 */
function sayNow(line: string): void {
  try {
    const rest = writeDescriptor(2, line);
    if (rest) process.stderr.write(rest);
  } catch {
    // stderr is gone: the exit code says it.
  }
}

let saidInterrupted = false;

/** Once, at the end of an interrupted run, whichever way it ends (here, or its command returning 128+signal first). */
function sayInterrupted(): void {
  if (interrupted === undefined || saidInterrupted) return;
  saidInterrupted = true;
  sayNow(`matrix: interrupted by ${interrupted}; stopped its child processes and removed its temporary files.\n`);
}

function exitCleanup(): void {
  runCleanups();
  sayInterrupted();
}

function updateHandlers(): void {
  // Interrupted: the exit handler stays, to say so when the process ends.
  const want = running.size > 0 || cleanups.size > 0 || holds > 0 || interrupted !== undefined;
  if (want === handlersOn) return;
  handlersOn = want;
  for (const sig of HANDLED) {
    if (want) process.on(sig, onSignal);
    else process.off(sig, onSignal);
  }
  if (want) process.on('exit', exitCleanup);
  else process.off('exit', exitCleanup);
}

function track(child: ChildProcess, streamed: boolean): () => void {
  const r: Running = { child, streamed };
  running.add(r);
  updateHandlers();
  // A signal that came before this child started: it must not run on.
  if (interrupted) killGroup(child, interrupted);
  return () => {
    running.delete(r);
    updateHandlers();
  };
}

/**
 * Stop tracking a child that ended, once the event loop has polled (afterPoll).
 * libuv queues a signal and reports it in its poll phase; a child's 'close'
 * comes in that phase too. Removing the handlers from the 'close' callback
 * itself (the last child gone, nothing else held) dropped a signal that came
 * as the child ended: `matrix bake` then exited with the build's code, as if
 * never signalled. Kept one poll longer, the handler sees it.
 */
async function untrackAfterPoll(untrack: () => void): Promise<void> {
  try {
    await afterPoll();
  } finally {
    untrack();
  }
}

/**
 * The signals whose numbers every Unix matrix runs on shares (Linux, macOS, the BSDs: the numbers of
 * Version 7 Unix; SIGBUS, SIGUSR1, SIGSYS ... differ). This module is on the path of gen, which
 * reads nothing of node:os (test/unit/fs-access.test.ts); src/adapters/exit.ts names any other
 * signal by this system's os.constants.signals.
 */
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** A signal's number (SIGKILL 9, SIGSEGV 11); 0 for one whose number differs between systems (its 128 + 0 names no signal). */
export function signalNumber(sig: NodeJS.Signals | string): number {
  return Object.hasOwn(SIGNAL_NUMBERS, sig) ? SIGNAL_NUMBERS[sig]! : 0;
}

export interface StreamResult {
  code: number;
  /** The signal we forwarded to the child's group, if any. */
  interruptedBy?: NodeJS.Signals;
  spawnError?: string;
  /** The signal that ended the program itself, as Node reports it (its `code` is then 128 + the signal's number). */
  signal?: NodeJS.Signals;
}

/** The longest stderr line stream() holds before it hands the line on in pieces. */
export const STREAM_LINE_CHARS = 1024 * 1024;

/**
 * Run a long command in its own process group, streaming stdout through and
 * handing stderr lines to `onStderrLine` (which decides what to show).
 * SIGINT, SIGTERM and SIGHUP to us reach the whole group (see the top of this
 * file); the result then names the signal, and nothing of the group outlives it.
 */
export function stream(cmd: Command, onStderrLine: (line: string) => void, onStdout: (chunk: string) => void, abortSignal?: AbortSignal): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const failed = (e: unknown) => {
      const f = spawnFailure(cmd.file, e);
      if (f instanceof UserError) reject(f);
      else resolve({ code: 127, ...f });
    };
    const child = start(cmd, failed);
    if (!child) return;
    const before = interrupted;
    const untrack = track(child, true);
    // Aborted (its result is no longer wanted): the whole group stops, as on SIGTERM.
    const stop = () => {
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL', true), GRACE_MS).unref();
    };
    if (abortSignal?.aborted) stop();
    else abortSignal?.addEventListener('abort', stop, { once: true });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onStderrLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      // A line without an end (a step printing megabytes without a newline) is handed on in pieces, never held whole.
      while (pending.length > STREAM_LINE_CHARS) {
        onStderrLine(pending.slice(0, STREAM_LINE_CHARS));
        pending = pending.slice(STREAM_LINE_CHARS);
      }
    });
    child.stdout.on('data', (d: string) => onStdout(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      untrack();
      abortSignal?.removeEventListener('abort', stop);
      failed(e);
    });
    child.on('close', async (code, signal) => {
      abortSignal?.removeEventListener('abort', stop);
      if (pending) onStderrLine(pending);
      // A SIGTERM that came as the build ended names the result too (untrackAfterPoll).
      await untrackAfterPoll(untrack);
      const by = interrupted ?? before;
      // Make sure nothing of the group outlives us (buildx may linger after docker exits).
      if (by) killGroup(child, 'SIGKILL', true);
      const result: StreamResult = { code: code ?? (signal ? 128 + signalNumber(signal) : 1) };
      if (signal) result.signal = signal;
      if (by) result.interruptedBy = by;
      resolve(result);
    });
  });
}

/** Quote an argument list for display (the command is never run through a shell). */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
