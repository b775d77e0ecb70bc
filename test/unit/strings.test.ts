import { describe, expect, it } from 'vitest';
import { stringDiagnostics, stringProblem } from '../../src/validate/strings.js';
import { brief, load, pos } from '../helpers/spec.js';

function check(src: string) {
  const spec = load(src);
  expect(spec.diagnostics).toEqual([]);
  return stringDiagnostics(spec);
}

const head = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n';

describe('strings', () => {
  it('accepts ordinary text, including non-ASCII and astral characters', () => {
    expect(check(head + '    labels:\n      title: "Grüße 👋 日本"\n')).toEqual([]);
  });

  it('rejects a NUL character', () => {
    const src = head + '    labels:\n      title: "a\\0b"\n';
    expect(brief(check(src))).toEqual([{ code: 'control-character', ...pos(src, '"a\\0b"') }]);
  });

  it('rejects other control characters, even in arg values', () => {
    const src = head + '    args:\n      X: "a\\x07b"\n';
    expect(brief(check(src))).toEqual([{ code: 'control-character', ...pos(src, '"a\\x07b"') }]);
  });

  it('rejects a bidi override (Trojan Source)', () => {
    const src = head + '    tags: ["ghcr.io/acme/api:\\u202Eexe"]\n';
    expect(brief(check(src))).toEqual([{ code: 'bidi-control', ...pos(src, '"ghcr.io') }]);
  });

  it('rejects bidi isolates and marks in keys too', () => {
    const src = head + '    labels:\n      "a\\u2066b": x\n';
    expect(brief(check(src))).toEqual([{ code: 'bidi-control', ...pos(src, '"a\\u2066b"') }]);
  });

  it('rejects a lone surrogate', () => {
    const src = head + '    labels:\n      title: "x\\uD800y"\n';
    expect(brief(check(src))).toEqual([{ code: 'invalid-unicode', ...pos(src, '"x\\uD800y"') }]);
  });

  it('rejects a lone low surrogate and accepts a proper pair', () => {
    expect(stringProblem('a\udc00', true)?.code).toBe('invalid-unicode');
    expect(stringProblem('\ud83d\ude00', false)).toBeUndefined();
  });

  it('rejects a newline in a tag', () => {
    const src = head + '    tags: ["ghcr.io/acme/api:a\\nb"]\n';
    expect(brief(check(src))).toEqual([{ code: 'line-break', ...pos(src, '"ghcr.io') }]);
  });

  it('rejects a tab or newline in a context, a template parameter and a platform', () => {
    const src = 'version: 1\nplatforms: ["linux/amd64\\n"]\nservices:\n  api:\n    context: "a\\tb"\n    template: go\n    with:\n      binary: "x\\ny"\n';
    expect(brief(check(src))).toEqual([
      { code: 'line-break', ...pos(src, '"linux') },
      { code: 'line-break', ...pos(src, '"a\\tb"') },
      { code: 'line-break', ...pos(src, '"x\\ny"') },
    ]);
  });

  it('allows newlines and tabs in build-arg and label values', () => {
    const src = head + '    args:\n      NOTE: "line1\\nline2\\tend"\n    labels:\n      description: |\n        two\n        lines\n';
    expect(check(src)).toEqual([]);
  });

  it('allows them in defaults args and labels values too', () => {
    const src = 'version: 1\ndefaults:\n  args:\n    NOTE: "a\\nb"\n  labels:\n    x: "c\\nd"\nservices:\n  api: {context: ., template: go}\n';
    expect(check(src)).toEqual([]);
  });

  it('rejects a newline in a label key', () => {
    const src = head + '    labels:\n      "a\\nb": x\n';
    expect(brief(check(src))).toEqual([{ code: 'line-break', ...pos(src, '"a\\nb"') }]);
  });

  it('rejects U+2028 and NEL where line breaks are not allowed', () => {
    expect(stringProblem('a\u2028b', false)?.code).toBe('line-break');
    expect(stringProblem('a\u0085b', false)?.code).toMatch(/^(line-break|control-character)$/);
    expect(stringProblem('a\u2028b', true)).toBeUndefined();
  });

  it('reports every bad string, in document order', () => {
    const src = head + '    tags: ["a\\nb"]\n    labels:\n      x: "\\0"\n      y: "\\u202E"\n';
    expect(brief(check(src)).map((d) => d.code)).toEqual(['line-break', 'control-character', 'bidi-control']);
  });
});
