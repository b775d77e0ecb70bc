// scripts/lazy-imports.mjs: the two rewrites of lazyImport(() => import(M)) (src/lazy.ts).
import { describe, expect, it } from 'vitest';
import { hoistLazyImports, splitLazyImports } from '../../scripts/lazy-imports.mjs';
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
