// One start-up path for every command: bin/matrix.cjs -> bin/load.cjs ->
// dist/matrix.cjs (one bundle of every command) with the V8 code cache that
// the build made, and the built-in templates and the JSON Schema validator in
// the forms the build compiled from templates/ and schemas/
// (src/precompiled/precompile.ts).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinsModule, precompileTemplate } from '../../src/precompiled/precompile.js';
import { parseTemplate, TemplateError } from '../../src/render/template.js';
import { REPO_ROOT } from '../helpers/tree.js';

const SAMPLES = path.join(REPO_ROOT, 'samples');
const samples = readdirSync(SAMPLES)
  .filter((d) => readdirSync(path.join(SAMPLES, d)).includes('matrix.yaml'))
  .sort();
const TEMPLATES = path.join(REPO_ROOT, 'templates');
const templateFiles = readdirSync(TEMPLATES)
  .filter((n) => n.endsWith('.Dockerfile.hbs'))
  .sort();
const DIST = path.join(REPO_ROOT, 'dist');
const LOAD = path.join(REPO_ROOT, 'bin', 'load.cjs');

/** Runs a CommonJS script in a fresh Node, as the bin would start, and returns what it prints as JSON. */
function inNode(script: string, cwd = REPO_ROOT): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Loads the bundle in `dir` through bin/load.cjs, runs `matrix ARGV` in `cwd` and reports what happened. */
const runScript = (load: string, dir: string, argv: string[], cwd: string) => `
  const { loadBundle } = require(${JSON.stringify(load)});
  const out = [];
  const io = { stdout: { write: (s) => out.push(s) }, stderr: { write: (s) => out.push(s) }, cwd: ${JSON.stringify(cwd)}, env: {}, isTTY: false };
  const bundle = loadBundle(${JSON.stringify(dir)});
  bundle.exports.main(${JSON.stringify(argv)}, io).then((code) => {
    process.stdout.write(JSON.stringify({ cacheUsed: bundle.cacheUsed, viaScript: Boolean(bundle.script), code, out: out.join(''), loaded: Object.keys(require.cache) }));
  });
`;

