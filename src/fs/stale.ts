// Temp files left by killed runs. A leaf of the file-system layer: the
// cached answer (src/cache/store.ts) uses it without loading the compiler.
import { readdirSync, unlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { listDir, statKind } from './probe.js';

/** True while process `pid` exists (EPERM: it exists, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The entries of an output directory, for removeStaleTemps, from the thread
 * pool: gen's write phase lists each directory it writes to once, beside
 * rendering. Not a probe of the compile (src/fs/probe.ts): nothing records
 * the write phase, whose every file is compared again on the next run.
 */
export function listDirAsync(dir: string): Promise<string[]> {
  return readdir(dir);
}

/** listDirAsync on this thread (applySync with every text at hand). */
export function listDirNow(dir: string): string[] {
  return readdirSync(dir);
}

/**
 * A run killed between writing its temp file and renaming it leaves
 * `.NAME.PID.tmp` behind. Remove those of processes that are gone, and one
 * with our own pid (a reused pid would otherwise make `wx` fail); a live
 * process's temp file is its own business. `listing` is the directory's
 * entries when the caller has them.
 */
export function removeStaleTemps(abs: string, listing?: readonly string[]): string[] {
  const dir = path.dirname(abs);
  const prefix = `.${path.basename(abs)}.`;
  const removed: string[] = [];
  let names: readonly string[];
  try {
    names = listing ?? listDir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = name.slice(prefix.length, -'.tmp'.length);
    if (!/^[1-9][0-9]{0,9}$/.test(pid)) continue;
    if (Number(pid) !== process.pid && alive(Number(pid))) continue;
    const tmp = path.join(dir, name);
    try {
      if (statKind(tmp, false) !== 'file') continue;
      unlinkSync(tmp);
      removed.push(tmp);
    } catch {
      /* raced with another cleanup */
    }
  }
  return removed;
}
