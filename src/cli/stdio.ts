// The Io of the real process (bin/matrix.cjs), with the rules for a write
// error on stdout or stderr:
// - a closed pipe (EPIPE: `matrix plan | head -1`) is the reader's choice:
//   further output to that stream is dropped, quietly, and the command ends
//   with its own exit code (`gen --check | head -1` still exits 1 on drift);
// - any other error (a full disk: `matrix plan > /full/file`) is a machine
//   fault: one line on stderr, exit 74, never a stack trace or the exit code
//   of a drift report.
import { causeOf } from './faults.js';
import type { Io } from './io.js';

export const FAULT_EXIT = 74;

interface Stream {
  write(s: string): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** A stream whose write errors follow the rules above; `fault` reports the others and ends the process. */
export function guardedStream(stream: Stream, name: string, fault: (line: string) => void): Io['stdout'] {
  let closed = false;
  stream.on('error', (err) => {
    if (closed) return;
    closed = true;
    if (err.code === 'EPIPE') return;
    fault(`matrix: cannot write to ${name}: ${causeOf(err)}${err.code ? ` (${err.code})` : ''}\n`);
  });
  return { write: (s: string) => (closed ? true : stream.write(s)) };
}

export function processIo(proc: NodeJS.Process = process): Io {
  const fault = (line: string) => {
    try {
      proc.stderr.write(line);
    } catch {
      // stderr is gone too: the exit code says it.
    }
    proc.exit(FAULT_EXIT);
  };
  return {
    stdout: guardedStream(proc.stdout, 'standard output', fault),
    stderr: guardedStream(proc.stderr, 'standard error', fault),
    cwd: proc.cwd(),
    env: proc.env,
    isTTY: Boolean(proc.stdout.isTTY),
    columns: proc.stdout.columns,
  };
}
