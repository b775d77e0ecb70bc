// scripts/lazy-imports.mjs: the two rewrites of lazyImport(() => import(M)) (src/lazy.ts), and the
// builtins dist/ loads on first use.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { hoistLazyImports, LAZY_BUILTINS, lazyBuiltinModule, lazyBuiltinsPlugin, splitLazyImports } from '../../scripts/lazy-imports.mjs';
import { lazyImport } from '../../src/lazy.js';

describe('lazyImport rewrites', () => {
  it('hoists M to a static import, any spacing or quotes; a comment showing the form is left alone', () => {
    const code = `// lazyImport(() => import('./commented.js'))\nconst a = lazyImport(() => import('./a.js'));\nconst b = lazyImport( ( ) =>  import( "../b.js" ) );\n`;
    expect(hoistLazyImports(code)).toBe(
      `import * as __matrixLazy0 from "./a.js"; import * as __matrixLazy1 from "../b.js";\n// lazyImport(() => import('./commented.js'))\nconst a = lazyImport(() => __matrixLazy0);\nconst b = lazyImport(() => __matrixLazy1);\n`,
    );
    expect(hoistLazyImports('const x = 1;\n')).toBeUndefined();
  });

  it('refuses a package as M: in dist/ a CommonJS package would have only a default export', () => {
    expect(() => hoistLazyImports("const y = lazyImport(() => import('yaml'));")).toThrow(/import a module of src\//);
  });

  it("makes a chunk's import() a synchronous require, and fails the build on a call left in another form", () => {
    expect(splitLazyImports('var yamlLib=lazyImport2(()=>import("./yaml-parts-AB12CD34.cjs"));')).toBe('var yamlLib=lazyImport2(()=>require("./yaml-parts-AB12CD34.cjs"));');
    expect(() => splitLazyImports('var y=lazyImport(()=>import("./x.cjs").then((m)=>m.default));')).toThrow(/not rewritten/);
  });

  it('lazyImport loads once, on the first call; an import() left unrewritten is an internal error', () => {
    let loads = 0;
    const mod = { value: 42 };
    const get = lazyImport(() => {
      loads++;
      return mod as unknown as Promise<typeof mod>;
    });
    expect(loads).toBe(0);
    expect(get().value).toBe(42);
    expect(get()).toBe(mod);
    expect(loads).toBe(1);
    expect(() => lazyImport(() => Promise.resolve(mod))()).toThrow(/was not rewritten/);
  });
});

// The builtins dist/ loads on first use (scripts/lazy-imports.mjs lazyBuiltinsPlugin), bundled as
// scripts/build.mjs bundles them and run in a fresh Node: nothing loads until a name is called or the
// default export is read, and then each answers as the builtin itself.
describe('lazy builtins', () => {
  /** `entry` bundled to CommonJS with the plugin, run in a fresh Node; what it prints, as JSON. */
  async function bundledRun(entry: string): Promise<unknown> {
    const out = await build({
      stdin: { contents: entry, loader: 'js', resolveDir: process.cwd() },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      plugins: [lazyBuiltinsPlugin as Plugin],
      write: false,
      logLevel: 'silent',
    });
    // A file, not \`node -e\`: Node's eval entry loads node:crypto itself.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-lazy-bundle-'));
    try {
      writeFileSync(path.join(dir, 'bundle.cjs'), out.outputFiles[0]!.text);
      const r = spawnSync(process.execPath, [path.join(dir, 'bundle.cjs')], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      return JSON.parse(r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const loadedList = 'process.moduleLoadList.filter((m) => /^NativeModule (fs\\/promises|os|crypto)$/.test(m))';

  it('loads node:fs/promises, node:os and node:crypto only when a name is called or the default export read, and answers as each', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-lazy-builtin-'));
    try {
      writeFileSync(path.join(dir, 'a.txt'), 'x');
      const result = await bundledRun(`
        import { readdir, mkdir } from 'node:fs/promises';
        import os, { availableParallelism } from 'node:os';
        import { createHash } from 'node:crypto';
        const before = ${loadedList};
        (async () => {
          const made = await mkdir(${JSON.stringify(path.join(dir, 'n', 'm'))}, { recursive: true });
          const names = (await readdir(${JSON.stringify(dir)})).sort();
          const afterFs = ${loadedList};
          const tmp = os.tmpdir();
          const cpus = availableParallelism();
          const digest = createHash('sha256').update('x').digest('hex');
          process.stdout.write(JSON.stringify({ before, made, names, afterFs, tmp, cpus, digest, keys: Object.keys(os).includes('EOL'), after: ${loadedList} }));
        })();
      `);
      // What Node itself loads with fs/promises, in a process of its own: Node 24 loads os with it
      // (its own dependency, not an import of ours), Node 20 does not.
      // (a script file: \`node -e\` loads crypto for itself)
      const script = path.join(dir, 'plain.cjs');
      writeFileSync(script, `require('node:fs/promises'); process.stdout.write(JSON.stringify(${loadedList}));`);
      const plain = spawnSync(process.execPath, [script], { encoding: 'utf8' });
      const withFsPromises = new Set(JSON.parse(plain.stdout) as string[]);
      expect(withFsPromises.has('NativeModule fs/promises')).toBe(true);
      const { afterFs, after, ...rest } = result as { afterFs: string[]; after: string[] };
      expect(rest).toEqual({
        before: [],
        made: path.join(dir, 'n'),
        names: ['a.txt', 'n'],
        tmp: os.tmpdir(),
        cpus: os.availableParallelism(),
        digest: createHash('sha256').update('x').digest('hex'),
        keys: true,
      });
      // After the fs calls: fs/promises and what Node loads with it, nothing else (os and crypto not yet called).
      expect(new Set(afterFs)).toEqual(withFsPromises);
      expect(afterFs).not.toContain('NativeModule crypto');
      expect(new Set(after)).toEqual(new Set(['NativeModule fs/promises', 'NativeModule os', 'NativeModule crypto']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a name imported through the default export is the builtin's own, and a class or constant imported by name fails the build", async () => {
    expect(await bundledRun(`import os from 'node:os'; process.stdout.write(JSON.stringify({ same: os.tmpdir === eval('require')('node:os').tmpdir, eol: os.EOL }));`)).toEqual({
      same: true,
      eol: os.EOL,
    });
    await expect(bundledRun(`import { Hash } from 'node:crypto'; process.stdout.write(JSON.stringify(typeof Hash));`)).rejects.toThrow(/No matching export/);
    await expect(bundledRun(`import { EOL } from 'node:os'; process.stdout.write(JSON.stringify(EOL));`)).rejects.toThrow(/No matching export/);
  });

  it('each function of a lazy builtin, lower-case and callable, is an export of its module; nothing else is', () => {
    const text = lazyBuiltinModule('node:os');
    const exported = [...text.matchAll(/^export function (\w+)\(/gm)].map((m) => m[1]);
    const os_ = createRequire(import.meta.url)('node:os') as Record<string, unknown>;
    expect(exported).toEqual(Object.keys(os_).filter((k) => /^[a-z]/.test(k) && typeof os_[k] === 'function'));
    expect(exported).toContain('tmpdir');
    expect(exported).not.toContain('EOL');
    expect(LAZY_BUILTINS.test('node:fs/promises')).toBe(true);
    expect(LAZY_BUILTINS.test('node:fs')).toBe(false);
  });
});
