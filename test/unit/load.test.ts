import { describe, expect, it } from 'vitest';
import { MAX_SPEC_BYTES, positionOf } from '../../src/load/load.js';
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
