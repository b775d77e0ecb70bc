// Issue 19, Python: requirements with no binary wheel (source archives, local
// source trees, `--no-binary`), detected from requirements.txt at gen time, are
// installed by a stage that runs as the TARGET platform (plan: emulated); the
// entry point from pyproject.toml's [project.scripts] or a Procfile's `web:`.
// References: packaging.python.org/en/latest/specifications/pyproject-toml/#entry-points
// (`[project.scripts]`: name = "module:object.function"), packaging.python.org/en/latest/specifications/entry-points/
// (how a console script calls it), devcenter.heroku.com/articles/procfile (`web:` process type),
// pip.pypa.io/en/stable/reference/requirements-file-format/ (archives, paths, `--no-binary`).
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/plan/stages.js';
import { compileSpec } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const spec = (withs = '{}') => `version: 1\nservices:\n  w:\n    context: w\n    template: python\n    with: ${withs}\n`;
function render(tree: Record<string, string>, withs = '{}'): string {
  const r = compileSpec(spec(withs), Object.fromEntries(Object.entries(tree).map(([k, v]) => [`w/${k}`, v])));
  expect(r.diagnostics).toEqual([]);
  return ('files' in r && r.files?.get('w/Dockerfile')) || '';
}
const mode = (text: string) => classify(text, 'linux/arm64', 'linux/amd64');
const cmdOf = (text: string) => JSON.parse(/\nCMD (.*)\n/.exec(text)![1]!) as string[];

describe('python: requirements built from source run as the target platform', () => {
  it.each([
    ['a source archive', './vendor/archc-1.0.tar.gz\n'],
    ['a zip archive by URL', 'archc @ file:///src/archc-1.0.zip\n'],
    ['a local source tree', 'flask==3.0\n-e ./libs/core\n'],
    ['--no-binary', '--no-binary :all:\nflask\n'],
  ])('%s in requirements.txt: a per-target pip stage, emulated for a foreign platform', (_, req) => {
    const text = render({ 'requirements.txt': req });
    expect(text).toMatch(/\nFROM \$\{PYTHON_TARGET_IMAGE\} AS target-deps\n/);
    expect(text).toContain('python3 -m pip install --target /rootfs/deps --prefer-binary --no-compile --requirement="$req"');
    expect(text).not.toContain('--only-binary=:all:');
    expect(text).toContain('COPY --from=target-deps --chown=0:0 /rootfs/deps/ /deps/\n');
    expect(mode(text)).toBe('emulated');
  });

  it.each([
    ['wheels and names only', 'flask==3.0\n./wheels/greet-1.0.0-py3-none-any.whl\n'],
    ['an archive named only in a comment', 'requests>=2  # mirror: https://example.com/r.zip\n'],
  ])('%s: binary wheels downloaded on the build platform, cross', (_, req) => {
    const text = render({ 'requirements.txt': req });
    expect(text).toContain('--only-binary=:all:');
    expect(text).not.toContain('target-deps');
    expect(mode(text)).toBe('cross');
  });

  it('source_builds forces either way', () => {
    expect(mode(render({ 'requirements.txt': './a-1.tar.gz\n' }, '{ source_builds: none }'))).toBe('cross');
    const forced = render({ 'requirements.txt': 'numpy\n' }, '{ source_builds: "yes" }');
    expect(mode(forced)).toBe('emulated');
    expect(forced).toContain('ARG PYTHON_TARGET_IMAGE="python:3.12-bookworm"\n');
  });
});

describe('python: the entry point', () => {
  const launcher = (entry: string) => ['python3', '-c', expect.stringContaining('importlib.import_module(m)'), entry];
  it('pyproject.toml [project.scripts]: its first entry is called (with comments and blank lines between)', () => {
    const toml = '[project]\nname = "svc"\n\n[project.scripts]\n# the server\n\nsvc-server = "svc.main:app.run"\nother = "svc.x:y"\n';
    expect(cmdOf(render({ 'pyproject.toml': toml }))).toEqual(launcher('svc.main:app.run'));
  });

  it('a Procfile `web:` line runs through the shell, with exec', () => {
    const text = render({ Procfile: 'release: ./migrate\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n' });
    expect(cmdOf(text)).toEqual(['/bin/sh', '-c', 'exec gunicorn app:app --bind 0.0.0.0:$PORT']);
  });

  it('pyproject wins over the Procfile, cmd over both; neither: python3 app.py', () => {
    const both = { 'pyproject.toml': '[project.scripts]\nx = "m:f"\n', Procfile: 'web: python3 serve.py\n' };
    expect(cmdOf(render(both))).toEqual(launcher('m:f'));
    expect(cmdOf(render(both, '{ cmd: [python3, main.py] }'))).toEqual(['python3', 'main.py']);
    expect(cmdOf(render({ 'app.py': '' }))).toEqual(['python3', 'app.py']);
    // [project.scripts] of another table, or a `web:` that is not at a line start, is not read.
    expect(cmdOf(render({ 'pyproject.toml': '[tool.poetry.scripts]\nx = "m:f"\n', Procfile: 'worker: x\n# web: y\n' }))).toEqual(['python3', 'app.py']);
  });

  it('the launcher runs a `module:object.function` entry as a console script does', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const cmd = cmdOf(render({ 'pyproject.toml': '[project.scripts]\nx = "pkg.mod:App.main"\n' }));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-py-entry-'));
    mkdirSync(path.join(dir, 'pkg'));
    writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
    writeFileSync(path.join(dir, 'pkg', 'mod.py'), 'class App:\n    @staticmethod\n    def main():\n        print("entry-ok")\n        return 3\n');
    const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: dir, encoding: 'utf8' });
    expect([r.stdout, r.status]).toEqual(['entry-ok\n', 3]);
  });
});
