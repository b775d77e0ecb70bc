import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/output/diff.js';

/** Applies a unified diff to `old` (strict: context and removed lines must match). */
function applyPatch(old: string, patch: string): string {
  const a = old === '' ? [] : old.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let ai = 0;
  const lines = patch.split('\n');
  expect(lines[0]!.startsWith('--- ')).toBe(true);
  expect(lines[1]!.startsWith('+++ ')).toBe(true);
  let i = 2;
  while (i < lines.length) {
    const m = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[i]!);
    if (!m) throw new Error(`bad hunk header: ${lines[i]}`);
    const [aStart, aCount, , bCount] = m.slice(1).map(Number) as [number, number, number, number];
    const from = aCount === 0 ? aStart : aStart - 1;
    if (from < ai) throw new Error('hunks overlap or go backwards');
    while (ai < from) out.push(a[ai++]!);
    i++;
    let seenA = 0;
    let seenB = 0;
    while (i < lines.length && !lines[i]!.startsWith('@@ ')) {
      const l = lines[i]!;
      const body = l.slice(1);
      if (l[0] === ' ') {
        expect(a[ai]).toBe(body);
        out.push(body), ai++, seenA++, seenB++;
      } else if (l[0] === '-') {
        expect(a[ai]).toBe(body);
        ai++, seenA++;
      } else if (l[0] === '+') {
        out.push(body), seenB++;
      } else throw new Error(`bad line: ${JSON.stringify(l)}`);
      i++;
    }
    expect([seenA, seenB]).toEqual([aCount, bCount]);
  }
  while (ai < a.length) out.push(a[ai++]!);
  return out.length ? out.join('\n') + '\n' : '';
}

describe('unifiedDiff', () => {
  it('shows one changed line with three lines of context', () => {
    const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n';
    const b = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\nl9\n';
    expect(unifiedDiff(a, b, 'a/f', 'b/f')).toBe(['--- a/f', '+++ b/f', '@@ -2,7 +2,7 @@', ' l2', ' l3', ' l4', '-l5', '+L5', ' l6', ' l7', ' l8'].join('\n'));
  });

  it('a new file is all additions from /dev/null', () => {
    expect(unifiedDiff('', 'x\ny\n', '/dev/null', 'b/f')).toBe(['--- /dev/null', '+++ b/f', '@@ -0,0 +1,2 @@', '+x', '+y'].join('\n'));
  });

  it('a deleted file is all removals', () => {
    expect(unifiedDiff('x\n', '', 'a/f', '/dev/null')).toBe(['--- a/f', '+++ /dev/null', '@@ -1,1 +0,0 @@', '-x'].join('\n'));
  });

  it('identical texts have no hunks', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'a/f', 'b/f')).toBe('--- a/f\n+++ b/f');
  });

  it('separates distant changes into hunks', () => {
    const a = Array.from({ length: 30 }, (_, i) => `l${i}`).join('\n') + '\n';
    const b = a.replace('l2\n', 'L2\n').replace('l25\n', 'L25\n');
    const d = unifiedDiff(a, b, 'a/f', 'b/f');
    expect(d.split('\n').filter((l) => l.startsWith('@@'))).toHaveLength(2);
    expect(applyPatch(a, d)).toBe(b);
  });

  // A one-byte change must never produce an empty diff: `gen --check` shows it to the user.
  it('shows a change to the final newline', () => {
    const d = unifiedDiff('a\nb\n', 'a\nb', 'a/f', 'b/f');
    expect(d.split('\n').some((l) => l.startsWith('@@'))).toBe(true);
  });

  it('shows a change from LF to CRLF', () => {
    const d = unifiedDiff('a\nb\n', 'a\r\nb\n', 'a/f', 'b/f');
    expect(d).toContain('-a\n+a\r');
  });

  it('summarises instead of exhausting memory on huge rewrites', () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 20_000 }, (_, i) => `b${i}`).join('\n');
    const d = unifiedDiff(a, b, 'a/f', 'b/f');
    expect(d.split('\n')[2]).toMatch(/^@@ /);
    // The work: the search gave up at its cap and printed a summary, not 40,000 changed lines.
    // How long that takes is measured by the benchmark tier (test/bench/limits.test.ts).
    expect(d.split('\n').length).toBeLessThan(10);
  });

  it('applying the diff to the old text gives the new text (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 40 }).map((ls) => (ls.length ? ls.join('\n') + '\n' : ''));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const d = unifiedDiff(a, b, 'a/f', 'b/f');
        expect(applyPatch(a, d)).toBe(b);
        if (a === b) expect(d).toBe('--- a/f\n+++ b/f');
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
