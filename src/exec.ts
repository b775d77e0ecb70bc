// The only place that starts processes. Argument arrays, never a shell.
// Long-running children (bake) get their own process group, so one signal
// reaches docker and its buildx plugin together, and a terminal's Ctrl-C is
// delivered once (by us) instead of racing with the terminal's own.
import { spawn } from 'node:child_process';

export interface Command {
  file: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: string;
}

/**
 * Run to completion and capture output (short commands: version checks,
 * inspect). Aborting `signal` kills the command; it then resolves with a
 * spawnError.
 */
export function capture(cmd: Command, timeoutMs = 20_000, signal?: AbortSignal): Promise<Captured> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    } catch (e) {
      resolve({ code: 127, stdout: '', stderr: '', spawnError: (e as NodeJS.ErrnoException).code ?? String(e) });
      return;
    }
    let stdout = '';
    let stderr = '';
    // Decode the streams, not each chunk: a character may straddle two chunks.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr, spawnError: e.code ?? e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + signalNumber(signal) : 1), stdout, stderr });
    });
  });
}

export function signalNumber(sig: NodeJS.Signals | string): number {
  return sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : sig === 'SIGKILL' ? 9 : sig === 'SIGHUP' ? 1 : 1;
}

export interface StreamResult {
  code: number;
  /** The signal we forwarded to the child's group, if any. */
  interruptedBy?: NodeJS.Signals;
  spawnError?: string;
}

/**
 * Run a long command in its own process group, streaming stdout through and
 * handing stderr lines to `onStderrLine` (which decides what to show).
 * SIGINT/SIGTERM to us are forwarded to the whole group.
 */
export function stream(cmd: Command, onStderrLine: (line: string) => void, onStdout: (chunk: string) => void): Promise<StreamResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd.file, cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let interruptedBy: NodeJS.Signals | undefined;
    const forward = (sig: NodeJS.Signals) => {
      interruptedBy ??= sig;
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* group already gone */
      }
    };
    const onInt = () => forward('SIGINT');
    const onTerm = () => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const cleanup = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
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
    });
    child.stdout.on('data', (d: string) => onStdout(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      resolve({ code: 127, spawnError: e.code ?? e.message });
    });
    child.on('close', (code, signal) => {
      cleanup();
      if (pending) onStderrLine(pending);
      // Make sure nothing of the group outlives us (buildx may linger after docker exits).
      if (interruptedBy && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const result: StreamResult = { code: code ?? (signal ? 128 + signalNumber(signal) : 1) };
      if (interruptedBy) result.interruptedBy = interruptedBy;
      resolve(result);
    });
  });
}

/** Quote an argument list for display (the command is never run through a shell). */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
