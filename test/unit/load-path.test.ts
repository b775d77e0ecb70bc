// bin/load.cjs pathFor: the node:path the chunks require answers resolve,
// join, relative and normalize from the strings only where node:path gives the
// same answer, and hands every other call to node:path.
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { pathFor } = require('../../bin/load.cjs') as { pathFor: (real: typeof path) => typeof path };

const fast = pathFor(path);

/** Parts of paths, the plain and the awkward: empty, `.`, `..`, dots in names, spaces, a backslash. */
const part = fc.constantFrom('a', 'b', 'services', 'api', '.', '..', '...', '.git', 'a.b', '', 'x y', 'a\\b', '..a', 'a..');
/** A path of 0-5 parts, absolute or relative, sometimes with a trailing `/`. */
const aPath = fc.tuple(fc.boolean(), fc.array(part, { maxLength: 5 }), fc.boolean()).map(([abs, parts, trailing]) => `${abs ? '/' : ''}${parts.join('/')}${trailing ? '/' : ''}`);

describe('pathFor (bin/load.cjs)', () => {
  it('answers resolve, join, relative and normalize exactly as node:path does', () => {
    fc.assert(
      fc.property(aPath, aPath, (a, b) => {
        expect(fast.resolve(a)).toBe(path.resolve(a));
        expect(fast.resolve(a, b)).toBe(path.resolve(a, b));
        expect(fast.join(a, b)).toBe(path.join(a, b));
        expect(fast.relative(a, b)).toBe(path.relative(a, b));
        expect(fast.normalize(a)).toBe(path.normalize(a));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers the paths a compile asks from the strings, without node:path', () => {
    const calls: string[] = [];
    const spy = { ...path, sep: '/' } as typeof path;
    for (const name of ['resolve', 'join', 'relative', 'normalize'] as const) {
      (spy as unknown as Record<string, unknown>)[name] = (...args: string[]) => {
        calls.push(name);
        return (path[name] as (...a: string[]) => string)(...args);
      };
    }
    const p = pathFor(spy);
    expect(p.resolve('/repo/monorepo', 'services/api/Dockerfile')).toBe('/repo/monorepo/services/api/Dockerfile');
    expect(p.resolve('/repo/monorepo', '/elsewhere/file')).toBe('/elsewhere/file');
    expect(p.resolve('/repo/monorepo')).toBe('/repo/monorepo');
    expect(p.join('/repo/dist', 'pack-compile.cjs')).toBe('/repo/dist/pack-compile.cjs');
    expect(p.join('services/api', 'go.mod')).toBe('services/api/go.mod');
    expect(p.relative('/repo/monorepo', '/repo/monorepo/services/web')).toBe('services/web');
    expect(p.relative('/repo/monorepo', '/repo/monorepo')).toBe('');
    expect(p.normalize('/repo/monorepo/base')).toBe('/repo/monorepo/base');
    expect(calls).toEqual([]);
    // Anything else is node:path's: a `..`, a relative start, a sibling that shares a prefix, more parts.
    expect(p.resolve('/repo/monorepo', '../other')).toBe('/repo/other');
    expect(p.resolve('relative/dir', 'x')).toBe(path.resolve('relative/dir', 'x'));
    expect(p.relative('/repo/mono', '/repo/monorepo')).toBe('../monorepo');
    expect(p.join('/repo', 'a', 'b')).toBe('/repo/a/b');
    expect(p.normalize('/repo//x/./y/')).toBe('/repo/x/y/');
    expect(calls).toEqual(['resolve', 'resolve', 'relative', 'join', 'normalize']);
  });

  it('keeps the rest of node:path, with path.posix being path itself, and throws as node:path does', () => {
    expect(fast.dirname('/a/b/c')).toBe('/a/b');
    expect(fast.isAbsolute('/a')).toBe(true);
    expect(fast.sep).toBe('/');
    expect(fast.posix).toBe(fast);
    expect(() => fast.resolve('/a', 1 as unknown as string)).toThrow(TypeError);
    expect(() => fast.join(undefined as unknown as string, 'a')).toThrow(TypeError);
    expect(() => fast.relative('/a', null as unknown as string)).toThrow(TypeError);
  });

  it('is node:path itself where paths are not POSIX', () => {
    expect(pathFor(path.win32)).toBe(path.win32);
  });
});
