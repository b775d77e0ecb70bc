// inputRevisions (src/bake/gitenv.ts): per target, the last commit that
// changed its context or Dockerfile, as `git log -1 -- PATHS` says
// (https://git-scm.com/docs/git-log: "-<number>" and "<path>..."), whatever
// the number of targets and however many git processes run at once.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitAt } from '../../src/adapters/git.js';
import { inputRevisions } from '../../src/bake/gitenv.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** git in `dir`; `date` is the commit's author and committer date. */
function git(dir: string, args: string[], date?: string): string {
  const env = { ...process.env, ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}) };
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('inputRevisions', () => {
  it('gives each of 20 targets the commit that last changed its own paths (more targets than git processes at once)', async () => {
    const dir = tempDir();
    git(dir, ['init', '-q']);
    const expected = new Map<string, { sha: string; epoch: string }>();
    for (let i = 0; i < 20; i++) {
      mkdirSync(path.join(dir, `svc${i}`));
      writeFileSync(path.join(dir, `svc${i}`, 'Dockerfile'), `FROM scratch\n# ${i}\n`);
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', `svc${i}`], `${1_700_000_000 + i * 60} +0000`);
      expected.set(`t${i}`, { sha: git(dir, ['rev-parse', 'HEAD']), epoch: String(1_700_000_000 + i * 60) });
    }
    // A later commit touching none of them changes nothing.
    writeFileSync(path.join(dir, 'README.md'), 'x\n');
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'readme']);
    const inputs = [...expected.keys()].map((t) => ({ target: t, paths: [`svc${t.slice(1)}`, `svc${t.slice(1)}/Dockerfile`] }));
    // Two targets on the same paths share one git process and one answer.
    inputs.push({ target: 'twin', paths: ['svc3/Dockerfile', 'svc3'] });
    const revs = await inputRevisions(gitAt(dir, process.env), inputs);
    for (const [t, e] of expected) expect(revs.get(t), t).toMatchObject(e);
    expect(revs.get('twin')).toEqual(revs.get('t3'));
    expect(revs.get('t0')?.created).toBe('2023-11-14T22:13:20Z');
  }, 60_000);
});
