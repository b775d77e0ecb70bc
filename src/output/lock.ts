// One `matrix gen` at a time per spec directory. The lock lives in the temp
// dir (nothing to ignore in the repository) and holds the owner's pid, so a
// lock left by a killed run is taken over instead of blocking forever.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { userError } from '../diagnostics.js';

/** Is a process with this pid running (EPERM: yes, but not ours)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function acquireLock(specDirReal: string, waitMs = 3000): () => void {
  const file = path.join(os.tmpdir(), `matrix-gen-${createHash('sha256').update(specDirReal).digest('hex').slice(0, 16)}.lock`);
  const deadline = Date.now() + waitMs;
  // The lock appears with its owner's pid already in it (written aside, then
  // hard-linked into place), so a kill at any moment never leaves an empty lock.
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, String(process.pid), { mode: 0o600 });
  const release = () => rmSync(file, { force: true });
  for (;;) {
    try {
      linkSync(mine, file);
      rmSync(mine, { force: true });
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        rmSync(mine, { force: true });
        throw e;
      }
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // released between our open and read
    }
    // A dead owner, or no readable owner at all (a lock from an older matrix killed mid-write).
    if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      rmSync(mine, { force: true });
      throw userError('locked', `another \`matrix gen\` (pid ${owner}) is writing in ${specDirReal}`, {
        hint: `wait for it to finish and run again; if no such process exists, remove ${file}`,
      });
    }
    sleep(50);
  }
}
