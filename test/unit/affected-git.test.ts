import { renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { changedFiles as changedIn, gitAt, resolveRef as resolveIn, showFile as showIn } from '../../src/adapters/git.js';

// The adapter takes git's repository and environment; these tests run it with the process's.
const changedFiles = (dir: string, ref: string) => changedIn(gitAt(dir, process.env), ref);
const resolveRef = (dir: string, ref: string) => resolveIn(gitAt(dir, process.env), ref);
const showFile = (dir: string, ref: string, file: string) => showIn(gitAt(dir, process.env), ref, file);
import { removeTempDirs, tempDir } from '../helpers/tree.js';
import { commit, git, remove, write } from './fixtures/affected/repo.js';

afterAll(removeTempDirs);

function plainRepo(files: Record<string, string>): string {
  const dir = tempDir('matrix-git-');
  git(dir, 'init', '-q');
  write(dir, files);
  commit(dir, 'initial');
  return dir;
}

async function userErrorOf(p: Promise<unknown>): Promise<{ code: string; hint?: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  return (e as UserError).diagnostics[0]!;
}

describe('changedFiles', () => {
  it('lists modified, added (staged or untracked), deleted and both sides of a rename, sorted', async () => {
    const dir = plainRepo({ 'a.txt': '1', 'b/c.txt': '1', 'd.txt': '1', 'old.txt': 'rename me\n', '.gitignore': '*.log\n' });
    write(dir, { 'a.txt': '2', 'new/staged.txt': 'x', 'untracked.txt': 'x', 'ignored.log': 'x' });
    git(dir, 'add', 'new/staged.txt');
    remove(dir, 'd.txt');
    renameSync(path.join(dir, 'old.txt'), path.join(dir, 'b/renamed.txt'));
    git(dir, 'add', '-A', 'old.txt', 'b/renamed.txt');
    expect(await changedFiles(dir, 'HEAD')).toEqual(['a.txt', 'b/renamed.txt', 'd.txt', 'new/staged.txt', 'old.txt', 'untracked.txt']);
  });

  it('is empty for a clean tree', async () => {
    const dir = plainRepo({ 'a.txt': '1' });
    expect(await changedFiles(dir, 'HEAD')).toEqual([]);
  });

  it('keeps unusual names intact (-z: no quoting)', async () => {
    const dir = plainRepo({ 'a.txt': '1' });
    write(dir, { 'sp ace/tab\there.txt': 'x', 'naïve "q".txt': 'x' });
    expect(await changedFiles(dir, 'HEAD')).toEqual(['naïve "q".txt', 'sp ace/tab\there.txt']);
  });

  it('reports an unknown ref', async () => {
    const dir = plainRepo({ 'a.txt': '1' });
    expect((await userErrorOf(changedFiles(dir, 'nope'))).code).toBe('unknown-ref');
  });
});

describe('showFile', () => {
  it('returns the content at REF, or undefined when the file did not exist', async () => {
    const dir = plainRepo({ 'spec/matrix.yaml': 'v1\n' });
    write(dir, { 'spec/matrix.yaml': 'v2\n', 'later.txt': 'x' });
    commit(dir);
    expect(await showFile(dir, 'HEAD~1', 'spec/matrix.yaml')).toBe('v1\n');
    expect(await showFile(dir, 'HEAD', 'spec/matrix.yaml')).toBe('v2\n');
    expect(await showFile(dir, 'HEAD~1', 'later.txt')).toBeUndefined();
    expect(await showFile(dir, 'HEAD', 'never.txt')).toBeUndefined();
  });

  it('reports an unknown ref rather than a missing file', async () => {
    const dir = plainRepo({ 'a.txt': '1' });
    expect((await userErrorOf(showFile(dir, 'nope', 'a.txt'))).code).toBe('unknown-ref');
  });
});

describe('resolveRef', () => {
  it('resolves branches, tags and relative revisions to a commit', async () => {
    const dir = plainRepo({ 'a.txt': '1' });
    git(dir, 'tag', 'v1');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    expect(await resolveRef(dir, 'v1')).toBe(head);
    expect(await resolveRef(dir, 'HEAD')).toBe(head);
    expect(await resolveRef(dir, head.slice(0, 10))).toBe(head);
  });

  it('an empty repository has no HEAD to compare with', async () => {
    const dir = tempDir('matrix-git-');
    git(dir, 'init', '-q');
    const d = await userErrorOf(resolveRef(dir, 'HEAD'));
    expect(d.code).toBe('unknown-ref');
    expect(d.hint).not.toContain('shallow');
  });

  it('refuses an empty ref and option-like refs', async () => {
    const dir = plainRepo({ 'a.txt': '1' });
    expect((await userErrorOf(resolveRef(dir, ''))).code).toBe('unknown-ref');
    expect((await userErrorOf(resolveRef(dir, '-h'))).code).toBe('unknown-ref');
  });

  it('outside a repository: not-a-git-repo', async () => {
    const dir = tempDir('matrix-git-');
    expect((await userErrorOf(resolveRef(dir, 'HEAD'))).code).toBe('not-a-git-repo');
  });
});
