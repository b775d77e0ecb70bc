// The npm package works once installed (scripts/pack-test.sh: install from the
// tarball or a git URL, dependencies from the npm registry, then `npx matrix
// --version` and `matrix gen`). The network tier: `npm run test:network`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

describe('npm package', () => {
  // The README's two install paths while the package is not on the registry.
  it.each(['tarball', 'git'])(
    'scripts/pack-test.sh %s: installs as the README says and runs `matrix --version` and `matrix gen`',
    async (mode) => {
      const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
      expect(readme).toContain(`bash scripts/pack-test.sh ${mode}`);
      // Asynchronous: an install can take minutes, and a blocked worker loses its link to vitest.
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'bash',
          [path.join(REPO_ROOT, 'scripts', 'pack-test.sh'), mode],
          // dist/ was built by the global setup; rebuilding would race with the other tests.
          { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, SKIP_BUILD: '1', NO_COLOR: '1' }, timeout: 280_000, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
      expect(r.stdout).toContain(`npx matrix --version: ${version}\n`);
      expect(r.stdout).toContain(`installed from ${mode}\n`);
      expect(r.stdout).toContain('pack-test: ok');
    },
    300_000,
  );
});
