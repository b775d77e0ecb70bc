// src/fs/path-memo.ts: in a read-only phase a real path is composed from its
// parent's, and lstat answers are remembered. Checked against the system on
// random trees of directories, files and symbolic links (relative, absolute,
// dangling, looping, through `..`): for every path, in any order of asking,
// the composed answer or error is the one realpath(3) gives (realpathSync.native),
// and the probes answer as the plain calls do.
import { lstatSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { exists, realpath, statKind } from '../../src/fs/probe.js';
import { readRegularBytes } from '../../src/fs/read.js';
import { lstatOf, realpathOf, withPathMemo } from '../../src/fs/path-memo.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const NAMES = ['a', 'b', 'c', 'd'];

type Entry = { kind: 'dir' } | { kind: 'file' } | { kind: 'link'; target: string };

/** A target a link may name: relative (with `..`), absolute inside the tree, or absent. */
const target = fc.oneof(
  fc.array(fc.constantFrom(...NAMES, '..', '.'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
  fc.array(fc.constantFrom(...NAMES), { minLength: 0, maxLength: 3 }).map((parts) => `@ROOT@/${parts.join('/')}`),
  fc.constant('missing'),
);
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'dir' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'file' as const }) },
  { weight: 2, arbitrary: target.map((t) => ({ kind: 'link' as const, target: t })) },
);
/** Entries by relative path, made parent first; a parent that is not a directory drops its children. */
const tree = fc.dictionary(
  fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
  entry,
  { maxKeys: 14 },
);
const question = fc.array(fc.constantFrom(...NAMES, '..', '.', ''), { minLength: 0, maxLength: 5 });

function build(root: string, entries: Record<string, Entry>): void {
  for (const rel of Object.keys(entries).sort()) {
    const at = path.join(root, rel);
    const e = entries[rel]!;
    try {
      if (e.kind === 'dir') mkdirSync(at);
      else if (e.kind === 'file') writeFileSync(at, rel);
      else symlinkSync(e.target.replace('@ROOT@', root), at);
    } catch {
      // The parent is a file, a link or absent: this entry is not made.
    }
  }
}

/** What a call answers: its value, or its error's code. */
function outcome(fn: () => unknown): string {
  try {
    return `ok:${JSON.stringify(fn())}`;
  } catch (e) {
    return `err:${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

describe('path memo', () => {
  it('composes the same real path, or the same error, as realpath(3) for every path of random trees with links', () => {
    let n = 0;
    fc.assert(
      fc.property(tree, fc.array(question, { minLength: 1, maxLength: 12 }), (entries, questions) => {
        const root = realpathSync.native(tempDir());
        build(root, entries);
        // Not normalized on purpose too: `//`, `.`, `..` and a trailing `/` are realpath(3)'s to answer.
        const paths = questions.map((parts) => `${root}/${parts.join('/')}`);
        const plain = paths.map((p) => outcome(() => realpathSync.native(p)));
        // Twice inside one memo: the second time answers from what the first remembered.
        const memo = withPathMemo(() => [...paths, ...paths].map((p) => outcome(() => realpathOf(p))));
        expect(memo).toEqual([...plain, ...plain]);
        n += paths.length;
      }),
      { numRuns: 300 },
    );
    expect(n).toBeGreaterThan(300);
  });

  it('answers the recorded probes (kind, exists, realpath, read) as the plain calls do', () => {
    fc.assert(
      fc.property(tree, fc.array(question, { minLength: 1, maxLength: 8 }), (entries, questions) => {
        const root = realpathSync.native(tempDir());
        build(root, entries);
        const ask = (p: string) => [
          outcome(() => statKind(p, true)),
          outcome(() => statKind(p, false)),
          outcome(() => exists(p)),
          outcome(() => realpath(p)),
          outcome(() => readRegularBytes(p, { followSymlinks: false }).toString()),
          outcome(() => readRegularBytes(p).toString()),
        ];
        const paths = questions.map((parts) => path.join(root, ...parts));
        const plain = paths.map(ask);
        expect(withPathMemo(() => paths.map(ask))).toEqual(plain);
      }),
      { numRuns: 200 },
    );
  });

  it('remembers only within one phase: outside it, each call asks the system again', () => {
    const dir = realpathSync.native(tempDir());
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    mkdirSync(path.join(dir, 'elsewhere'));
    const file = path.join(sub, 'f');
    writeFileSync(file, 'x');
    withPathMemo(() => {
      expect(realpathOf(file)).toBe(file);
      expect(lstatOf(file).isFile()).toBe(true);
    });
    // The directory becomes a link: the next phase (and any call outside one) sees it.
    const moved = path.join(dir, 'moved');
    mkdirSync(moved);
    writeFileSync(path.join(moved, 'f'), 'y');
    rmSync(sub, { recursive: true });
    symlinkSync(moved, sub);
    expect(realpathOf(file)).toBe(path.join(moved, 'f'));
    expect(withPathMemo(() => realpathOf(file))).toBe(path.join(moved, 'f'));
    expect(lstatOf(sub).isSymbolicLink()).toBe(true);
    renameSync(moved, path.join(dir, 'gone'));
    expect(outcome(() => withPathMemo(() => realpathOf(file)))).toBe('err:ENOENT');
    expect(lstatSync(sub).isSymbolicLink()).toBe(true);
  });
});
