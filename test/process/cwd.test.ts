// Issue 12, machine faults: a working directory removed under the shell is a
// fault of the machine (exit 74, one line), not an internal error.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/tree.js';

describe('a working directory that no longer exists', () => {
  it('every command exits 74 with one line, no trace', () => {
    const parent = tempDir();
    const bin = path.join(REPO_ROOT, 'bin', 'matrix.cjs');
    for (const args of ['gen', 'validate', 'plan --json']) {
      const r = spawnSync('bash', ['-c', `mkdir gone && cd gone && rmdir ../gone && exec "${process.execPath}" "${bin}" ${args}`], { cwd: parent, encoding: 'utf8' });
      expect(r.status, `${args}: ${r.stderr}`).toBe(74);
      expect(r.stderr).toBe('matrix: cannot read the current directory: it no longer exists (ENOENT)\n');
    }
  });
});
