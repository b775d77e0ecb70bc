// The linear replacements in src/load/load.ts for yaml's quadratic checks:
// duplicate keys found with a Set (yaml's own check only when there are any),
// and positionOf through a key index instead of a search of every mapping.
// They must report exactly what the quadratic forms report.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { loadSpec, positionOf, type LoadedSpec } from '../../src/load/load.js';
import { scaleSpec } from '../../scripts/gen-scale-spec.mjs';
import { REPO_ROOT } from '../helpers/tree.js';

/** What loadSpec reported before: yaml's own uniqueKeys check on the only parse. */
function yamlErrors(source: string) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  return doc.errors.map((e) => ({ code: e.code, ...lineCounter.linePos(e.pos[0]) }));
}

const DUPLICATES = [
  'a: 1\na: 2\n',
  'a: 1\nb: 2\na: 3\nb: 4\n',
  'services:\n  api: {context: ., template: go}\n  web: {}\n  api: {}\n',
  'x:\n  y:\n    z: 1\n    z: 2\n  y: 3\n',
  'x: {a: 1, b: {c: 1, c: 2}, a: 2}\n',
  '? {a: 1, a: 2}\n: v\n',
  '- {a: 1, a: 1}\n- b: 1\n  b: 2\n',
  '"a": 1\na: 2\n',
  '1: a\n"1": b\n1: c\n',
  'true: 1\ntrue: 2\n',
  '.nan: 1\n.nan: 2\n',
  'null: 1\n~: 2\n',
  '&k a: 1\na: 2\n',
  'a: 1\na: 2\nb: [\n',
  'a: 1\n  bad indent: 2\na: 3\n',
  'a: 1\n---\na: 2\na: 3\n',
];

describe('duplicate keys', () => {
  it.each(DUPLICATES)('reports what yaml reports: %j', (source) => {
    const expected = yamlErrors(source);
    const got = loadSpec('t.yaml', source)
      .diagnostics.filter((d) => d.code === 'duplicate-key' || d.code === 'yaml-syntax')
      .map((d) => ({ code: d.code, line: d.line, col: d.column }));
    // loadSpec stops at the first RESOURCE_EXHAUSTION, and names codes its own way.
    const mapped = expected.map((e) => ({ code: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax', line: e.line, col: e.col }));
    expect(got).toEqual(mapped);
  });

  it('the corpus and samples load as before', () => {
    const dirs = [path.join(REPO_ROOT, 'test', 'security', 'corpus'), ...readdirSync(path.join(REPO_ROOT, 'samples')).map((s) => path.join(REPO_ROOT, 'samples', s))];
    let checked = 0;
    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
        const source = readFileSync(path.join(dir, name), 'utf8');
        let expected;
        try {
          expected = yamlErrors(source);
        } catch {
          continue; // a parse that throws (absurd nesting) is handled before either check
        }
        const dup = loadSpec(name, source).diagnostics.filter((d) => d.code === 'duplicate-key');
        expect(dup.length, name).toBe(expected.filter((e) => e.code === 'DUPLICATE_KEY').length);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

/** positionOf as it was: a linear search of each mapping, first match wins. */
function positionLinear(spec: LoadedSpec, parts: readonly (string | number)[], onKey = false) {
  let node: unknown = spec.doc.contents;
  let keyNode: unknown;
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(part));
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
      keyNode = undefined;
      node = node.items[part];
    } else break;
  }
  const target = (onKey && keyNode ? keyNode : node) as Node | undefined;
  const p = spec.lineCounter.linePos(target?.range?.[0] ?? 0);
  return { line: p.line, column: p.col };
}

describe('positionOf', () => {
  const sources = [
    readFileSync(path.join(REPO_ROOT, 'samples', 'monorepo', 'matrix.yaml'), 'utf8'),
    // Not a valid spec, but positions must still agree: repeated keys (first wins), numbers, collection keys.
    'a: 1\nb: {c: [x, {d: 2}], 1: one, "1": quoted}\n? [k]\n: v\nnull: n\n',
  ];
  const paths: (string | number)[][] = [
    [],
    ['services'],
    ['services', 'api'],
    ['services', 'api', 'with', 'binary'],
    ['services', 'reports', 'matrix', 'python', 1],
    ['services', 'nope', 'x'],
    ['platforms', 0],
    ['platforms', 9],
    ['defaults', 'labels', 'org.opencontainers.image.title'],
    ['a'],
    ['b', 'c', 1, 'd'],
    ['b', 1],
    ['b', '1'],
    ['b', 'c', 5],
    ['null'],
    ['k'],
    ['b', 'c', 'x'],
  ];
  it.each(sources.map((s, i) => [i, s] as const))('agrees with a linear search (source %i)', (_i, source) => {
    const spec = parseOnly(source);
    for (const p of paths) {
      for (const onKey of [false, true]) expect(positionOf(spec, p, onKey), JSON.stringify(p)).toEqual(positionLinear(spec, p, onKey));
    }
  });

  // In linear time: measured by the benchmark tier (test/bench/limits.test.ts).
  it('on 10,000 services: every service found where a linear search finds it', () => {
    const spec = loadSpec('matrix.yaml', scaleSpec(10_000) as string);
    expect(spec.diagnostics).toEqual([]);
    for (const i of [0, 1, 4999, 9999]) {
      const p = ['services', `svc-${String(i).padStart(5, '0')}`, 'matrix', 'variant', 1];
      expect(positionOf(spec, p)).toEqual(positionLinear(spec, p));
    }
  }, 60_000);
});

function parseOnly(source: string): LoadedSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, version: '1.2' });
  return { file: 't.yaml', source, doc, lineCounter, value: doc.toJS(), diagnostics: [] };
}
