// src/regexp.ts: one escaper for every place that puts a user's text into a
// regular expression (a matrix key, a version-tag pattern, a stage name, a
// platform). Any string, made a pattern, matches itself and only itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literalRegExp } from '../../src/regexp.js';

const text = fc.string({
  unit: fc.oneof(fc.constantFrom(...'.*+?^${}()|[]\\/-,:= '), fc.string({ minLength: 1, maxLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
  maxLength: 20,
});

describe('literalRegExp', () => {
  it('matches exactly the text, with and without the u flag, alone and inside a larger pattern', () => {
    fc.assert(
      fc.property(text, text, (s, other) => {
        for (const flags of ['', 'u']) {
          const re = new RegExp(`^${literalRegExp(s)}$`, flags);
          expect(re.test(s)).toBe(true);
          expect(re.test(other)).toBe(other === s);
          expect(new RegExp(`a${literalRegExp(s)}b`, flags).exec(`xa${s}by`)?.index).toBe(1);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
