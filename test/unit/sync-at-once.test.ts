// applySync writes many files at once (src/output/sync.ts AT_ONCE): the next
// file renders while earlier ones are written in the thread pool; where every
// text is at hand, one after another on its own thread. Whatever the way, a
// plan must end the same way: the same files on disk,
// the same error (the first failing file in plan order), no temporary file
// left, and a failure before the renames changes nothing at all.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { applySync, type Change, type SyncPlan } from '../../src/output/sync.js';
import { listTree, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** What may happen to one file of the plan. */
type Fault = 'none' | 'render' | 'blocked-dir' | 'dir-in-place';

interface FileCase {
  /** Directory depth below the repository: new directories are made for it. */
  dir: string;
  fault: Fault;
}

const fileCase: fc.Arbitrary<FileCase> = fc.record({
  dir: fc.constantFrom('', 'a', 'a/b', 'c', 'c/d/e', 'f'),
  fault: fc.constantFrom<Fault>('none', 'none', 'none', 'none', 'render', 'blocked-dir', 'dir-in-place'),
});

/**
 * A repository and a plan for `cases`: file i is `DIR/fI`, with an old text
 * where i is odd. Faults: `render` throws when the text is asked for;
 * `blocked-dir` puts the file under a regular file (mkdir fails, ENOTDIR);
 * `dir-in-place` has a non-empty directory where the file goes (the rename
 * fails, after every file is written).
 */
function setUp(cases: readonly FileCase[]): { repo: string; plan: SyncPlan; files: string[] } {
  const repo = tempRepo({ 'keep.txt': 'kept\n' });
  const files: string[] = [];
  const changes: Change[] = [];
  cases.forEach((c, i) => {
    const dir = c.fault === 'blocked-dir' ? `blocker${i}/x` : c.dir;
    const file = dir ? `${dir}/f${i}` : `f${i}`;
    files.push(file);
    const abs = path.join(repo, file);
    if (c.fault === 'blocked-dir') writeFileSync(path.join(repo, `blocker${i}`), 'a regular file\n');
    if (c.fault === 'dir-in-place') {
      mkdirSync(path.join(abs, 'inside'), { recursive: true });
      writeFileSync(path.join(abs, 'inside', 'x'), 'x\n');
    } else if (i % 2 && c.fault !== 'blocked-dir') {
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, `old ${i}\n`);
    }
    const text = `new ${i}\n`.repeat(1 + (i % 5) * 200);
    changes.push({
      kind: existsSync(abs) ? 'update' : 'create',
      file,
      get after(): string {
        if (c.fault === 'render') throw new Error(`render of ${file} failed`);
        return text;
      },
    });
  });
  return { repo, plan: { changes, unchanged: [], diagnostics: [] }, files };
}

async function outcome(cases: readonly FileCase[], atOnce: number) {
  const { repo, plan, files } = setUp(cases);
  const before = listTree(repo);
  let error: string | undefined;
  try {
    await applySync(repo, plan, atOnce);
  } catch (e) {
    error = (e as Error).message;
  }
  const after = listTree(repo);
  return { error, before, after, files, repo };
}

const temps = (tree: Map<string, string>) => [...tree.keys()].filter((k) => k.endsWith('.tmp'));

describe('applySync, one file at a time or many, through the thread pool or on this thread', () => {
  it('ends the same way: same error, same disk, no temporary file; a failure before the renames changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fileCase, { minLength: 1, maxLength: 24 }), fc.integer({ min: 2, max: 20 }), async (cases, atOnce) => {
        const one = await outcome(cases, 1);
        const many = await outcome(cases, atOnce);
        // 0: on this thread, one after another (writeTempsNow, where every text is at hand).
        const now = await outcome(cases, 0);
        const strip = (t: Map<string, string>, repo: string) => JSON.stringify([...t].map(([k, v]) => [k.replace(repo, ''), v]));
        expect(many.error).toBe(one.error);
        expect(now.error).toBe(one.error);
        expect(temps(many.after)).toEqual([]);
        expect(temps(one.after)).toEqual([]);
        expect(temps(now.after)).toEqual([]);
        expect(strip(now.after, now.repo)).toBe(strip(one.after, one.repo));
        // Every file is written before any is renamed: a write-phase fault (render, mkdir) comes first.
        const writeFault = cases.findIndex((c) => c.fault === 'render' || c.fault === 'blocked-dir');
        const firstFault = writeFault !== -1 ? writeFault : cases.findIndex((c) => c.fault !== 'none');
        if (firstFault === -1) {
          expect(one.error).toBeUndefined();
          expect(strip(many.after, many.repo)).toBe(strip(one.after, one.repo));
          return;
        }
        // The error names the first failing file in plan order.
        expect(one.error).toContain(`f${firstFault}`);
        if (writeFault !== -1) {
          // Nothing renamed, no directory left behind: the disk as it was.
          expect(strip(one.after, one.repo)).toBe(strip(one.before, one.repo));
          expect(strip(many.after, many.repo)).toBe(strip(many.before, many.repo));
          return;
        }
        // Only renames failed: every file before the first failure is new,
        // the failing ones are as they were, every other one old or new.
        for (const [i, file] of many.files.entries()) {
          const abs = path.join(many.repo, file);
          if (cases[i]!.fault === 'dir-in-place') {
            expect(readFileSync(path.join(abs, 'inside', 'x'), 'utf8')).toBe('x\n');
            continue;
          }
          const text = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
          const fresh = `new ${i}\n`.repeat(1 + (i % 5) * 200);
          if (i < firstFault) expect(text, file).toBe(fresh);
          else expect([fresh, i % 2 ? `old ${i}\n` : undefined], file).toContain(text);
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('writes a text of several pieces whole (the 1 MiB pieces of a large bake file), a surrogate pair at the seam', async () => {
    // 2^20 characters per piece (src/fs/write.ts TEXT_CHUNK): a pair straddling the first seam stays one character.
    const text = `${'a'.repeat((1 << 20) - 1)}😀${'b'.repeat(3 << 19)}\n`;
    const repo = tempRepo();
    const plan: SyncPlan = { changes: [{ kind: 'create', file: 'big/docker-bake.hcl', after: text }], unchanged: [], diagnostics: [] };
    await applySync(repo, plan);
    expect(readFileSync(path.join(repo, 'big/docker-bake.hcl'), 'utf8')).toBe(text);
    expect(temps(listTree(repo))).toEqual([]);
  });
});
