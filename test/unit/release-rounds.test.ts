// bake in rounds: retries of transient failures, --keep-going on what does
// not depend on a failed target. runOnce is a fake bake here.
import { afterAll, describe, expect, it } from 'vitest';
import { selectTargets, type BakeSelection } from '../../src/bake/command.js';
import { type CellProgress, ProgressTracker } from '../../src/bake/progress.js';
import { bakeRounds, dependenciesOf, type Round, withBlockedBy } from '../../src/bake/rounds.js';
import { colors } from '../../src/diagnostics.js';
import { formatSummary } from '../../src/output/format.js';
import type { ResolvedSpec } from '../../src/spec.js';
import { compileSpec } from '../helpers/spec.js';
import { THREE_FAIL_BUILDX_0_13_1 } from '../helpers/bake-logs.js';
import { removeTempDirs } from '../helpers/tree.js';

const FOUR = ['kill9', 'segv', 'seven', 'slow'];

afterAll(removeTempDirs);

function spec(): ResolvedSpec {
  const source = [
    'version: 1',
    'platforms: [linux/amd64]',
    'services:',
    '  base: {context: base, template: go}',
    '  app: {context: app, template: go, depends_on: [base]}',
    '  top: {context: top, template: go, depends_on: [app]}',
    '  other: {context: other, template: go}',
    '',
  ].join('\n');
  const tree = Object.fromEntries(['base', 'app', 'top', 'other'].map((n) => [`${n}/go.mod`, 'module x\n']));
  const c = compileSpec(source, tree, { validateOnly: true });
  expect(c.diagnostics).toEqual([]);
  return c.spec!;
}

const cells = (sel: BakeSelection, failed: string[]): CellProgress[] =>
  sel.targets.map((t) => ({ target: t.target.name, platform: 'linux/amd64', status: failed.includes(t.target.name) ? 'failed' : 'cancelled', error: [] }));

const BUILD_ERROR = 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1';
const RESET = 'ERROR: failed to solve: failed to push r/x:1: failed to do request: Put "http://r/v2/x/manifests/1": write tcp 1.2.3.4:5->6.7.8.9:80: write: connection reset by peer';

