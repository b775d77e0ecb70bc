// The spawned tier: bin/matrix.cjs as a user runs it. Most CLI tests run in
// process (test/helpers/cli.ts `matrix()`); these check what only the real
// process shows: the exit code the bin sets, for plain commands (read by the
// command table) and for what yargs reads (no command, an unknown one,
// --version), and that what main() prints reaches the process's stdout and
// stderr.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrixBin } from '../helpers/cli.js';
import { copySample, hashTree, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('bin/matrix.cjs: exit codes and output of the real process', () => {
  it('gen writes, gen --check passes (exit 0); one changed byte is drift (exit 1) with a diff on stdout', () => {
    const dir = copySample('hello-go');
    rmSync(path.join(dir, 'Dockerfile'));
    const gen = matrixBin(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    expect(gen.stdout).toContain('created Dockerfile');
    expect(matrixBin(['gen', '--check'], dir).status).toBe(0);

    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, readFileSync(file, 'utf8').replace('CMD ["/hello"]', 'CMD ["/hellO"]'));
    const before = hashTree(dir);
    const check = matrixBin(['gen', '--check'], dir);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('Dockerfile: stale');
    expect(check.stdout).toContain('\n-CMD ["/hellO"]\n+CMD ["/hello"]');
    expect(hashTree(dir)).toBe(before);
  });

  it('an invalid spec exits 2 with file:line:column on stderr, through gen and through plan', () => {
    const dir = copySample('hello-go');
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8').replace('    with:\n', '    platfroms: [linux/amd64]\n    with:\n');
    writeFileSync(path.join(dir, 'matrix.yaml'), spec);
    const line = spec.split('\n').findIndex((l) => l.includes('platfroms')) + 1;
    for (const args of [['gen', '--check'], ['plan']]) {
      const r = matrixBin(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`matrix.yaml:${line}:5: error`);
      expect(r.stderr).toContain('[unknown-key]');
      expect(r.stdout).toBe('');
    }
  });

  it('plan prints to stdout (exit 0); an unknown command and no command exit 2', () => {
    const plan = matrixBin(['plan', '--json', '--build-platform', 'linux/amd64'], copySample('hello-go'));
    expect(plan.status, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { spec: string }).spec).toBe('matrix.yaml');
    expect(matrixBin(['frobnicate'], tempDir()).status).toBe(2);
    expect(matrixBin([], tempDir()).status).toBe(2);
  });

  it('--version prints the version of package.json', () => {
    const r = matrixBin(['--version'], tempDir());
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
