// The npm package: what `npm pack` ships, and that the tarball works once
// installed (scripts/pack-test.sh: install from the tarball, dependencies
// from the npm registry, then `npx matrix --version` and `matrix gen`).
import { spawnSync } from 'node:child_process';
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
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'bin/matrix.cjs', 'dist/cli.mjs', 'schemas/matrix.schema.json', 'templates/go.Dockerfile.hbs', 'templates/node.Dockerfile.hbs', 'templates/python.Dockerfile.hbs', 'templates/rust.Dockerfile.hbs', 'templates/static.Dockerfile.hbs']));
    const top = new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : f)));
    expect([...top].sort()).toEqual(expect.arrayContaining(['README.md', 'bin/', 'dist/', 'package.json', 'schemas/', 'templates/']));
    for (const f of files) expect(f, `${f} should not be published`).toMatch(/^(README\.md|LICENSE|package\.json|bin\/|dist\/|schemas\/|templates\/)/);
    expect(files.filter((f) => /\.test\.|\.ts$|\.map$/.test(f))).toEqual([]);
  });

  it('scripts/pack-test.sh: the packed tarball installs and runs `matrix --version` and `matrix gen`', () => {
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'pack-test.sh')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      // dist/ was built by the global setup; rebuilding would race with the other tests.
      env: { ...process.env, SKIP_BUILD: '1', NO_COLOR: '1' },
      timeout: 240_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
    expect(r.stdout).toContain(`npx matrix --version: ${version}\n`);
    expect(r.stdout).toContain('pack-test: ok');
  }, 300_000);
});
