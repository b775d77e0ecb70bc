// One `matrix gen` at a time per spec directory. The lock lives in the temp
// dir (nothing to ignore in the repository) and holds the owner's pid, so a
// lock left by a killed run is taken over instead of blocking forever.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { userError } from '../diagnostics.js';

function alive(pid: number): boolean {
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
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // released between our open and read
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw userError('locked', `another \`matrix gen\` (pid ${owner}) is writing in ${specDirReal}`, {
        hint: `wait for it to finish and run again; if no such process exists, remove ${file}`,
      });
    }
    sleep(50);
  }
}
