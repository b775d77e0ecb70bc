// Issue 18 (row 2a, gen on 1,000 services): the cheaper ways resolve asks the
// disk and builds its records give the answers the plain ways gave.
// - src/fs/path-memo.ts remembers a missing path within a read-only phase and
//   throws the error lstatSync throws for it, without a stack;
// - src/expand/records.ts builds records as spread and Object.fromEntries do;
// - src/resolve/writable.ts skips the `.git` component test for a path that
//   cannot hold one;
// - src/resolve/vars.ts runs its global RegExp by hand, and src/validate/params.ts
//   skips a cell that repeats the one before it.
import { lstatSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { slug } from '../../src/expand/matrix.js';
import { copyInto, defineKey } from '../../src/expand/records.js';
import { lstatIfThere, lstatOf, withPathMemo } from '../../src/fs/path-memo.js';
import { exists, statKind } from '../../src/fs/probe.js';
import { recording } from '../../src/fs/recorder.js';
import { dotGitComponent, isInside } from '../../src/paths.js';
import { insideNormalized } from '../../src/resolve/paths.js';
import { interpolate, interpolateDyn } from '../../src/resolve/vars.js';
import { mayNameDotGit } from '../../src/resolve/writable.js';
import { compileSpec, goDirs } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** Everything a caller can read of an error: its class, message and own properties but the stack. */
function errorFacts(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    return { error: err instanceof Error, name: err.name, message: err.message, keys: Object.keys(err), errno: err.errno, code: err.code, syscall: err.syscall, path: err.path };
  }
  return { threw: false };
}

describe('path memo: a missing path', () => {
  it('throws inside a phase what lstatSync throws outside it, once asked and when asked again', () => {
    const dir = realpathSync.native(tempDir());
    const missing = path.join(dir, 'go.work');
    const plain = errorFacts(() => lstatSync(missing));
    expect(plain.code).toBe('ENOENT');
    withPathMemo(() => {
      expect(errorFacts(() => lstatOf(missing))).toEqual(plain);
      expect(errorFacts(() => lstatOf(missing))).toEqual(plain);
      expect(lstatIfThere(missing)).toBeUndefined();
    });
    expect(errorFacts(() => lstatOf(missing))).toEqual(plain);
    expect(lstatIfThere(missing)).toBeUndefined();
  });

  it('is one view for the phase (a file made meanwhile is seen by the next phase), and ENOTDIR is still thrown and asked again', () => {
    const dir = realpathSync.native(tempDir());
    const file = path.join(dir, 'go.mod');
    const under = path.join(dir, 'plain', 'go.mod');
    writeFileSync(path.join(dir, 'plain'), 'x');
    withPathMemo(() => {
      expect(exists(file)).toBe(false);
      writeFileSync(file, 'module x\n');
      expect(exists(file)).toBe(false);
      expect(() => statKind(file, true)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect(errorFacts(() => lstatIfThere(under))).toEqual(errorFacts(() => lstatSync(under)));
      expect(errorFacts(() => lstatOf(under)).code).toBe('ENOTDIR');
      rmSync(path.join(dir, 'plain'));
      mkdirSync(path.join(dir, 'plain'));
      // Not remembered: asked again, and now it is simply not there.
      expect(errorFacts(() => lstatOf(under)).code).toBe('ENOENT');
    });
    expect(withPathMemo(() => exists(file))).toBe(true);
    expect(withPathMemo(() => statKind(file, true))).toBe('file');
  });

  it('records the answers a recording without the memo records', async () => {
    const dir = realpathSync.native(tempDir());
    mkdirSync(path.join(dir, 'svc'));
    writeFileSync(path.join(dir, 'svc', 'go.mod'), 'module x\n');
    const ask = () => {
      const out: unknown[] = [];
      for (const name of ['go.work', 'go.mod', 'nope/x']) {
        const p = path.join(dir, 'svc', name);
        out.push(exists(p), exists(p));
        try {
          out.push(statKind(p, true));
        } catch (e) {
          out.push((e as NodeJS.ErrnoException).code);
        }
      }
      return out;
    };
    const plain = await recording(async () => ask());
    const memo = await recording(async () => withPathMemo(ask));
    expect(memo.value).toEqual(plain.value);
    expect([...memo.observations]).toEqual([...plain.observations]);
    expect(memo.complete && plain.complete).toBe(true);
    expect(plain.observations.get(JSON.stringify(['kind', path.join(dir, 'svc', 'go.work'), true]))).toBe('err:ENOENT');
  });
});

/** Records as YAML and JSON give them: small, string keys (`__proto__` an own key, as JSON.parse makes it), any values. */
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'a', 'b', 'with', 'args'), fc.string({ maxLength: 4 }));
const record = fc.array(fc.tuple(key, fc.oneof(fc.string(), fc.integer(), fc.constant(null))), { maxLength: 6 }).map((pairs) => Object.fromEntries(pairs));

