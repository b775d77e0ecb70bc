// `validate` reports every error of a spec in one run (issue 13): a stage after
// the shape check resolves the services that passed it, the rules check the
// targets that resolved, and an error shared by several matrix cells (or by
// every service, in `defaults`) is reported once, at the field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const SPEC = [
  'version: 1',
  'services:',
  '  a:',
  '    context: a',
  '    template: go',
  '    imagee: x', // shape: unknown key
  '  b:',
  '    context: missing', // resolve: no such directory
  '    template: go',
  '  c:',
  '    context: c',
  '    template: go',
  '    tags: [r/same:1]',
  '  d:',
  '    context: d',
  '    template: go',
  '    tags: [r/same:1]', // rule: c and d write one tag
  '    depends_on: [a]', // a is broken: not reported again
  'groups:',
  '  all: [a, b, c, d]',
  '',
].join('\n');

describe('validate: every error in one run', () => {
  it('a shape error in one service, a path error in another and a rule error between two more', () => {
    const r = compileSpec(SPEC, goDirs('a', 'c', 'd'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([
      { code: 'unknown-key', ...pos(SPEC, 'imagee') },
      { code: 'path-not-found', ...pos(SPEC, 'missing') },
      { code: 'duplicate-tag', ...pos(SPEC, '[r/same:1]', 1) },
    ]);
  });

  it('the CLI exits 2, prints all three, and writes nothing', async () => {
    const r = compileSpec(SPEC, goDirs('a', 'c', 'd'));
    const run = await matrix(['validate'], r.dir);
    expect(run.status).toBe(2);
    expect(run.stderr.match(/\[(unknown-key|path-not-found|duplicate-tag)\]/g)).toEqual(['[unknown-key]', '[path-not-found]', '[duplicate-tag]']);
    expect(run.stderr).toMatch(/^3 errors$/m);
    const gen = await matrix(['gen'], r.dir);
    expect(gen.status).toBe(2);
    expect(() => readFileSync(path.join(r.dir, 'docker-bake.hcl'))).toThrow();
  });

  it('an error at the top level stops after the shape check (every service depends on it)', () => {
    const src = 'version: 1\nplatforms: 5\nservices:\n  a: { context: nowhere, template: go }\n';
    expect(brief(compileSpec(src, {}).diagnostics)).toEqual([{ code: 'wrong-type', ...pos(src, '5') }]);
  });

  it('an error shared by every matrix cell is reported once', () => {
    const src = [
      'version: 1',
      'services:',
      '  a:',
      '    context: a',
      '    template: go',
      '    matrix: { v: [x, y, z] }',
      '    tags: ["r/a:${{ matrix.v }}!!", "r/a:fixed"]',
      '    args: { X: "${{ matrix.nope }}" }',
      '',
    ].join('\n');
    const r = compileSpec(src, goDirs('a'));
    expect(brief(r.diagnostics)).toEqual([
      { code: 'invalid-tag', ...pos(src, '"r/a:${{') },
      { code: 'unknown-variable', ...pos(src, '"${{ matrix.nope') },
    ]);
  });

  it('cells writing one tag are one duplicate-tag error, not one per cell', () => {
    const src = 'version: 1\nservices:\n  a:\n    context: a\n    template: go\n    matrix: { v: [x, y, z] }\n    tags: ["r/a:same"]\n';
    expect(brief(compileSpec(src, goDirs('a')).diagnostics)).toEqual([{ code: 'duplicate-tag', ...pos(src, '["r/a:same"]') }]);
  });
});