describe('bakeRounds', () => {
  const s = spec();
  const sel = selectTargets(s, []);
  const noSleep = async () => undefined;

  it('dependencies are transitive, from the named contexts', () => {
    expect([...dependenciesOf(s.targets).get('top')!].sort()).toEqual(['app', 'base']);
    expect([...dependenciesOf(s.targets).get('other')!]).toEqual([]);
  });

  it('--keep-going: the unrelated target runs again, the dependents are skipped with the reason, exit 1', async () => {
    const runs: string[][] = [];
    const log: string[] = [];
    const r = await bakeRounds(sel, s.targets, { keepGoing: true, retries: 2, log: (l) => log.push(l), sleep: noSleep }, async (x): Promise<Round> => {
      runs.push(x.names.length ? x.names : ['(all)']);
      // BuildKit shows base's failed step under app and top too (they build it as a named context).
      return runs.length === 1 ? { code: 1, cells: cells(x, ['base', 'app', 'top']), lines: [BUILD_ERROR] } : { code: 0, cells: cells(x, []), lines: [] };
    });
    expect(runs).toEqual([['(all)'], ['other']]);
    expect(log).toEqual(['matrix: --keep-going: base failed; building what does not depend on it']);
    expect(r.built).toEqual(['other']);
    expect(r.failed).toEqual(['base']);
    expect(r.skipped).toEqual([
      { target: 'app', reason: 'depends on base, which failed' },
      { target: 'top', reason: 'depends on base, which failed' },
    ]);
    expect(r.exitCode).toBe(1);
  });

  it('--keep-going stops at a full disk: the next round would meet it too; no retry either', async () => {
    const runs: string[][] = [];
    const full = 'ERROR: failed to solve: failed to compute cache key: mount callback failed on /tmp/containerd-mount1: write /tmp/containerd-mount1/usr/bin/cksum: no space left on device';
    const r = await bakeRounds(sel, s.targets, { keepGoing: true, retries: 2, log: () => undefined, sleep: noSleep }, async (x): Promise<Round> => {
      runs.push(x.names.length ? x.names : ['(all)']);
      return { code: 1, cells: cells(x, ['base']), lines: [RESET, full] };
    });
    expect(runs).toEqual([['(all)']]);
    expect(r.exitCode).toBe(1);
    expect(r.last.lines).toContain(full);
    expect(r.fault).toMatchObject({ errno: 'ENOSPC', line: full });
  });

  it('--keep-going: a failure shown only under a dependent is not blamed on it until its dependency is decided', async () => {
    const runs: string[][] = [];
    const r = await bakeRounds(sel, s.targets, { keepGoing: true, retries: 0, log: () => undefined, sleep: noSleep }, async (x): Promise<Round> => {
      runs.push(x.names.length ? x.names : ['(all)']);
      // Round 1: base's step fails, named after app only. Round 2 (base, other): base fails on its own.
      const failing = runs.length === 1 ? ['app'] : x.names.includes('base') ? ['base'] : [];
      return { code: failing.length ? 1 : 0, cells: cells(x, failing), lines: failing.length ? [BUILD_ERROR] : [] };
    });
    expect(runs).toEqual([['(all)'], ['base', 'other'], ['other']]);
    expect(r.failed).toEqual(['base']);
    expect(r.built).toEqual(['other']);
    expect(r.skipped.map((x) => x.target).sort()).toEqual(['app', 'top']);
  });

  it('a transient failure is retried (logged with its cause), a build error is not', async () => {
    const log: string[] = [];
    let n = 0;
    const r = await bakeRounds(sel, s.targets, { keepGoing: false, retries: 2, log: (l) => log.push(l), sleep: noSleep }, async (x) =>
      ++n === 1 ? { code: 1, cells: cells(x, []), lines: [RESET] } : { code: 0, cells: cells(x, []), lines: [] },
    );
    expect(n).toBe(2);
    expect(r.exitCode).toBe(0);
    expect(log).toEqual([`matrix: retry 1 of 2 in 2s: a transient registry or network error: ${RESET}`]);
    n = 0;
    const b = await bakeRounds(sel, s.targets, { keepGoing: false, retries: 2, log: () => undefined, sleep: noSleep }, async (x) => (++n, { code: 1, cells: cells(x, ['app']), lines: [BUILD_ERROR] }));
    expect(n).toBe(1);
    expect(b.exitCode).toBe(1);
  });

  // src/release/classify.ts cacheFault: a cache record whose layer the engine lost (this project's CI, 2026-12-06).
  const LOST = 'snapshot cm7sno5k4vx763c94wwhdzo1c does not exist: not found';
  const LOST_LINE = `#14 ERROR: failed to commit cm7sno5k4vx763c94wwhdzo1c to 5qzyxfru9erqe7wczt3lvl6v6 during finalize: failed to stat active key during commit: ${LOST}`;
  const lostIn = (x: BakeSelection, names: string[]): CellProgress[] =>
    x.targets.map((t) => ({
      target: t.target.name,
      platform: 'linux/amd64',
      status: names.includes(t.target.name) ? 'failed' : 'cancelled',
      error: names.includes(t.target.name) ? ['exporting layers 0.0s done', `failed to commit cm7sno5k4vx763c94wwhdzo1c to 5qzyxfru9erqe7wczt3lvl6v6 during finalize: ${LOST}`] : [],
    }));

  it('a lost cached layer: the round runs again at once, the targets it failed without the cache', async () => {
    const log: string[] = [];
    const runs: (readonly string[] | undefined)[] = [];
    const r = await bakeRounds(sel, s.targets, { keepGoing: false, retries: 2, log: (l) => log.push(l), sleep: () => Promise.reject(new Error('no wait')) }, async (x) => {
      runs.push(x.noCache);
      return runs.length === 1
        ? { code: 1, cells: lostIn(x, ['other']), lines: ['#14 exporting layers 0.0s done', LOST_LINE, `ERROR: failed to solve: ${LOST}`] }
        : { code: 0, cells: cells(x, []), lines: [] };
    });
    expect(runs).toEqual([undefined, ['other']]);
    expect(r.exitCode).toBe(0);
    expect(r.cacheFault).toBeUndefined();
    expect(log).toEqual(['matrix: retry 1 of 2 now: the engine lost a cached layer (snapshot cm7sno5k4vx763c94wwhdzo1c); building other again without the cache']);
  });

  it('a lost cached layer no failed cell names: every target of the round without the cache; then it is said, once retries are spent', async () => {
    const runs: (readonly string[] | undefined)[] = [];
    const r = await bakeRounds(sel, s.targets, { keepGoing: false, retries: 1, log: () => undefined, sleep: noSleep }, async (x) => {
      runs.push(x.noCache);
      return { code: 1, cells: cells(x, []), lines: [`ERROR: failed to solve: ${LOST}`] };
    });
    expect(runs).toEqual([undefined, ['base', 'app', 'top', 'other']]);
    expect(r.exitCode).toBe(1);
    expect(r.cacheFault).toEqual({ snapshot: 'cm7sno5k4vx763c94wwhdzo1c', line: `ERROR: failed to solve: ${LOST}` });
    // The retry built every target without the cache, and still met it.
    expect(r.cacheFaultFromCache).toBe(false);
    const none: (readonly string[] | undefined)[] = [];
    const z = await bakeRounds(
      sel,
      s.targets,
      { keepGoing: false, retries: 0, log: () => undefined, sleep: noSleep },
      async (x) => (none.push(x.noCache), { code: 1, cells: lostIn(x, ['app']), lines: [LOST_LINE] }),
    );
    expect(none).toEqual([undefined]);
    expect(z.cacheFault?.snapshot).toBe('cm7sno5k4vx763c94wwhdzo1c');
    expect(z.cacheFaultFromCache).toBe(true);
  });

  it('--keep-going after a retry without the cache: the next round keeps it for the targets still to build', async () => {
    const runs: { names: readonly string[]; noCache?: readonly string[] }[] = [];
    await bakeRounds(sel, s.targets, { keepGoing: true, retries: 2, log: () => undefined, sleep: noSleep }, async (x) => {
      runs.push({ names: x.names, ...(x.noCache ? { noCache: x.noCache } : {}) });
      if (runs.length === 1) return { code: 1, cells: lostIn(x, ['other']), lines: [LOST_LINE] };
      if (runs.length === 2) return { code: 1, cells: cells(x, ['base']), lines: [BUILD_ERROR] };
      return { code: 0, cells: cells(x, []), lines: [] };
    });
    expect(runs).toEqual([{ names: [] }, { names: [], noCache: ['other'] }, { names: ['other'], noCache: ['other'] }]);
  });

  it('gives up after --retries attempts', async () => {
    let n = 0;
    const r = await bakeRounds(sel, s.targets, { keepGoing: false, retries: 2, log: () => undefined, sleep: noSleep }, async (x) => (++n, { code: 1, cells: cells(x, []), lines: [RESET] }));
    expect(n).toBe(3);
    expect(r.exitCode).toBe(1);
  });
});

