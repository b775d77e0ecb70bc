// Where temporary files go, from the CLI's environment (Io.env), never the process's.
import os from 'node:os';

/**
 * The temp dir as os.tmpdir() finds it, but from the given environment (the
 * CLI's `Io.env`, not the process's): on POSIX TMPDIR, TMP, TEMP, else /tmp,
 * without a trailing slash (https://nodejs.org/api/os.html#ostmpdir).
 */
export function tempDirOf(env: Readonly<Record<string, string | undefined>>): string {
  if (process.platform === 'win32') return os.tmpdir();
  const dir = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}
