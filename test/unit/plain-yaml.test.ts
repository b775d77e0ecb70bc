// src/load/plain-yaml.ts reads specs written in a plain subset of YAML without
// building yaml's document. It must never decide what a spec means: whenever it
// answers, the answer is what yaml (https://github.com/eemeli/yaml, the parser
// loadSpec uses) reads, with no error and no diagnostic of loadSpec's own; when
// the text leaves the subset it must give up. Checked on generated texts that
// mix the subset with what lies just outside it (YAML 1.2.2,
// https://yaml.org/spec/1.2.2/: 7.3.3 plain scalars, 10.3.2 core schema tags).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadSpec, positionOf, withValue } from '../../src/load/load.js';
import { plainYamlValue } from '../../src/load/plain-yaml.js';
import { scaleSpec } from '../../scripts/gen-scale-spec.mjs';
import { REPO_ROOT } from '../helpers/tree.js';

/** What loadSpec read before plain-yaml.ts: yaml's value, or undefined when yaml or loadSpec found a problem. */
function yamlValue(source: string): { value: unknown } | undefined {
  const doc = parseDocument(source, { version: '1.2', prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) return undefined;
  return { value: doc.toJS({ maxAliasCount: 50 }) };
}

function expectSameAsYaml(source: string): boolean {
  const plain = plainYamlValue(source);
  if (plain === undefined) return false;
  expect(yamlValue(source), source).toStrictEqual({ value: plain });
  expect(loadSpec('m.yaml', source).diagnostics, source).toEqual([]);
  return true;
}

// Pieces of text: the subset's own, and near misses (numbers as YAML reads them, indicators, escapes, ...).
const word = fc.constantFrom(
  'a',
  'api',
  'svc-1',
  'x_y',
  'go',
  'linux/amd64',
  '${{ service }}',
  'services/${{ matrix.v }}',
  'localhost:5000/x',
  'a b',
  'k8s',
  'on',
  'yes',
  'No',
  './cmd/api',
  '../lib',
  '.',
);
const nearMiss = fc.constantFrom(
  '1',
  '0',
  '007',
  '1.20',
  '0x10',
  '0o7',
  '-1',
  '+1',
  '.5',
  '1e3',
  '.inf',
  '.nan',
  '.NaN',
  '..',
  '...',
  '.',
  './',
  '.:x',
  '../ #x',
  'true',
  'True',
  'FALSE',
  'null',
  'Null',
  '~',
  '',
  '"q"',
  "'s'",
  "'it''s'",
  '"a\\tb"',
  '"a#b"',
  '&anc x',
  '*anc',
  '!tag x',
  '!!str 1',
  '|',
  '>-',
  '[a, b]',
  '{a: 1}',
  '[]',
  '{}',
  '[a,]',
  '[a: b]',
  'a: b',
  'a #c',
  'a#b',
  '- x',
  '? x',
  '@x',
  '`x`',
  '%x',
  'a]',
  'a}',
  'a[b',
  'a{b}',
  'a,b',
  '<<',
  '__proto__',
  'a\tb',
  'é',
  'a  b',
  'a :b',
);
const scalar = fc.oneof({ weight: 3, arbitrary: word }, { weight: 2, arbitrary: nearMiss });
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a', 'b', 'api', 'with', 'args', 'x.y', 'c-d', '"q k"') }, { weight: 1, arbitrary: nearMiss });
const comment = fc.constantFrom('', '', ' # note', '  #x', '#x');
const flow = fc
  .array(scalar, { maxLength: 3 })
  .chain((xs) => fc.constantFrom(`[${xs.join(', ')}]`, `{ ${xs.map((x, i) => `k${i}: ${x}`).join(', ')} }`, `[${xs.join(',')}]`, `{${xs.map((x) => `${x}: 1`).join(', ')}}`));

interface Tree {
  lines: (indent: string) => string[];
}
const leaf: fc.Arbitrary<Tree> = fc.tuple(fc.oneof(scalar, flow), comment).map(([v, c]) => ({ lines: () => [` ${v}${c}`] }));
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(fc.tuple(key, tie('node'), fc.constantFrom('  ', '  ', ' ', '    ')), { minLength: 1, maxLength: 4 }).map((pairs) => ({
      lines: (indent: string) => ['', ...pairs.flatMap(([k, v, step]) => block(indent, `${k}:`, v, step))],
    })),
    fc.array(fc.oneof(scalar, flow), { minLength: 1, maxLength: 3 }).map((items) => ({ lines: (indent: string) => ['', ...items.map((i) => `${indent}- ${i}`)] })),
    // Mappings that start on their item's `- ` line (`- python: "3.11"` / `  flavor: slim`), with
    // more spaces after the dash, or the next keys a column off (then yaml reads it another way, or refuses).
    fc
      .array(fc.tuple(fc.array(fc.tuple(key, tie('node'), fc.constantFrom('  ', ' ', '    ')), { minLength: 1, maxLength: 3 }), fc.constantFrom('', '', '  '), fc.constantFrom('', '', '', ' ')), {
        minLength: 1,
        maxLength: 2,
      })
      .map((items) => ({ lines: (indent: string) => ['', ...items.flatMap(([pairs, gap, shift]) => compactItem(indent, pairs, gap, shift))] })),
  ),
})).node;

