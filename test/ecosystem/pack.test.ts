// The npm package: what `npm pack` ships, and one version everywhere. That it
// works once installed (from the npm registry) is the network tier's
// (test/network/pack-install.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
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
    // Every chunk of the bundle and every code cache (dist/build.json lists them): a command loads its chunks on first use.
    const built = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'dist', 'build.json'), 'utf8')) as { files: string[] }).files;
    expect(built.length).toBeGreaterThan(2);
    expect(files).toEqual(expect.arrayContaining(built.map((f) => `dist/${f}`)));
  });

  it('installed from the packed tarball, a plain command, --help and --version load their chunks lazily, each with its code cache', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-packed-'));
    try {
      const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(pack.status, pack.stderr).toBe(0);
      const tarball = path.join(dir, pack.stdout.trim().split('\n').pop()!);
      expect(spawnSync('tar', ['-xzf', tarball, '-C', dir]).status).toBe(0);
      const pkg = path.join(dir, 'package');
      const script = (argv: string[]) => `
        const bundle = require(${JSON.stringify(path.join(pkg, 'bin', 'load.cjs'))}).loadBundle();
        const out = [];
        const io = { stdout: { write: (s) => out.push(s) }, stderr: { write: (s) => out.push(s) }, cwd: ${JSON.stringify(path.join(REPO_ROOT, 'samples', 'monorepo'))}, env: {}, isTTY: false };
        bundle.exports.main(${JSON.stringify(argv)}, io).then((code) => process.stdout.write(JSON.stringify({ code, out: out.join(''), chunks: [...bundle.chunks.values()].map((c) => [c.file, c.cacheUsed]) })));`;
      const chunksOf = (argv: string[]) => {
        const r = spawnSync(process.execPath, ['-e', script(argv)], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        return JSON.parse(r.stdout) as { code: number; out: string; chunks: [string, boolean][] };
      };
      const check = chunksOf(['gen', '--check']);
      expect([check.code, check.out]).toEqual([0, expect.stringMatching(/^Up to date/)]);
      const help = chunksOf(['--help']);
      expect([help.code, help.out]).toEqual([0, expect.stringMatching(/^matrix <command>/)]);
      const version = chunksOf(['--version']);
      const packed = (JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
      expect([version.code, version.out]).toEqual([0, `${packed}\n`]);
      const genVersion = chunksOf(['gen', '--version']);
      expect([genVersion.code, genVersion.out]).toEqual([0, `${packed}\n`]);
      for (const r of [check, help, version, genVersion]) expect(r.chunks.filter(([, cached]) => !cached)).toEqual([]);
      // Each loads what it runs: yargs only for what the table's reader leaves to it (`gen --version`);
      // --help prints the package's dist/help.json and `--version` package.json's version; --help no command's code.
      const modules = (JSON.parse(readFileSync(path.join(pkg, 'dist', 'build.json'), 'utf8')) as { chunks: Record<string, string[]> }).chunks;
      const holds = (r: { chunks: [string, boolean][] }, re: RegExp) => r.chunks.some(([f]) => modules[f]!.some((m) => re.test(m)));
      expect([check, help, version, genVersion].map((r) => holds(r, /node_modules\/yargs\//))).toEqual([false, false, false, true]);
      expect([holds(check, /^src\/cli\/gen\.ts$/), holds(help, /^src\/cli\/gen\.ts$/)]).toEqual([true, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the version is one: package.json, the CHANGELOG's newest release and `matrix --version`", () => {
    const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    const released = /^## (\d+\.\d+\.\d+)/m.exec(readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8'));
    expect(released?.[1]).toBe(version);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(version);
  });
});
