// The npm package: what `npm pack` ships, and that the tarball works once
// installed (scripts/pack-test.sh: install from the tarball, dependencies
// from the npm registry, then `npx matrix --version` and `matrix gen`).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

describe('npm package', () => {
  it('npm pack ships bin, dist, schemas, templates and README, and no tests or sources', () => {
    // --ignore-scripts: `prepare` would rebuild dist/ while other tests run it.
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'bin/matrix.cjs', 'bin/load.cjs', 'dist/matrix.cjs', 'schemas/matrix.schema.json', 'templates/go.Dockerfile.hbs', 'templates/node.Dockerfile.hbs', 'templates/python.Dockerfile.hbs', 'templates/rust.Dockerfile.hbs', 'templates/static.Dockerfile.hbs']));
    const top = new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : f)));
    expect([...top].sort()).toEqual(expect.arrayContaining(['README.md', 'bin/', 'dist/', 'package.json', 'schemas/', 'templates/']));
    expect(files).toEqual(expect.arrayContaining(['CHANGELOG.md', 'LICENSE']));
    for (const f of files) expect(f, `${f} should not be published`).toMatch(/^(README\.md|LICENSE|CHANGELOG\.md|package\.json|bin\/|dist\/|schemas\/|templates\/)/);
    expect(files.filter((f) => /\.test\.|\.ts$|\.map$/.test(f))).toEqual([]);
  });

  // The README's two install paths while the package is not on the registry.
  it.each(['tarball', 'git'])('scripts/pack-test.sh %s: installs as the README says and runs `matrix --version` and `matrix gen`', async (mode) => {
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
  }, 300_000);

  it('the version is one: package.json, the CHANGELOG\'s newest release and `matrix --version`', () => {
    const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    const released = /^## (\d+\.\d+\.\d+)/m.exec(readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8'));
    expect(released?.[1]).toBe(version);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(version);
  });
});
