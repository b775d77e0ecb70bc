// Unit tests for the hardening in src/load, src/validate/strings.ts,
// src/render/template.ts and src/output: what YAML would silently change,
// ways around the template escaping, and what a killed run leaves behind.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { outputOrigins } from '../../src/output/origins.js';
import { applySync, planSync } from '../../src/output/sync.js';
import { removeStaleTemps } from '../../src/fs/stale.js';
import { headerLines } from '../../src/render/header.js';
import { parseTemplate, TemplateError, wrap } from '../../src/render/template.js';
import { stringProblem } from '../../src/validate/strings.js';
import { brief, compileSpec, load, pos } from '../helpers/spec.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const HEAD = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n';

describe('load: what toJS would silently change', () => {
  it.each([
    ['1.20', '1.2'],
    ['0x10', '16'],
    ['1e3', '1000'],
    ['010', '10'],
    ['-0', '0'],
    ['.inf', 'Infinity'],
  ])('a plain %s (read as %s) is refused where it is written', (written) => {
    const src = `${HEAD}    args:\n      V: ${written}\n`;
    expect(brief(load(src).diagnostics)).toEqual([{ code: 'ambiguous-value', ...pos(src, written) }]);
  });

  it('YAML 1.1 booleans (`on`, `yes`) are refused; true/True/false and plain numbers are fine', () => {
    // Under %YAML 1.1 even `context: .` changes: the yaml library reads a lone `.` as NaN.
    const y11 = `%YAML 1.1\n---\n${HEAD}    labels:\n      a: on\n      b: yes\n`;
    expect(brief(load(y11).diagnostics)).toEqual([
      { code: 'ambiguous-value', line: 6, column: 14 },
      { code: 'ambiguous-value', line: 9, column: 10 },
      { code: 'ambiguous-value', line: 10, column: 10 },
    ]);
    const ok = `${HEAD}    metadata_action: True\n    args:\n      A: 1\n      B: 1.5\n      C: -3\n      D: "1.20"\n      E: false\n`;
    expect(load(ok).diagnostics).toEqual([]);
    expect((load(ok).value as { services: { api: { args: unknown } } }).services.api.args).toEqual({ A: 1, B: 1.5, C: -3, D: '1.20', E: false });
  });

  it('collection, alias and null keys are refused at the key (no stringified "[ a, b ]" and no process warning)', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const seqKey = `${HEAD}    labels:\n      ? [a, b]\n      : x\n`;
      expect(brief(load(seqKey).diagnostics)).toEqual([{ code: 'invalid-key', ...pos(seqKey, '[a, b]') }]);
      const aliasKey = `${HEAD}    labels:\n      k: &k name\n      *k : x\n`;
      expect(brief(load(aliasKey).diagnostics)).toEqual([{ code: 'invalid-key', ...pos(aliasKey, '*k') }]);
      const nullKey = `${HEAD}    labels:\n      null: x\n`;
      expect(brief(load(nullKey).diagnostics)).toEqual([{ code: 'invalid-key', ...pos(nullKey, 'null') }]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('a second YAML document gets a message about the spec, not about the library', () => {
    const d = load(`${HEAD}---\nversion: 1\n`).diagnostics[0]!;
    expect(d.code).toBe('yaml-syntax');
    expect(d.message).not.toMatch(/parseAllDocuments/);
    expect(d.hint).toMatch(/---/);
  });

  it("nesting beyond the parser's stack is reported at the first level that is too deep, like shallower nesting", () => {
    const flow = (n: number) => `version: 1\nservices: ${'['.repeat(n)}${']'.repeat(n)}\n`;
    expect(brief(load(flow(100)).diagnostics)).toEqual([{ code: 'yaml-too-deep', line: 2, column: 75 }]);
    expect(brief(load(flow(20_000)).diagnostics)).toEqual([{ code: 'yaml-too-deep', line: 2, column: 75 }]);
    const block = 'version: 1\nservices:\n' + Array.from({ length: 3000 }, (_, i) => ' '.repeat(i + 1) + '-\n').join('');
    const d = load(block).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['yaml-too-deep']);
    expect(d[0]!.line).toBeLessThan(80);
  });
});

describe('strings: U+FFFD', () => {
  it('is refused: it is what a decoder leaves where the bytes were not UTF-8', () => {
    expect(stringProblem('caf\ufffd', true)?.code).toBe('invalid-unicode');
    expect(stringProblem('café', true)).toBeUndefined();
  });
});

describe('template: no way around the escaping helpers', () => {
  const FRONT = '{{!--\ndescription: t\nparams:\n  x: { default: v }\n  list: { default: [a, "b c"] }\n--}}\n';
  const ctx = () => wrap({ with: { x: 'a"b $c', list: ['a', 'b c'] }, args: ['A', 'B'], dependencies: [], matrix: {} }) as object;
  const render = (body: string) => parseTemplate('t.hbs', FRONT + body).render(ctx());
  const failure = (body: string): TemplateError => {
    try {
      render(body);
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      return e as TemplateError;
    }
    throw new Error(`${body} rendered`);
  };

  it.each([
    ['{{with.x}}', 'a bare value'],
    ['{{{with.x}}}', 'a triple-stash'],
    ['{{with.x.value}}', 'a field of the wrapper'],
    ['{{#with with.x}}{{value}}{{/with}}', 'a field through #with'],
    ['{{with.x.toString}}', 'a prototype method'],
    ['{{with.constructor}}', 'a prototype field of a mapping'],
    ['{{args.constructor}}', 'a prototype field of a list'],
    ['{{lookup with "x"}}', 'the lookup helper'],
    ['{{#each with}}{{this}}{{/each}}', 'this inside #each'],
    ['{{concat with.x "y"}}', 'concat without an escaping helper'],
    ['{{> partial}}', 'a partial'],
    ['{{#> layout}}x{{/layout}}', 'a partial block'],
    ['{{*decorator}}', 'a decorator'],
    ['{{"service"}}', 'a field named by a string literal'],
    ['{{@root.with.x}}', 'a value through @root'],
  ])('%s (%s) is a located error', (body) => {
    const e = failure(`FROM scratch\nLABEL a=${body}\n`);
    expect(e.line, `${body}: ${e.message}`).toBe(8);
    expect(e.column).toBeGreaterThanOrEqual(9);
  });

  it('the Handlebars prototype-access warning is never printed', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      for (const body of ['{{word with.x.toString}}', '{{word with.constructor}}', '{{#each args.constructor}}x{{/each}}']) {
        try {
          render(body);
        } catch {
          /* an error is fine; a warning on the console is not */
        }
      }
      expect(err).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  });

  it('helpers, #each over wrapped lists, #if on an empty list, data variables and literals still work', () => {
    expect(render('{{word with.x}}')).toBe('"a\\"b \\$c"');
    expect(render('{{json with.list}}')).toBe('["a","b c"]');
    expect(render('{{#each args}}ARG {{ident this}} {{@index}}\n{{/each}}')).toBe('ARG A 0\nARG B 1\n');
    expect(render('{{#if dependencies}}yes{{else}}no{{/if}}')).toBe('no');
    expect(render('{{#each with}}{{@key}} {{/each}}')).toBe('x list ');
    expect(render('{{sh (concat "/out/" with.x)}}')).toBe(`'/out/a"b $c'`);
  });
});

