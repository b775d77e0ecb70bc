// The benchmark tier's duration bounds (`npm run bench:limits`, not part of
// `npm test`): how long the guards against quadratic or unbounded work take on
// inputs built to defeat them. The ordinary suite asserts the work those
// guards do (cells expanded, reads made, a summary instead of a diff); the
// time depends on the machine and its load, so it is measured here, on
// purpose, one file at a time.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, positionOf } from '../../src/load/load.js';
import { unifiedDiff } from '../../src/output/diff.js';
import { scaleSpec, writeScaleRepo } from '../../scripts/gen-scale-spec.mjs';
import { brief, compileSpec, goDirs, load } from '../helpers/spec.js';

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

describe('guards against unbounded work, timed', () => {
  it('a matrix of 10^12 combinations is refused within 1 s', () => {
    const src = [
      'version: 1',
      'defaults:',
      '  context: api',
      '  template: go',
      '  matrix:',
      '    a0: &ten [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]',
      ...Array.from({ length: 11 }, (_, i) => `    a${i + 1}: *ten`),
      'services:',
      '  a: {}',
      '  b: {}',
    ].join('\n');
    compileSpec('version: 1\nservices:\n  a:\n    context: api\n    template: go\n', goDirs('api')); // warm: the schema compiles once
    const { value: r, ms } = timed(() => compileSpec(src, goDirs('api')));
    expect(brief(r.diagnostics).map((d) => d.code)).toEqual(['matrix-too-large']);
    expect(ms).toBeLessThan(1000);
  });

  it('60 services x 1,000 combinations (60,000 targets) are refused within 1 s', () => {
    const src = [
      'version: 1',
      'defaults:',
      '  context: api',
      '  template: go',
      '  matrix:',
      '    a: &ten [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]',
      '    b: *ten',
      '    c: *ten',
      'services:',
      ...Array.from({ length: 60 }, (_, i) => `  s${i}: {}`),
    ].join('\n');
    const { value: r, ms } = timed(() => compileSpec(src, goDirs('api')));
    expect(brief(r.diagnostics).map((d) => d.code)).toEqual(['too-many-targets']);
    expect(ms).toBeLessThan(1000);
  });

  it('a diff of 20,000 lines against 20,000 others is summarised within 5 s', () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 20_000 }, (_, i) => `b${i}`).join('\n');
    const { value: d, ms } = timed(() => unifiedDiff(a, b, 'a/f', 'b/f'));
    expect(d.split('\n')[2]).toMatch(/^@@ /);
    expect(ms).toBeLessThan(5000);
  });

  it('an alias bomb ("billion laughs") is stopped within 2 s', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++)
      lines.push(
        `${names[i]}: &${names[i]} [${Array(9)
          .fill(`*${names[i - 1]}`)
          .join(',')}]`,
      );
    const { value: spec, ms } = timed(() => load(lines.join('\n') + '\n'));
    expect(brief(spec.diagnostics).map((d) => d.code)).toEqual(['yaml-alias-limit']);
    expect(ms).toBeLessThan(2000);
  });

  it('10,000 positions on 10,000 services within 0.5 s (a linear search per lookup: 50 million key comparisons)', () => {
    const spec = loadSpec('matrix.yaml', scaleSpec(10_000) as string);
    positionOf(spec, ['services', 'svc-00000']);
    const { ms } = timed(() => {
      for (let i = 0; i < 10_000; i += 1) positionOf(spec, ['services', `svc-${String(i).padStart(5, '0')}`, 'with'], true);
    });
    expect(ms).toBeLessThan(500);
  }, 60_000);
});

/** Peak RSS in MB of `matrix ARGS` in `cwd` (the bin as users run it), read by the child itself as it exits. */
function peakRssMb(cwd: string, args: string[]): { status: number | null; mb: number } {
  const bin = path.resolve(__dirname, '../../bin/matrix.cjs');
  const probe = `process.on('exit', () => process.stderr.write('\\nmaxrss=' + process.resourceUsage().maxRSS + '\\n')); process.argv.splice(1, 0, ${JSON.stringify(bin)}); require(${JSON.stringify(bin)});`;
  const r = spawnSync(process.execPath, ['-e', probe, ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  const kb = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return { status: r.status, mb: kb / 1024 };
}

describe('peak memory of gen on 10,000 services (issue 18)', () => {
  // 220-245 MB while resolve kept every rendered Dockerfile and the old files' texts; 274-299 MB
  // before that. Now a file is rendered, compared (by digest), written and dropped one at a time,
  // cells share equal parts, and the young generation of a large spec does not grow (src/cli/gen.ts):
  // measured 139-146 MB. A gen that rewrote every file (as after a template change) peaked at
  // 161-164 MB: each planned change an object literal with two getters of its own (13 MB over the
  // plan and its check under the lock), and the old bake file's manifest made of slices of its 8 MB
  // text, which kept the text alive. Now 137 MB fresh, 140-141 MB up to date, 148-149 MB all stale.
  // The issue's goal is 150 MB.
  it('gen in a fresh directory, gen again, gen --check up to date, and gen with every file stale, each peak at most 150 MB', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-rss-'));
    try {
      writeScaleRepo(10_000, dir);
      for (const args of [
        ['gen', '-q'],
        ['gen', '-q'],
        ['gen', '--check'],
      ]) {
        const run = peakRssMb(dir, args);
        expect(run.status, args.join(' ')).toBe(0);
        expect(run.mb, args.join(' ')).toBeLessThanOrEqual(150);
      }
      // Every generated Dockerfile one line longer: gen reads each old file and writes each again.
      for (const s of readdirSync(path.join(dir, 'services'))) appendFileSync(path.join(dir, 'services', s, 'Dockerfile'), '\n');
      const stale = peakRssMb(dir, ['gen', '-q']);
      expect(stale.status).toBe(0);
      expect(stale.mb, 'gen with every file stale').toBeLessThanOrEqual(150);
      expect(peakRssMb(dir, ['gen', '--check']).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
