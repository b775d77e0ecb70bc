// Helpers for the security suite: run the built CLI without blocking the
// worker (so cases run concurrently), and read diagnostics out of stderr.
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

export interface AsyncRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function matrixAsync(args: readonly string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<AsyncRun> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** stderr split into diagnostics: each starts with `WHERE: error|warning ... [code]`. */
export function diagnosticBlocks(stderr: string): string[][] {
  const blocks: string[][] = [];
  for (const line of stderr.split('\n')) {
    if (/^\S.*: (error|warning) .*\[[a-z0-9-]+\]$/.test(line)) blocks.push([line]);
    else if (blocks.length && line.startsWith('  ')) blocks[blocks.length - 1]!.push(line);
  }
  return blocks;
}

/** A JavaScript stack frame, as Node prints them. */
export const STACK_FRAME = /^\s+at .*(\(.*:\d+:\d+\)|:\d+:\d+)$/m;
