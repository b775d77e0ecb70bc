// src/output/format.ts and the diff of `gen --check`: what the commands show, in one place.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../../src/diagnostics.js';
import { unifiedDiff } from '../../src/output/diff.js';
import type { PlannedTarget } from '../../src/plan/build-plan.js';
import { formatAffected, formatBlocked, formatDoctor, formatDrift, formatPlan, formatStale, formatTable, formatWritten } from '../../src/output/format.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);
const plain = colors(false);

describe('unifiedDiff, from the diff package, reads as `diff -u`', () => {
  /** GNU diffutils' `diff -u` body (without its time-stamped ---/+++ lines). */
  function gnuDiff(a: string, b: string): string | undefined {
    const dir = tempDir('matrix-diff-');
    writeFileSync(path.join(dir, 'a'), a);
    writeFileSync(path.join(dir, 'b'), b);
    const r = spawnSync('diff', ['-u', 'a', 'b'], { cwd: dir, encoding: 'utf8' });
    if (r.error) return undefined;
    return r.stdout.split('\n').slice(2).join('\n').replace(/\n$/, '');
  }
  const lines = (n: number, edit: (i: number) => string | undefined = () => undefined) => Array.from({ length: n }, (_, i) => edit(i) ?? `line ${i + 1}`).join('\n') + '\n';

  // Hunks split and merge where GNU diff (diffutils 3.x, `diff -u`: 3 lines of
  // context, hunks joined when at most 6 unchanged lines lie between) puts them.
  it.each([
    ['one change', lines(20), lines(20, (i) => (i === 9 ? 'ten' : undefined))],
    ['two changes 6 lines apart', lines(20), lines(20, (i) => (i === 4 || i === 11 ? 'x' : undefined))],
    ['two changes 7 lines apart', lines(20), lines(20, (i) => (i === 4 || i === 12 ? 'x' : undefined))],
    ['an insertion and a deletion', lines(20), lines(20, (i) => (i === 2 ? 'line 3\nnew' : i === 15 ? '' : undefined)).replace('\n\n', '\n')],
    ['a change at the end', lines(5), lines(5, (i) => (i === 4 ? 'last' : undefined))],
  ])('%s: the same hunks as diff -u', (_name, a, b) => {
    const ours = unifiedDiff(a, b, 'a/f', 'b/f').split('\n').slice(2).join('\n');
    // diff(1) is GNU diffutils, an essential package on Debian: always there.
    const gnu = gnuDiff(a, b);
    expect(gnu, 'diff(1) must be installed').toBeDefined();
    // GNU omits a count of 1 (`@@ -5 +5 @@`); we always give both counts.
    expect(ours).toBe(
      gnu!.replace(/^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@$/gm, (_m, a1: string, c1: string | undefined, b1: string, c2: string | undefined) => `@@ -${a1}${c1 ?? ',1'} +${b1}${c2 ?? ',1'} @@`),
    );
  });
});

describe('formatDrift', () => {
  it('names each file with what is wrong, then its diff, then the fix', () => {
    const text = formatDrift(
      [
        { kind: 'update', file: 'api/Dockerfile', before: 'a\n', after: 'b\n' },
        { kind: 'create', file: 'web/Dockerfile', after: 'x\n' },
        { kind: 'delete', file: 'old/Dockerfile', before: 'y\n' },
      ],
      unifiedDiff,
      plain,
    );
    expect(text).toBe(
      [
        'api/Dockerfile: stale',
        '--- a/api/Dockerfile',
        '+++ b/api/Dockerfile',
        '@@ -1,1 +1,1 @@',
        '-a',
        '+b',
        'web/Dockerfile: missing',
        '--- /dev/null',
        '+++ b/web/Dockerfile',
        '@@ -0,0 +1,1 @@',
        '+x',
        'old/Dockerfile: orphaned (its service is gone from the spec)',
        '--- a/old/Dockerfile',
        '+++ /dev/null',
        '@@ -1,1 +0,0 @@',
        '-y',
        '3 generated file(s) out of date. Run `matrix gen` and commit the result.',
        '',
      ].join('\n'),
    );
  });

  it('colours added, removed and hunk lines when asked', () => {
    const text = formatDrift([{ kind: 'update', file: 'f', before: 'a\n', after: 'b\n' }], unifiedDiff, colors(true));
    expect(text).toContain('\u001b[31m-a\u001b[39m');
    expect(text).toContain('\u001b[32m+b\u001b[39m');
    expect(text).toContain('\u001b[36m@@ -1,1 +1,1 @@\u001b[39m');
  });
});

