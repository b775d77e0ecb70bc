// gitEach (src/adapters/git.ts): several git commands run by a few /bin/sh
// processes instead of one Node spawn each. Each command must answer exactly
// as gitOutput, its own process, answers it; its arguments reach git as
// arguments whatever they hold (POSIX sh, "Special Parameters": "$@" expands
// each positional parameter as a separate field, never re-read as shell text);
// and each command keeps the time limit of one query.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EACH_SCRIPT, eachAnswers, gitAt, gitBatch, gitEach, gitOutput, gitStalled } from '../../src/adapters/git.js';
import { capture } from '../../src/adapters/process.js';
import { inputRevisions, startGitInfo } from '../../src/bake/gitenv.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

function git(dir: string, args: string[], date?: string): string {
  const env = { ...process.env, ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}) };
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** Directory names a shell would read as code, quoting, expansion or options if they reached it as text. */
const HOSTILE = ['plain', 'with space', "it's", 'say "hi"', '$(touch PWNED)', '`touch PWNED`', 'a;touch PWNED', '-rf', '*', 'back\\slash', 'new\nline', 'tab\there', '$HOME', 'ünï'];

function repoWithHostileNames(): string {
  const dir = tempDir();
  git(dir, ['init', '-q']);
  HOSTILE.forEach((name, i) => {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'Dockerfile'), `FROM scratch\n# ${i}\n`);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', `c${i}`], `${1_700_000_000 + i * 60} +0000`);
  });
  return dir;
}

describe.skipIf(process.platform === 'win32')('gitEach', () => {
  it('answers each command as its own git process does, in order, whatever its paths hold, and runs none of them as shell text', async () => {
    const dir = repoWithHostileNames();
    const g = gitAt(dir, process.env);
    const commands = HOSTILE.map((name) => ['log', '-1', '--format=%H %ct', '--', `:(top,literal)${name}`, `:(top,literal)${name}/Dockerfile`]);
    commands.push(['rev-parse', 'HEAD'], ['log', '-1', '--format=%H %ct', '--', ':(top,literal)never-there']);
    for (const parallel of [1, 2, 8]) {
      const each = await gitEach(g, commands, parallel);
      const one = await Promise.all(commands.map((c) => gitOutput(g, c)));
      expect(each, `parallel ${parallel}`).toEqual(one);
    }
    // Every path's own commit, and nothing for a path no commit touched.
    const each = (await gitEach(g, commands, 2))!;
    HOSTILE.forEach((name, i) => expect(each[i]?.split(' ')[1], JSON.stringify(name)).toBe(String(1_700_000_000 + i * 60)));
    expect(each.at(-1)).toBe('');
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  }, 60_000);

  it('answers undefined for a command that fails or prints more than one line, and the others still answer', async () => {
    const dir = repoWithHostileNames();
    const g = gitAt(dir, process.env);
    const head = git(dir, ['rev-parse', 'HEAD']);
    const each = await gitEach(
      g,
      [
        ['rev-parse', 'HEAD'],
        ['rev-parse', '--verify', '-q', 'no-such-ref'],
        ['log', '-2', '--format=%H'],
        ['rev-parse', 'HEAD~1'],
      ],
      1,
    );
    expect(each).toEqual([head, undefined, undefined, git(dir, ['rev-parse', 'HEAD~1'])]);
  }, 60_000);

  it('gives up on a command that does not answer within one query time limit and marks the repository stalled', async () => {
    const dir = repoWithHostileNames();
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // hash-object opens the FIFO for reading, which waits for a writer that never comes.
    const g = gitAt(dir, { ...process.env, MATRIX_GIT_QUERY_TIMEOUT_MS: '500' });
    expect(
      await gitEach(
        g,
        [
          ['rev-parse', 'HEAD'],
          ['hash-object', fifo],
        ],
        1,
      ),
    ).toBeUndefined();
    expect(gitStalled(dir)).toBe(true);
    // Every later batch there answers at once: the caller's own fallback then does too (gitQuery).
    expect(await gitEach(g, [['rev-parse', 'HEAD']], 1)).toBeUndefined();
  }, 60_000);
});

