import { afterAll, describe, expect, it } from 'vitest';
import { RULES } from '../../src/validate/rules.js';
import { parseBake } from '../helpers/hcl.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('rules', () => {
  it('are named', () => {
    expect(RULES.map(([n]) => n)).toEqual(expect.arrayContaining(['unique-names', 'dependencies', 'unique-tags']));
  });

  it('a matrix cell target colliding with another service', () => {
    const src = ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    matrix:', '      v: [x, y]', '  api-x:', '    context: apix', '    template: go', ''].join('\n');
    const r = compileSpec(src, goDirs('api', 'apix'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'name-collision', ...pos(src, 'api-x:') }]);
  });

  it('two matrix cells whose values slug to one name get distinct target names (issue 13: names are injective)', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    matrix:\n      v: ["1.0", "1-0"]\n';
    const r = compileSpec(src, {});
    expect(brief(r.diagnostics)).toEqual([]);
    const names = r.spec!.targets.map((t) => t.name);
    expect(new Set(names).size).toBe(2);
    expect(names.every((n) => /^api-v-1-0/.test(n))).toBe(true);
  });

  it('a matrix service group colliding with a target of another service', () => {
    // Service `a` with cell `b` makes target `a-b`; service `a-b` is a plain target of that name.
    const src = 'version: 1\nservices:\n  a-b:\n    context: x\n    template: go\n  a:\n    context: y\n    template: go\n    matrix:\n      v: [b]\n';
    const r = compileSpec(src, goDirs('x', 'y'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'name-collision', ...pos(src, 'a:') }]);
  });

  it("a duplicate tag between two targets, at the second target's tags", () => {
    const src = [
      'version: 1',
      'services:',
      '  api:',
      '    context: api',
      '    template: go',
      '    tags: ["r/app:1"]',
      '  web:',
      '    context: web',
      '    template: go',
      '    tags: ["r/web:1", "r/app:1"]',
      '',
    ].join('\n');
    const r = compileSpec(src, goDirs('api', 'web'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'duplicate-tag', ...pos(src, '["r/web') }]);
  });

  it('a duplicate tag between matrix cells of one service', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    matrix:\n      v: [a, b]\n    tags: ["r/api:latest"]\n';
    expect(brief(compileSpec(src, {}).diagnostics)).toEqual([{ code: 'duplicate-tag', ...pos(src, '["r/api') }]);
  });

  it('a dependency cycle a -> b -> a is reported once, with the cycle printed', () => {
    const src = [
      'version: 1',
      'services:',
      '  a:',
      '    context: a',
      '    dockerfile: a/Dockerfile',
      '    depends_on: [b]',
      '  b:',
      '    context: b',
      '    dockerfile: b/Dockerfile',
      '    depends_on: [a]',
      '',
    ].join('\n');
    const r = compileSpec(src, { 'a/Dockerfile': 'FROM b\n', 'b/Dockerfile': 'FROM a\n' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'dependency-cycle', ...pos(src, '[b]') }]);
    expect(r.diagnostics[0]!.message).toContain('a -> b -> a');
  });

  it('a longer cycle is printed in full', () => {
    const src = [
      'version: 1',
      'defaults:',
      '  dockerfile: Dockerfile',
      'services:',
      '  a: {context: ., depends_on: [b]}',
      '  b: {context: ., depends_on: [c]}',
      '  c: {context: ., depends_on: [a]}',
      '',
    ].join('\n');
    const r = compileSpec(src, { Dockerfile: 'FROM scratch\n' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['dependency-cycle']);
    expect(r.diagnostics[0]!.message).toContain('a -> b -> c -> a');
  });

  it('a service depending on itself', () => {
    const src = 'version: 1\nservices:\n  a:\n    context: .\n    dockerfile: Dockerfile\n    depends_on: [a]\n';
    expect(brief(compileSpec(src, { Dockerfile: 'FROM scratch\n' }).diagnostics)).toEqual([{ code: 'dependency-cycle', ...pos(src, 'a]') }]);
  });

  it('an unknown dependency at the list item, with a hint', () => {
    const src = 'version: 1\nservices:\n  base:\n    context: .\n    dockerfile: Dockerfile\n  app:\n    context: .\n    dockerfile: Dockerfile\n    depends_on: [bse]\n';
    const r = compileSpec(src, { Dockerfile: 'FROM scratch\n' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-dependency', ...pos(src, 'bse') }]);
    expect(r.diagnostics[0]!.hint).toContain('`base`');
  });

  it('a dependent platform that the dependency does not build', () => {
    const src = [
      'version: 1',
      'services:',
      '  base:',
      '    context: .',
      '    dockerfile: Dockerfile',
      '    platforms: [linux/amd64]',
      '  app:',
      '    context: .',
      '    dockerfile: Dockerfile',
      '    platforms: [linux/amd64, linux/arm64]',
      '    depends_on: [base]',
      '',
    ].join('\n');
    const r = compileSpec(src, { Dockerfile: 'FROM scratch\n' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'platform-mismatch', ...pos(src, 'base]') }]);
    expect(r.diagnostics[0]!.message).toContain('linux/arm64');
  });

  it('a dependency with a matrix is ambiguous', () => {
    const src = 'version: 1\ndefaults:\n  context: .\n  dockerfile: Dockerfile\nservices:\n  base:\n    matrix: {v: [a, b]}\n  app:\n    depends_on: [base]\n';
    expect(brief(compileSpec(src, { Dockerfile: 'FROM scratch\n' }).diagnostics)).toEqual([{ code: 'ambiguous-dependency', ...pos(src, 'base]') }]);
  });

  it('a valid dependency becomes a named context on every target of the dependent', async () => {
    const src = 'version: 1\ndefaults:\n  context: .\n  dockerfile: Dockerfile\nservices:\n  base: {}\n  app:\n    depends_on: [base]\n    matrix: {v: [a, b]}\n';
    const r = compileSpec(src, { Dockerfile: 'FROM scratch\n' });
    expect(r.diagnostics).toEqual([]);
    const bake = await parseBake(r.files!.get('docker-bake.hcl')!);
    expect(bake.target['app-a']!.contexts).toEqual({ base: 'target:base' });
    expect(bake.target['app-b']!.contexts).toEqual({ base: 'target:base' });
    expect(bake.target.base!.contexts).toBeUndefined();
  });

  it.each(['default', 'docker-metadata-action'])('the reserved name %s', (name) => {
    const src = `version: 1\nservices:\n  ${name}:\n    context: .\n    template: go\n`;
    expect(brief(compileSpec(src, {}).diagnostics)).toEqual([{ code: 'reserved-name', ...pos(src, name) }]);
  });
});
