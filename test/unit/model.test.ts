// The resolved model is complete out of resolve, and no later stage changes it.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { loadSpec } from '../../src/load/load.js';
import { repoRootOf } from '../../src/paths.js';
import { renderDockerfile, renderFiles } from '../../src/render/files.js';
import { textDigest } from '../../src/output/digest.js';
import type { ParsedTemplate } from '../../src/render/template.js';
import { resolveSpec } from '../../src/resolve/resolve.js';
import type { ResolvedSpec, Target } from '../../src/spec.js';
import { ruleDiagnostics } from '../../src/validate/rules.js';
import { checkShape } from '../../src/validate/schema.js';
import { schemaValidator } from '../../src/validate/validator.js';
import { removeTempDirs, tempRepo, type Tree } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** A spec loaded and shape-checked, as compile hands it to resolve. */
function checked(source: string) {
  const { validate, schema } = schemaValidator();
  const r = checkShape(loadSpec('matrix.yaml', source), validate, schema);
  if (!r.checked) throw new Error(`shape errors: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.checked;
}

function resolveOnly(source: string, tree: Tree = {}) {
  const dir = tempRepo({ ...tree, 'matrix.yaml': source });
  const specPath = path.join(dir, 'matrix.yaml');
  const loaded = checked(source);
  const r = resolveSpec(loaded, { specPath, repoRoot: repoRootOf(dir), cwd: dir });
  return { dir, specPath, loaded, ...r };
}

const DEPS = [
  'version: 1',
  'services:',
  '  base:',
  '    context: .',
  '    template: b.hbs',
  '  app:',
  '    context: .',
  '    template: t.hbs',
  '    depends_on: [base]',
  '    matrix:',
  '      v: [a, b]',
  '',
].join('\n');
// Reads the cell and the dependencies: cells render apart, so each gets its own file.
const TPL = 'FROM scratch\nLABEL v={{word matrix.v}}\n{{#each dependencies}}LABEL dep={{word this}}\n{{/each}}';

describe('resolve returns the complete model', () => {
  it('named contexts come from resolve, before any rule runs', () => {
    const r = resolveOnly(DEPS, { 't.hbs': TPL, 'b.hbs': 'FROM scratch\n' });
    expect(r.diagnostics).toEqual([]);
    const by = new Map(r.spec!.targets.map((t) => [t.name, t]));
    expect(by.get('app-a')!.contexts).toEqual({ base: 'base' });
    expect(by.get('app-b')!.contexts).toEqual({ base: 'base' });
    expect(by.get('base')!.contexts).toEqual({});
  });

  it('Dockerfile names (split per cell when cells render apart) come from resolve, before render', () => {
    const r = resolveOnly(DEPS, { 't.hbs': TPL, 'b.hbs': 'FROM scratch\n' });
    expect(r.spec!.targets.map((t) => [t.name, t.dockerfile])).toEqual([
      ['base', 'base.Dockerfile'],
      ['app-a', 'app-a.Dockerfile'],
      ['app-b', 'app-b.Dockerfile'],
    ]);
  });

  it('cells that render alike share one Dockerfile', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: t.hbs\n    matrix:\n      v: [a, b]\n';
    const r = resolveOnly(src, { 't.hbs': 'FROM scratch\n' });
    expect(r.spec!.targets.map((t) => t.dockerfile)).toEqual(['Dockerfile', 'Dockerfile']);
  });

  it('rules and render leave the model as resolve returned it', () => {
    const r = resolveOnly(DEPS, { 't.hbs': TPL, 'b.hbs': 'FROM scratch\n' });
    const before = structuredClone(r.spec!);
    expect(ruleDiagnostics(r.loaded, r.spec!)).toEqual([]);
    const rendered = renderFiles(r.spec!, r.templates, r.dockerfiles);
    expect(rendered.diagnostics).toEqual([]);
    expect([...rendered.files.keys()]).toEqual(['base.Dockerfile', 'app-a.Dockerfile', 'app-b.Dockerfile', 'docker-bake.hcl']);
    expect(r.spec).toEqual(before);
  });

  it('the model is readonly to the compiler', () => {
    const r = resolveOnly(DEPS, { 't.hbs': TPL, 'b.hbs': 'FROM scratch\n' });
    const spec: ResolvedSpec = r.spec!;
    const t: Target = spec.targets[0]!;
    const mutations = (): void => {
      // @ts-expect-error a stage may not rename a target's Dockerfile
      t.dockerfile = 'x';
      // @ts-expect-error nor add a named context
      t.contexts.x = 'y';
      // @ts-expect-error nor add a platform
      t.platforms.push('linux/arm64');
      // @ts-expect-error nor add a target
      spec.targets.push(t);
    };
    expect(typeof mutations).toBe('function'); // compiled, never run
  });
});

describe('resolve reads no process state', () => {
  it('the working directory comes from the caller: the repository root is shown relative to it', () => {
    const dir = tempRepo({ 'deploy/matrix.yaml': '' });
    const source = 'version: 1\nservices:\n  api:\n    context: ../../outside\n    template: go\n';
    const run = (cwd: string) => resolveSpec(checked(source), { specPath: path.join(dir, 'deploy/matrix.yaml'), repoRoot: repoRootOf(path.join(dir, 'deploy')), cwd }).diagnostics;
    expect(run(dir).map((d) => [d.code, d.hint])).toEqual([['path-outside-repo', 'paths must stay inside .']]);
    expect(run(path.join(dir, 'deploy')).map((d) => [d.code, d.hint])).toEqual([['path-outside-repo', 'paths must stay inside ..']]);
  });
});

describe('CompileResult is a discriminated union', () => {
  it('ok: spec, templates and files without assertions; failed: diagnostics only', () => {
    const dir = tempRepo({ 'matrix.yaml': DEPS, 't.hbs': TPL, 'b.hbs': 'FROM scratch\n' });
    const input = { specPath: path.join(dir, 'matrix.yaml'), displayName: 'matrix.yaml', source: DEPS, repoRoot: repoRootOf(dir), cwd: dir };
    const r = compile(input);
    if (!r.ok) throw new Error('expected ok');
    expect(r.files.has('docker-bake.hcl')).toBe(true);
    expect(r.spec.targets).toHaveLength(3);
    const v = compile({ ...input, validateOnly: true });
    expect(v.ok && v.files).toBe(undefined);
    const bad = compile({ ...input, source: 'version: 1\nservices:\n  api:\n    context: nope\n    template: go\n' });
    expect(bad.ok).toBe(false);
    expect(bad.spec).toBe(undefined);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['path-not-found']);
  });
});

describe('each matrix cell is rendered once', () => {
  /** Count the renders of every parsed template from here on. */
  function countRenders(templates: ReadonlyMap<string, ParsedTemplate>): { count: number } {
    const counter = { count: 0 };
    for (const tpl of templates.values()) {
      // Both ways to render: checked (resolve), and again without the checks (a large spec's file read).
      for (const name of ['render', 'renderAgain'] as const) {
        const render = tpl[name].bind(tpl);
        (tpl as Record<typeof name, ParsedTemplate['render']>)[name] = (ctx) => {
          counter.count++;
          return render(ctx);
        };
      }
    }
    return counter;
  }

  it.each([
    ['cells that render apart (one file each)', TPL],
    ['cells that render alike (one shared file)', 'FROM scratch\n'],
  ])('%s: resolve renders each cell once; a small spec keeps the texts, a large one renders a file again only when it is read', (_name, tpl) => {
    const r = resolveOnly(DEPS, { 't.hbs': tpl, 'b.hbs': 'FROM scratch\n' });
    expect(r.diagnostics).toEqual([]);
    const counter = countRenders(r.templates);
    // Small (up to KEEP_TEXTS_UP_TO_TARGETS targets): resolve kept each text, so reading renders nothing.
    const kept = renderFiles(r.spec!, r.templates, r.dockerfiles);
    expect(kept.diagnostics).toEqual([]);
    const keptFiles = new Map(kept.files);
    expect(counter.count).toBe(0);
    // Large: resolve keeps a decision and a digest per file, not the text (issue 18: render -> compare -> write -> drop).
    const decisions = { files: new Map([...r.dockerfiles.files].map(([f, p]) => [f, { target: p.target, digest: p.digest }])), failed: r.dockerfiles.failed };
    const rendered = renderFiles(r.spec!, r.templates, decisions);
    expect(rendered.diagnostics).toEqual([]);
    for (const f of rendered.files.keys()) expect(rendered.files.digestOf(f)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(counter.count).toBe(0);
    const files = new Map(rendered.files);
    // One render per Dockerfile read (a file the cells share is not rendered per cell); the bake file needs no template.
    expect(counter.count).toBe(files.size - 1);
    expect(files).toEqual(keptFiles);
    for (const t of r.spec!.targets) expect(files.get(t.dockerfile)).toBe(renderDockerfile(t, r.templates.get(t.source.kind === 'template' ? t.source.file : '')!, r.spec!));
    for (const [f, text] of files) expect(rendered.files.digestOf(f)).toBe(textDigest(text));
    // A file read renders without the checks: bytes other than those checked (here, a digest that does not match) are refused.
    const [file, placed] = [...decisions.files].find(([, p]) => p.target.source.kind === 'template')!;
    const wrong = { files: new Map([[file, { target: placed.target, digest: textDigest('other bytes') }]]), failed: [] };
    expect(() => renderFiles(r.spec!, r.templates, wrong).files.get(file)).toThrow(/rendered to other bytes than when it was checked/);
  });
});
