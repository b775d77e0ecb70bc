import { describe, expect, it } from 'vitest';
import { Lexer } from 'yaml';
import { isLexerMarker, MAX_SPEC_BYTES, positionOf, tooDeepFlowPrefix } from '../../src/load/load.js';
import { brief, load, pos } from '../helpers/spec.js';

describe('load', () => {
  it('parses a valid spec into a plain value with no diagnostics', () => {
    const spec = load('version: 1\nservices:\n  api:\n    context: .\n');
    expect(spec.diagnostics).toEqual([]);
    expect(spec.value).toEqual({ version: 1, services: { api: { context: '.' } } });
  });

  it('reports a YAML syntax error at its position', () => {
    // An unclosed flow sequence: the error is where the parser gives up.
    const src = 'version: 1\nservices:\n  api:\n    platforms: [linux/amd64\n    context: .\n';
    const spec = load(src);
    expect(spec.value).toBeUndefined();
    // The parser notices at the next key, which is not indented enough to continue the list.
    expect(brief(spec.diagnostics)).toEqual([{ code: 'yaml-syntax', ...pos(src, 'context') }]);
  });

  it('points a bad indentation error at the offending line', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n   template: go\n';
    const spec = load(src);
    expect(brief(spec.diagnostics)).toEqual([{ code: 'yaml-syntax', line: 5, column: 1 }]);
  });

  it('reports a tab-indented line where it is', () => {
    const src = 'version: 1\nservices:\n\tapi: {}\n';
    const spec = load(src);
    expect(brief(spec.diagnostics)).toEqual([{ code: 'yaml-syntax', line: 3, column: 1 }]);
  });

  it('reports a duplicate key at the second occurrence', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: a\n    context: b\n';
    const spec = load(src);
    expect(brief(spec.diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(src, 'context', 1) }]);
    expect(spec.value).toBeUndefined();
  });

  it('reports a duplicate service name', () => {
    const src = 'version: 1\nservices:\n  api: {}\n  web: {}\n  api: {}\n';
    expect(brief(load(src).diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(src, 'api', 1) }]);
  });

  it('stops an alias bomb ("billion laughs") with yaml-alias-limit', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) {
      const prev = names[i - 1]!;
      lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    // The limit stopped it (the diagnostic, no value); how fast is the benchmark tier's (test/bench/limits.test.ts).
    const spec = load(lines.join('\n') + '\n');
    expect(spec.value).toBeUndefined();
    expect(brief(spec.diagnostics)).toEqual([{ code: 'yaml-alias-limit', line: 1, column: 1 }]);
  });

  // YAML 1.2.2 3.2.1.1: a representation is a graph, and an anchored node may
  // hold an alias to itself; yaml's toJS then builds a value that contains
  // itself, which crashed validate with a stack overflow (a bug in matrix).
  it('refuses an alias inside the node its anchor names, at the alias', () => {
    const cases = [
      'version: 1\nservices:\n  api:\n    args: &a { A: *a }\n',
      'version: 1\nservices:\n  api:\n    tags: &t [x, *t]\n',
      'version: 1\nservices: &s\n  api:\n    context: .\n    labels: { a: [ *s ] }\n',
      'version: 1\nservices:\n  api: &a\n    args: &a { B: x }\n    labels: { l: &b [ *b ] }\n',
    ];
    for (const src of cases) {
      const spec = load(src);
      expect(spec.value, src).toBeUndefined();
      const alias = src.lastIndexOf('*');
      expect(brief(spec.diagnostics), src).toEqual([{ code: 'yaml-alias-cycle', ...pos(src, src.slice(alias, alias + 2)) }]);
    }
  });

  it('an alias to an earlier node of the same name is no cycle, even inside a node with that anchor', () => {
    // The alias names the last `&a` before it (yaml's Alias.resolve): here the `{ B: x }` it follows, not its parent.
    const src = 'version: 1\nservices:\n  api: &a\n    args: &a { B: x }\n    labels: *a\n';
    const spec = load(src);
    expect(spec.diagnostics).toEqual([]);
    expect((spec.value as { services: { api: { labels: unknown } } }).services.api.labels).toEqual({ B: 'x' });
  });

  it('accepts a few ordinary aliases', () => {
    const src = 'version: 1\nx: &p [linux/amd64]\nservices:\n  a: {platforms: *p}\n  b: {platforms: *p}\n';
    const spec = load(src);
    expect(spec.diagnostics).toEqual([]);
    expect((spec.value as { services: { b: { platforms: string[] } } }).services.b.platforms).toEqual(['linux/amd64']);
  });

  it('refuses nesting deeper than a spec can be, at the too-deep node', () => {
    const depth = 100;
    const src = `version: 1\nservices: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    const spec = load(src);
    expect(spec.value).toBeUndefined();
    expect(spec.diagnostics).toHaveLength(1);
    const d = spec.diagnostics[0]!;
    expect(d.code).toBe('yaml-too-deep');
    expect(d.line).toBe(2);
    // It points into the run of brackets, past the first one.
    expect(src.split('\n')[1]![d.column - 1]).toBe('[');
    expect(d.column).toBeGreaterThan(pos(src, '[').column);
  });

  // Deep flow nesting is refused before yaml parses the document (its parser spends about 80 µs a
  // level: a 20 KB spec of 10,000 `[` took 0.8 s of CPU). The place must be the one the full parse
  // names: the first collection below 64 levels, counting the block collections around the flow.
  it('refuses deep flow nesting before parsing, at the same place as the full parse', () => {
    const source = (blocks: number, flow: number) => {
      const keys = Array.from({ length: blocks }, (_, i) => `${'  '.repeat(i)}k${i}:\n`).join('');
      return `version: 1\nservices:\n${keys}${'  '.repeat(blocks)}v: ${'['.repeat(flow)}${']'.repeat(flow)}\n`;
    };
    for (const [blocks, flow] of [
      [0, 66],
      [0, 10_000],
      [3, 70],
      [3, 10_000],
      [6, 120],
    ] as const) {
      const early = source(blocks, flow);
      // 65 flow levels are not told early: yaml parses them, and its document says where.
      const full = source(blocks, 65);
      expect(tooDeepFlowPrefix(early)).toBeDefined();
      expect(tooDeepFlowPrefix(full)).toBeUndefined();
      const [want] = brief(load(full).diagnostics);
      expect(want?.code).toBe('yaml-too-deep');
      expect(brief(load(early).diagnostics), `${blocks} block levels, ${flow} flow levels`).toEqual([want]);
    }
  });

  it('reads ordinary flow lists with many brackets as before (the depth check counts nesting, not brackets)', () => {
    const many = Array.from({ length: 80 }, (_, i) => `  s${i}: {context: s${i}, platforms: [linux/amd64]}`).join('\n');
    const spec = load(`version: 1\nservices:\n${many}\n`);
    expect(spec.diagnostics).toEqual([]);
    expect(Object.keys((spec.value as { services: object }).services)).toHaveLength(80);
    expect(tooDeepFlowPrefix('a: "[[[[" # [[[[\n'.repeat(30))).toBeUndefined();
  });

  it("relies on yaml's lexer being lossless: apart from its markers, its tokens are the source, in order", () => {
    for (const src of ['version: 1\nservices: {a: [1, "x]", \'[y\']]} # c\n', 'a: |\n  [[[\n  {{\nb: [ [ [ ] ] ]\n', '---\nk: [a,\n  b]\n...\n']) {
      expect([...new Lexer().lex(src)].filter((t) => !isLexerMarker(t)).join('')).toBe(src);
    }
  });

  // Nesting deep enough to exhaust the parser's stack (~1000 levels) is covered by
  // test/cli/cli.test.ts: a stack overflow inside a vitest worker kills the worker
  // while vitest formats the trace, so it runs in a child process there.

  it('refuses a spec larger than the limit before parsing it', () => {
    const src = 'version: 1\n#' + 'x'.repeat(MAX_SPEC_BYTES);
    const spec = load(src);
    expect(spec.value).toBeUndefined();
    expect(brief(spec.diagnostics)).toEqual([{ code: 'spec-too-large', line: 1, column: 1 }]);
  });

  it('counts bytes, not characters, against the size limit', () => {
    // Each "é" is two bytes in UTF-8: half as many characters already exceed the limit.
    const src = '#' + 'é'.repeat(MAX_SPEC_BYTES / 2 + 1);
    expect(load(src).diagnostics.map((d) => d.code)).toEqual(['spec-too-large']);
  });

  describe('positionOf', () => {
    const src = 'version: 1\nservices:\n  api:\n    platforms:\n      - linux/amd64\n      - linux/arm64\n';
    const spec = load(src);
    it('finds a value, a list item and a key', () => {
      expect(positionOf(spec, ['services', 'api', 'platforms', 1])).toEqual(pos(src, 'linux/arm64'));
      expect(positionOf(spec, ['services', 'api'], true)).toEqual(pos(src, 'api'));
      expect(positionOf(spec, ['version'])).toEqual(pos(src, '1'));
    });
    it('falls back to the nearest existing parent for a missing key', () => {
      expect(positionOf(spec, ['services', 'api', 'context'])).toEqual(pos(src, 'platforms'));
    });
  });
});
