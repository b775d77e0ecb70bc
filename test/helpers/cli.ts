// Runs the built CLI (bin/matrix.cjs -> dist/) as a user would: a child process,
// argument array, no shell, colours off.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './tree.js';

export const BIN = path.join(REPO_ROOT, 'bin', 'matrix.cjs');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function matrix(args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...base, ...env }, timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