describe('records built key by key', () => {
  it('copyInto gives what spreading gives: the same own keys, order, values and prototype', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        const spread = { ...a, ...b };
        const built = copyInto(copyInto({}, a), b);
        expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
        expect(Reflect.ownKeys(built)).toEqual(Reflect.ownKeys(spread));
        expect(Object.getOwnPropertyDescriptors(built)).toEqual(Object.getOwnPropertyDescriptors(spread));
      }),
      { numRuns: 500 },
    );
  });

  it('defineKey gives what Object.fromEntries gives', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.string()), { maxLength: 6 }), (pairs) => {
        const built: Record<string, unknown> = {};
        for (const [k, v] of pairs) defineKey(built, k, v);
        const expected = Object.fromEntries(pairs);
        expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
        expect(Object.getOwnPropertyDescriptors(built)).toEqual(Object.getOwnPropertyDescriptors(expected));
        expect(Reflect.ownKeys(built)).toEqual(Reflect.ownKeys(expected));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the `.git` prefilter of writable.ts', () => {
  it('never rules out a path in which dotGitComponent finds a component', () => {
    // Components near `.git` in every way isDotGitName (src/paths.ts) tells apart: case, NTFS dots, spaces and streams, git~1, HFS+ ignorables.
    const part = fc.oneof(
      fc.constantFrom('.git', '.GIT', '.Git', 'git~1', 'GIT~1', '.git.', '.git ', '.git::$INDEX_ALLOCATION', '.g\u200cit', '\ufeff.git', '.gi\u200dT', 'git', 'src', 'a.b', '..', '.'),
      fc.string({ maxLength: 5 }),
      fc.array(fc.constantFrom('.', 'g', 'i', 't', 'G', 'I', 'T', '~', '1', '\u200c', '\u200d', '\ufeff', ' ', ':'), { maxLength: 6 }).map((cs) => cs.join('')),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.constantFrom('/', '\\'), (parts, sep) => {
        const p = parts.join(sep);
        if (dotGitComponent(p) !== undefined) expect(mayNameDotGit(p)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(mayNameDotGit('services/svc-00001/Dockerfile')).toBe(false);
    expect(mayNameDotGit('a/.GiT/hooks')).toBe(true);
  });
});

describe('slug', () => {
  it('gives what lower-casing and replacing give, also for a value that is a slug already', () => {
    const full = (v: string) =>
      v
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '');
    const text = fc.array(fc.constantFrom('a', 'z', '0', '9', '-', '--', 'A', '.', '_', ' ', '\u212a', 'é'), { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (v) => {
        expect(slug(v)).toBe(full(v));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('insideNormalized', () => {
  it('answers as isInside for every normalized absolute child, whatever the parent', () => {
    const part = fc.constantFrom('a', 'b', 'ab', '..b', '.b', '...', 'a.', '.', '..', '');
    const abs = fc.array(part, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
    fc.assert(
      fc.property(abs, abs, fc.boolean(), (parent, raw, trailing) => {
        const child = path.resolve(raw);
        const p = trailing && parent !== '/' ? `${parent}/` : parent;
        expect(insideNormalized(p, child)).toBe(isInside(p, child));
        expect(insideNormalized(path.normalize(p), child)).toBe(isInside(path.normalize(p), child));
      }),
      { numRuns: 3000 },
    );
    expect(insideNormalized('/r', '/r/..b')).toBe(false);
    expect(insideNormalized('/r', '/r/a/b')).toBe(true);
    expect(insideNormalized('/r', '/rr')).toBe(false);
  });
});

describe('interpolation with one global RegExp', () => {
  it('gives the same answers however calls interleave, unknown names included', () => {
    const vars = new Map([
      ['service', 'api'],
      ['matrix.os', 'linux'],
    ]);
    const text = 'x-${{ service }}-${{ matrix.OS }}-${{ git.sha }}-${{ nope }}';
    const first = interpolateDyn(text, vars, { 'git.sha': 'MATRIX_GIT_SHA' });
    expect(first).toEqual({ value: { parts: ['x-api-linux-', { variable: 'MATRIX_GIT_SHA' }, '-${{ nope }}'] }, unknown: ['nope'] });
    expect(interpolate(text, vars).value).toBe('x-api-linux-${{ git.sha }}-${{ nope }}');
    expect(interpolateDyn(text, vars, { 'git.sha': 'MATRIX_GIT_SHA' })).toEqual(first);
    expect(interpolateDyn('${{ service }}', vars, {})).toEqual({ value: 'api', unknown: [] });
    expect(interpolateDyn(text, vars, { 'git.sha': 'MATRIX_GIT_SHA' })).toEqual(first);
  });
});

describe('template parameters of repeated cells', () => {
  it('a wrong parameter shared by every cell of a service is reported once per service, at its place', () => {
    const r = compileSpec(
      [
        'version: 1',
        'services:',
        '  api:',
        '    context: api',
        '    template: go',
        '    with: { binary: "-bad" }',
        '    matrix: { variant: [small, large, huge] }',
        '  web:',
        '    context: web',
        '    template: go',
        '    with: { binary: "-bad" }',
        '    matrix: { variant: [small, large] }',
        '',
      ].join('\n'),
      goDirs('api', 'web'),
    );
    const params = r.diagnostics.filter((d) => d.code === 'invalid-param');
    expect(params.map((d) => [d.line, d.message])).toEqual([
      [6, expect.stringContaining('`-bad` starts with `-`')],
      [11, expect.stringContaining('`-bad` starts with `-`')],
    ]);
  });
});
