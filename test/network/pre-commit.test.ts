// The pre-commit hooks of .pre-commit-hooks.yaml, installed by the real
// pre-commit from a git repository holding this project's working tree (as a
// user's `repo:` would), run by `git commit` on a copy of samples/hello-go.
// pre-commit installs a `language: node` hook with npm from that repository:
// its dependencies come from the npm registry, nothing else from the network.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { blocks } from '../helpers/fences.js';
import { installWorkingTree, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const version = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
const straceOk = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
const hasPreCommit = !version.error && version.status === 0;
if (!hasPreCommit && process.env.CI === 'true') throw new Error('CI=true but `pre-commit` is not installed (Debian: apt-get install -y pre-commit)');

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const yamlBlocks = blocks(README, 'yaml');
/** The README's `repo: local` recipe, for projects that have bake-matrix in devDependencies: read from the README, so the test follows it. */
const LOCAL_CONFIG = yamlBlocks.find((b) => b.includes('- repo: local'))!;
/** The README's hook-repository recipe, with its OWNER/COMMIT placeholders to fill. */
const REMOTE_CONFIG = yamlBlocks.find((b) => b.includes('# .pre-commit-config.yaml'))!;

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1' };

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', ...env }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

/** A git repository with this project's working tree (tracked and new files, not ignored ones), committed. */
function hookRepository(): { dir: string; rev: string } {
  const dir = tempDir('matrix-hook-repo-');
  const list = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT);
  expect(list.status, list.stderr).toBe(0);
  for (const rel of list.stdout.split('\0').filter(Boolean)) {
    const src = path.join(REPO_ROOT, rel);
    if (!existsSync(src) || lstatSync(src).isDirectory()) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    cpSync(src, path.join(dir, rel), { verbatimSymlinks: true });
  }
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'bake-matrix working tree'],
  ]) {
    const r = run('git', args, dir);
    expect(r.status, r.stderr).toBe(0);
  }
  return { dir, rev: run('git', ['rev-parse', 'HEAD'], dir).stdout.trim() };
}

