// Indentation mistakes are told as what the user did, once, at the line they did it.
// YAML 1.2.2 §6.1: indentation is spaces only, and a block mapping's keys share one
// column (§8.2.2): https://yaml.org/spec/1.2.2/#61-indentation-spaces
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findIndentationMistake } from '../../src/load/indentation.js';
import { matrix } from '../helpers/cli.js';
import { REPO_ROOT, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

async function validate(spec: string) {
  const dir = tempRepo({ 'matrix.yaml': spec, 'api/go.mod': 'module x\n' });
  const r = await matrix(['validate'], dir);
  const errors = r.stderr.split('\n').filter((l) => / error /.test(l));
  return { ...r, errors };
}

const head = 'version: 1\nservices:\n  api:\n    context: api\n';

describe('indentation mistakes, from the parsed document', () => {
  it('a dedented `with:` is at the level of services: indent it under the service', async () => {
    const r = await validate(`${head}    template: go\n  with:\n    main: ./cmd/api\n`);
    expect(r.status).toBe(2);
    expect(r.errors).toEqual(['matrix.yaml:6:3: error `with` is at the level of services: indent it under `api` [misplaced-key]']);
  });

  it('keys at the level of an empty `with:` are indented under it, and the empty `with` is not reported too', async () => {
    const r = await validate(`${head}    template: go\n    with:\n    main: ./cmd/api\n`);
    expect(r.errors).toEqual(['matrix.yaml:7:5: error `main` is at the level of services.api: indent it under `with` [misplaced-key]']);
  });

  it('a top-level key indented under a closed mapping: move it left', async () => {
    const r = await validate('version: 1\ndefaults:\n  platforms: [linux/amd64]\n  services:\n    api:\n      context: api\n      template: go\n');
    expect(r.errors).toEqual(['matrix.yaml:4:3: error `services` is indented under `defaults`, which has no such key: move it left, to the level of `defaults` [misplaced-key]']);
  });

  // The schema's `properties` is a plain object: a key such as `toString` found
  // Object.prototype's member there and read as a field every mapping takes.
  it('a key named like an Object.prototype member is no field of the mapping above it', async () => {
    const r = await validate(`${head}    template: go\n  toString: 1\n`);
    expect(r.errors).toEqual(['matrix.yaml:6:3: error `toString` is not a valid name in services [invalid-name]', 'matrix.yaml:6:13: error services.toString must be a mapping [wrong-type]']);
    const nested = await validate(`${head}    template: go\n    with:\n      binary: x\n    constructor: 1\n`);
    expect(nested.errors).toEqual(['matrix.yaml:8:5: error unknown key `constructor` in services.api [unknown-key]']);
  });

  it('a typo stays a typo: the unknown-key error with its suggestion, not an indentation story', async () => {
    const r = await validate(`${head}    template: go\n    args:\n      A: "1"\n    platfroms: [linux/amd64]\n`);
    expect(r.errors).toEqual(['matrix.yaml:8:5: error unknown key `platfroms` in services.api [unknown-key]']);
    expect(r.stderr).toContain('platforms');
  });

  it('a service named like a service key is a service when it is one', async () => {
    const r = await validate(`${head}    template: go\n  cache:\n    context: api\n    template: go\n`);
    expect(r.status, r.stderr).toBe(0);
  });

  it('each misplaced key is told once, and other errors are kept', async () => {
    const r = await validate(`${head}    template: go\n  with:\n    main: ./cmd/api\n  web:\n    context: api\n    template: nope\n`);
    expect(r.errors.filter((e) => e.includes('[misplaced-key]'))).toHaveLength(1);
    expect(r.errors.some((e) => e.startsWith('matrix.yaml:10:15:'))).toBe(true);
  });
});

describe('indentation mistakes, from the source lines', () => {
  it('one extra space before a key names that line', async () => {
    const r = await validate(`${head}     template: go\n`);
    expect(r.errors).toEqual(['matrix.yaml:5:6: error `template` is indented 5 spaces, one space more than `context` on line 4, which already has a value [yaml-syntax]']);
  });

  it('one space too few lines the key up with nothing', async () => {
    const r = await validate(`${head}   template: go\n`);
    expect(r.errors).toEqual(['matrix.yaml:5:4: error `template` is indented 3 spaces, which lines it up with no key above it (`context` on line 4 has 4 spaces) [yaml-syntax]']);
  });

  it('a tab says so once, with the caret at the tab', async () => {
    const r = await validate(`${head}  \ttemplate: go\n`);
    expect(r.errors).toEqual(['matrix.yaml:5:3: error tab used for indentation [yaml-syntax]']);
    expect(r.stderr).toMatch(/\n {4}\| {3}\^\n/);
  });

  it('a list item at a column of its own', async () => {
    const r = await validate(`${head}    template: go\nplatforms:\n    - linux/amd64\n   - linux/arm64\n`);
    expect(r.errors).toEqual(['matrix.yaml:8:4: error this item is indented 3 spaces, which lines it up with no key above it (this item on line 7 has 4 spaces) [yaml-syntax]']);
  });

  it('a syntax error that is not about indentation keeps the parser message', async () => {
    const r = await validate(`${head}    template: "go\n`);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.every((e) => e.endsWith('[yaml-syntax]') && !/indent|tab/.test(e))).toBe(true);
  });

  it('finds nothing in any valid spec of the project (samples, goldens, docs), including block scalars and multi-line flow lists', () => {
    const specs: string[] = [];
    const walk = (dir: string): void => {
      for (const n of readdirSync(dir)) {
        const p = path.join(dir, n);
        if (n === 'node_modules' || n.startsWith('.')) continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(n)) specs.push(p);
      }
    };
    walk(path.join(REPO_ROOT, 'samples'));
    walk(path.join(REPO_ROOT, 'test', 'golden'));
    expect(specs.length).toBeGreaterThan(1);
    const texts = specs.map((f) => readFileSync(f, 'utf8'));
    texts.push('a:\n  run: |\n      indented text\n    less\n  b: [x,\n      y,\n   z]\n  c: >-\n\n     folded\n  d:\n  - one\n  - two: 2\n    three: 3\n');
    for (const t of texts) expect(findIndentationMistake(t)).toBeUndefined();
  });
});
