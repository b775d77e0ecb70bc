// One temporary directory for a whole test run, removed when the run ends.
//
// Tests make their repositories, caches and logs with mkdtemp under the
// system's temp directory, and many files never removed theirs: one CI run
// left about 220 directories in /tmp (a repository each, some with a built
// context), and a machine that ran the suites for a few weeks held 3.6 GB of
// them. Rather than trust every file to clean up after itself, each suite's
// global setup points TMPDIR (which os.tmpdir() and the spawned processes
// read) at a directory of its own, and its teardown removes that directory.
//
// The directory is 0755, not mkdtemp's 0700: a test that runs matrix as an
// unprivileged user (test/security/files.test.ts) needs to enter the
// directories below it.
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Set when the directory should stay after the run (to read what a failing test left). */
export const KEEP_VARIABLE = 'MATRIX_TEST_KEEP_TMP';

/**
 * Make the run's temp directory under the current one and point TMPDIR at it.
 * Returns the teardown: TMPDIR as it was, the directory gone (or named, when
 * MATRIX_TEST_KEEP_TMP is set).
 */
export function useRunTempDir(label: string): () => void {
  const had = Object.hasOwn(process.env, 'TMPDIR');
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(os.tmpdir(), `matrix-${label}-run-`));
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => {
    if (had) process.env.TMPDIR = previous;
    else delete process.env.TMPDIR;
    if (process.env[KEEP_VARIABLE]) {
      console.log(`${label}: the run's temporary files are kept in ${dir} (${KEEP_VARIABLE} is set)`);
      return;
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A directory a test left unwritable or unreadable (not for root): give the owner its rights back, then again.
      ownerRights(dir);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  };
}

/** chmod u+rwx on every directory below `dir` (symbolic links are not followed). */
function ownerRights(dir: string): void {
  try {
    chmodSync(dir, 0o700);
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (lstatSync(p).isDirectory()) ownerRights(p);
    }
  } catch {
    // What cannot be changed is reported by the rmSync after this.
  }
}