// Targets whose steps failed at about the same moment, each for its own reason, read from a real bake's
// progress (test/helpers/bake-logs.ts, buildx 0.13.1): each failed, none is built again as if bake had
// only cancelled it; the one bake cancelled (slow) is.
describe('bakeRounds: targets that failed at once', () => {
  const source = ['version: 1', 'platforms: [linux/amd64]', 'services:', ...FOUR.map((n) => `  ${n}: {context: ${n}, template: go}`), ''].join('\n');
  const c = compileSpec(source, Object.fromEntries(FOUR.map((n) => [`${n}/go.mod`, 'module x\n'])), { validateOnly: true });
  const sel = selectTargets(c.spec!, []);

  it('--keep-going builds only the cancelled target again; the failed ones are failed', async () => {
    expect(c.diagnostics).toEqual([]);
    const runs: string[][] = [];
    const log: string[] = [];
    const r = await bakeRounds(sel, c.spec!.targets, { keepGoing: true, retries: 2, log: (l) => log.push(l), sleep: async () => undefined }, async (x): Promise<Round> => {
      runs.push(x.names.length ? x.names : ['(all)']);
      const tracker = new ProgressTracker(
        x.targets.map((t) => ({ target: t.target.name, platforms: t.platforms })),
        () => 0,
      );
      const lines = runs.length === 1 ? THREE_FAIL_BUILDX_0_13_1 : [];
      for (const l of lines) tracker.line(l);
      const code = lines.length ? 1 : 0;
      return { code, cells: tracker.finish(code), lines: [...lines] };
    });
    expect(runs).toEqual([['(all)'], ['slow']]);
    expect(log).toEqual(['matrix: --keep-going: kill9, segv, seven failed; building what does not depend on it']);
    expect(r.failed).toEqual(['kill9', 'segv', 'seven']);
    expect(r.built).toEqual(['slow']);
    expect(r.exitCode).toBe(1);
  });
});

