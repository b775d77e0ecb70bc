// The npm package: what `npm pack` ships, and one version everywhere. That it
// works once installed (from the npm registry) is the network tier's
// (test/network/pack-install.test.ts).
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
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'package.json',
        'bin/matrix.cjs',
        'bin/load.cjs',
        'dist/matrix.cjs',
        'schemas/matrix.schema.json',
        'templates/go.Dockerfile.hbs',
        'templates/node.Dockerfile.hbs',
        'templates/python.Dockerfile.hbs',
        'templates/rust.Dockerfile.hbs',
        'templates/static.Dockerfile.hbs',
      ]),
    );
    const top = new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : f)));
    expect([...top].sort()).toEqual(expect.arrayContaining(['README.md', 'bin/', 'dist/', 'package.json', 'schemas/', 'templates/']));
    expect(files).toEqual(expect.arrayContaining(['CHANGELOG.md', 'LICENSE']));
    for (const f of files) expect(f, `${f} should not be published`).toMatch(/^(README\.md|LICENSE|CHANGELOG\.md|package\.json|bin\/|dist\/|schemas\/|templates\/)/);
    expect(files.filter((f) => /\.test\.|\.ts$|\.map$/.test(f))).toEqual([]);
  });

  it("the version is one: package.json, the CHANGELOG's newest release and `matrix --version`", () => {
    const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    const released = /^## (\d+\.\d+\.\d+)/m.exec(readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8'));
    expect(released?.[1]).toBe(version);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(version);
  });
});
