// The pieces of the gen cache (src/cache/, src/fs/recorder.ts): each kind of
// input a run reads is recorded and a change to it is seen on replay; a
// record that is corrupt or hostile in any way is a miss, never a crash.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingEnv, sameEnv } from '../../src/cache/env.js';
import { checkLine } from '../../src/cache/manifest.js';
import { headerFor, recordText, SEAL_READ, verifiedUpToDate, withReads } from '../../src/cache/record.js';
import { sealPath } from '../../src/cache/store.js';
import { exists, listDir, statKind } from '../../src/fs/probe.js';
import { readRegularBytes, readRegularText } from '../../src/fs/read.js';
import { recording, replayAnswer } from '../../src/fs/recorder.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** Record `fn`, then tell whether every recorded answer still holds. */
async function recorded(fn: () => unknown) {
  const r = await recording(async () => {
    try {
      fn();
    } catch {
      /* a fault is an answer too */
    }
  });
  const holds = () => [...r.observations].every(([key, answer]) => replayAnswer(JSON.parse(key)) === answer);
  return { ...r, holds };
}

describe('each kind of input is recorded and replayed', () => {
  it('a file read: by the digest of its bytes; a one-byte edit is a change, rewriting the same bytes is not', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.txt');
    writeFileSync(f, 'hello\n');
    const r = await recorded(() => readRegularText(f));
    expect(r.complete).toBe(true);
    expect([...r.observations.keys()].map((k) => JSON.parse(k)[0])).toEqual(['read']);
    writeFileSync(f, 'hello\n');
    expect(r.holds()).toBe(true);
    writeFileSync(f, 'hellO\n');
    expect(r.holds()).toBe(false);
  });

  it('a file that could not be read: the fault is the answer; the file appearing is a change', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'missing.txt');
    const r = await recorded(() => readRegularText(f));
    expect([...r.observations.values()][0]).toMatch(/^fault:missing:/);
    expect(r.holds()).toBe(true);
    writeFileSync(f, 'now here\n');
    expect(r.holds()).toBe(false);
  });

  it('an absent path probed (exists, kind): appearing is a change; a file turning into a directory too', async () => {
    const dir = tempDir();
    const p = path.join(dir, 'matrix.yml');
    const r = await recorded(() => [
      exists(p),
      (() => {
        try {
          return statKind(p, false);
        } catch {
          return 'missing';
        }
      })(),
    ]);
    expect([...r.observations.values()]).toEqual(['false', 'err:ENOENT']);
    expect(r.holds()).toBe(true);
    mkdirSync(p);
    expect(r.holds()).toBe(false);
    rmSync(p, { recursive: true });
    expect(r.holds()).toBe(true);
  });

  it('a directory listing: a new entry is a change', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a'), '');
    const r = await recorded(() => listDir(dir));
    expect(r.holds()).toBe(true);
    writeFileSync(path.join(dir, 'b'), '');
    expect(r.holds()).toBe(false);
  });

  it('an environment variable read through Io: a value, or its absence, that changes is a change; others are not', () => {
    const reads = new Map<string, string | null>();
    const env = recordingEnv({ A: '1', OTHER: 'x' }, reads);
    expect(env.A).toBe('1');
    expect(env.B).toBeUndefined();
    expect([...reads]).toEqual([
      ['A', '1'],
      ['B', null],
    ]);
    expect(sameEnv({ A: '1', OTHER: 'y' }, [...reads])).toBe(true);
    expect(sameEnv({ A: '2' }, [...reads])).toBe(false);
    expect(sameEnv({ A: '1', B: '' }, [...reads])).toBe(false);
    // Listing the whole environment makes all of it count.
    const all = new Map<string, string | null>();
    Object.keys(recordingEnv({ A: '1' }, all));
    expect(sameEnv({ A: '1' }, [...all])).toBe(true);
    expect(sameEnv({ A: '1', Z: '' }, [...all])).toBe(false);
  });

  it('a run that sees one input answer twice differently is never reused', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.txt');
    writeFileSync(f, '1');
    const r = await recorded(() => {
      readRegularText(f);
      writeFileSync(f, '2');
      readRegularText(f);
    });
    expect(r.complete).toBe(false);
  });
});