describe('withBlockedBy: why a target did not finish', () => {
  const s = spec();
  const row = (target: string, status: CellProgress['status']) => ({ target, platform: 'linux/amd64', status });

  it('names the failed target each unfinished one is built from, transitively, and nothing else', () => {
    const rows = [row('base', 'failed'), row('app', 'cancelled'), row('top', 'cancelled'), row('other', 'cancelled')];
    expect(withBlockedBy(rows, s.targets).map((r) => [r.target, r.blockedBy])).toEqual([
      ['base', undefined],
      ['app', 'base'],
      ['top', 'base'],
      // Built from nothing that failed: bake stopped before it finished.
      ['other', undefined],
    ]);
  });

  it('blames the nearest failed target, and none when nothing failed', () => {
    const rows = [row('base', 'done'), row('app', 'failed'), row('top', 'cancelled')];
    expect(withBlockedBy(rows, s.targets).map((r) => r.blockedBy)).toEqual([undefined, undefined, 'app']);
    const none = [row('base', 'cancelled'), row('app', 'cancelled')];
    expect(withBlockedBy(none, s.targets)).toEqual(none);
  });

  it('the summary says "not built" and why, and "not finished" only for the rest', () => {
    const rows = withBlockedBy([row('base', 'failed'), row('app', 'cancelled'), row('top', 'cancelled'), row('other', 'cancelled')], s.targets);
    const text = formatSummary(rows, 1, colors(false));
    const statusOf = (t: string) =>
      text
        .split('\n')
        .find((l) => l.startsWith(`${t} `))
        ?.split(/\s{2,}/)[2];
    expect([statusOf('base'), statusOf('app'), statusOf('top'), statusOf('other')]).toEqual(['FAILED', 'not built', 'not built', 'not finished']);
    expect(text).toContain('\napp, top: not built, as they are built from base, which failed.\n');
  });

  it('a target exported before bake failed elsewhere is "built, no metadata", with a line saying why, never "not finished"', () => {
    const early = { target: 'other', platform: 'linux/amd64', status: 'no-metadata' as const, exportedBeforeFailure: true as const };
    const text = formatSummary([row('base', 'failed'), early], 1, colors(false));
    const line = text.split('\n').find((l) => l.startsWith('other '));
    expect(line?.split(/\s{2,}/)[2]).toBe('built, no metadata');
    expect(text).toContain(
      '\nother: built; its export ended before bake stopped for the failure. buildx writes no metadata after a failed bake, so its image and digest are not known here; `--keep-going` builds it again from the cache and reads them.\n',
    );
    expect(text).not.toContain('not finished');
  });
});
