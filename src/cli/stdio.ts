// The Io of the real process (bin/matrix.cjs), with the rules for a write
// error on stdout or stderr:
// - a closed pipe (EPIPE: `matrix plan | head -1`) is the reader's choice:
//   further output to that stream is dropped, quietly, and the command ends
//   with its own exit code (`gen --check | head -1` still exits 1 on drift);
// - any other error (a full disk: `matrix plan > /full/file`) is a machine
//   fault: one line on stderr, exit 74, never a stack trace or the exit code
//   of a drift report.
import { fstatSync } from 'node:fs';
import { writeDescriptor } from '../fs/descriptor.js';
import { causeOf } from './faults.js';
import type { Io } from './io.js';

export const FAULT_EXIT = 74;

interface Stream {
  write(s: string | Uint8Array): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** The one line that reports a write error other than EPIPE on `name`. */
function writeFaultLine(name: string, err: NodeJS.ErrnoException): string {
  return `matrix: cannot write to ${name}: ${causeOf(err)}${err.code ? ` (${err.code})` : ''}\n`;
}

/** A stream whose write errors follow the rules above; `fault` reports the others and ends the process. */
export function guardedStream(stream: Stream, name: string, fault: (line: string) => void): { write(s: string | Uint8Array): unknown } {
  let closed = false;
  stream.on('error', (err) => {
    if (closed) return;
    closed = true;
    if (err.code === 'EPIPE') return;
    fault(writeFaultLine(name, err));
  });
  return { write: (s: string | Uint8Array) => (closed ? true : stream.write(s)) };
}

/**
 * A stream of the real process written with write(2) on its descriptor,
 * without creating the process's stream until it is needed: a command that
 * prints one line (the cached `gen --check`) then loads none of Node's
 * stream, net and tty modules. The same rules: EPIPE drops further output,
 * any other error is a fault. A descriptor that would block (EAGAIN: the
 * reader set it non-blocking) hands the rest, and every later write, to the
 * process's stream, which waits for it, in order.
 */
function descriptorStream(fd: number, stream: () => Stream, name: string, fault: (line: string) => void): Io['stdout'] {
  let closed = false;
  let guarded: { write(s: string | Uint8Array): unknown } | undefined;
  const viaStream = (s: string | Uint8Array) => {
    guarded ??= guardedStream(stream(), name, fault);
    return guarded.write(s);
  };
  return {
    write: (s: string | Uint8Array) => {
      if (closed) return true;
      if (guarded) return viaStream(s);
      try {
        const rest = writeDescriptor(fd, s);
        return rest ? viaStream(rest) : true;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        closed = true;
        if (err.code !== 'EPIPE') fault(writeFaultLine(name, err));
        return true;
      }
    },
  };
}

/**
 * Whether descriptor `fd` is a terminal, without creating the process's stream
 * (Node's stdout stream costs milliseconds to make: net, stream, tty). A
 * terminal is a character device, so anything else is not one; on Linux,
 * neither is a memory device (major 1: /dev/null, /dev/zero). Only another
 * character device is asked of the stream.
 */
function descriptorIsTTY(fd: number, stream: () => { isTTY?: boolean }): boolean {
  if (process.platform !== 'win32') {
    try {
      const st = fstatSync(fd);
      if (!st.isCharacterDevice()) return false;
      if (process.platform === 'linux' && Math.floor(st.rdev / 256) % 4096 === 1) return false;
    } catch {
      // A closed descriptor: the stream decides, as before.
    }
  }
  return Boolean(stream().isTTY);
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
  // The real process's descriptors are written directly; another (a test's) through its streams.
  const real = proc === process;
  return {
    stdout: real ? descriptorStream(1, () => proc.stdout, 'standard output', fault) : guardedStream(proc.stdout, 'standard output', fault),
    stderr: real ? descriptorStream(2, () => proc.stderr, 'standard error', fault) : guardedStream(proc.stderr, 'standard error', fault),
    cwd: proc.cwd(),
    env: proc.env,
    // Asked only by a command that decides on colours or wraps text: the stream is made then.
    get isTTY() {
      return real ? descriptorIsTTY(1, () => proc.stdout) : Boolean(proc.stdout.isTTY);
    },
    get columns() {
      return proc.stdout.columns;
    },
  };
}
