// bake's metadata file read after each round bake ended with exit 0 (src/bake/metadata.ts). buildx writes
// it once the build succeeded, one entry per target built, by an atomic write: a new file over the old
// (docker/buildx commands/bake.go writeMetadataFile, ioutils.AtomicWriteFile). What it lacks after exit 0
// is said, per target, never filled from an older file; the entries of every round are kept.
import { mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BakeMetadata } from '../../src/bake/metadata.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'bake-metadata-'));
  dirs.push(d);
  return path.join(d, 'metadata.json');
};
/** As buildx writes it: a temporary file renamed over the old one. */
const bakeWrites = (file: string, doc: unknown) => {
  writeFileSync(`${file}.tmp`, typeof doc === 'string' ? doc : JSON.stringify(doc));
  renameSync(`${file}.tmp`, file);
};

describe('BakeMetadata', () => {
  it('an entry for each target: kept, nothing missing, no warning', () => {
    const file = fresh();
    const m = new BakeMetadata(file);
    const before = m.stamp();
    expect(before).toBeUndefined();
    bakeWrites(file, { a: { 'containerimage.digest': 'sha256:1' }, b: { 'buildx.build.ref': 'x' } });
    m.afterRound(['a', 'b'], before);
    expect(m.entries).toEqual({ a: { 'containerimage.digest': 'sha256:1' }, b: { 'buildx.build.ref': 'x' } });
    expect(m.missing.size).toBe(0);
    expect(m.warnings('docker')).toEqual([]);
  });

  it('no file, a file left as it was, one that is no JSON object, one without the entry: each said, per target', () => {
    const none = new BakeMetadata(fresh());
    none.afterRound(['a'], undefined);
    expect([...none.missing]).toEqual([['a', 'no file']]);

    const file = fresh();
    writeFileSync(file, JSON.stringify({ a: { 'containerimage.digest': 'sha256:old' } }));
    const stale = new BakeMetadata(file, 'meta.json');
    stale.afterRound(['a'], stale.stamp());
    expect(stale.entries).toEqual({});
    expect(stale.warnings('docker')[0]).toContain('left the metadata file meta.json as it was before the build');

    for (const text of ['[1]', '{', 'null']) {
      const f = fresh();
      const m = new BakeMetadata(f);
      const before = m.stamp();
      bakeWrites(f, text);
      m.afterRound(['a'], before);
      expect([...m.missing], text).toEqual([['a', 'file unreadable']]);
    }

    const part = fresh();
    const m = new BakeMetadata(part);
    bakeWrites(part, { a: {}, b: 'not an object' });
    m.afterRound(['a', 'b', 'c'], undefined);
    expect(Object.keys(m.entries)).toEqual(['a']);
    expect(m.warnings('docker')).toEqual([expect.stringContaining('wrote a metadata file without an entry for them: buildx writes one')]);
    expect(m.warnings('docker')[0]).toContain('The images and digests of b, c are unknown');
  });

  it('rounds: a later round that writes the file anew with its own targets keeps the earlier entries', () => {
    const file = fresh();
    const m = new BakeMetadata(file);
    let before = m.stamp();
    bakeWrites(file, { a: { 'containerimage.digest': 'sha256:a' } });
    m.afterRound(['a'], before);
    before = m.stamp();
    bakeWrites(file, { b: { 'containerimage.digest': 'sha256:b' } });
    m.afterRound(['b'], before);
    expect(m.entries).toEqual({ a: { 'containerimage.digest': 'sha256:a' }, b: { 'containerimage.digest': 'sha256:b' } });
    expect(m.missing.size).toBe(0);
  });

  it('no file to read (--print, --dry-run): nothing read, nothing missing', () => {
    const m = new BakeMetadata(undefined);
    m.afterRound(['a'], undefined);
    expect(m.missing.size).toBe(0);
  });
});
