// The bundle runs forms compiled at build time (src/fast/precompile.ts): the
// ajv standalone validator and the built-in templates as Handlebars template
// specs on the runtime-only Handlebars. They must behave exactly like the
// forms compiled at run time from the same sources.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compile } from '../../src/compile.js';
import { builtinsModule, precompileTemplate, standaloneValidatorCode, type TemplateForm } from '../../src/fast/precompile.js';
import { loadSpec } from '../../src/load/load.js';
import { repoRootOf } from '../../src/paths.js';
import { templateContext } from '../../src/render/files.js';
import { fromPrecompiled, parseTemplate, TemplateError, wrap, type ParsedTemplate } from '../../src/render/template.js';
import type { ResolvedSpec } from '../../src/spec.js';
import type { ValidateFn } from '../../src/validate/schema.js';
import { compileValidator, schemaPath } from '../../src/validate/validator.js';
import { REPO_ROOT } from '../helpers/tree.js';

const SAMPLES = path.join(REPO_ROOT, 'samples');
const samples = readdirSync(SAMPLES).filter((d) => readdirSync(path.join(SAMPLES, d)).includes('matrix.yaml')).sort();
const CORPUS = path.join(REPO_ROOT, 'test', 'security', 'corpus');
const TEMPLATES = path.join(REPO_ROOT, 'templates');
const templateFiles = readdirSync(TEMPLATES).filter((n) => n.endsWith('.Dockerfile.hbs')).sort();

/** The standalone validator as the bundle gets it: CommonJS code, evaluated once. */
function standaloneValidator(): ValidateFn {
  const mod = { exports: {} as unknown };
  new Function('module', 'exports', 'require', standaloneValidatorCode(readFileSync(schemaPath(), 'utf8')))(mod, mod.exports, createRequire(import.meta.url));
  return mod.exports as ValidateFn;
}

function sampleValue(sample: string): unknown {
  return loadSpec('matrix.yaml', readFileSync(path.join(SAMPLES, sample, 'matrix.yaml'), 'utf8')).value;
}

/** Valid and invalid specs, one per schema keyword and branch the diagnostics know about. */
function specCases(): [string, unknown][] {
  const base = sampleValue('monorepo') as Record<string, unknown>;
  const svc = (extra: Record<string, unknown>) => ({ ...base, services: { ...(base.services as object), x: { context: '.', template: 'go', ...extra } } });
  const cases: [string, unknown][] = samples.map((s) => [`samples/${s}`, sampleValue(s)]);
  for (const name of readdirSync(CORPUS).filter((n) => n.endsWith('.yaml')).sort()) {
    const value = loadSpec(name, readFileSync(path.join(CORPUS, name), 'utf8')).value;
    if (value !== undefined) cases.push([`corpus/${name}`, value]);
  }
  cases.push(
    ['empty object', {}],
    ['null', null],
    ['a list', [1, 2]],
    ['a string', 'version: 1'],
    ['version 2', { ...base, version: 2 }],
    ['version as string', { ...base, version: '1' }],
    ['no services', { version: 1 }],
    ['services a list', { version: 1, services: [] }],
    ['unknown top-level key', { ...base, registy: 'x' }],
    ['platforms a string', { ...base, platforms: 'linux/amd64' }],
    ['platforms empty', { ...base, platforms: [] }],
    ['platforms repeated', { ...base, platforms: ['linux/amd64', 'linux/amd64'] }],
    ['bake_file a number', { ...base, bake_file: 3 }],
    ['oci_labels a string', { ...base, oci_labels: 'yes' }],
    ['reproducible wrong', { ...base, reproducible: { source_date_epoch: 'soon' } }],
    ['groups wrong', { ...base, groups: { all: 'api' } }],
    ['group with bad name', { ...base, groups: { 'Bad Name': ['api'] } }],
    ['service name upper case', { ...base, services: { API: { context: '.', template: 'go' } } }],
    ['unknown service key', svc({ platfroms: ['linux/amd64'] })],
    ['template a number', svc({ template: 3 })],
    ['with a list', svc({ with: [1] })],
    ['with nested map', svc({ with: { a: { b: 1 } } })],
    ['args a list', svc({ args: ['A=1'] })],
    ['args value a map', svc({ args: { A: { b: 1 } } })],
    ['arg name invalid', svc({ args: { '1A': 'x' } })],
    ['labels a string', svc({ labels: 'x' })],
    ['tags a string', svc({ tags: 'x' })],
    ['tags empty string', svc({ tags: [''] })],
    ['secret with env and src', svc({ secrets: [{ id: 'a', env: 'A', src: 'f' }] })],
    ['secret with neither', svc({ secrets: [{ id: 'a' }] })],
    ['secret unknown key', svc({ secrets: [{ id: 'a', env: 'A', mode: 1 }] })],
    ['matrix a list', svc({ matrix: ['a'] })],
    ['matrix axis empty', svc({ matrix: { go: [] } })],
    ['matrix axis of maps', svc({ matrix: { go: [{ a: 1 }] } })],
    ['matrix include not a list', svc({ matrix: { go: ['1'], include: { go: '2' } } })],
    ['matrix exclude of strings', svc({ matrix: { go: ['1'], exclude: ['go'] } })],
    ['depends_on a string', svc({ depends_on: 'base' })],
    ['depends_on repeated', svc({ depends_on: ['base', 'base'] })],
    ['metadata_action a string', svc({ metadata_action: 'yes' })],
    ['latest a list', svc({ latest: ['a'] })],
    ['annotations a list', svc({ annotations: ['a'] })],
    ['cache unknown type', svc({ cache: 'redis' })],
    ['cache object without type', svc({ cache: { mode: 'max' } })],
    ['cache bad mode', svc({ cache: { type: 'registry', mode: 'all' } })],
    ['attest wrong', svc({ attest: { sbom: 'yes', provenance: 'full' } })],
    ['attest unknown key', svc({ attest: { slsa: true } })],
    ['builders wrong', { ...base, builders: 'x' }],
    ['defaults unknown key', { ...base, defaults: { contxt: '.' } }],
    ['defaults wrong type', { ...base, defaults: { platforms: 'x' } }],
    ['many errors at once', { version: 3, registy: 1, platforms: 'x', services: { A: 1, b: { template: 1, with: [], matrix: 2 } } }],
  );
  return cases;
}

