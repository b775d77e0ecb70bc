// Where the record of an up-to-date run lives, and reading it (writing it:
// src/cache/save.ts, which a run that answers from a record never loads).
// In the repository's git directory, beside gen's lock (private to the
// repository, never committed); without one, in a directory of this user's
// own under Io's temp dir. A record is a hint, never trusted: every answer in
// it is checked again before it is used (src/cache/record.ts). It still must
// not be anyone else's to write, so the temp-dir one is used only when it is a
// real directory owned by this user and closed to others.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readRegularText } from '../fs/read.js';
import { statKind, writable } from '../fs/probe.js';
import { tempDirOf } from '../fs/temp.js';
import { writeFileAtomic } from '../fs/write.js';
import { removeStaleTemps } from '../fs/stale.js';
import { gitDirOf } from '../paths.js';

/** Records above this size are not read (1,000 services make about 1 MiB). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * At most this many files of records in this user's directory under the temp
 * dir. Each spec path gets records of its own there (bake's always, gen's and
 * plan's without a writable git directory), so a machine where every CI job
 * checks out to a new path, or a test suite of temporary repositories, would
 * otherwise fill it without end: 1,629 files (50 MB) here after one day of
 * this repository's tests. Past the bound, a write removes the least recently
 * written down to three quarters of it (a record is a hint: a removed one
 * costs its spec one compile).
 */
export const MAX_PRIVATE_RECORDS = 256;

/** The name of this user's directory under the temp dir. */
const PRIVATE_DIR = /^bake-matrix-\d+$/;

/** A record's file (recordIn) or its hook manifest (src/cache/manifest.ts manifestPath). */
const RECORD_FILE = /^matrix-[a-z]+(?:-[a-z]+)*-[0-9a-f]{16}\.(?:json|hook)$/;

/** This user's directory under the temp dir, created on demand when `create`; undefined when it is not safely ours. */
function privateTempDir(env: Readonly<Record<string, string | undefined>>, create: boolean): string | undefined {
  const uid = process.getuid?.();
  const base = tempDirOf(env);
  // A relative TMPDIR would name a different place from each working directory.
  if (uid === undefined || !path.isAbsolute(base)) return undefined;
  const dir = path.join(base, `bake-matrix-${uid}`);
  try {
    if (create) mkdirSync(dir, { mode: 0o700 });
  } catch {
    /* exists already, or cannot be made: checked below */
  }
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The git directory when it is a writable directory, else undefined. */
export function gitDirFor(repoRoot: string): string | undefined {
  const dir = gitDirOf(repoRoot);
  if (!dir) return undefined;
  try {
    return statKind(dir, false) === 'dir' && writable(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record file of one spec (by its absolute path), or undefined when there
 * is no safe place for it. `kind` names whose record it is (gen's `check`,
 * `plan`); `key`, what else the answer depends on, gives each its own file.
 */
export function recordPath(specPath: string, repoRoot: string, env: Readonly<Record<string, string | undefined>>, create = false, kind = 'check', key = ''): string | undefined {
  const dir = gitDirFor(repoRoot) ?? privateTempDir(env, create);
  return dir === undefined ? undefined : recordIn(dir, specPath, kind, key);
}

/**
 * The file of a record that holds more than answers checked again before use
 * (bake's model, src/cache/bake.ts): only in this user's own directory under
 * the temp dir (closed to others, checked as above), never in the git
 * directory, which a repository's archive can bring along with it.
 */
export function privateRecordPath(specPath: string, env: Readonly<Record<string, string | undefined>>, create: boolean, kind: string, key = ''): string | undefined {
  const dir = privateTempDir(env, create);
  return dir === undefined ? undefined : recordIn(dir, specPath, kind, key);
}

/**
 * The seal of this user's records: a file of random bytes in this user's own
 * directory under the temp dir (closed to others, checked as above), made on
 * demand when `create`; undefined where there is no such directory. Every
 * record reads it, and one is used only while it reads the same
 * (record.ts readsHold): a record in the git directory, which a
 * repository's archive can bring along, is then one that this user's matrix
 * wrote, not a file made to look like one, whose reads all hold (they are
 * the files as they are now) but whose answer was never this spec's.
 */
export function sealPath(env: Readonly<Record<string, string | undefined>>, create: boolean): string | undefined {
  const dir = privateTempDir(env, create);
  if (dir === undefined) return undefined;
  const file = path.join(dir, SEAL_NAME);
  if (create) {
    try {
      // `wx`: never over another's; two runs making it at once keep the first.
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    } catch {
      /* there already, or cannot be made: a read of it decides */
    }
  }
  return file;
}

/** The seal's name in that directory (bin/matrix-hook computes the same path). */
export const SEAL_NAME = 'record-seal';

function recordIn(dir: string, specPath: string, kind: string, key: string): string {
  const hash = createHash('sha256').update(key === '' ? specPath : `${specPath}\n${key}`);
  return path.join(dir, `matrix-${kind}-${hash.digest('hex').slice(0, 16)}.json`);
}

/** The record's text, or undefined when there is none that can be read. */
export function readRecord(file: string): string | undefined {
  try {
    return readRegularText(file, { maxBytes: MAX_RECORD_BYTES, followSymlinks: false });
  } catch {
    return undefined;
  }
}

/** Write the record atomically (readers see the old one or the new one); a failure only loses the record. */
export function writeRecord(file: string, text: string): boolean {
  // A run killed while it wrote the record left `.NAME.PID.tmp` beside it: that run is gone, so is its temp file.
  removeStaleTemps(file);
  try {
    writeFileAtomic(file, text, { mode: 0o600 });
  } catch {
    return false;
  }
  if (PRIVATE_DIR.test(path.basename(path.dirname(file)))) pruneRecords(path.dirname(file), file);
  return true;
}

/**
 * Past MAX_PRIVATE_RECORDS record files in `dir`, remove the least recently
 * written (never `keep`, just written) down to three quarters of the bound,
 * so the next few hundred writes only list the directory. Only regular files
 * named as records are counted or removed; a failure only leaves a file.
 */
export function pruneRecords(dir: string, keep: string, max = MAX_PRIVATE_RECORDS): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => RECORD_FILE.test(n));
  } catch {
    return;
  }
  if (names.length <= max) return;
  const written: Array<[number, string]> = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (file === keep) continue;
    try {
      const st = lstatSync(file);
      if (st.isFile()) written.push([st.mtimeMs, file]);
    } catch {
      /* gone meanwhile */
    }
  }
  written.sort((a, b) => a[0] - b[0]);
  for (const [, file] of written.slice(0, names.length - Math.floor((max * 3) / 4))) {
    try {
      unlinkSync(file);
    } catch {
      /* removed by another run, or not ours to remove */
    }
  }
}
