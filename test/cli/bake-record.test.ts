// `matrix bake` keeps the model of its compile (src/cache/bake.ts): the next
// bake builds from it, without compiling, when every read that compile made
// answers the same. Here: the model read back is the compile's own, for each
// sample; a second bake answers from it with the same command; what turns it
// off. The property that a hit answers as a compile after any change is in
// test/unit/cache-property.test.ts.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bakeRecordPath, cachedCommitted, lastBakeOutcome } from '../../src/cache/bake.js';
import { locateSpec } from '../../src/cli/locate.js';
import { compileCommitted } from '../../src/cli/io.js';
import { captureIo, matrix, runEnv } from '../helpers/cli.js';
import { copySample, hashTree, REPO_ROOT, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** Whether the spec of `dir` has a bake record (in this user's private temp directory, src/cache/store.ts). */
function hasBakeRecord(dir: string, env: Record<string, string> = {}): boolean {
  const io = captureIo(dir, runEnv(env));
  const file = bakeRecordPath(io, locateSpec(io, undefined));
  return file !== undefined && existsSync(file);
}

const SAMPLES = readdirSync(path.join(REPO_ROOT, 'samples'));
// The git values and the epoch pinned: the printed command is the same from run to run.
const PINNED = { MATRIX_GIT_SHA: '0123456789abcdef0123456789abcdef01234567', MATRIX_GIT_BRANCH: 'main', SOURCE_DATE_EPOCH: '1700000000' };

describe('bake keeps the model of its compile', () => {
  it.each(SAMPLES)('%s: the model read back is the one the compile made (spec, files, the spec as loaded)', async (sample) => {
    const dir = copySample(sample);
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    expect((await matrix(['bake', '--dry-run'], dir, PINNED)).status).toBe(0);
    expect(lastBakeOutcome()).toBe('miss');
    const io = captureIo(dir, runEnv(PINNED));
    const kept = cachedCommitted(io, {});
    expect(lastBakeOutcome()).toBe('hit');
    const compiled = await compileCommitted(io, undefined, 'test');
    if (kept === undefined || compiled === 1) throw new Error('no model');
    // toStrictEqual: the same keys (one left undefined too), the same Maps, the same order.
    expect(kept.spec).toStrictEqual(compiled.result.spec);
    expect([...kept.files]).toStrictEqual([...compiled.result.files!]);
    expect(kept.loaded.value).toStrictEqual(compiled.result.loaded.value);
    expect(kept.loaded.source).toBe(compiled.result.loaded.source);
    expect(kept.loc).toStrictEqual(compiled.loc);
  });

  it('the next bake answers from it: the same command, no compile', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const first = await matrix(['bake', '--dry-run'], dir, PINNED);
    expect(lastBakeOutcome()).toBe('miss');
    expect(hasBakeRecord(dir)).toBe(true);
    const second = await matrix(['bake', '--dry-run'], dir, PINNED);
    expect(lastBakeOutcome()).toBe('hit');
    expect(second).toEqual(first);
    expect(first.status).toBe(0);
  });

  it('a generated file edited since: a miss, and bake refuses the stale file as without a record', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    expect((await matrix(['bake', '--dry-run'], dir, PINNED)).status).toBe(0);
    writeFileSync(path.join(dir, 'docker-bake.hcl'), '# edited\n', { flag: 'a' });
    const stale = await matrix(['bake', '--dry-run'], dir, PINNED);
    expect(lastBakeOutcome()).toBe('miss');
    expect(stale.status).toBe(1);
    expect(stale).toEqual(await matrix(['bake', '--dry-run'], dir, { ...PINNED, MATRIX_CACHE: '0' }));
  });

  it('the record is never in the repository, its git directory included: one there is not read', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const before = hashTree(dir);
    const first = await matrix(['bake', '--dry-run'], dir, PINNED);
    expect(hashTree(dir)).toBe(before);
    expect(hasBakeRecord(dir)).toBe(true);
    // The same record, put in the git directory (as a repository's archive could bring one), and none of our own.
    const io = captureIo(dir, runEnv(PINNED));
    const own = bakeRecordPath(io, locateSpec(io, undefined))!;
    writeFileSync(path.join(dir, '.git', path.basename(own)), readFileSync(own));
    rmSync(own);
    expect(await matrix(['bake', '--dry-run'], dir, PINNED)).toEqual(first);
    expect(lastBakeOutcome()).toBe('miss');
  });

  it('a bake refused after its compile (an unknown target) keeps no record: bad input changes nothing on disk', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const r = await matrix(['bake', '--dry-run', 'no-such-target'], dir, PINNED);
    expect(r.status).toBe(2);
    expect(lastBakeOutcome()).toBe('miss');
    expect(hasBakeRecord(dir)).toBe(false);
  });

  it('off with MATRIX_CACHE=0 and with --no-cache (nothing reused): no record read or kept', async () => {
    const dir = copySample('hello-go');
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    expect((await matrix(['bake', '--dry-run'], dir, { ...PINNED, MATRIX_CACHE: '0' })).status).toBe(0);
    expect(lastBakeOutcome()).toBe('off');
    expect((await matrix(['bake', '--dry-run', '--no-cache'], dir, PINNED)).status).toBe(0);
    expect(lastBakeOutcome()).toBe('off');
    expect(hasBakeRecord(dir)).toBe(false);
  });
});
