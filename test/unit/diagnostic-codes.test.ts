// Diagnostic codes are a closed set, and diagnostics have one constructor.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES, diagnostic, userError, type DiagnosticCode } from '../../src/diagnostics.js';
import { REPO_ROOT } from '../helpers/tree.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('diagnostic codes', () => {
  it('are listed once each, sorted', () => {
    expect([...DIAGNOSTIC_CODES]).toEqual([...new Set(DIAGNOSTIC_CODES)].sort());
  });

  it('every code the table lists is reported somewhere in src (no dead entries)', () => {
    const text = sources(path.join(REPO_ROOT, 'src'))
      .filter((f) => !f.endsWith(`${path.sep}diagnostics.ts`))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(DIAGNOSTIC_CODES.filter((c) => !text.includes(`'${c}'`))).toEqual([]);
  });

  it('the compiler refuses a code outside the table', () => {
    const make = (): void => {
      // @ts-expect-error not a diagnostic code
      diagnostic({ code: 'no-such-code', message: 'x' });
      // @ts-expect-error not a diagnostic code
      userError('no-such-code', 'x');
    };
    expect(typeof make).toBe('function'); // compiled, never run
    const code: DiagnosticCode = 'unknown-key';
    expect(DIAGNOSTIC_CODES).toContain(code);
  });

  it('the constructor fills the defaults: an error without a position', () => {
    expect(diagnostic({ code: 'spec-not-found', message: 'm' })).toEqual({ code: 'spec-not-found', severity: 'error', file: '', path: '', line: 0, column: 0, message: 'm' });
    expect(diagnostic({ code: 'unknown-key', message: 'm', hint: 'h', severity: 'warning', file: 'f', line: 2, column: 3, path: ['services', 'a b', 0] })).toEqual({
      code: 'unknown-key',
      severity: 'warning',
      file: 'f',
      path: 'services["a b"][0]',
      line: 2,
      column: 3,
      message: 'm',
      hint: 'h',
    });
  });
});
