// HEAD's commit, branch and tags come from one `git log` (src/bake/gitenv.ts HEAD_COMMAND, `%D`
// with --decorate-refs) where they took `log`, `symbolic-ref --short HEAD` and `tag --points-at HEAD`.
// Each case here builds a repository state and holds matrix's values to what those three commands
// answer in it, run by the test itself: on a branch, detached, with lightweight, annotated and nested
// tags, a branch with a slash, and with the user's log.decorate and
// log.excludeDecoration set. Where git's short name is ambiguous (a tag named as the branch),
// `symbolic-ref --short` says `heads/NAME`; matrix takes the branch's own name, as
// docker/metadata-action does from refs/heads/NAME (src/meta.ts procRefBranch: `type=ref,event=branch`).
// HEAD on a ref that is no branch (refs/remotes/...) is detached for git log, and for matrix.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { branchSlug, buildEnvironment, headOf } from '../../src/bake/gitenv.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };

function repository(): { dir: string; git: (...a: string[]) => string } {
  const dir = tempDir();
  const git = (...a: string[]) => {
    const r = spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...IDENTITY, GIT_CONFIG_NOSYSTEM: '1' } });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  git('init', '-q', '-b', 'main');
  git('commit', '-q', '--allow-empty', '-m', 'one');
  return { dir, git };
}

/** What the three commands matrix used to run say in `dir`. */
function reference(git: (...a: string[]) => string): { sha: string; branch: string; tags: string[] } {
  return {
    sha: git('log', '-1', '--format=%H'),
    branch: git('symbolic-ref', '--quiet', '--short', 'HEAD'),
    tags: git('tag', '--points-at', 'HEAD', '--sort=refname', '--sort=-creatordate').split('\n').filter(Boolean),
  };
}

async function values(dir: string, env: Record<string, string> = {}) {
  const e = await buildEnvironment(dir, env, false);
  return { sha: e.MATRIX_GIT_SHA, branch: e.MATRIX_GIT_BRANCH, tag: e.MATRIX_GIT_TAG };
}

