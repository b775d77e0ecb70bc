// Paths the spec makes matrix (`gen`) or buildx (`bake`) write to never reach
// the repository's git directory: a file there is code git runs (a hook in
// .git/hooks, `core.fsmonitor` in .git/config). One check (src/resolve/
// writable.ts) for output `dest`, `generated_file`, `generated_dir`,
// `bake_file`, a local cache `dir` and every generated Dockerfile: a path
// component git treats as `.git`, and a real path (symbolic links followed,
// as far as the path exists; a `.git` file naming the git dir) inside it.
//
// The names are git's own (git/git 1a3e64c6c4a623626ff0687008732a8e007e2a1c):
// - read-cache.c verify_dotfile (from verify_path): `.git` case-insensitively,
//   "This outlaws `.GIT` everywhere out of an abundance of caution";
// - path.c is_ntfs_dotgit: `.git` or the 8.3 short name `git~1`, followed by
//   any run of `.` and ` ` (NTFS drops them), then the end, a `/` or `\`
//   (is_xplatform_dir_sep) or `:` (an alternate data stream);
// - utf8.c is_hfs_dotgit / next_hfs_char: `.git` with code points HFS+
//   ignores (U+200C-U+200F, U+202A-U+202E, U+206A-U+206F, U+FEFF) anywhere,
//   ASCII case-folded only (a code point above 127 never matches).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { dotGitComponent, isDotGitName, repoRootOf } from '../../src/paths.js';
import { matrix } from '../helpers/cli.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { hashTree, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('isDotGitName: the names git treats as its directory', () => {
  it.each([
    ['.git', 'verify_dotfile'],
    ['.GIT', 'verify_dotfile, case-insensitive'],
    ['.gIt', 'verify_dotfile, case-insensitive'],
    ['.git.', 'is_ntfs_dotgit, trailing dot'],
    ['.git ', 'is_ntfs_dotgit, trailing space'],
    ['.GIT . .', 'is_ntfs_dotgit, dots and spaces'],
    ['git~1', 'is_ntfs_dotgit, 8.3 short name'],
    ['GIT~1', 'is_ntfs_dotgit, 8.3 short name in capitals'],
    ['git~1. ', 'is_ntfs_dotgit, short name and trailing dot and space'],
    ['.git:stream', 'is_ntfs_dotgit, alternate data stream'],
    ['.git::$INDEX_ALLOCATION', 'is_ntfs_dotgit, stream type'],
    ['.g\u200cit', 'is_hfs_dotgit, ZERO WIDTH NON-JOINER'],
    ['\u200f.git', 'is_hfs_dotgit, RIGHT-TO-LEFT MARK first'],
    ['.gi\u202et', 'is_hfs_dotgit, RIGHT-TO-LEFT OVERRIDE'],
    ['.g\u206ait', 'is_hfs_dotgit, INHIBIT SYMMETRIC SWAPPING'],
    ['.GIT\ufeff', 'is_hfs_dotgit, ZERO WIDTH NO-BREAK SPACE last, capitals'],
  ])('%j is .git (%s)', (name) => {
    expect(isDotGitName(name)).toBe(true);
  });

  it.each([['.gitignore'], ['.github'], ['.gitmodules'], ['git'], ['.git~1'], ['git~2'], ['x.git'], ['.gitx'], ['.g\u0131t'], ['.git\u00a0'], ['.g\u00adit'], ['']])('%j is not', (name) => {
    expect(isDotGitName(name)).toBe(false);
  });

  it('any component of a path, split at / and at \\ (is_xplatform_dir_sep)', () => {
    expect(dotGitComponent('a/.git/hooks')).toBe('.git');
    expect(dotGitComponent('a\\.GIT.\\hooks')).toBe('.GIT.');
    expect(dotGitComponent('.git/../dist')).toBe('.git');
    expect(dotGitComponent('dist/.github/x')).toBeUndefined();
  });
});

const svc = (extra: string) => `version: 1\nservices:\n  api:\n    context: api\n    template: go\n${extra}`;

