// The revisions kept per HEAD commit (src/repro/revision-store.ts): an answer
// kept for a commit must be what `git log -1 COMMIT -- PATHS` answers now
// (https://git-scm.com/docs/git-log, "<revision-range>" and "<path>..."), after
// any change git allows: new commits, a moved or amended HEAD, a shallow clone
// deepened (https://git-scm.com/docs/git-fetch, --deepen and --unshallow,
// "shallow" in https://git-scm.com/docs/gitrepository-layout), a replace ref
// (https://git-scm.com/docs/git-replace), a git pointed elsewhere by the
// environment (https://git-scm.com/docs/git, "ENVIRONMENT VARIABLES"), or a
// kept file someone else wrote. Each case compares against inputRevisions
// without a store, which asks git every time.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gitAt } from '../../src/adapters/git.js';
import { inputRevisions, type RevisionStore } from '../../src/bake/gitenv.js';
import { revisionStore } from '../../src/repro/revision-store.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

let clock = 1_700_000_000;

function git(dir: string, ...args: string[]): string {
  clock += 60;
  const date = `${clock} +0000`;
  const env = { ...process.env, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date };
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', '-c', 'protocol.file.allow=always', ...args], { cwd: dir, encoding: 'utf8', env });
  expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

const SERVICES = ['api', 'web', 'worker'];
const inputs = SERVICES.map((s) => ({ target: s, paths: [`services/${s}`, `services/${s}/Dockerfile`] }));

function touch(dir: string, service: string, note: string): void {
  mkdirSync(path.join(dir, 'services', service), { recursive: true });
  writeFileSync(path.join(dir, 'services', service, 'Dockerfile'), `FROM scratch\n# ${note}\n`);
}

function commit(dir: string, services: readonly string[], note: string): void {
  for (const s of services) touch(dir, s, note);
  if (!services.length) writeFileSync(path.join(dir, 'README.md'), `${note}\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', note);
}

function repo(): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main');
  commit(dir, SERVICES, 'all');
  commit(dir, ['api'], 'api');
  commit(dir, [], 'readme');
  return dir;
}

/**
 * git on PATH that notes each `log` it runs for a path (the revisions), then
 * runs the real one: how many times the store sent a question to git.
 */
function countingGit(): { env: NodeJS.ProcessEnv; asked: () => number; reset: () => void } {
  const bin = tempDir();
  const log = path.join(bin, 'asked');
  const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nfor a do [ "$a" = "--" ] && echo x >> '${log}'; done\nexec '${real}' "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  writeFileSync(log, '');
  return {
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
    asked: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length,
    reset: () => writeFileSync(log, ''),
  };
}

const head = (dir: string) => git(dir, 'rev-parse', 'HEAD');
const asGit = (dir: string) => inputRevisions(gitAt(dir, process.env), inputs, 2);
const withStore = (dir: string, env: NodeJS.ProcessEnv = process.env, store: RevisionStore | undefined = revisionStore(dir, head(dir), env)) => inputRevisions(gitAt(dir, env), inputs, 2, store);

describe.skipIf(process.platform === 'win32')('revisions kept per HEAD commit', () => {
  it('answers a second run at the same commit without git, as git answers it', async () => {
    const dir = repo();
    const counting = countingGit();
    const first = await withStore(dir, counting.env);
    expect(counting.asked()).toBe(3);
    expect(first).toEqual(await asGit(dir));
    expect(first.get('api')?.sha).toBe(git(dir, 'log', '-1', '--format=%H', '--', 'services/api'));
    counting.reset();
    const second = await withStore(dir, counting.env);
    expect(counting.asked()).toBe(0);
    expect(second).toEqual(first);
    // A target on new paths is asked; the kept ones still are not.
    const more = [...inputs, { target: 'docs', paths: ['README.md'] }];
    counting.reset();
    const wider = await inputRevisions(gitAt(dir, counting.env), more, 2, revisionStore(dir, head(dir), counting.env));
    expect(counting.asked()).toBe(1);
    expect(wider).toEqual(await inputRevisions(gitAt(dir, process.env), more, 2));
  }, 60_000);

  it('after any sequence of commits, amends, resets and checkouts, answers as git does', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('commit' as const), services: fc.subarray(SERVICES) }),
      fc.constant({ kind: 'amend' as const }),
      fc.constant({ kind: 'reset' as const }),
      fc.constant({ kind: 'branch' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 4 }), async (ops) => {
        const dir = repo();
        await withStore(dir);
        let n = 0;
        for (const o of ops) {
          n++;
          // Going back needs a commit to go back to.
          if (o.kind === 'commit' || ((o.kind === 'reset' || o.kind === 'branch') && git(dir, 'rev-list', '--count', 'HEAD') === '1'))
            commit(dir, o.kind === 'commit' ? o.services : ['api'], `step ${n}`);
          else if (o.kind === 'amend') {
            touch(dir, 'web', `amend ${n}`);
            git(dir, 'commit', '-q', '-a', '--amend', '-m', `amended ${n}`);
          } else if (o.kind === 'reset') git(dir, 'reset', '-q', '--hard', 'HEAD~1');
          else git(dir, 'checkout', '-q', '-B', n % 2 ? 'other' : 'main', 'HEAD~1');
          expect(await withStore(dir)).toEqual(await asGit(dir));
          // The second run reads what the first kept.
          expect(await withStore(dir)).toEqual(await asGit(dir));
        }
      }),
      { numRuns: 5, seed: 18 },
    );
  }, 240_000);

  it('a shallow clone deepened answers for its new history', async () => {
    const origin = repo();
    commit(origin, ['web'], 'web again');
    commit(origin, [], 'readme again');
    const dir = path.join(tempDir(), 'clone');
    git(path.dirname(dir), 'clone', '-q', '--depth', '1', `file://${origin}`, dir);
    const shallow = await withStore(dir);
    expect(shallow).toEqual(await asGit(dir));
    // At depth 1 every path's last commit is the boundary: HEAD.
    expect(shallow.get('api')?.sha).toBe(head(dir));
    git(dir, 'fetch', '-q', '--deepen', '2');
    expect(await withStore(dir)).toEqual(await asGit(dir));
    git(dir, 'fetch', '-q', '--unshallow');
    const full = await withStore(dir);
    expect(full).toEqual(await asGit(dir));
    expect(full.get('api')?.sha).toBe(git(origin, 'log', '-1', '--format=%H', '--', 'services/api'));
  }, 60_000);

  it('keeps nothing where history is rewritten as git reads it, or git is pointed elsewhere', async () => {
    const dir = repo();
    await withStore(dir);
    // A replace ref makes HEAD's parent another commit: the same HEAD, another history.
    const parent = git(dir, 'rev-parse', 'HEAD~1');
    const root = git(dir, 'rev-list', '--max-parents=0', 'HEAD');
    git(dir, 'replace', parent, root);
    expect(revisionStore(dir, head(dir), process.env)).toBeUndefined();
    expect(await withStore(dir)).toEqual(await asGit(dir));
    // Packed, the replace ref is still seen.
    git(dir, 'pack-refs', '--all');
    expect(revisionStore(dir, head(dir), process.env)).toBeUndefined();
    git(dir, 'replace', '-d', parent);
    git(dir, 'pack-refs', '--all');
    expect(revisionStore(dir, head(dir), process.env)).toBeDefined();
    for (const name of [
      'GIT_DIR',
      'GIT_NO_REPLACE_OBJECTS',
      'GIT_OBJECT_DIRECTORY',
      'GIT_ALTERNATE_OBJECT_DIRECTORIES',
      'GIT_GRAFT_FILE',
      'GIT_SHALLOW_FILE',
      'GIT_LITERAL_PATHSPECS',
      'GIT_ICASE_PATHSPECS',
      'GIT_CONFIG_COUNT',
      'GIT_CONFIG_PARAMETERS',
    ]) {
      expect(revisionStore(dir, head(dir), { ...process.env, [name]: '1' }), name).toBeUndefined();
    }
    expect(
      revisionStore(dir, head(dir), { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: 'ssh', GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt', GIT_ASKPASS: 'true' }),
    ).toBeDefined();
    mkdirSync(path.join(dir, '.git', 'info'), { recursive: true });
    writeFileSync(path.join(dir, '.git', 'info', 'grafts'), `${parent}\n`);
    expect(revisionStore(dir, head(dir), process.env)).toBeUndefined();
  }, 60_000);

  it('uses a kept answer only in the form git prints it, and only for the commit and history it was kept for', async () => {
    const dir = repo();
    const truth = await asGit(dir);
    await withStore(dir);
    const file = path.join(dir, '.git', 'matrix-revisions.json');
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { head: string; revisions: Record<string, string> };
    expect(kept.head).toBe(head(dir));
    const key = Object.keys(kept.revisions)[0]!;
    for (const hostile of ['$(touch PWNED) 1', `${'a'.repeat(40)} 1\n--push`, `${'a'.repeat(40)}`, 'HEAD 1', 42]) {
      writeFileSync(file, JSON.stringify({ ...kept, revisions: { ...kept.revisions, [key]: hostile } }));
      expect(await withStore(dir), JSON.stringify(hostile)).toEqual(truth);
    }
    for (const other of [{ head: 'b'.repeat(40) }, { history: 'x' }, { v: 2 }]) {
      writeFileSync(file, JSON.stringify({ ...kept, revisions: Object.fromEntries(Object.keys(kept.revisions).map((k) => [k, `${'c'.repeat(40)} 5`])), ...other }));
      expect(await withStore(dir), JSON.stringify(other)).toEqual(truth);
    }
    writeFileSync(file, '{not json');
    expect(await withStore(dir)).toEqual(truth);
    // A FIFO or a symbolic link in its place: never opened (no hang), never followed or written through.
    const make = { fifo: (at: string) => expect(spawnSync('mkfifo', [at]).status).toBe(0), link: (at: string) => symlinkSync(path.join(dir, 'README.md'), at) };
    for (const [kind, put] of Object.entries(make)) {
      rmSync(file, { force: true });
      put(file);
      expect(await withStore(dir), kind).toEqual(truth);
      // At the shallow file (git itself would wait on a FIFO there): nothing is kept or read.
      const shallow = path.join(dir, '.git', 'shallow');
      put(shallow);
      expect(revisionStore(dir, head(dir), process.env), kind).toBeUndefined();
      rmSync(shallow);
    }
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('readme\n');
  }, 60_000);

  it('in a linked worktree, keeps its own answers and reads the shared history', async () => {
    const dir = repo();
    const wt = path.join(tempDir(), 'wt');
    git(dir, 'worktree', 'add', '-q', '-b', 'side', wt, 'HEAD~1');
    expect(revisionStore(wt, head(wt), process.env)).toBeDefined();
    expect(await withStore(wt)).toEqual(await asGit(wt));
    expect(await withStore(wt)).toEqual(await asGit(wt));
    git(dir, 'replace', git(dir, 'rev-parse', 'HEAD~1'), git(dir, 'rev-list', '--max-parents=0', 'HEAD'));
    expect(revisionStore(wt, head(wt), process.env)).toBeUndefined();
  }, 60_000);
});
