// src/fs/path-memo.ts on the Node versions whose lstatSync answers undefined
// for ENOTDIR too when given `throwIfNoEntry: false` (nodejs/node issue 56993;
// Node 20, which this runs on, throws ENOTDIR there): node:fs's lstatSync is
// wrapped to answer as they do, and a path under a file must still throw
// ENOTDIR, with lstatSync's own error, while a name missing in a directory is
// ENOENT.
import { realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const lstatSync = ((p: string, opts?: { throwIfNoEntry?: boolean }) => {
    try {
      return fs.lstatSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (opts?.throwIfNoEntry === false && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
      throw e;
    }
  }) as typeof fs.lstatSync;
  return { ...fs, default: { ...fs, lstatSync }, lstatSync };
});

const { lstatIfThere, lstatOf, withPathMemo } = await import('../../src/fs/path-memo.js');
const { exists, statKind } = await import('../../src/fs/probe.js');

afterAll(removeTempDirs);

describe('path memo where throwIfNoEntry also covers ENOTDIR', () => {
  it('throws ENOTDIR for a path under a file, inside a phase and outside, and ENOENT for a missing name', () => {
    const dir = realpathSync.native(tempDir());
    writeFileSync(path.join(dir, 'plain'), 'x');
    const under = path.join(dir, 'plain', 'go.mod');
    const missing = path.join(dir, 'go.work');
    for (const ask of [<T>(fn: () => T) => fn(), withPathMemo]) {
      ask(() => {
        expect(() => lstatOf(under)).toThrow(expect.objectContaining({ code: 'ENOTDIR', syscall: 'lstat', path: under }));
        expect(() => lstatIfThere(under)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
        expect(() => statKind(under, false)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
        expect(exists(under)).toBe(false);
        expect(lstatIfThere(missing)).toBeUndefined();
        expect(() => lstatOf(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'lstat', path: missing }));
        expect(exists(missing)).toBe(false);
      });
    }
  });
});
