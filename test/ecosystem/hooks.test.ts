// The README's husky hook (.husky/pre-commit), run as husky 9 runs it: `sh -e`
// in the repository root with node_modules/.bin first on PATH (typicode/husky,
// the `husky` script: `export PATH="node_modules/.bin:$PATH"` then
// `sh -e "$s"`). A `git diff --cached --quiet` over the files that can change
// the output decides whether Node starts at all (git-diff(1): `--quiet`
// implies `--exit-code`, 1 when there are differences; gitglossary(7): the
// `glob` and `icase` pathspec magic). The real husky runs it in
// test/network/husky.test.ts.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fencesOfFile } from '../helpers/fences.js';
import { REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const HOOK = fencesOfFile('README.md').find((f) => f.lang === 'sh' && f.body.startsWith('# .husky/pre-commit\n'));
const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1' };

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, NO_COLOR: '1' }, timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

describe("README's husky hook: matrix gen --check only when the commit stages what can change the output", () => {
  let dir: string;
  let marker: string;
  /** The hook as husky runs it; whether `matrix` was started. */
  const hook = () => {
    rmSync(marker, { force: true });
    const r = sh('sh', ['-c', 'export PATH="node_modules/.bin:$PATH"; sh -e .husky/pre-commit'], dir);
    return { status: r.status, out: r.stdout + r.stderr, ranMatrix: existsSync(marker) };
  };
  const stage = (rel: string, append: string) => {
    writeFileSync(path.join(dir, rel), readFileSync(path.join(dir, rel), 'utf8') + append);
    expect(sh('git', ['add', rel], dir).status).toBe(0);
  };

  beforeAll(() => {
    expect(HOOK, 'README.md has a ```sh block starting with `# .husky/pre-commit`').toBeDefined();
    dir = tempDir('matrix-husky-hook-');
    marker = path.join(dir, 'matrix-ran');
    cpSync(path.join(REPO_ROOT, 'samples', 'hello-go'), dir, { recursive: true });
    mkdirSync(path.join(dir, '.husky'));
    writeFileSync(path.join(dir, '.husky', 'pre-commit'), HOOK!.body);
    // `npm install --save-dev bake-matrix`: the bin, wrapped to record that it ran.
    mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    const bin = path.join(dir, 'node_modules', '.bin', 'matrix');
    writeFileSync(bin, `#!/bin/sh\n: > '${marker}'\nexec '${process.execPath}' '${path.join(REPO_ROOT, 'bin', 'matrix.cjs')}' "$@"\n`);
    chmodSync(bin, 0o755);
    // The hook's entry, bin/matrix-hook (sh: answers without Node when nothing changed, else runs matrix).
    writeFileSync(`${bin}-hook`, `#!/bin/sh\n: > '${marker}'\nexec '${path.join(REPO_ROOT, 'bin', 'matrix-hook')}' "$@"\n`);
    chmodSync(`${bin}-hook`, 0o755);
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\nmatrix-ran\n');
    expect(sh('git', ['init', '-q'], dir).status).toBe(0);
    expect(sh('git', ['add', '-A'], dir).status).toBe(0);
    expect(sh('git', ['commit', '-q', '-m', 'first'], dir).status).toBe(0);
  });

  it('nothing that can change the output is staged: exit 0, Node never starts', () => {
    stage('main.go', '// a comment\n');
    expect(hook()).toEqual({ status: 0, out: '', ranMatrix: false });
    expect(sh('git', ['reset', '-q', '--hard'], dir).status).toBe(0);
  });

  it('a staged spec change that leaves the generated files stale fails the hook with the diff', () => {
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('binary: hello', 'binary: greeter'));
    expect(sh('git', ['add', 'matrix.yaml'], dir).status).toBe(0);
    const r = hook();
    expect(r.ranMatrix).toBe(true);
    expect(r.status).toBe(1);
    expect(r.out).toContain('1 generated file(s) out of date. Run `matrix gen` and commit the result.');
    expect(sh('git', ['reset', '-q', '--hard'], dir).status).toBe(0);
  });

  it('a staged Dockerfile (any case, any directory) runs the check, which passes when up to date', () => {
    stage('Dockerfile', '');
    mkdirSync(path.join(dir, 'deploy'));
    writeFileSync(path.join(dir, 'deploy', 'prod.DOCKERFILE'), 'FROM scratch\n');
    expect(sh('git', ['add', '-A'], dir).status).toBe(0);
    expect(sh('git', ['reset', '-q', 'Dockerfile'], dir).status).toBe(0);
    const r = hook();
    expect(r.ranMatrix, r.out).toBe(true);
    expect(r.status, r.out).toBe(0);
    expect(sh('git', ['reset', '-q', '--hard'], dir).status).toBe(0);
  });
});