describe('the standalone validator (ajv standalone code)', () => {
  const runtime = compileValidator(JSON.parse(readFileSync(schemaPath(), 'utf8')) as object);
  const standalone = standaloneValidator();
  const cases = specCases();

  it('has both valid and invalid cases to compare', () => {
    expect(cases.filter(([, v]) => runtime(v)).length).toBeGreaterThanOrEqual(samples.length);
    expect(cases.filter(([, v]) => !runtime(v)).length).toBeGreaterThan(40);
  });

  it.each(cases)('accepts and rejects exactly like ajv compiled at run time: %s', (_name, value) => {
    const a = runtime(value);
    const aErrors = structuredClone(runtime.errors ?? null);
    const b = standalone(value);
    expect(b).toBe(a);
    expect(structuredClone(standalone.errors ?? null)).toEqual(aErrors);
  });
});

function specOf(form: TemplateForm): object {
  return new Function(`return (${form.specCode});`)() as object;
}

function compileSample(sample: string): ResolvedSpec {
  const specPath = path.join(SAMPLES, sample, 'matrix.yaml');
  const result = compile({ specPath, displayName: `samples/${sample}/matrix.yaml`, source: readFileSync(specPath, 'utf8'), repoRoot: repoRootOf(path.dirname(specPath)), cwd: process.cwd(), validateOnly: true });
  expect(result.diagnostics).toEqual([]);
  return result.spec!;
}

