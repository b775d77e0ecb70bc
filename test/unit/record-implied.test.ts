// readsHold (src/cache/record.ts) asks a record's probes again unless a read
// of the same path already answers them: a read that found a regular file's
// bytes answers `exists` (stat succeeds) and `kind` after links; and `kind`
// without following links only when the read itself refused links. Each case
// records a real run of the probes (src/fs/recorder.ts), changes the file
// system, and checks the record holds exactly when every probe would answer
// as recorded (lstat(2), stat(2): a link is "file" only after it is followed).
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readsHold, type Header, type RunReads } from '../../src/cache/record.js';
import { exists, statKind } from '../../src/fs/probe.js';
import { readRegularBytes } from '../../src/fs/read.js';
import { recording } from '../../src/fs/recorder.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const header = { format: 1 } as unknown as Header;

async function recorded(probe: () => void): Promise<RunReads> {
  const r = await recording(async () => probe());
  expect(r.complete).toBe(true);
  return { header, env: [], reads: [...r.observations].map(([k, a]) => [JSON.parse(k) as unknown[], a]) };
}

/** Every probe of the record asked again, none taken as implied: what readsHold must agree with. */
async function allAnswerAlike(record: RunReads): Promise<boolean> {
  const now = await recorded(() => {
    for (const [call] of record.reads) {
      try {
        if (call[0] === 'kind') statKind(call[1] as string, call[2] as boolean);
        else if (call[0] === 'exists') exists(call[1] as string);
        else readRegularBytes(call[1] as string, JSON.parse(call[2] as string));
      } catch {
        // The fault is the answer.
      }
    }
  });
  return JSON.stringify(now.reads) === JSON.stringify(record.reads);
}

type Change = (file: string, dir: string) => void;
const CHANGES: [string, Change][] = [
  ['nothing', () => undefined],
  ['same bytes through a link', (f, d) => (writeFileSync(path.join(d, 'target'), 'FROM scratch\n'), rmSync(f), symlinkSync(path.join(d, 'target'), f))],
  ['other bytes', (f) => writeFileSync(f, 'FROM busybox\n')],
  ['removed', (f) => rmSync(f)],
  ['a directory', (f) => (rmSync(f), mkdirSync(f))],
];

describe('readsHold: probes a read of the same path answers', () => {
  for (const follow of [true, false]) {
    for (const [name, change] of CHANGES) {
      it(`kind (both ways), exists and a read ${follow ? 'following' : 'refusing'} links: ${name}`, async () => {
        const dir = tempDir();
        const file = path.join(dir, 'Dockerfile');
        writeFileSync(file, 'FROM scratch\n');
        const record = await recorded(() => {
          statKind(file, false);
          statKind(file, true);
          exists(file);
          readRegularBytes(file, { followSymlinks: follow });
        });
        change(file, dir);
        expect(readsHold(record, {}, [])).toBe(await allAnswerAlike(record));
      });
    }
  }

  it('asks a probe again when its own answer was not what the read implies (the file changed between them)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'Dockerfile');
    const record = await recorded(() => {
      try {
        statKind(file, false);
      } catch {
        // missing then
      }
      writeFileSync(file, 'FROM scratch\n');
      readRegularBytes(file, { followSymlinks: false });
    });
    // The file is there now: the recorded "missing" no longer holds, though the read still does.
    expect(readsHold(record, {}, [])).toBe(false);
  });
});
