// A local cache `dir` is where bake's cache export writes (cache-to
// `type=local,dest=DIR/...`): it is checked as every path matrix or buildx
// writes to (src/resolve/writable.ts, see git-dir-writes.test.ts): inside
// the repository also through symbolic links, and never in the git directory.
import { afterAll, describe, expect, it } from 'vitest';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const svc = (extra: string) => `version: 1\nservices:\n  api:\n    context: api\n    template: go\n${extra}`;

describe('a local cache dir through a symbolic link (M5)', () => {
  it('that leads outside the repository is refused where it is written', () => {
    const outside = tempDir('matrix-outside-');
    const src = svc('    cache: { type: local, dir: cachelink/sub }\n');
    const r = compileSpec(src, { ...goDirs('api'), cachelink: { symlink: outside } });
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-outside-repo', ...pos(src, 'cachelink/sub') }]);
    expect(r.files).toBeUndefined();
  });

  it('`..` itself is outside the repository', () => {
    const src = svc('    cache: { type: local, dir: .. }\n');
    expect(brief(compileSpec(src, goDirs('api')).diagnostics)).toEqual([{ code: 'path-outside-repo', ...pos(src, '..') }]);
  });

  it('a link that stays inside the repository is fine', () => {
    const r = compileSpec(svc('    cache: { type: local, dir: cachelink/sub }\n'), { ...goDirs('api'), real: {}, cachelink: { symlink: 'real' } });
    expect(r.diagnostics).toEqual([]);
  });
});

describe('a local cache dir in the git directory', () => {
  it('a local cache dir', () => {
    const src = svc('    cache: { type: local, dir: .git/objects/cache }\n');
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-in-git-dir', ...pos(src, '.git/objects/cache') }]);
  });

  it('through a symbolic link into .git', () => {
    const src = svc('    cache: { type: local, dir: hooks/sub }\n');
    const r = compileSpec(src, { ...goDirs('api'), '.git/hooks/README': 'x', hooks: { symlink: '.git/hooks' } });
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-in-git-dir', ...pos(src, 'hooks/sub') }]);
  });

  it('a name beside .git is fine', () => {
    expect(compileSpec(svc('    cache: { type: local, dir: .git-cache }\n'), goDirs('api')).diagnostics).toEqual([]);
  });
});