describe('the bundle', () => {
  it('dist/ holds one bundle, named by the hash of its text, and its code cache for this V8', () => {
    const files = readdirSync(DIST).sort();
    const source = readFileSync(path.join(DIST, 'matrix.cjs'), 'utf8');
    const hash = /^\/\/ matrix-bundle ([0-9a-f]{16})\n/.exec(source)?.[1];
    expect(hash).toBe(
      createHash('sha256')
        .update(source.slice(source.indexOf('\n') + 1))
        .digest('hex')
        .slice(0, 16),
    );
    expect(files).toEqual(['build.json', `matrix-${hash}-v8-${process.versions.v8}.cache`, 'matrix.cjs']);
  });

  it.each(samples)('gen --check on samples/%s finds the committed files up to date (precompiled forms)', (sample) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'gen', '--check'], { cwd: path.join(SAMPLES, sample), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Up to date: \d+ files\.\n$/);
    expect(r.status).toBe(0);
  });

  // Every command starts the same way; the ones users run most were run when the cache was made.
  it.each([
    [['gen', '--check'], /^Up to date/],
    [['plan'], /^12 targets from matrix\.yaml/],
    [['validate'], /^matrix\.yaml is valid/],
    [['--help'], /^matrix <command> \[options\]/],
    [['--version'], /^\d+\.\d+\.\d+\n$/],
  ])('%j starts from dist/matrix.cjs with the code cache, and loads neither the Handlebars compiler nor ajv', (argv, expected) => {
    const { cacheUsed, viaScript, code, out, loaded } = inNode(runScript(LOAD, DIST, argv, path.join(SAMPLES, 'monorepo'))) as {
      cacheUsed: boolean;
      viaScript: boolean;
      code: number;
      out: string;
      loaded: string[];
    };
    expect(out).toMatch(expected);
    expect(code).toBe(0);
    expect(viaScript).toBe(true);
    expect(cacheUsed).toBe(true);
    // Everything runs from the bundle: nothing from node_modules, no other file of dist/.
    expect(loaded.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`) || (f.startsWith(DIST) && f !== path.join(DIST, 'matrix.cjs')))).toEqual([]);
  });

  describe('without a code cache for this V8 (another Node than the build)', () => {
    // A copy of the installed package without the cache file.
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'matrix-nocache-'));
    for (const p of ['package.json', 'bin', 'schemas', 'templates']) cpSync(path.join(REPO_ROOT, p), path.join(pkg, p), { recursive: true });
    cpSync(path.join(DIST, 'matrix.cjs'), path.join(pkg, 'dist', 'matrix.cjs'));
    afterAll(() => rmSync(pkg, { recursive: true, force: true }));

    it("the bundle is compiled (Node 20) or loaded with Node's own compile cache (Node 22 and later), and works the same", () => {
      const r = inNode(runScript(path.join(pkg, 'bin', 'load.cjs'), path.join(pkg, 'dist'), ['gen', '--check'], path.join(SAMPLES, 'monorepo')));
      expect(r.out).toMatch(/^Up to date: \d+ files\.\n$/);
      expect(r.code).toBe(0);
      expect(r.cacheUsed).toBe(false);
      // module.enableCompileCache: Node 22.1 and later (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir).
      const hasCompileCache = typeof (require('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';
      expect(r.viaScript).toBe(!hasCompileCache);
      expect(r.loaded).toEqual(hasCompileCache ? expect.arrayContaining([path.join(pkg, 'dist', 'matrix.cjs')]) : expect.not.arrayContaining([path.join(pkg, 'dist', 'matrix.cjs')]));
    });

    it('bin/matrix.cjs runs from the copy: exit codes as ever', () => {
      const bin = path.join(pkg, 'bin', 'matrix.cjs');
      const ok = spawnSync(process.execPath, [bin, 'gen', '--check'], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, expect.stringMatching(/^Up to date/), '']);
      const usage = spawnSync(process.execPath, [bin, 'gen', '--check', '--check'], { cwd: path.join(SAMPLES, 'monorepo'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(usage.status).toBe(2);
    });
  });

  it('a second build finds dist/ up to date and changes nothing (one build per `npm test`)', () => {
    const before = readdirSync(DIST).map((f) => [f, statSync(path.join(DIST, f)).mtimeMs]);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dist\/ is up to date/);
    expect(readdirSync(DIST).map((f) => [f, statSync(path.join(DIST, f)).mtimeMs])).toEqual(before);
  });
});

describe('the precompiled built-in templates', () => {
  it('every built-in template is precompiled', () => {
    const mod = builtinsModule({ templates: templateFiles.map((n) => ({ file: n, source: readFileSync(path.join(TEMPLATES, n), 'utf8') })), schemaText: '{}' });
    expect(mod.skipped).toEqual([]);
    expect(mod.precompiled).toEqual(templateFiles);
  });

  it('a template whose text is not the precompiled one compiles at run time', () => {
    const name = templateFiles[0]!;
    const source = readFileSync(path.join(TEMPLATES, name), 'utf8');
    const mod = builtinsModule({ templates: [{ file: name, source }], schemaText: '{}' });
    expect(mod.precompiled).toEqual([name]);
    // Keyed by the whole text: one more character is another template.
    expect(mod.code).toContain(JSON.stringify(source));
    expect(mod.code).not.toContain(JSON.stringify(`${source} `));
  });

  it('a template that fails its checks is left to run time, where it fails the same way', () => {
    const bad = '{{!--\nparams: {}\n--}}\nFROM x\nRUN {{with.x}}\n';
    const form = precompileTemplate(bad);
    expect(form).toHaveProperty('skipped');
    expect(() => parseTemplate('t.hbs', bad)).toThrow(TemplateError);
  });
});