/** A sequence item holding a mapping whose first key is on the `- ` line; the others at its column (`shift` off it). */
function compactItem(indent: string, pairs: [string, Tree, string][], gap: string, shift: string): string[] {
  const column = `${indent}  ${gap}`;
  const [[k0, v0, step0], ...more] = pairs as [[string, Tree, string], ...[string, Tree, string][]];
  const [first, ...rest] = block(column, `${k0}:`, v0, step0);
  return [`${indent}- ${gap}${first!.slice(column.length)}`, ...rest, ...more.flatMap(([k, v, step]) => block(column + shift, `${k}:`, v, step))];
}

/** `head` with its value: on the same line, or on the lines below, `step` further in. */
function block(indent: string, head: string, v: Tree, step: string): string[] {
  const [first, ...rest] = v.lines(indent + step);
  return [`${indent}${head}${first}`, ...rest];
}

const document = fc
  .tuple(fc.array(fc.tuple(key, tree, fc.constantFrom('  ', ' ')), { minLength: 1, maxLength: 5 }), fc.constantFrom('', '# top\n', '\n', '---\n'), fc.constantFrom('\n', '', '\n\n', '\n# end\n'))
  .map(([pairs, pre, post]) => pre + pairs.flatMap(([k, v, step]) => block('', `${k}:`, v, step)).join('\n') + post);

describe('plain-yaml: the same value as yaml, or no answer', () => {
  it('on generated documents (and it answers for a good share of them)', () => {
    let answered = 0;
    fc.assert(
      fc.property(document, (source) => {
        if (expectSameAsYaml(source)) answered++;
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(100);
  });

  it('on every YAML file of the repository and on the scale benchmark spec', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
        else if (/\.ya?ml$/.test(e.name)) files.push(p);
      }
    };
    for (const d of ['samples', 'test', 'docs', 'templates']) walk(path.join(REPO_ROOT, d));
    const answered = files.filter((f) => expectSameAsYaml(readFileSync(f, 'utf8'))).length;
    expect(answered).toBeGreaterThan(20);
    expect(expectSameAsYaml(scaleSpec(50))).toBe(true);
  });

  it('reads a mapping that starts on its item line as yaml does (samples/monorepo: matrix exclude/include)', () => {
    // YAML 1.2.2 8.2.1 (block sequences: a compact block mapping as an entry).
    for (const source of ['a:\n  - b: 1\n    c: x\n  - b: 2\n', 'a:\n-   b: "3.11"\n    c: [x, y]\n', 'a:\n  - b:\n      c: 1\n    d: ./cmd/api\n']) {
      expect(expectSameAsYaml(source), source).toBe(true);
    }
    expect(plainYamlValue('a:\n  - b: 1\n    c: x\n')).toEqual({ a: [{ b: 1, c: 'x' }] });
  });

  it.each([
    ['a tab', 'a:\tb\n'],
    ['a continued plain scalar', 'a: b\n  c\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a number yaml would rewrite', 'a: 1.20\n'],
    ['a document marker', '---\na: 1\n'],
    ['a multi-line flow collection', 'a: [b,\n  c]\n'],
    ['a compact mapping whose next key is a column off', 'a:\n  - b: 1\n     c: 2\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['non-ASCII text', 'a: é\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
    ['an indented first line', '  a: 1\n'],
  ])('gives up on %s', (_what, source) => {
    expect(plainYamlValue(source)).toBeUndefined();
  });
});

describe('a spec read without a document', () => {
  it('still reports positions: the document is parsed when a diagnostic asks for one', () => {
    const source = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n';
    const loaded = loadSpec('m.yaml', source);
    expect(loaded.value).toStrictEqual({ version: 1, services: { api: { context: 'api', template: 'go' } } });
    const typed = withValue(loaded, loaded.value);
    expect(positionOf(typed, ['services', 'api', 'template'])).toEqual({ line: 5, column: 15 });
    expect(positionOf(typed, ['services', 'api'], true)).toEqual({ line: 3, column: 3 });
    expect(typed.doc.toJS()).toStrictEqual(loaded.value);
  });
});
