// A template parameter's `detect` reads a file in the service's context and
// copies a match into the generated Dockerfile. The file is read by its real
// path, which must be inside the repository (as every spec path,
// src/resolve/paths.ts): a symbolic link leaving the repository is error
// `path-outside-repo` at the service's context, and nothing outside is read.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { repoRootOf } from '../../src/paths.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const TEMPLATE = '{{!--\nparams:\n  v: { default: none, detect: [{ file: probe.txt, pattern: "^(.*)$" }] }\n--}}\nFROM scratch\nLABEL v={{word with.v}}\n';
const SPEC = 'version: 1\nservices:\n  app:\n    context: app\n    template: ./t.hbs\n';

function run(dir: string, spec = SPEC) {
  writeFileSync(path.join(dir, 'matrix.yaml'), spec);
  const specPath = path.join(dir, 'matrix.yaml');
  const r = compile({ specPath, displayName: 'matrix.yaml', source: spec, repoRoot: repoRootOf(dir), cwd: dir });
  const files = 'files' in r ? r.files : undefined;
  return { diagnostics: r.diagnostics, dockerfile: files?.get('app/Dockerfile') ?? '', all: [...(files?.values() ?? [])].join('\n') };
}

function outsideSecret(name = 'secret.txt', text = 'TOPSECRET-42\n'): string {
  const outside = tempDir('matrix-outside-');
  writeFileSync(path.join(outside, name), text);
  return path.join(outside, name);
}

describe('detect: files by their real path, inside the repository', () => {
  it('a plain file in the context is read', () => {
    const dir = tempRepo({ 't.hbs': TEMPLATE, 'app/probe.txt': 'hello\n' });
    const r = run(dir);
    expect(r.diagnostics).toEqual([]);
    expect(r.dockerfile).toContain('LABEL v="hello"');
  });

  it('a symlink to a file elsewhere in the repository is followed', () => {
    const dir = tempRepo({ 't.hbs': TEMPLATE, 'shared/probe.txt': 'shared\n' });
    mkdirSync(path.join(dir, 'app'));
    symlinkSync('../shared/probe.txt', path.join(dir, 'app', 'probe.txt'));
    const r = run(dir);
    expect(r.diagnostics).toEqual([]);
    expect(r.dockerfile).toContain('LABEL v="shared"');
  });

  it('a symlink leaving the repository is path-outside-repo at the context, and the file is not copied', () => {
    const dir = tempRepo({ 't.hbs': TEMPLATE });
    mkdirSync(path.join(dir, 'app'));
    symlinkSync(outsideSecret(), path.join(dir, 'app', 'probe.txt'));
    const r = run(dir);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['path-outside-repo', 'error']]);
    expect(r.diagnostics[0]!.message).toMatch(/parameter `v` detects its value in `app\/probe.txt`, which leads outside the repository/);
    expect(JSON.stringify(r)).not.toContain('TOPSECRET');
  });

  it('a directory symlink on the way out counts too, and a dangling link is absent (the default)', () => {
    const dir = tempRepo({ 't.hbs': TEMPLATE, 'app/.keep': '' });
    const secret = outsideSecret('probe.txt');
    symlinkSync(path.dirname(secret), path.join(dir, 'app', 'sub'));
    const viaDir = run(dir, SPEC.replace('context: app', 'context: app/sub'));
    expect(viaDir.diagnostics.map((d) => d.code)).toEqual(['path-outside-repo']);
    expect(JSON.stringify(viaDir)).not.toContain('TOPSECRET');
    symlinkSync('nowhere.txt', path.join(dir, 'app', 'probe.txt'));
    const dangling = run(dir);
    expect(dangling.diagnostics).toEqual([]);
    expect(dangling.dockerfile).toContain('LABEL v="none"');
  });

  it("the built-in go template's go.mod detection: a go.mod linking out of the repository is not read", () => {
    const dir = tempRepo({ 'app/main.go': 'package main\nfunc main() {}\n' });
    symlinkSync(outsideSecret('go.mod', 'module example.com/TOPSECRET\n\ngo 1.99\n'), path.join(dir, 'app', 'go.mod'));
    const r = run(dir, 'version: 1\nservices:\n  app:\n    context: app\n    template: go\n');
    expect(r.diagnostics.map((d) => d.code)).toContain('path-outside-repo');
    expect(r.diagnostics.every((d) => d.code === 'path-outside-repo')).toBe(true);
    expect(JSON.stringify(r)).not.toMatch(/TOPSECRET|1\.99/);
  });
});

// A repository's own template is not trusted with a backtracking RegExp: its detect patterns run on RE2 (linear time, Go's regexp syntax).
describe("detect patterns of a repository's template run on RE2", () => {
  const template = (pattern: string) => `{{!--\nparams:\n  v: { default: none, detect: [{ file: probe.txt, pattern: ${JSON.stringify(pattern)} }] }\n--}}\nFROM scratch\nLABEL v={{word with.v}}\n`;

  it('a pattern that backtracks exponentially in a JavaScript RegExp answers (no match: the default)', () => {
    // `^(a+)+$` against 40 a's and a b takes minutes in V8's backtracking engine; RE2 answers in linear time.
    const dir = tempRepo({ 't.hbs': template('^(a+)+$'), 'app/probe.txt': `${'a'.repeat(40)}b\n` });
    const r = run(dir);
    expect(r.diagnostics).toEqual([]);
    expect(r.dockerfile).toContain('LABEL v="none"');
  });

  it('multi-line, first group of the first match, Go syntax (named groups as (?P<name>...))', () => {
    const dir = tempRepo({ 't.hbs': template('^go (?P<v>\\d+\\.\\d+)'), 'app/probe.txt': 'module x\n\ngo 1.22.3\n' });
    const r = run(dir);
    expect(r.diagnostics).toEqual([]);
    expect(r.dockerfile).toContain('LABEL v="1.22"');
  });

  it('lookaround and backreferences, which RE2 has not, are a template-error at the service, not a hang or a crash', () => {
    for (const pattern of ['(?<=a)(b)', '(a)\\1']) {
      const dir = tempRepo({ 't.hbs': template(pattern), 'app/probe.txt': 'ab\n' });
      const r = run(dir);
      expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['template-error', 'error']]);
      expect(r.diagnostics[0]!.message).toContain('is not a regular expression RE2 accepts');
    }
  });
});