describe('a corrupt or hostile record is a miss, never a crash', () => {
  const dir = tempDir();
  const spec = path.join(dir, 'matrix.yaml');
  writeFileSync(spec, 'version: 1\n');
  const out = path.join(dir, 'Dockerfile');
  writeFileSync(out, 'FROM scratch\n');
  const header = headerFor(dir, undefined, spec);

  // This user's seal (src/cache/store.ts sealPath), read first as src/cache/save.ts recorded() reads it.
  const env = { A: '1', TMPDIR: tempDir() };
  const seal = sealPath(env, true)!;
  async function goodRecord(): Promise<string> {
    const r = await recording(async () => [readRegularBytes(seal, SEAL_READ), readRegularText(spec), readRegularText(out)]);
    return recordText(header, [out], { services: 1, targets: 1 }, new Map([['A', '1']]), r.observations);
  }

  it('the good record answers 1 file up to date; with the same env only', async () => {
    const text = await goodRecord();
    expect(verifiedUpToDate(text, header, env)).toBe(1);
    expect(verifiedUpToDate(text, header, { ...env, A: '2' })).toBeUndefined();
  });

  // A record in the git directory can come with a repository's archive: one made to look like a record
  // (every read the file as it is now, so each holds) must not give its answer. It cannot have read this
  // user's seal, a file of random bytes in a directory only this user can read.
  it("a record that did not read this user's seal, or read another's, is a miss", async () => {
    const good = JSON.parse(await goodRecord());
    const withoutSeal = { ...good, reads: good.reads.filter((r: [unknown[]]) => r[0][1] !== seal) };
    expect(verifiedUpToDate(JSON.stringify(withoutSeal), header, env)).toBeUndefined();
    // Another user's seal, or this one's made anew (the temp dir was cleared): its digest differs.
    const forged = { ...good, reads: good.reads.map((r: [unknown[], string]) => (r[0][1] === seal ? [r[0], 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] : r)) };
    expect(verifiedUpToDate(JSON.stringify(forged), header, env)).toBeUndefined();
    // Read through a link, or a seal elsewhere: not how every record reads it.
    const linked = { ...good, reads: good.reads.map((r: [unknown[], string]) => (r[0][1] === seal ? [[r[0][0], r[0][1], '{}'], r[1]] : r)) };
    expect(verifiedUpToDate(JSON.stringify(linked), header, env)).toBeUndefined();
    // Where this user has no private directory (a relative TMPDIR), no record is used at all.
    expect(verifiedUpToDate(JSON.stringify(good), header, { ...env, TMPDIR: 'relative' })).toBeUndefined();
    expect(verifiedUpToDate(JSON.stringify(good), header, env)).toBe(1);
  });

  it('every mangled form is a miss', async () => {
    const good = JSON.parse(await goodRecord());
    const forms: unknown[] = [
      '',
      'null',
      '[]',
      '{',
      '"x"',
      JSON.stringify({ ...good, header: { ...good.header, format: 999 } }),
      JSON.stringify({ ...good, header: { ...good.header, identity: 'other build' } }),
      JSON.stringify({ ...good, header: { ...good.header, cwd: '/elsewhere' } }),
      JSON.stringify({ ...good, upToDate: 5 }),
      JSON.stringify({ ...good, upToDate: -1, outputs: [] }),
      JSON.stringify({ ...good, outputs: [path.join(dir, 'never-read')], upToDate: 1 }),
      JSON.stringify({ ...good, reads: [] }),
      JSON.stringify({ ...good, reads: good.reads.filter((r: [string[]]) => r[0][1] !== spec) }),
      JSON.stringify({ ...good, reads: [...good.reads, [['no-such-op', 'x'], 'y']] }),
      JSON.stringify({ ...good, reads: [...good.reads, [['read', { toString: 1 }, '{}'], 'y']] }),
      JSON.stringify({ ...good, reads: [...good.reads, [['read', spec, 'not json'], 'y']] }),
      JSON.stringify({ ...good, reads: [...good.reads, [['read', spec, 'null'], 'y']] }),
      JSON.stringify({ ...good, reads: [...good.reads, [['__proto__'], 'y']] }),
      JSON.stringify({ ...good, reads: [...good.reads, [['constructor', 'x'], 'y']] }),
      JSON.stringify({ ...good, reads: [...good.reads, ['not a call', 'y']] }),
      JSON.stringify({ ...good, reads: good.reads.map((r: [unknown[], string]) => [r[0], `${r[1]}x`]) }),
      JSON.stringify({ ...good, env: [['A', 2]] }),
      JSON.stringify({ ...good, env: 'A=1' }),
      JSON.stringify({ ...good, services: -1 }),
      JSON.stringify({ ...good, targets: '1' }),
      `{"__proto__": {"upToDate": 1}, "header": ${JSON.stringify(good.header)}}`,
      JSON.stringify(good).replace(/"reads"/, '"reads":1,"x"'),
    ];
    for (const text of forms) expect(verifiedUpToDate(text as string, header, env), String(text).slice(0, 120)).toBeUndefined();
  });
});

