import { renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { affected, commit, git, reasons, remove, repo, write } from './fixtures/affected/repo.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const SPEC = `version: 1
registry: r.example
platforms: [linux/amd64]
services:
  base:
    context: base
    dockerfile: base/Dockerfile
  api:
    context: services/api
    template: go
    with: { binary: api }
    depends_on: [base]
  worker:
    context: services/worker
    template: go
    depends_on: [api]
  web:
    context: services/web
    template: go
    tags: [r.example/web:1]
`;

const goService = (name: string) => ({ [`services/${name}/go.mod`]: 'module example.com/x\n', [`services/${name}/main.go`]: 'package main\n' });

const TREE = {
  'matrix.yaml': SPEC,
  'base/Dockerfile': 'FROM debian:bookworm-slim\nCOPY rootfs/ /\n',
  'base/rootfs/etc/motd': 'hello\n',
  ...goService('api'),
  ...goService('worker'),
  ...goService('web'),
  'services/web/.dockerignore': '*.md\n!KEEP.md\n',
  'services/web/README.md': 'readme\n',
  'services/web/KEEP.md': 'keep\n',
  '.gitignore': 'tmp/\n',
};

const ALL = ['base', 'api', 'worker', 'web'];

describe('computeAffected', () => {
  it('nothing changed: nothing affected', async () => {
    const dir = repo(TREE);
    const plan = await affected(dir);
    expect(plan).toEqual({ ref: 'HEAD', targets: [], unaffected: ALL });
  });

  it('a leaf change affects only that target', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/web/main.go': 'package main\n// changed\n' });
    const plan = await affected(dir);
    expect(reasons(plan)).toEqual({ web: ['services/web/main.go changed'] });
    expect(plan.unaffected).toEqual(['base', 'api', 'worker']);
  });

  it('a base change affects the base and its dependents, transitively, and nothing else', async () => {
    const dir = repo(TREE);
    write(dir, { 'base/rootfs/etc/motd': 'changed\n' });
    const plan = await affected(dir);
    expect(reasons(plan)).toEqual({
      base: ['base/rootfs/etc/motd changed'],
      api: ['depends on base'],
      worker: ['depends on api'],
    });
    expect(plan.unaffected).toEqual(['web']);
  });

  it('compares with an older commit, committed changes included', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/api/main.go': 'package main\n// v2\n' });
    commit(dir);
    write(dir, { 'services/web/main.go': 'package main\n// v2\n' });
    commit(dir);
    expect(Object.keys(reasons(await affected(dir, 'HEAD~1')))).toEqual(['web']);
    expect(Object.keys(reasons(await affected(dir, 'HEAD~2')))).toEqual(['api', 'worker', 'web']);
    expect((await affected(dir, 'HEAD~2')).ref).toBe('HEAD~2');
  });

  it('a change the context .dockerignore excludes affects nothing', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/web/README.md': 'changed\n', 'services/web/NEW.md': 'new, untracked\n' });
    expect((await affected(dir)).targets).toEqual([]);
  });

  it('a ! exception in .dockerignore re-includes a file', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/web/KEEP.md': 'changed\n' });
    expect(reasons(await affected(dir))).toEqual({ web: ['services/web/KEEP.md changed'] });
  });

  it('a change to .dockerignore itself counts', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/web/.dockerignore': '*.md\n' });
    expect(reasons(await affected(dir))).toEqual({ web: ['services/web/.dockerignore changed'] });
  });

  it('a Dockerfile-specific ignore file takes precedence over the context one', async () => {
    const dir = repo({ ...TREE, 'services/web/Dockerfile.dockerignore': '*.go\n' });
    write(dir, { 'services/web/main.go': 'package main\n// ignored now\n', 'services/web/README.md': 'counted now\n' });
    expect(reasons(await affected(dir))).toEqual({ web: ['services/web/README.md changed'] });
  });

  it('a hand-written Dockerfile counts even when the context ignores it', async () => {
    const dir = repo({ ...TREE, 'base/.dockerignore': 'Dockerfile\n' });
    write(dir, { 'base/Dockerfile': 'FROM debian:trixie-slim\nCOPY rootfs/ /\n' });
    const plan = await affected(dir);
    expect(reasons(plan).base).toEqual(['base/Dockerfile changed']);
    expect(plan.targets.map((t) => t.name)).toEqual(['base', 'api', 'worker']);
  });

  it('a hand-written Dockerfile outside its context counts', async () => {
    const spec = SPEC.replace('dockerfile: base/Dockerfile', 'dockerfile: docker/base.Dockerfile');
    const dir = repo({ ...TREE, 'matrix.yaml': spec, 'docker/base.Dockerfile': 'FROM debian\n' });
    write(dir, { 'docker/base.Dockerfile': 'FROM debian:trixie\n' });
    expect(reasons(await affected(dir)).base).toEqual(['docker/base.Dockerfile changed']);
  });

  it('an args change in the spec affects that target (definition and rendered Dockerfile)', async () => {
    const dir = repo(TREE);
    write(dir, { 'matrix.yaml': SPEC.replace('    tags: [r.example/web:1]\n', '    tags: [r.example/web:1]\n    args: { VERSION: "2" }\n') });
    expect(reasons(await affected(dir))).toEqual({ web: ['definition changed: args', 'services/web/Dockerfile changed (rendered)'] });
  });

  it('a tag change is a definition change only', async () => {
    const dir = repo(TREE);
    write(dir, { 'matrix.yaml': SPEC.replace('r.example/web:1', 'r.example/web:2') });
    expect(reasons(await affected(dir))).toEqual({ web: ['definition changed: tags'] });
  });

  it('a template parameter change shows as a rendered Dockerfile change', async () => {
    const dir = repo(TREE);
    write(dir, { 'matrix.yaml': SPEC.replace('with: { binary: api }', 'with: { binary: api2 }') });
    expect(reasons(await affected(dir))).toEqual({
      api: ['definition changed: with', 'services/api/Dockerfile changed (rendered)'],
      worker: ['depends on api'],
    });
  });

  it('a new service is a new target; a removed one is simply gone', async () => {
    const dir = repo(TREE);
    const spec = SPEC.replace(/ {2}web:\n[\s\S]*$/, '  cli:\n    context: services/web\n    template: go\n');
    write(dir, { 'matrix.yaml': spec });
    const plan = await affected(dir);
    expect(reasons(plan)).toEqual({ cli: ['new target'] });
    expect(plan.unaffected).toEqual(['base', 'api', 'worker']);
  });

  it('matrix cells: a changed cell is a new target, the others are untouched', async () => {
    const withMatrix = SPEC.replace('    tags: [r.example/web:1]\n', '    matrix:\n      go: ["1.21", "1.22"]\n    args:\n      GO_VERSION: ${{ matrix.go }}\n');
    const dir = repo({ ...TREE, 'matrix.yaml': withMatrix });
    write(dir, { 'matrix.yaml': withMatrix.replace('"1.22"', '"1.23"') });
    const plan = await affected(dir);
    expect(reasons(plan)).toEqual({ 'web-1-23': ['new target'] });
    expect(plan.unaffected).toEqual(['base', 'api', 'worker', 'web-1-21']);
  });

  it('untracked files count unless git ignores them; deletions count', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/api/tmp/cache': 'x' });
    expect((await affected(dir)).targets).toEqual([]);
    write(dir, { 'services/api/new.go': 'package main\n' });
    remove(dir, 'services/worker/main.go');
    expect(reasons(await affected(dir))).toEqual({
      api: ['services/api/new.go changed'],
      worker: ['services/worker/main.go changed', 'depends on api'],
    });
  });

  it('staged changes count like unstaged ones', async () => {
    const dir = repo(TREE);
    write(dir, { 'services/web/main.go': 'package main\n// staged\n' });
    git(dir, 'add', '-A');
    expect(reasons(await affected(dir))).toEqual({ web: ['services/web/main.go changed'] });
  });

  it('a rename between contexts affects both', async () => {
    const dir = repo({ ...TREE, 'services/web/util.go': 'package main\n' });
    renameSync(path.join(dir, 'services/web/util.go'), path.join(dir, 'services/api/util.go'));
    commit(dir);
    const plan = await affected(dir, 'HEAD~1');
    expect(reasons(plan)).toEqual({
      api: ['services/api/util.go changed'],
      worker: ['depends on api'],
      web: ['services/web/util.go changed'],
    });
  });

  it('lists three files and counts the rest', async () => {
    const dir = repo(TREE);
    write(dir, Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [`services/web/${n}.go`, 'package main\n'])));
    expect(reasons(await affected(dir)).web).toEqual(['services/web/a.go changed', 'services/web/b.go changed', 'services/web/c.go changed', '2 more files changed in services/web']);
  });

  it('a change outside every context affects nothing', async () => {
    const dir = repo({ ...TREE, 'docs/guide.md': 'x\n' });
    write(dir, { 'docs/guide.md': 'y\n', 'services/README': 'z\n' });
    expect((await affected(dir)).targets).toEqual([]);
  });

  it('a spec that did not compile at REF affects everything', async () => {
    const dir = repo(TREE);
    write(dir, { 'matrix.yaml': SPEC.replace('template: go\n    tags', 'template: nope\n    tags') });
    commit(dir, 'broken');
    write(dir, { 'matrix.yaml': SPEC });
    const plan = await affected(dir);
    expect(plan.targets.map((t) => t.name)).toEqual(ALL);
    expect(plan.targets[0]!.reasons).toEqual(['spec at REF did not compile']);
  });

  it('a spec that did not exist at REF makes every target new', async () => {
    const dir = repo({ 'README.md': 'x\n' }, null);
    write(dir, TREE);
    const plan = await affected(dir);
    expect(plan.targets.map((t) => t.name)).toEqual(ALL);
    expect(reasons(plan).web![0]).toBe('new target');
  });

  it('a spec below the repository root maps contexts to repository paths', async () => {
    const spec = 'version: 1\nservices:\n  web:\n    context: ../services/web\n    template: go\n';
    const dir = repo({ 'deploy/matrix.yaml': spec, ...goService('web'), ...goService('api') }, 'deploy/matrix.yaml');
    write(dir, { 'services/api/main.go': 'package main\n// x\n' });
    expect((await affected(dir, 'HEAD', 'deploy/matrix.yaml')).targets).toEqual([]);
    write(dir, { 'services/web/main.go': 'package main\n// x\n' });
    expect(reasons(await affected(dir, 'HEAD', 'deploy/matrix.yaml'))).toEqual({ web: ['services/web/main.go changed'] });
  });

  it('a context reached through a symlink follows the real directory', async () => {
    const spec = 'version: 1\nservices:\n  web:\n    context: link\n    template: go\n';
    const dir = repo({ 'matrix.yaml': spec, 'real/go.mod': 'module x\n', 'real/main.go': 'package main\n', link: { symlink: 'real' } });
    write(dir, { 'real/main.go': 'package main\n// x\n' });
    expect(reasons(await affected(dir))).toEqual({ web: ['real/main.go changed'] });
  });

  it('a change to a repository template affects the targets using it', async () => {
    const tpl = 'FROM scratch\nCOPY . /\n';
    const spec = 'version: 1\nservices:\n  web:\n    context: services/web\n    template: tpl/web.Dockerfile.hbs\n  api:\n    context: services/api\n    template: go\n';
    const dir = repo({ 'matrix.yaml': spec, 'tpl/web.Dockerfile.hbs': tpl, ...goService('web'), ...goService('api') });
    write(dir, { 'tpl/web.Dockerfile.hbs': tpl + 'EXPOSE 80\n' });
    const plan = await affected(dir);
    expect(reasons(plan)).toEqual({ web: ['services/web/Dockerfile changed', 'template tpl/web.Dockerfile.hbs changed'] });
  });

  it('paths with spaces and non-ASCII names', async () => {
    const dir = repo({ ...TREE, 'services/web/dir with space/ünï.go': 'package main\n' });
    write(dir, { 'services/web/dir with space/ünï.go': 'package main\n// x\n' });
    expect(reasons(await affected(dir))).toEqual({ web: ['services/web/dir with space/ünï.go changed'] });
  });
});

describe('computeAffected: errors', () => {
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as UserError).diagnostics[0]!;
    }
    throw new Error('expected a UserError');
  };

  it('an unknown ref is a UserError unknown-ref', async () => {
    const dir = repo(TREE);
    const d = await codeOf(affected(dir, 'no-such-branch'));
    expect(d.code).toBe('unknown-ref');
    expect(d.hint).toMatch(/git fetch/);
  });

  it('a ref that looks like an option is refused', async () => {
    const dir = repo(TREE);
    expect((await codeOf(affected(dir, '--output=/tmp/x'))).code).toBe('unknown-ref');
  });

  it('a shallow clone suggests fetching more history', async () => {
    const origin = repo(TREE);
    write(origin, { 'services/web/main.go': 'package main\n// 2\n' });
    commit(origin);
    const clone = path.join(origin, '..', `${path.basename(origin)}-clone`);
    git(path.dirname(origin), 'clone', '-q', '--depth', '1', `file://${origin}`, clone);
    try {
      const d = await codeOf(affected(clone, 'HEAD~1'));
      expect(d.code).toBe('unknown-ref');
      expect(d.hint).toContain('git fetch --deepen=1');
    } finally {
      remove(clone, '.');
    }
  });

  it('outside a git repository: not-a-git-repo', async () => {
    const dir = repo(TREE);
    remove(dir, '.git');
    expect((await codeOf(affected(dir))).code).toBe('not-a-git-repo');
  });
});
