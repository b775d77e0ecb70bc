// The suites' temporary files go to one directory per run, removed at the end
// (test/helpers/run-temp.ts): a run left about 220 directories in /tmp before.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEEP_VARIABLE, useRunTempDir } from '../helpers/run-temp.js';
import { tempDir } from '../helpers/tree.js';

describe("the run's temp directory", () => {
  it('is where this worker and the processes it starts make their temporary files', () => {
    expect(path.basename(os.tmpdir())).toMatch(/^matrix-tests-run-[A-Za-z0-9]{6}$/);
    expect(tempDir().startsWith(`${os.tmpdir()}${path.sep}`)).toBe(true);
    const child = spawnSync(process.execPath, ['-p', "require('node:os').tmpdir()"], { encoding: 'utf8' });
    expect(child.stdout.trim()).toBe(os.tmpdir());
  });
});

describe('useRunTempDir', () => {
  const saved = { TMPDIR: process.env.TMPDIR, keep: process.env[KEEP_VARIABLE] };
  // Restored as they were: assigning undefined to a variable of process.env would set the text "undefined".
  const restore = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  afterEach(() => {
    restore('TMPDIR', saved.TMPDIR);
    restore(KEEP_VARIABLE, saved.keep);
    vi.restoreAllMocks();
  });

  it('points TMPDIR at a new 0755 directory, then restores TMPDIR and removes the directory with all below it', () => {
    const outer = tempDir();
    process.env.TMPDIR = outer;
    const done = useRunTempDir('unit');
    const dir = process.env.TMPDIR as string;
    expect(path.dirname(dir)).toBe(outer);
    expect(path.basename(dir)).toMatch(/^matrix-unit-run-/);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    // What tests leave: a repository, and a directory made unwritable and unreadable.
    mkdirSync(path.join(dir, 'repo', '.git'), { recursive: true });
    writeFileSync(path.join(dir, 'repo', 'file'), 'x');
    mkdirSync(path.join(dir, 'locked', 'inner'), { recursive: true });
    writeFileSync(path.join(dir, 'locked', 'inner', 'file'), 'x');
    chmodSync(path.join(dir, 'locked', 'inner'), 0o000);
    chmodSync(path.join(dir, 'locked'), 0o500);
    done();
    expect(process.env.TMPDIR).toBe(outer);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps the directory, and says where, when MATRIX_TEST_KEEP_TMP is set', () => {
    const outer = tempDir();
    process.env.TMPDIR = outer;
    process.env[KEEP_VARIABLE] = '1';
    const said: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void said.push(s));
    const done = useRunTempDir('unit');
    const dir = process.env.TMPDIR as string;
    done();
    expect(existsSync(dir)).toBe(true);
    expect(said).toEqual([`unit: the run's temporary files are kept in ${dir} (${KEEP_VARIABLE} is set)`]);
  });
});
