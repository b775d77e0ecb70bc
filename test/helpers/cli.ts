// Two ways to run the CLI in a test:
// - `matrix()`: in process, through `main(argv, io)` with an Io of its own
//   (working directory, environment, captured stdout and stderr). Most CLI
//   tests: what they check is what main() does, not how a process starts.
// - `matrixBin()`: the built bin (bin/matrix.cjs -> dist/) as a user runs it,
//   a child process, argument array, no shell. Only where the process itself
//   matters: exit codes set by the bin, signals, stdout/stderr write errors, a
//   removed working directory, the bundle and its start-up path, pack/install.
// Both turn colours off and see the test's environment plus `env`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { REPO_ROOT } from './tree.js';

export const BIN = path.join(REPO_ROOT, 'bin', 'matrix.cjs');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a run sees: the test's, colours off, plus `env`. A copy: a run never changes process.env. */
export function runEnv(env: Record<string, string> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete base.FORCE_COLOR;
  return { ...base, ...env };
}

/** An Io that keeps what is written; `cwd` and `env` are the run's own. */
export function captureIo(cwd: string, env: Record<string, string | undefined>): Io & { out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => ((stderr += s), true) },
    cwd,
    env,
    isTTY: false,
    out: () => stdout,
    err: () => stderr,
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'] as const;

/** What an in-process run must leave as it found it. */
function processState(): string {
  return JSON.stringify({
    cwd: process.cwd(),
    exitCode: process.exitCode ?? null,
    env: Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1)),
    listeners: SIGNALS.map((s) => process.listenerCount(s)),
  });
}

// Writes to the real stdout/stderr while a run is under way: a command that
// bypasses its Io. Counted across concurrent runs of one worker.
let active = 0;
let strayWrites: string[] = [];
const realWrite = { stdout: process.stdout.write, stderr: process.stderr.write };

function watchStdio(): void {
  if (active++ > 0) return;
  for (const name of ['stdout', 'stderr'] as const) {
    const real = realWrite[name];
    process[name].write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      strayWrites.push(`${name}: ${String(chunk).slice(0, 200)}`);
      return (real as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  }
}

function unwatchStdio(): string[] {
  if (--active > 0) return [];
  process.stdout.write = realWrite.stdout;
  process.stderr.write = realWrite.stderr;
  const stray = strayWrites;
  strayWrites = [];
  return stray;
}

/**
 * `matrix ARGS` in process: main(argv, io) with its own cwd, environment and
 * streams. Fails the test if the run changed the process (working directory,
 * environment, exit code, signal handlers) or wrote past its Io.
 */
export async function matrix(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const io = captureIo(cwd, runEnv(env));
  const before = processState();
  watchStdio();
  let status: number;
  let stray: string[] = [];
  try {
    status = await main([...args], io);
  } finally {
    stray = unwatchStdio();
  }
  if (stray.length) throw new Error(`matrix ${args.join(' ')} wrote past its Io:\n${stray.join('\n')}`);
  const after = processState();
  if (after !== before) throw new Error(`matrix ${args.join(' ')} changed the test process:\nbefore ${before}\nafter  ${after}`);
  return { status, stdout: io.out(), stderr: io.err() };
}

/** `matrix ARGS` as a child process running the built bin (bin/matrix.cjs -> dist/). */
export function matrixBin(args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: runEnv(env), timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