describe('the other formats', () => {
  it('gen: one line per written file, then the counts', () => {
    expect(
      formatWritten(
        [
          { kind: 'create', file: 'a' },
          { kind: 'update', file: 'b' },
          { kind: 'delete', file: 'c' },
        ],
        4,
        plain,
      ),
    ).toBe('created a\nupdated b\nremoved c\n3 changed, 4 unchanged.\n');
  });

  it('bake and verify: the stale files and the fix', () => {
    expect(
      formatStale(
        [
          { kind: 'create', file: 'a' },
          { kind: 'update', file: 'b' },
          { kind: 'delete', file: 'c' },
        ],
        'matrix.yaml',
        'what is built is what is committed',
      ),
    ).toBe('matrix: the generated files do not match matrix.yaml:\n  a (missing)\n  b (stale)\n  c (orphaned)\nRun `matrix gen` (and commit the result): what is built is what is committed.\n');
  });

  it('doctor: every check, then the verdict; a blocked build: the failed checks and where to look', () => {
    const checks = [
      { name: 'docker CLI', status: 'ok' as const, detail: 'version 26.1' },
      { name: 'Docker daemon', status: 'fail' as const, detail: 'not reachable', fix: 'start Docker' },
    ];
    expect(formatDoctor(checks, plain)).toBe(
      'ok   docker CLI: version 26.1\nFAIL Docker daemon: not reachable\n     fix: start Docker\n\nSome checks failed. Apply the fixes above, then run `matrix doctor` again.\n',
    );
    expect(formatDoctor(checks.slice(0, 1), plain)).toBe('ok   docker CLI: version 26.1\n\nReady to build.\n');
    expect(formatBlocked(checks.slice(1), 'rebuild', plain)).toBe('FAIL Docker daemon: not reachable\n     fix: start Docker\nmatrix: cannot rebuild until this is fixed (see `matrix doctor`).\n');
  });
});

describe('formatTable: the one table of the summaries (bake, verify)', () => {
  const colored = colors(true);
  it('pads each column to its widest cell, two spaces apart, with no trailing blanks', () => {
    expect(
      formatTable(
        ['A', 'LONGER'],
        [
          ['wide cell', 'x'],
          ['b', ''],
        ],
        plain,
      ),
    ).toEqual(['A          LONGER', 'wide cell  x', 'b']);
  });

  it('a cell the caller writes (in colour) keeps the width of its plain text', () => {
    const lines = formatTable(['K', 'STATUS', 'N'], [['a', 'ok', '1']], colored, (_r, col, text, width) => (col === 1 ? colored.green(text) + ' '.repeat(width - text.length) : undefined));
    expect(lines[0]).toBe(colored.bold('K  STATUS  N'));
    expect(lines[1]).toBe(`a  ${colored.green('ok')}      1`);
  });
});

describe('formatPlan and formatAffected: what `matrix plan` prints', () => {
  const target = (name: string, mode: 'native' | 'emulated' | 'cross', extra: Partial<PlannedTarget> = {}): PlannedTarget => ({
    name,
    service: name,
    matrix: {},
    context: name,
    dockerfile: `${name}/Dockerfile`,
    generated: true,
    platforms: [{ platform: 'linux/arm64', mode }],
    tags: [`r/${name}:latest`],
    args: {},
    labels: {},
    contexts: {},
    ...extra,
  });

  it('one block per target, then a note on emulated platforms', () => {
    const plan = {
      spec: 'matrix.yaml',
      bakeFile: 'docker-bake.hcl',
      buildPlatform: 'linux/amd64',
      targets: [target('api', 'emulated', { matrix: { go: '1.22' }, args: { GO: '1.22' }, contexts: { base: 'target:base' } }), target('web', 'cross', { generated: false })],
    };
    expect(formatPlan(plan, plain)).toBe(
      [
        '2 targets from matrix.yaml -> docker-bake.hcl (build platform linux/amd64)',
        '',
        'api {"go":"1.22"}',
        '  dockerfile  api/Dockerfile (generated)',
        '  platforms   linux/arm64 emulated',
        '  tags        r/api:latest',
        '  args        GO="1.22"',
        '  after       base',
        'web',
        '  dockerfile  web/Dockerfile',
        '  platforms   linux/arm64 cross',
        '  tags        r/web:latest',
        '',
        'note: 1 target platform(s) run build steps under emulation (slow): api linux/arm64',
        '',
      ].join('\n'),
    );
  });

  it('the affected targets with their reasons, or that none changed', () => {
    expect(formatAffected('main', [target('api', 'native')], 3, new Map([['api', ['api/main.go changed', 'base changed']]]), plain)).toBe(
      '1 of 3 targets affected since main:\n  api: api/main.go changed; base changed\n\n',
    );
    expect(formatAffected('main', [], 3, new Map(), plain)).toBe('Nothing affected since main: all 3 targets unchanged.\n');
  });
});
