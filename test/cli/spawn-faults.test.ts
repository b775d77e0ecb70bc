// A machine out of file descriptors (or processes, or memory) when matrix
// starts git or docker: a machine fault, exit 74 with the errno and a hint,
// never "a bug in matrix" and never "not found". Real: the CLI under
// `ulimit -n N`, N from where node itself can start to where nothing fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runEnv } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(() => removeTempDirs());

function repo(): string {
  const dir = tempDir();
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir });
  git('init', '-q');
  git('commit', '-q', '--allow-empty', '-m', 'one');
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM scratch\nCOPY a /a\n');
  writeFileSync(path.join(dir, 'app', 'a'), 'x\n');
  writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nservices:\n  app:\n    context: app\n    dockerfile: app/Dockerfile\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'two');
  return dir;
}

describe('spawn under a low file limit (ulimit -n)', () => {
  it('plan --affected: EMFILE starting git is a machine fault (exit 74, errno, hint), never an internal error', () => {
    const dir = repo();
    const limited = (n: number, ...args: string[]) => spawnSync('sh', ['-c', `ulimit -n ${n}; exec "$0" "$@"`, process.execPath, BIN, ...args], { cwd: dir, env: runEnv(), encoding: 'utf8' });
    // Below some limit Node itself cannot load bin/matrix.cjs (its loader throws before any of matrix runs); where that
    // is depends on the Node version (24 opens more at start than 20). The range starts where matrix's own code runs.
    let start = 8;
    while (start < 64 && limited(start, '--version').status !== 0) start++;
    expect(start, 'matrix --version never started under ulimit -n 8..63').toBeLessThan(64);
    const runs = [];
    for (let n = start; n <= start + 24; n += 2) {
      const r = limited(n, 'plan', '--affected', 'HEAD~1');
      runs.push({ n, status: r.status, stderr: r.stderr });
    }
    for (const r of runs) {
      expect(r.stderr, `ulimit -n ${r.n}`).not.toMatch(/internal error|bug in matrix|setEncoding|Unhandled|\n\s+at /);
      expect([0, 74], `ulimit -n ${r.n}: ${r.stderr}`).toContain(r.status);
    }
    const faults = runs.filter((r) => r.status === 74);
    expect(faults.length, JSON.stringify(runs)).toBeGreaterThan(0);
    for (const r of faults) {
      expect(r.stderr).toMatch(/cannot start `git`: too many open files \(EMFILE\)/);
      expect(r.stderr).toMatch(/hint: .*ulimit -n/);
    }
    expect(runs.some((r) => r.status === 0)).toBe(true);
  }, 60_000);
});