describe('a record written without parsing its calls back (withReads)', () => {
  it('is the JSON.stringify of the same record, for any calls and answers a recording holds', () => {
    const arg = fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
    const call = fc.tuple(fc.string({ unit: 'binary' }), fc.array(arg, { maxLength: 4 })).map(([name, args]) => JSON.stringify([name, ...args]));
    const fields = fc.oneof(
      fc.constant({}),
      fc.record({ header: fc.record({ cwd: fc.string({ unit: 'binary' }), n: fc.integer() }), env: fc.array(fc.tuple(fc.string(), fc.option(fc.string(), { nil: null }))) }),
    );
    fc.assert(
      fc.property(fields, fc.array(fc.tuple(call, fc.string({ unit: 'binary' }))), (f, entries) => {
        const observations = new Map(entries);
        const reads = [...observations].map(([key, answer]) => [JSON.parse(key) as unknown[], answer]);
        const text = withReads(f, observations);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify({ ...f, reads })));
        expect(text).toBe(JSON.stringify({ ...f, reads }));
      }),
      { numRuns: 500 },
    );
  });
});

describe("the hook's manifest carries a read's digest only in the form Node writes it", () => {
  const roundTrips = (b64: string) => {
    const hex = Buffer.from(b64, 'base64').toString('hex');
    return hex.length === 64 && Buffer.from(hex, 'hex').toString('base64') === b64;
  };
  const line = (answer: string) => {
    try {
      return checkLine(['read', '/r/f', '{}'], answer);
    } catch {
      return undefined;
    }
  };
  it('any 32 bytes in base64 gives a `reg` line of their hex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(line(b.toString('base64'))).toBe(`reg ${b.toString('hex')} /r/f`);
      }),
      { numRuns: 1000 },
    );
  });
  it('any other text (near misses: other lengths, padding, alphabets, low bits set) has no line, exactly as decoding and encoding again tells', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n'.split('');
    const nearMiss = fc.oneof(
      fc.array(fc.constantFrom(...alphabet), { minLength: 40, maxLength: 46 }).map((a) => a.join('')),
      fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(43), fc.constantFrom(...alphabet)).map(([b, i, c]) => {
        const s = Buffer.from(b).toString('base64');
        return s.slice(0, i) + c + s.slice(i + 1);
      }),
    );
    fc.assert(
      fc.property(nearMiss, (s) => {
        expect(line(s) !== undefined).toBe(roundTrips(s));
      }),
      { numRuns: 5000 },
    );
  });
});