describe('spec paths that write into the git directory: path-in-git-dir, located, nothing generated', () => {
  it.each([
    'type=local,dest=.git/hooks',
    'type=local,dest=.git',
    'type=local,dest=.GIT/hooks',
    'type=local,dest=.git./hooks',
    'type=local,dest=git~1/hooks',
    'type=tar,dest=.git/config',
    '.git/hooks',
    'type=local,dest=api/../.git/hooks',
  ])('output %j', (entry) => {
    const src = svc(`    output: [${JSON.stringify(entry)}]\n`);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-in-git-dir', ...pos(src, JSON.stringify(entry)) }]);
    expect(r.diagnostics[0]!.hint).toMatch(/git directory/);
    expect(r.files).toBeUndefined();
  });

  it.each([
    ['generated_file', '.git/info/attributes'],
    ['generated_file', '.git/hooks/pre-commit'],
    ['generated_file', 'sub/.git'],
    ['generated_dir', '.git/hooks'],
    ['generated_dir', '.Git\u200c'],
  ])('%s %j', (field, value) => {
    const src = svc(`    ${field}: ${JSON.stringify(value)}\n`);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-in-git-dir', ...pos(src, JSON.stringify(value)) }]);
    expect(r.files).toBeUndefined();
  });

  it('bake_file', () => {
    const src = `bake_file: .GIT/hooks/docker-bake.hcl\n${svc('')}`;
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-in-git-dir', ...pos(src, '.GIT/hooks/docker-bake.hcl') }]);
    expect(r.files).toBeUndefined();
  });

  it('the generated Dockerfile of a context inside the git directory', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .git/hooks\n    template: go\n';
    const r = compileSpec(src, goDirs('.git/hooks'));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['path-in-git-dir']);
    expect(r.files).toBeUndefined();
  });

  it('through a symbolic link into .git, for outputs, generated_dir and generated_file', () => {
    const tree = { ...goDirs('api'), '.git/hooks/README': 'x', hooks: { symlink: '.git/hooks' }, gitlink: { symlink: '.git' } };
    for (const [extra, needle] of [
      ['    output: ["type=local,dest=hooks"]\n', '"type=local,dest=hooks"'],
      ['    output: ["type=local,dest=gitlink/new/dir"]\n', '"type=local,dest=gitlink/new/dir"'],
      ['    generated_dir: hooks\n', 'hooks'],
      ['    generated_file: gitlink/config\n', 'gitlink/config'],
    ] as const) {
      const src = svc(extra);
      expect(brief(compileSpec(src, tree).diagnostics), extra).toEqual([{ code: 'path-in-git-dir', ...pos(src, needle) }]);
    }
  });

  it('a git directory a `.git` file names elsewhere in the tree (worktree, submodule)', () => {
    const dir = tempRepo({ ...goDirs('api'), 'gd/HEAD': 'ref: refs/heads/main\n', 'gd/objects/x': '', 'gd/refs/x': '' });
    rmSync(path.join(dir, '.git'), { recursive: true });
    writeFileSync(path.join(dir, '.git'), 'gitdir: gd\n');
    const src = svc('    output: ["type=local,dest=gd/hooks"]\n');
    writeFileSync(path.join(dir, 'matrix.yaml'), src);
    const specPath = path.join(dir, 'matrix.yaml');
    const r = compile({ specPath, displayName: 'matrix.yaml', source: src, repoRoot: repoRootOf(dir), cwd: dir });
    expect(brief(r.diagnostics)).toEqual([{ code: 'path-in-git-dir', ...pos(src, '"type=local,dest=gd/hooks"') }]);
  });

  it('ordinary names beside .git still work', () => {
    const r = compileSpec(svc('    output: ["type=local,dest=.github/out"]\n    generated_dir: .gitlab\n    cache: { type: local, dir: .git-cache }\n'), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
  });

  it('gen and validate: exit 2, file:line:column and the hint, nothing written', async () => {
    const src = svc('    generated_file: .git/hooks/pre-commit\n');
    const dir = tempRepo({ ...goDirs('api'), 'matrix.yaml': src });
    mkdirSync(path.join(dir, '.git/hooks'), { recursive: true });
    const before = hashTree(dir);
    for (const args of [['validate'], ['gen']]) {
      const r = await matrix(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      const { line, column } = pos(src, '.git/hooks/pre-commit');
      expect(r.stderr).toContain(`matrix.yaml:${line}:${column}`);
      expect(r.stderr).toContain('[path-in-git-dir]');
      expect(r.stderr).toMatch(/git directory/);
      expect(hashTree(dir)).toBe(before);
    }
  });
});