describe.skipIf(process.platform === 'win32')('gitBatch', () => {
  it('answers each command as its own git process does, several lines included, and a failure as undefined', async () => {
    const dir = repoWithHostileNames();
    for (const tag of ['v1.2.0', 'v1.10.0', 'v1.9.0', 'web/v2.0.0']) git(dir, ['tag', tag]);
    git(dir, ['tag', '-a', '-m', 'annotated', 'v1.10.1']);
    const g = gitAt(dir, process.env);
    const commands = [
      ['tag', '--points-at', 'HEAD', '--sort=-v:refname'],
      ['log', '-3', '--format=%H %ct%n%n  indented'],
      ['rev-parse', '--verify', '-q', 'no-such-ref'],
      ['log', '-1', '--format=|%H', '--', `:(top,literal)${HOSTILE[4]}`],
      ['log', '-1', '--format=tformat:= 0'],
      ['remote', 'get-url', 'origin'],
      ['symbolic-ref', '--quiet', '--short', 'HEAD'],
    ];
    const batch = await gitBatch(g, commands);
    const one = await Promise.all(commands.map((c) => gitOutput(g, c)));
    expect(batch).toEqual(one);
    expect(batch![0]!.split('\n')).toEqual(['web/v2.0.0', 'v1.10.1', 'v1.10.0', 'v1.9.0', 'v1.2.0']);
    expect(batch![1]!.split('\n')).toHaveLength(9);
    expect([batch![2], batch![5]]).toEqual([undefined, undefined]);
    // A line of git's that looks like the script's own end of a command is still output.
    expect(batch![3]).toMatch(/^\|[0-9a-f]{40}$/);
    expect(batch![4]).toBe('= 0');
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  }, 60_000);

  it("reads nothing from output that is not exactly the script's", () => {
    expect(eachAnswers('|a\n|b\n= 0\n= 128\n', 2)).toEqual(['a\nb', undefined]);
    expect(eachAnswers('= 0\n', 1)).toEqual(['']);
    for (const bad of ['|a\n= 0', '|a\n= 0\n|b\n', 'a\n= 0\n', '|a\n= x\n', '= 0\n= 0\n']) expect(eachAnswers(bad, 1), JSON.stringify(bad)).toBeUndefined();
  });

  it("startGitInfo's one batch gives what each read gives as its own process", async () => {
    const dir = repoWithHostileNames();
    git(dir, ['checkout', '-q', '-b', 'Feature/My_Fix']);
    for (const tag of ['v1.2.0', 'v1.10.0']) git(dir, ['tag', tag]);
    git(dir, ['remote', 'add', 'origin', 'https://user:secret@example.com/org/repo.git']);
    const g = gitAt(dir, process.env);
    const [info] = await Promise.all([startGitInfo(dir, process.env)]);
    const head = (await gitOutput(g, ['log', '-1', '--format=%H %ct']))!.split(' ');
    expect(info[0]).toEqual({ ok: true });
    expect(info[1]).toMatchObject({ sha: head[0], epoch: head[1], branch: 'feature-my_fix', tag: 'v1.10.0', tags: ['v1.10.0', 'v1.2.0'], source: 'https://example.com/org/repo' });
    // No commit yet: the batch finds none, and each read runs on its own (as before the batch).
    const empty = tempDir();
    git(empty, ['init', '-q']);
    expect(await startGitInfo(empty, process.env)).toEqual([{ ok: true }, undefined]);
  }, 60_000);
});

describe.skipIf(process.platform !== 'linux')('inputRevisions through gitEach', () => {
  it('runs its git commands in as many shells as it may run processes, and answers as one process per command does', async () => {
    const dir = repoWithHostileNames();
    // A git on PATH that notes its process group: each shell gitEach starts is its own group (capture starts it detached).
    const bin = tempDir();
    const log = path.join(bin, 'groups');
    const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\ncut -d' ' -f5 /proc/$$/stat >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(path.join(bin, 'git'), 0o755);
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    const inputs = HOSTILE.map((name, i) => ({ target: `t${i}`, paths: [name, `${name}/Dockerfile`] }));
    const expected = await Promise.all(inputs.map((t) => gitOutput(gitAt(dir, process.env), ['log', '-1', '--format=%H %ct', '--', ...t.paths.map((p) => `:(top,literal)${p}`)])));
    for (const processes of [1, 2, 3]) {
      writeFileSync(log, '');
      const revs = await inputRevisions(gitAt(dir, env), inputs, processes);
      const groups = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
      expect(groups.size, `processes ${processes}`).toBe(processes);
      inputs.forEach((t, i) => expect(`${revs.get(t.target)?.sha} ${revs.get(t.target)?.epoch}`).toBe(expected[i]));
    }
  }, 60_000);
});

describe.skipIf(process.platform === 'win32')('its script in each shell /bin/sh may be', () => {
  // Debian's /bin/sh is dash, macOS's is bash: the same lines from both, and a bash
  // never runs a function named git that it imports from the environment (bash(1), "export -f").
  const shells = ['dash', 'bash', 'busybox'].filter((s) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0);
  it.each(shells)('%s', (shell) => {
    const dir = repoWithHostileNames();
    const head = git(dir, ['rev-parse', 'HEAD']);
    // The last: three lines, one of them empty, one that looks like the end of a command.
    const args = ['2', 'rev-parse', 'HEAD', '5', 'log', '-1', '--format=%ct', '--', ':(top,literal)$(touch PWNED)', '1', 'no-such-command', '3', 'log', '-1', '--format=tformat:a%n%n= 0'];
    const argv = shell === 'busybox' ? ['sh', '-c', EACH_SCRIPT, 'sh', ...args] : ['-c', EACH_SCRIPT, 'sh', ...args];
    const r = spawnSync(shell, argv, { cwd: dir, encoding: 'utf8', env: { ...process.env, 'BASH_FUNC_git%%': '() { echo imported; }' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([`|${head}`, '= 0', `|${String(1_700_000_000 + 4 * 60)}`, '= 0', expect.stringMatching(/^= [1-9]\d*$/), '|a', '|', '|= 0', '= 0', '']);
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });
});

describe.skipIf(process.platform === 'win32')('capture with a time limit per output', () => {
  const script = 'for i in 1 2 3 4 5 6; do sleep 0.2; echo "$i"; done';
  it('lets a command that keeps answering run past the limit, and stops one that goes quiet', async () => {
    const cmd = { file: '/bin/sh', args: ['-c', script], cwd: process.cwd(), env: process.env };
    const kept = await capture(cmd, 1000, undefined, true);
    expect(kept.timedOut).toBeUndefined();
    expect(kept.stdout.split('\n').filter(Boolean)).toHaveLength(6);
    const quiet = await capture({ ...cmd, args: ['-c', 'echo start; sleep 30'] }, 1000, undefined, true);
    expect(quiet.timedOut).toBe(true);
    expect(quiet.stdout).toBe('start\n');
  }, 60_000);
});