describe('output: positions, stale temp files, manifest paths', () => {
  const HEADER = headerLines('matrix.yaml').join('\n') + '\n';

  it("outputOrigins points a Dockerfile at its service's template (or the service, for a default) and the bake file at bake_file", () => {
    const src = 'version: 1\nbake_file: out.hcl\ndefaults:\n  template: go\nservices:\n  api:\n    context: api\n    template: go\n  web:\n    context: web\n';
    const r = compileSpec(src, { 'api/go.mod': '', 'web/go.mod': '' });
    expect(r.diagnostics).toEqual([]);
    if (!r.ok) throw new Error('the spec compiles');
    const o = outputOrigins(r.loaded, r.spec);
    expect(o.get('api/Dockerfile')).toMatchObject({ file: 'matrix.yaml', ...pos(src, 'go\n  web') });
    expect(o.get('web/Dockerfile')).toMatchObject({ file: 'matrix.yaml', ...pos(src, 'web:') });
    expect(o.get('out.hcl')).toMatchObject({ file: 'matrix.yaml', ...pos(src, 'out.hcl') });
  });

  it('planSync reports a refused output at its origin when given one', () => {
    const dir = tempRepo({ 'api/Dockerfile': 'FROM mine\n' });
    const origins = new Map([['api/Dockerfile', { file: 'matrix.yaml', line: 8, column: 15, path: 'services.api.template' }]]);
    const plan = planSync(dir, dir, new Map([['api/Dockerfile', `${HEADER}FROM x\n`]]), 'docker-bake.hcl', origins);
    expect(plan.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([['not-generated', 'matrix.yaml', 8, 15]]);
  });

  it('a manifest line naming an output another way (./x, x//y) is not an orphan', () => {
    const bake = `${HEADER}# generated: ./api/Dockerfile\n# generated: api//Dockerfile\n\ngroup "default" {}\n`;
    const dir = tempRepo({ 'api/Dockerfile': `${HEADER}FROM old\n`, 'docker-bake.hcl': bake });
    const plan = planSync(
      dir,
      dir,
      new Map([
        ['api/Dockerfile', `${HEADER}FROM new\n`],
        ['docker-bake.hcl', `${HEADER}\n`],
      ]),
      'docker-bake.hcl',
    );
    expect(plan.changes.map((c) => `${c.kind} ${c.file}`)).toEqual(['update api/Dockerfile', 'update docker-bake.hcl']);
  });

  it("removeStaleTemps removes dead processes' and our own pid's temp siblings only", () => {
    const dir = tempRepo({
      'api/Dockerfile': 'x',
      'api/.Dockerfile.999999999.tmp': 'dead',
      [`api/.Dockerfile.${process.pid}.tmp`]: 'ours, from a reused pid',
      [`api/.Dockerfile.${process.ppid}.tmp`]: 'a live process',
      'api/.Dockerfile.abc.tmp': 'not a pid',
      'api/.Dockerfile.bak.999999999.tmp': "another file's",
    });
    const removed = removeStaleTemps(path.join(dir, 'api/Dockerfile'))
      .map((f) => path.basename(f))
      .sort();
    expect(removed).toEqual(['.Dockerfile.999999999.tmp', `.Dockerfile.${process.pid}.tmp`].sort());
    expect(readdirSync(path.join(dir, 'api')).sort()).toEqual(['.Dockerfile.abc.tmp', '.Dockerfile.bak.999999999.tmp', `.Dockerfile.${process.ppid}.tmp`, 'Dockerfile'].sort());
  });

  it('applySync succeeds when a temp file with its own pid is left over (pid reuse after a kill)', async () => {
    const dir = tempRepo({ [`.Dockerfile.${process.pid}.tmp`]: 'left by a killed run' });
    const plan = planSync(dir, dir, new Map([['Dockerfile', `${HEADER}FROM x\n`]]), 'docker-bake.hcl');
    await applySync(dir, plan);
    expect(readdirSync(dir).sort()).toEqual(['.git', 'Dockerfile']);
    expect(existsSync(path.join(dir, `.Dockerfile.${process.pid}.tmp`))).toBe(false);
  });
});