describe('the precompiled built-in templates', () => {
  const pairs = templateFiles.map((name) => {
    const file = `templates/${name}`;
    const source = readFileSync(path.join(TEMPLATES, name), 'utf8');
    const form = precompileTemplate(source);
    if ('skipped' in form) throw new Error(`${file} was not precompiled: ${form.skipped}`);
    const pre = fromPrecompiled(file, { metaJson: form.metaJson, bodyLine: form.bodyLine, declaredArgs: form.declaredArgs, spec: specOf(form) });
    return { name: name.replace('.Dockerfile.hbs', ''), runtime: parseTemplate(file, source), pre };
  });
  const byName = new Map(pairs.map((p) => [p.name, p]));

  it.each(pairs)('$name: same front matter, body line and declared args', ({ runtime, pre }) => {
    expect(pre.meta).toEqual(runtime.meta);
    expect(pre.bodyLine).toBe(runtime.bodyLine);
    expect([...pre.declaredArgs]).toEqual([...runtime.declaredArgs]);
  });

  const rendered: { sample: string; target: string; template: string }[] = [];
  for (const sample of samples) {
    for (const t of compileSample(sample).targets) {
      if (t.source.kind === 'template' && t.source.builtin) rendered.push({ sample, target: t.name, template: t.source.template });
    }
  }

  it('covers every built-in template the samples use', () => {
    expect(new Set(rendered.map((r) => r.template)).size).toBeGreaterThanOrEqual(4);
  });

  it.each(rendered)('$sample/$target ($template) renders byte-identically', ({ sample, target, template }) => {
    const spec = compileSample(sample);
    const t = spec.targets.find((x) => x.name === target)!;
    const { runtime, pre } = byName.get(template)!;
    const out = runtime.render(templateContext(t, spec.registry, runtime.declaredArgs));
    expect(pre.render(templateContext(t, spec.registry, pre.declaredArgs))).toBe(out);
  });

  /** Renders and returns the output, or the error's message and position. */
  const attempt = (tpl: ParsedTemplate, ctx: object) => {
    try {
      return { out: tpl.render(ctx) };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      return { error: e.message, line: e.line, column: e.column, hint: e.hint };
    }
  };

  it.each(pairs)('$name: fails exactly like the run-time form on bad contexts', ({ runtime, pre }) => {
    const contexts: unknown[] = [
      {},
      { service: 'a', target: 'a', matrix: {}, with: {}, args: [], dependencies: [], registry: '' },
      { service: 'a', target: 'a', matrix: {}, with: { binary: 'x\ny', main: '.', dir: 'p', port: 'eighty', cmd: ['a'] }, args: ['1BAD'], dependencies: [], registry: '' },
      { service: 'a', target: 'a', matrix: {}, with: Object.fromEntries(Object.keys(runtime.meta.params).map((k) => [k, ["it's", '$x']])), args: ['A_B'], dependencies: ['base'], registry: 'r' },
      { service: 'a', target: 'a', matrix: {}, with: Object.fromEntries(Object.entries(runtime.meta.params).map(([k, p]) => [k, p.default ?? 'v'])), args: ['X'], dependencies: [], registry: '' },
    ];
    for (const c of contexts) expect(attempt(pre, wrap(c) as object)).toEqual(attempt(runtime, wrap(c) as object));
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

describe('the bundle', () => {
  const BIN = path.join(REPO_ROOT, 'bin', 'matrix.cjs');

  it.each(samples)('gen --check on samples/%s finds the committed files up to date (precompiled forms)', (sample) => {
    const r = spawnSync(process.execPath, [BIN, 'gen', '--check'], { cwd: path.join(SAMPLES, sample), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Up to date: \d+ files\.\n$/);
    expect(r.status).toBe(0);
  });

  /** Runs a script in a fresh Node, as the bin would, and returns what it prints as JSON. */
  const inNode = (script: string) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const ioScript = (cwd: string) =>
    `const out = []; const io = { stdout: { write: (s) => out.push(s) }, stderr: { write: (s) => out.push(s) }, cwd: ${JSON.stringify(cwd)}, env: {}, isTTY: false };`;

  it('gen --check runs from dist/gen.cjs with the code cache, and loads neither the Handlebars compiler, ajv nor yargs', () => {
    const { cacheUsed, code, out, loaded } = inNode(`
      import { createRequire } from 'node:module';
      const { loadFastBundle } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'fast.cjs'))});
      ${ioScript(path.join(SAMPLES, 'monorepo'))}
      const bundle = loadFastBundle();
      const code = await bundle.fastMain(['gen', '--check'], io);
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify({ cacheUsed: bundle.cacheUsed, code, out: out.join(''), loaded }));
    `) as { cacheUsed: boolean; code: number; out: string; loaded: string[] };
    expect(out).toMatch(/^Up to date/);
    expect(code).toBe(0);
    expect(cacheUsed).toBe(true);
    expect(loaded.filter((f) => /node_modules[\\/](handlebars|ajv|yargs)[\\/]/.test(f))).toEqual([]);
  });

  // Every argument list: what the fast path does must be what dist/cli.mjs does.
  const cases: [string, string[], string][] = [
    ['up to date', ['gen', '--check'], 'monorepo'],
    ['with --spec', ['gen', '--check', '--spec', 'hello-go/matrix.yaml', '--no-color'], ''],
    ['a missing spec', ['gen', '--check', '--spec', 'nope.yaml'], 'monorepo'],
    ['no spec here', ['gen', '--check'], ''],
    ['not handled: --help', ['gen', '--help'], 'monorepo'],
    ['not handled: validate', ['validate'], 'monorepo'],
  ];
  it.each(cases)('fast path and dist/cli.mjs agree: %s', (_name, argv, dir) => {
    const cwd = path.join(SAMPLES, dir);
    const result = inNode(`
      const { fastMain } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'fast.cjs'))});
      const { main } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'cli.mjs'))});
      ${ioScript(cwd)}
      const fast = await fastMain(${JSON.stringify(argv)}, io);
      const fastOut = out.splice(0).join('');
      const full = await main(${JSON.stringify(argv)}, io);
      process.stdout.write(JSON.stringify({ fast, fastOut, full, fullOut: out.join('') }));
    `);
    const handled = !argv.includes('--help') && argv[0] === 'gen';
    if (!handled) {
      expect(result.fast).toBeUndefined();
      expect(result.fastOut).toBe('');
      return;
    }
    expect(result.fast).toBe(result.full);
    expect(result.fastOut).toBe(result.fullOut);
  });
});

it('the YAML fixtures above are not all the same spec', () => {
  expect(new Set(specCases().map(([, v]) => stringify(v))).size).toBeGreaterThan(50);
});
