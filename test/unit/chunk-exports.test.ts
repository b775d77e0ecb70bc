// scripts/chunk-exports.mjs: a chunk's exports are getters on module.exports itself, not on a copy.
import { createRequire } from 'node:module';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { builtinDefaults, exportsInPlace } from '../../scripts/chunk-exports.mjs';

const require = createRequire(import.meta.url);

/** `esm` as scripts/build.mjs makes a chunk of it (CommonJS, whitespace minified), exports in place or not. */
async function chunkOf(esm: string, inPlace: boolean): Promise<string> {
  const { code } = await transform(esm, { format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, logLevel: 'silent' });
  return inPlace ? exportsInPlace(code) : code;
}

/** Runs a chunk as bin/load.cjs does (the function Node wraps a module in); its module, and the object it was given as `exports`. */
function run(code: string): { module: { exports: Record<string, unknown> }; given: object } {
  const module = { exports: {} as Record<string, unknown> };
  const given = module.exports;
  new Function('exports', 'require', 'module', code)(module.exports, () => ({}), module);
  return { module, given };
}

const ESM = `
export let count = 0;
export function bump() { count++; return count; }
export const TABLE = { a: 1 };
class Thing {}
export { Thing as Renamed };
`;

describe('exportsInPlace', () => {
  it("defines the getters on the module's own exports object: same keys in the same order, same values, the __esModule mark, live bindings", async () => {
    const esbuilt = run(await chunkOf(ESM, false)).module.exports;
    const { module, given } = run(await chunkOf(ESM, true));
    const mine = module.exports;
    expect(mine).toBe(given);
    expect(Object.keys(mine)).toEqual(Object.keys(esbuilt));
    expect(Object.getOwnPropertyNames(mine)).toEqual(Object.getOwnPropertyNames(esbuilt));
    expect(Object.getOwnPropertyDescriptor(mine, '__esModule')).toEqual(Object.getOwnPropertyDescriptor(esbuilt, '__esModule'));
    expect(mine.__esModule).toBe(true);
    expect(mine.TABLE).toEqual({ a: 1 });
    expect(typeof mine.Renamed).toBe('function');
    // A live binding: the getter reads the variable as it is now.
    expect(mine.count).toBe(0);
    expect((mine.bump as () => number)()).toBe(1);
    expect(mine.count).toBe(1);
    // One getter: the descriptor's getter is the one __export defined, which reads the variable itself.
    expect(typeof Object.getOwnPropertyDescriptor(mine, 'count')?.get).toBe('function');
    expect(Object.getOwnPropertyDescriptor(mine, 'count')?.enumerable).toBe(true);
  });

  it('leaves a chunk that exports nothing as it is, and fails the build on exports in a form it does not know', async () => {
    const none = await chunkOf('console.log(1);', false);
    expect(exportsInPlace(none)).toBe(none);
    expect(() => exportsInPlace('var stdin_exports={};module.exports=somethingElse(stdin_exports);')).toThrow(/not in the form/);
  });
});

describe('builtinDefaults', () => {
  /** `esm` as esbuild writes it in CommonJS (as scripts/build.mjs does), run with Node's require; its exports. */
  function runWith(code: string): Record<string, unknown> {
    const module = { exports: {} as Record<string, unknown> };
    new Function('exports', 'require', 'module', code)(module.exports, require, module);
    return module.exports;
  }

  it("makes a default import of a builtin without __toESM's copy, with the same value", async () => {
    const esm = `import path from 'node:path';\nimport fs from 'node:fs';\nexport const joined = path.join('/a', 'b');\nexport const same = [path, fs];`;
    const { code } = await transform(esm, { format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, logLevel: 'silent' });
    expect(code).toMatch(/__toESM\(require\("node:path"\)\)/);
    const rewritten = builtinDefaults(code);
    expect(rewritten).not.toMatch(/__toESM\(require\("node:/);
    expect(rewritten).toContain('var import_node_path={default:require("node:path")};');
    const before = runWith(code);
    const after = runWith(rewritten);
    expect(after.joined).toBe('/a/b');
    expect(after.joined).toBe(before.joined);
    // The default is the builtin's own exports object, as __toESM's was.
    expect(after.same).toEqual([require('node:path'), require('node:fs')]);
    expect((before.same as unknown[])[0]).toBe(require('node:path'));
  });

  it('leaves a builtin read in any other way than `.default` (a namespace import) as esbuild wrote it', async () => {
    const esm = `import * as path from 'node:path';\nexport const all = path;\nexport const j = path.join('a', 'b');`;
    const { code } = await transform(esm, { format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, logLevel: 'silent' });
    expect(builtinDefaults(code)).toBe(code);
    const both = `var import_node_path=__toESM(require("node:path"));var import_node_path2=__toESM(require("node:path"));f(import_node_path.default.sep,import_node_path2.sep);`;
    expect(builtinDefaults(both)).toBe(
      `var import_node_path={default:require("node:path")};var import_node_path2=__toESM(require("node:path"));f(import_node_path.default.sep,import_node_path2.sep);`,
    );
  });
});
