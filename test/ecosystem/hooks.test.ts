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
import { parse } from 'yaml';
import { builtinMetas } from '../../src/cli/templates.js';
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

  // go.mod is a `detect:` file of the go template (templates/go.Dockerfile.hbs): its `go` line is the
  // default toolchain image, so a commit of go.mod alone can leave the Dockerfile stale.
  it('a staged go.mod with a new go line runs the check, which fails with the diff', () => {
    const mod = path.join(dir, 'go.mod');
    writeFileSync(mod, readFileSync(mod, 'utf8').replace(/^go .*$/m, 'go 1.23.4'));
    expect(sh('git', ['add', 'go.mod'], dir).status).toBe(0);
    const r = hook();
    expect(r.ranMatrix).toBe(true);
    expect(r.status).toBe(1);
    expect(r.out).toContain('+ARG GO_IMAGE="golang:1.23.4"');
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

/**
 * The files a built-in template reads for a default (`detect:` in templates/*.hbs): a commit of
 * one of them alone can make the generated files stale, so every recipe's filter lets it through.
 * pre-commit matches `files` with Python's re.search on the path (https://pre-commit.com/#regular-expressions);
 * lint-staged's brace list names each file.
 */
describe('every pre-commit recipe runs when a file a built-in template reads is committed', () => {
  const detected = [...new Set(builtinMetas().flatMap(([, m]) => Object.values(m.params).flatMap((p) => (p.detect ?? []).map((d) => d.file))))].sort();

  it('the templates read these files (the list the README names)', () => {
    expect(detected).toEqual(['Procfile', 'composer.json', 'go.mod', 'go.work', 'package-lock.json', 'package.json', 'pom.xml', 'pyproject.toml', 'requirements.txt']);
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const f of detected) expect(readme).toContain(`\`${f}\``);
  });

  it(".pre-commit-hooks.yaml's hooks and the README's `repo: local` hook", () => {
    const hooks = parse(readFileSync(path.join(REPO_ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string; files: string }[];
    const local = fencesOfFile('README.md')
      .filter((f) => f.lang === 'yaml' && f.body.includes('repo: local'))
      .flatMap((f) => (parse(f.body) as { repos: { hooks: { id: string; files: string }[] }[] }).repos.flatMap((r) => r.hooks));
    expect(hooks.length + local.length).toBeGreaterThanOrEqual(3);
    for (const h of [...hooks, ...local]) {
      for (const f of [...detected, 'matrix.yaml', 'Dockerfile']) for (const at of [f, `services/api/${f}`]) expect(new RegExp(h.files).test(at), `${h.id}: ${at}`).toBe(true);
      for (const at of ['main.go', 'README.md', 'services/api/go.sum', 'package.json.bak']) expect(new RegExp(h.files).test(at), `${h.id}: ${at}`).toBe(false);
    }
  });

  it("the README's lint-staged config", () => {
    const block = fencesOfFile('README.md').find((f) => f.lang === 'js' && f.body.startsWith('// lint-staged.config.mjs'))!;
    const braces = /'\*\*\/\{(.*)\}'/.exec(block.body)![1]!.replace(/\{[^}]*\}/g, '');
    const names = braces.split(',');
    for (const f of detected) expect(names, f).toContain(f);
  });
});
