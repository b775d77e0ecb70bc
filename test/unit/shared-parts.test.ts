// Issue 18 (peak memory of gen): matrix cells share the parts of their target
// that resolve to equal values, and empty lists/records are one frozen value.
import { describe, expect, it } from 'vitest';
import { alike, NO_ENTRIES, NO_ITEMS } from '../../src/resolve/shared.js';
import { compileSpec, goDirs } from '../helpers/spec.js';

describe('alike', () => {
  it('returns the previous value when equal, the new one when not, and the shared empty values', () => {
    const prev = { a: 'x', b: ['1', '2'], c: { variable: 'GIT_SHA' } };
    expect(alike({ a: 'x', b: ['1', '2'], c: { variable: 'GIT_SHA' } }, prev)).toBe(prev);
    const other = { a: 'x', b: ['1', '3'], c: { variable: 'GIT_SHA' } };
    expect(alike(other, prev)).toBe(other);
    const reordered = { b: ['1', '2'], a: 'x', c: { variable: 'GIT_SHA' } };
    expect(alike(reordered, prev)).toBe(reordered);
    expect(alike([], undefined)).toBe(NO_ITEMS);
    expect(alike({}, { a: 'x' })).toBe(NO_ENTRIES);
    expect(Object.isFrozen(NO_ITEMS) && Object.isFrozen(NO_ENTRIES)).toBe(true);
  });
});

describe('targets of one service share equal parts', () => {
  it('cells share `with`, labels and empty parts; a part that differs stays its own', () => {
    const r = compileSpec(
      [
        'version: 1',
        'services:',
        '  api:',
        '    context: api',
        '    template: go',
        '    labels: { team: core }',
        '    matrix: { variant: [small, large] }',
        '    args: { VARIANT: "${{ matrix.variant }}" }',
        '',
      ].join('\n'),
      goDirs('api'),
    );
    expect(r.ok).toBe(true);
    const [a, b] = r.spec!.targets;
    expect(b!.with).toBe(a!.with);
    expect(b!.labels).toBe(a!.labels);
    expect(a!.annotations).toBe(NO_ENTRIES);
    expect(a!.contexts).toBe(NO_ENTRIES);
    expect(a!.secrets).toBe(NO_ITEMS);
    expect(a!.args).toEqual({ VARIANT: 'small' });
    expect(b!.args).toEqual({ VARIANT: 'large' });
  });
});