describe.skipIf(!hasPreCommit)('pre-commit hooks matrix-gen and matrix-gen-check', () => {
  let hook: { dir: string; rev: string };
  let cache: string;

  /** A copy of samples/hello-go in its own repository, with the hook installed and a first commit. */
  function userRepo(hookId: string): string {
    const dir = tempDir('matrix-pre-commit-user-');
    cpSync(path.join(REPO_ROOT, 'samples', 'hello-go'), dir, { recursive: true });
    // The README's config, pointed at the hook repository and its commit.
    const config = REMOTE_CONFIG.replace(/repo: \S+/, `repo: ${hook.dir}`)
      .replace(/rev: COMMIT/, `rev: ${hook.rev}`)
      .replace(/- id: matrix-gen\b.*\n/, `- id: ${hookId}\n`)
      .replace(/^\s*# - id:.*\n(\s*#.*\n)*/m, '');
    expect(config).toContain(`rev: ${hook.rev}`);
    writeFileSync(path.join(dir, '.pre-commit-config.yaml'), config);
    for (const [cmd, args] of [
      ['git', ['init', '-q']],
      ['pre-commit', ['install']],
      ['git', ['add', '-A']],
      ['git', ['commit', '-q', '-m', 'first']],
    ] as const) {
      const r = run(cmd, [...args], dir, { PRE_COMMIT_HOME: cache });
      expect(r.status, `${cmd} ${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
    return dir;
  }

  const commit = (dir: string, message: string) => run('git', ['commit', '-m', message], dir, { PRE_COMMIT_HOME: cache });
  const head = (dir: string) => run('git', ['rev-parse', 'HEAD'], dir).stdout.trim();
  const makeStale = (dir: string) => {
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('binary: hello', 'binary: greeter'));
    expect(run('git', ['add', 'matrix.yaml'], dir).status).toBe(0);
  };

  beforeAll(() => {
    hook = hookRepository();
    cache = tempDir('matrix-pre-commit-cache-');
    // Install the hook environment once (npm install from the hook repository); both configs share it.
    const dir = tempDir();
    writeFileSync(path.join(dir, '.pre-commit-config.yaml'), `repos:\n  - repo: ${hook.dir}\n    rev: ${hook.rev}\n    hooks:\n      - id: matrix-gen\n      - id: matrix-gen-check\n`);
    run('git', ['init', '-q'], dir);
    const r = run('pre-commit', ['install-hooks'], dir, { PRE_COMMIT_HOME: cache });
    expect(
      r.status,
      `pre-commit install-hooks:\n${r.stdout}${r.stderr}\n${existsSync(path.join(cache, 'pre-commit.log')) ? readFileSync(path.join(cache, 'pre-commit.log'), 'utf8').slice(-4000) : ''}`,
    ).toBe(0);
  }, 600_000);

  it('matrix-gen-check: stale generated files fail the commit with a diff; after `matrix gen` it passes', async () => {
    const dir = userRepo('matrix-gen-check');
    const before = head(dir);
    makeStale(dir);
    const bad = commit(dir, 'rename the binary');
    const out = bad.stdout + bad.stderr;
    expect(bad.status, out).not.toBe(0);
    expect(out).toMatch(/matrix gen --check \(generated files up to date\)\.+Failed/);
    expect(out).toContain('Dockerfile: stale');
    expect(out).toContain("+    go build -trimpath -buildvcs=false -ldflags='-s -w' -o '/matrix/rootfs/greeter' -- '.'");
    expect(out).toContain('1 generated file(s) out of date. Run `matrix gen` and commit the result.');
    expect(head(dir)).toBe(before);

    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    expect(run('git', ['add', '-A'], dir).status).toBe(0);
    const good = commit(dir, 'rename the binary');
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(good.stdout + good.stderr).toMatch(/matrix gen --check \(generated files up to date\)\.+Passed/);
    expect(head(dir)).not.toBe(before);
  });

  it('matrix-gen: regenerates, pre-commit fails the commit because files changed, adding them passes', () => {
    const dir = userRepo('matrix-gen');
    makeStale(dir);
    const bad = commit(dir, 'rename the binary');
    const out = bad.stdout + bad.stderr;
    expect(bad.status, out).not.toBe(0);
    expect(out).toMatch(/matrix gen \(regenerate Dockerfiles and docker-bake\.hcl\)\.+Failed/);
    expect(out).toContain('files were modified by this hook');
    expect(out).toContain('updated Dockerfile');
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toContain("'/matrix/rootfs/greeter'");
    expect(run('git', ['add', '-A'], dir).status).toBe(0);
    const good = commit(dir, 'rename the binary');
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(good.stdout + good.stderr).toMatch(/matrix gen \(regenerate Dockerfiles and docker-bake\.hcl\)\.+Passed/);
  });

  it("the README's `repo: local` variant (bake-matrix in devDependencies) checks the same way", async () => {
    const dir = tempDir('matrix-pre-commit-local-');
    cpSync(path.join(REPO_ROOT, 'samples', 'hello-go'), dir, { recursive: true });
    // `npm install --save-dev bake-matrix`, from this working tree.
    installWorkingTree(dir);
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
    writeFileSync(path.join(dir, '.pre-commit-config.yaml'), LOCAL_CONFIG);
    for (const [cmd, args] of [
      ['git', ['init', '-q']],
      ['pre-commit', ['install']],
      ['git', ['add', '-A']],
      ['git', ['commit', '-q', '-m', 'first']],
    ] as const) {
      const r = run(cmd, [...args], dir, { PRE_COMMIT_HOME: cache });
      expect(r.status, `${cmd} ${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
    makeStale(dir);
    const bad = commit(dir, 'rename the binary');
    expect(bad.status, bad.stdout + bad.stderr).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/matrix gen --check\.+Failed/);
    expect(bad.stdout + bad.stderr).toContain('Dockerfile: stale');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(run('git', ['add', '-A'], dir).status).toBe(0);
    const good = commit(dir, 'rename the binary');
    expect(good.status, good.stdout + good.stderr).toBe(0);
  });

  it('an up-to-date check through pre-commit answers without running matrix in Node (bin/matrix-hook and its manifest)', () => {
    // The first commit ran the hook in Node (no manifest yet), which kept the record and its manifest;
    // the next run reads them in sh, through pre-commit's nodeenv `node` (NODE_VIRTUAL_ENV/bin/node).
    expect(straceOk || process.env.CI !== 'true', 'strace is missing: apt-get install -y strace').toBe(true);
    if (!straceOk) return;
    const dir = userRepo('matrix-gen-check');
    const log = path.join(tempDir('matrix-pre-commit-strace-'), 'execve.log');
    const r = run('strace', ['-f', '-qq', '-s', '256', '-e', 'trace=execve', '-o', log, 'pre-commit', 'run', 'matrix-gen-check', '--files', 'matrix.yaml'], dir, { PRE_COMMIT_HOME: cache });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/matrix gen --check \(generated files up to date\)\.+Passed/);
    const execs = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('execve('));
    expect(
      execs.some((l) => l.includes('matrix-hook')),
      'the hook ran',
    ).toBe(true);
    expect(
      execs.filter((l) => l.includes('matrix.cjs')),
      'matrix in Node',
    ).toEqual([]);
  });

  it('a commit touching no spec, template, Dockerfile or bake file skips the hook', () => {
    const dir = userRepo('matrix-gen-check');
    writeFileSync(path.join(dir, 'NOTES.md'), 'notes\n');
    expect(run('git', ['add', 'NOTES.md'], dir).status).toBe(0);
    const r = commit(dir, 'notes');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/matrix gen --check \(generated files up to date\)\.+\(no files to check\)Skipped/);
  });
});