describe("HEAD's values from one git log", () => {
  it('on a branch, with a slash in its name, and detached: the branch as symbolic-ref names it', async () => {
    const { dir, git } = repository();
    let ref = reference(git);
    expect(await values(dir)).toEqual({ sha: ref.sha, branch: 'main', tag: '' });
    git('checkout', '-q', '-b', 'feature/Login-2');
    ref = reference(git);
    expect(ref.branch).toBe('feature/Login-2');
    expect(await values(dir)).toEqual({ sha: ref.sha, branch: branchSlug(ref.branch), tag: '' });
    // Another branch at the same commit is not HEAD's.
    git('branch', 'zz-other');
    expect((await values(dir)).branch).toBe('feature-login-2');
    git('checkout', '-q', '--detach');
    expect(reference(git).branch).toBe('');
    expect(await values(dir)).toEqual({ sha: ref.sha, branch: '', tag: '' });
  });

  it('tags: lightweight, annotated and several, as tag --points-at lists them, newest first', async () => {
    const { dir, git } = repository();
    git('tag', 'deploy-b');
    const annotated = (name: string, at: number) => spawnSync('git', ['tag', '-a', '-m', name, name], { cwd: dir, env: { ...process.env, ...IDENTITY, GIT_COMMITTER_DATE: `${at} +0000` } });
    annotated('deploy-a', 1_700_000_100);
    annotated('deploy-c', 1_600_000_000);
    const ref = reference(git);
    expect(ref.tags.length).toBe(3);
    // No version among them: git.tag is the first git lists (headTag).
    expect((await values(dir)).tag).toBe(ref.tags[0]);
    // A tag on another commit is not HEAD's.
    git('commit', '-q', '--allow-empty', '-m', 'two');
    expect(reference(git).tags).toEqual([]);
    expect((await values(dir)).tag).toBe('');
  });

  it('a nested tag (a tag of a tag): the tags git tag --points-at lists, whatever the decorations show', async () => {
    const { dir, git } = repository();
    git('tag', '-a', '-m', 'inner', 'v1.0.0');
    git('-c', 'advice.nestedTag=false', 'tag', '-a', '-m', 'outer', 'v2.0.0', 'v1.0.0');
    const ref = reference(git);
    // git 2.39 lists only the inner tag here; a later git may peel further. matrix follows the git it runs.
    expect(ref.tags).toContain('v1.0.0');
    const expected = ref.tags.includes('v2.0.0') ? 'v2.0.0' : 'v1.0.0';
    expect((await values(dir)).tag).toBe(expected);
  });

  it("the user's log.decorate and log.excludeDecoration change nothing", async () => {
    const { dir, git } = repository();
    git('tag', 'v3.1.0');
    const expected = { sha: reference(git).sha, branch: 'main', tag: 'v3.1.0' };
    const configs: Record<string, string>[] = [
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'log.decorate', GIT_CONFIG_VALUE_0: 'short' },
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'log.decorate', GIT_CONFIG_VALUE_0: 'no' },
      { GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'log.excludeDecoration', GIT_CONFIG_VALUE_0: 'refs/tags/', GIT_CONFIG_KEY_1: 'log.excludeDecoration', GIT_CONFIG_VALUE_1: 'refs/heads/*' },
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'color.ui', GIT_CONFIG_VALUE_0: 'always' },
    ];
    for (const env of configs) expect(await values(dir, { ...process.env, ...env } as Record<string, string>), JSON.stringify(env)).toEqual(expected);
  });

  it("a tag named as the branch: the branch's own name (metadata-action), where symbolic-ref --short says heads/NAME", async () => {
    const { dir, git } = repository();
    git('tag', 'main');
    expect(reference(git).branch).toBe('heads/main');
    expect(await values(dir)).toEqual({ sha: reference(git).sha, branch: 'main', tag: 'main' });
  });

  // git log shows such a HEAD as detached (no `HEAD ->`), as it shows a checkout of a remote branch.
  it('HEAD on a ref outside refs/heads: no branch, as git log shows it', async () => {
    const { dir, git } = repository();
    git('update-ref', 'refs/remotes/origin/release', 'HEAD');
    git('symbolic-ref', 'HEAD', 'refs/remotes/origin/release');
    expect(reference(git).branch).toBe('origin/release');
    expect(git('log', '-1', '--format=%D', '--decorate=full', '--decorate-refs=HEAD', '--decorate-refs=refs/')).not.toContain('HEAD ->');
    expect(await values(dir)).toEqual({ sha: reference(git).sha, branch: '', tag: '' });
  });

  it('no commit yet: no values, and no error', async () => {
    const dir = tempDir();
    spawnSync('git', ['init', '-q'], { cwd: dir });
    expect(await values(dir)).toEqual({ sha: '', branch: '', tag: '' });
  });
});

describe('headOf reads the one line of refs', () => {
  const sha = 'a'.repeat(40);
  it.each([
    [`${sha} 1700000000\nHEAD -> refs/heads/main, tag: refs/tags/v1, refs/remotes/origin/main`, { commit: `${sha} 1700000000`, branch: 'main', tagged: true }],
    [`${sha} 1700000000\nHEAD, refs/heads/main`, { commit: `${sha} 1700000000`, branch: '', tagged: false }],
    [`${sha} 1700000000\nHEAD -> refs/heads/a/b`, { commit: `${sha} 1700000000`, branch: 'a/b', tagged: false }],
    [`${sha} 1700000000\nHEAD -> refs/notes/x`, { commit: `${sha} 1700000000`, branch: '', tagged: false }],
    [`${sha} 1700000000`, { commit: `${sha} 1700000000`, branch: '', tagged: false }],
    // A branch whose name starts like a tag's decoration is no tag.
    [`${sha} 1700000000\nHEAD -> refs/heads/tag, refs/heads/tags/x`, { commit: `${sha} 1700000000`, branch: 'tag', tagged: false }],
  ])('%j', (output, expected) => {
    expect(headOf(output)).toEqual(expected);
  });

  it('no commit, or a first line that is no commit and time: undefined', () => {
    expect(headOf(undefined)).toBeUndefined();
    expect(headOf('')).toBeUndefined();
    expect(headOf('gpg: Signature made ...\nHEAD')).toBeUndefined();
  });
});
