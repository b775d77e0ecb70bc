// Records in this user's directory under the temp dir (src/cache/store.ts)
// are kept per spec path: bake's always, gen's, validate's and plan's when the
// repository has no writable git directory. Checkouts to new paths (a CI
// runner's jobs, a test suite's temporary repositories) would otherwise add
// files there without end; a write past MAX_PRIVATE_RECORDS removes the least
// recently written. Nothing else in the directory is touched, and a git
// directory is never pruned.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PRIVATE_RECORDS, writeRecord } from '../../src/cache/store.js';
import { matrix } from '../helpers/cli.js';
import { REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const hex = (i: number) => i.toString(16).padStart(16, '0');

/** `count` record files in `dir`, file i written i minutes after 2026-01-01 (so 0 is the oldest). */
function oldRecords(dir: string, count: number, kind = 'bake', ext = 'json'): string[] {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `matrix-${kind}-${hex(i)}.${ext}`);
    writeFileSync(file, '{}\n', { mode: 0o600 });
    const t = new Date(Date.UTC(2026, 0, 1, 0, i));
    utimesSync(file, t, t);
    files.push(file);
  }
  return files;
}

const records = (dir: string) => readdirSync(dir).filter((n) => /^matrix-.*\.(json|hook)$/.test(n));

describe('the private record directory is bounded', () => {
  it('a write past the bound removes the least recently written records, down to three quarters of it', () => {
    const dir = path.join(tempDir(), `bake-matrix-${process.getuid!()}`);
    mkdirSync(dir, { mode: 0o700 });
    const old = oldRecords(dir, MAX_PRIVATE_RECORDS + 40);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a record\n');
    mkdirSync(path.join(dir, 'matrix-bake-ffffffffffffffff.json'));
    const fresh = path.join(dir, `matrix-check-${'a'.repeat(16)}.json`);
    expect(writeRecord(fresh, '{"v":1}\n')).toBe(true);
    const left = new Set(records(dir));
    const keep = Math.floor((MAX_PRIVATE_RECORDS * 3) / 4);
    // The directory named like a record is counted, never removed; so is the record just written.
    expect(left.size).toBe(keep);
    expect(left.has(path.basename(fresh))).toBe(true);
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'matrix-bake-ffffffffffffffff.json'))).toBe(true);
    // The newest old ones stay; every older one is gone.
    const stayed = old.filter((f) => left.has(path.basename(f)));
    expect(stayed).toEqual(old.slice(old.length - (keep - 2)));
  });

  it('at or under the bound nothing is removed', () => {
    const dir = path.join(tempDir(), `bake-matrix-${process.getuid!()}`);
    mkdirSync(dir, { mode: 0o700 });
    oldRecords(dir, MAX_PRIVATE_RECORDS - 1, 'check', 'hook');
    expect(writeRecord(path.join(dir, `matrix-plan-${'b'.repeat(16)}.json`), '{}\n')).toBe(true);
    expect(records(dir)).toHaveLength(MAX_PRIVATE_RECORDS);
  });

  it('a git directory is never pruned: its records belong to one repository', () => {
    const gitDir = path.join(tempDir(), '.git');
    mkdirSync(gitDir);
    oldRecords(gitDir, MAX_PRIVATE_RECORDS + 10, 'check');
    expect(writeRecord(path.join(gitDir, `matrix-plan-${'c'.repeat(16)}.json`), '{}\n')).toBe(true);
    expect(records(gitDir)).toHaveLength(MAX_PRIVATE_RECORDS + 11);
  });

  it('end to end: `matrix validate` in a spec without a git directory keeps its record and bounds the directory', async () => {
    const tmp = tempDir('matrix-tmpdir-');
    const dir = path.join(tmp, `bake-matrix-${process.getuid!()}`);
    mkdirSync(dir, { mode: 0o700 });
    oldRecords(dir, MAX_PRIVATE_RECORDS + 1);
    const spec = tempDir();
    cpSync(path.join(REPO_ROOT, 'samples', 'hello-go'), spec, { recursive: true });
    rmSync(path.join(spec, '.git'), { recursive: true, force: true });
    const r = await matrix(['validate'], spec, { TMPDIR: tmp });
    expect(r.status, r.stderr).toBe(0);
    const left = records(dir);
    expect(left.length).toBe(Math.floor((MAX_PRIVATE_RECORDS * 3) / 4));
    expect(left.some((n) => n.startsWith('matrix-validate-'))).toBe(true);
  });
});
