// The husky + lint-staged recipe from the README, with the real husky and
// lint-staged from the npm registry, run by `git commit` on a copy of
// samples/hello-go. bake-matrix itself is linked from this working tree.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { fencesOfFile } from '../helpers/fences.js';
import { installWorkingTree, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** The recipe, exactly as the README gives it. */
const LINT_STAGED_CONFIG = fencesOfFile('README.md').find((f) => f.lang === 'js' && f.body.startsWith('// lint-staged.config.mjs'))!.body;
// lint-staged from node_modules/.bin, which husky 9 puts first on PATH (no npx).
const HUSKY_PRE_COMMIT = 'lint-staged\n';

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1' };

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 300_000 });
  if (r.error) throw r.error;
  return r;
}

describe('husky + lint-staged recipe: matrix gen --check before each commit', () => {
  let dir: string;
  const head = () => run('git', ['rev-parse', 'HEAD'], dir).stdout.trim();

  beforeAll(() => {
    dir = tempDir('matrix-husky-');
    cpSync(path.join(REPO_ROOT, 'samples', 'hello-go'), dir, { recursive: true });
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'demo', private: true, scripts: { prepare: 'husky' } }, null, 2) + '\n');
    expect(run('git', ['init', '-q'], dir).status).toBe(0);
    const install = run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', 'husky@9.1.7', 'lint-staged@16.4.0'], dir);
    expect(install.status, install.stderr).toBe(0);
    // `npm install --save-dev bake-matrix`, from this working tree.
    expect(installWorkingTree(dir)).toContain('matrix-hook');
    writeFileSync(path.join(dir, 'lint-staged.config.mjs'), LINT_STAGED_CONFIG);
    const prepare = run('npm', ['run', 'prepare'], dir);
    expect(prepare.status, prepare.stderr).toBe(0);
    mkdirSync(path.join(dir, '.husky'), { recursive: true });
    writeFileSync(path.join(dir, '.husky', 'pre-commit'), HUSKY_PRE_COMMIT);
    expect(run('git', ['add', '-A'], dir).status).toBe(0);
    const first = run('git', ['commit', '-q', '-m', 'first'], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
  }, 300_000);

  it('a stale generated file fails the commit with the diff; after `matrix gen` the commit passes', async () => {
    const before = head();
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('binary: hello', 'binary: greeter'));
    expect(run('git', ['add', 'matrix.yaml'], dir).status).toBe(0);
    const bad = run('git', ['commit', '-m', 'rename the binary'], dir);
    const out = bad.stdout + bad.stderr;
    expect(bad.status, out).not.toBe(0);
    expect(out).toContain('matrix gen --check');
    expect(out).toContain('Dockerfile: stale');
    expect(out).toContain('1 generated file(s) out of date. Run `matrix gen` and commit the result.');
    expect(out).toContain('husky - pre-commit script failed');
    expect(head()).toBe(before);

    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    expect(run('git', ['add', '-A'], dir).status).toBe(0);
    const good = run('git', ['commit', '-m', 'rename the binary'], dir);
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(head()).not.toBe(before);
  });
  it("the README's plain .husky/pre-commit: a commit of other files never starts matrix; a stale spec fails the commit", async () => {
    const hook = fencesOfFile('README.md').find((f) => f.lang === 'sh' && f.body.startsWith('# .husky/pre-commit\n'));
    expect(hook, 'README.md has the .husky/pre-commit block').toBeDefined();
    writeFileSync(path.join(dir, '.husky', 'pre-commit'), hook!.body);
    writeFileSync(path.join(dir, 'main.go'), readFileSync(path.join(dir, 'main.go'), 'utf8') + '// a comment\n');
    expect(run('git', ['add', '-A'], dir).status).toBe(0);
    const other = run('git', ['commit', '-m', 'hook and a comment'], dir);
    expect(other.status, other.stdout + other.stderr).toBe(0);
    expect(other.stdout + other.stderr).not.toContain('out of date');
    const before = head();
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('binary: greeter', 'binary: hello2'));
    expect(run('git', ['add', 'matrix.yaml'], dir).status).toBe(0);
    const bad = run('git', ['commit', '-m', 'rename again'], dir);
    expect(bad.status, bad.stdout + bad.stderr).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('1 generated file(s) out of date. Run `matrix gen` and commit the result.');
    expect(bad.stdout + bad.stderr).toContain('husky - pre-commit script failed');
    expect(head()).toBe(before);
  });
});
