// `matrix graph` and `matrix ci-matrix` answer from a record of their own last
// run with the same options (src/cache/output.ts, src/cli/output-entry.ts),
// as `plan` does: every read it made must answer the same, and each set of
// options has its own record. None is kept with the cache off or after a
// failed run. Issue #18: "every command as quick to start as `gen`"; the
// property test (test/unit/cache-property.test.ts) holds the cached answer
// equal to `--no-cache` after random changes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastOutputOutcome } from '../../src/cache/output.js';
import { matrix } from '../helpers/cli.js';
import { copySample, hashTreeButRecords, recordsIn, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const recordsOf = (dir: string, kind: string) => readdirSync(path.join(dir, '.git')).filter((n) => new RegExp(`^matrix-${kind}-[0-9a-f]{16}\\.json$`).test(n));

/** ARGS with the cache and with --no-cache: equal answers, nothing written but records; returns the cached one and whether it was a hit. */
async function both(dir: string, args: string[], env: Record<string, string> = {}) {
  const before = hashTreeButRecords(dir);
  const cached = await matrix(args, dir, env);
  const outcome = lastOutputOutcome();
  const full = await matrix([...args, '--no-cache'], dir, env);
  expect(cached, args.join(' ')).toEqual(full);
  expect(hashTreeButRecords(dir)).toBe(before);
  return { ...cached, outcome };
}

describe('graph and ci-matrix on samples/monorepo with the cache', () => {
  it.each([
    ['graph', ['graph'], ['graph', '--format', 'dot']],
    ['ci-matrix', ['ci-matrix'], ['ci-matrix', '--format', 'plan']],
  ])('%s: the first run keeps a record; the next answers from it as a full run; other options have their own; an edit to the spec is a miss', async (kind, args, other) => {
    const dir = copySample('monorepo');
    const first = await both(dir, args);
    expect(first.outcome).toBe('miss');
    expect(first.status).toBe(0);
    expect(recordsOf(dir, kind)).toHaveLength(1);
    const saved = JSON.parse(readFileSync(path.join(dir, '.git', recordsOf(dir, kind)[0]!), 'utf8')) as { stdout: string };
    expect(saved.stdout).toBe(first.stdout);
    const second = await both(dir, args);
    expect(second.outcome).toBe('hit');
    const another = await both(dir, other);
    expect(another.outcome).toBe('miss');
    expect(another.stdout).not.toBe(first.stdout);
    expect(recordsOf(dir, kind)).toHaveLength(2);
    expect((await both(dir, other)).outcome).toBe('hit');
    expect((await both(dir, args)).stdout).toBe(first.stdout);
    // One platform fewer for every service: the record no longer holds.
    const spec = path.join(dir, 'matrix.yaml');
    const text = readFileSync(spec, 'utf8');
    expect(text).toContain('platforms: [linux/amd64, linux/arm64]');
    writeFileSync(spec, text.replace('platforms: [linux/amd64, linux/arm64]', 'platforms: [linux/amd64]'));
    const edited = await both(dir, args);
    expect(edited.outcome).toBe('miss');
    expect(edited.stdout).not.toBe(first.stdout);
    expect((await both(dir, args)).outcome).toBe('hit');
  });

  it('with the cache off (--no-cache, MATRIX_CACHE=0) no record is read or kept; a failed run keeps none', async () => {
    const dir = copySample('monorepo');
    for (const [args, env] of [
      [['graph', '--no-cache'], {}],
      [['ci-matrix'], { MATRIX_CACHE: '0' }],
    ] as const) {
      const r = await matrix([...args], dir, { ...env });
      expect(r.status).toBe(0);
      expect(lastOutputOutcome()).toBe('off');
    }
    expect(recordsIn(dir).size).toBe(0);
    for (const args of [
      ['ci-matrix', '--runner', 'linux/s390x=big-iron'],
      ['ci-matrix', '--max-levels', '2'],
    ]) {
      const r = await matrix(args, dir);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).not.toBe('');
    }
    expect(recordsIn(dir).size).toBe(0);
  });
});
