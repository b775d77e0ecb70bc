import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanPath, compilePattern, parseDockerignore, readPatterns } from '../../src/dockerfile/dockerignore.js';

const ignored = (text: string, file: string) => parseDockerignore(text).isIgnored(file);

describe('readPatterns (Docker ReadAll)', () => {
  it('drops comments and blank lines, trims, cleans and drops a leading slash', () => {
    const text = '# comment\n\n  foo  \n/bar/baz\n./a/./b/../c\nd//e/\n!  /keep\n\t\n';
    expect(readPatterns(text)).toEqual(['foo', 'bar/baz', 'a/c', 'd/e', '!keep']);
  });

  it('treats # as a comment only in the first column', () => {
    expect(readPatterns('  # not a comment\n#comment')).toEqual(['# not a comment']);
  });

  it('strips a UTF-8 BOM and CR line endings', () => {
    expect(readPatterns('\uFEFFfoo\r\nbar\r\n')).toEqual(['foo', 'bar']);
  });

  it('keeps / alone and a lone !', () => {
    expect(readPatterns('/\n!\n')).toEqual(['/', '!']);
  });
});

describe('cleanPath (Go path.Clean)', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['a/b/', 'a/b'],
    ['a//b', 'a/b'],
    ['./a', 'a'],
    ['a/../b', 'b'],
    ['../a', '../a'],
    ['a/../../b', '../b'],
    ['/../a', '/a'],
    ['/', '/'],
    ['a/./b/.', 'a/b'],
    ['!a/../b', 'b'],
  ])('%j -> %j', (input, out) => {
    expect(cleanPath(input)).toBe(out);
  });
});

describe('Docker documentation examples', () => {
  const rules = '# comment\n*/temp*\n*/*/temp*\ntemp?\n';

  it.each([
    ['somedir/temporary.txt', true],
    ['somedir/temp', true],
    ['somedir/temp/inner/file', true], // a matched directory takes everything below it
    ['temporary.txt', false], // `*/` needs one directory level
    ['somedir/subdir/temporary.txt', true],
    ['a/b/c/temporary.txt', false],
    ['tempa', true],
    ['tempb', true],
    ['temp', false],
    ['tempab', false],
    ['other.txt', false],
  ])('*/temp*, */*/temp*, temp?: %s ignored=%s', (file, want) => {
    expect(ignored(rules, file)).toBe(want);
  });

  it('**/*.go excludes .go files in every directory, the root included', () => {
    for (const f of ['main.go', 'cmd/api/main.go', 'a/b/c/d.go']) expect(ignored('**/*.go', f)).toBe(true);
    expect(ignored('**/*.go', 'go.mod')).toBe(false);
  });

  it('*.md with !README.md keeps README.md', () => {
    const text = '*.md\n!README.md\n';
    expect(ignored(text, 'CHANGELOG.md')).toBe(true);
    expect(ignored(text, 'README.md')).toBe(false);
    // `*.md` only matches at the root.
    expect(ignored(text, 'docs/guide.md')).toBe(false);
  });

  it('the last matching line wins: *.md, !README*.md, README-secret.md', () => {
    const text = '*.md\n!README*.md\nREADME-secret.md\n';
    expect(ignored(text, 'notes.md')).toBe(true);
    expect(ignored(text, 'README.md')).toBe(false);
    expect(ignored(text, 'README-1.md')).toBe(false);
    expect(ignored(text, 'README-secret.md')).toBe(true);
  });

  it('the last matching line wins: *.md, README-secret.md, !README*.md', () => {
    const text = '*.md\nREADME-secret.md\n!README*.md\n';
    expect(ignored(text, 'notes.md')).toBe(true);
    expect(ignored(text, 'README-secret.md')).toBe(false);
  });

  it('an exception before the rule it should except does nothing', () => {
    expect(ignored('!fileutils.go\n*.go', 'fileutils.go')).toBe(true);
    expect(ignored('*.go\n!fileutils.go', 'fileutils.go')).toBe(false);
  });

  it('a directory pattern excludes everything below it; an exception re-includes one file', () => {
    for (const text of ['docs\n!docs/README.md', 'docs/\n!docs/README.md', 'docs/*\n!docs/README.md', '/docs\n!/docs/README.md']) {
      expect(ignored(text, 'docs/README.md')).toBe(false);
      expect(ignored(text, 'docs/other.md')).toBe(true);
      expect(ignored(text, 'docs/deep/file')).toBe(true);
    }
  });

  it('an exception naming a directory re-includes what is below it', () => {
    const text = '**\n!util/docker/web';
    expect(ignored(text, 'util/docker/web/foo')).toBe(false);
    expect(ignored(text, 'util/docker/other')).toBe(true);
    expect(ignored(text + '\nutil/docker/web/foo', 'util/docker/web/foo')).toBe(true);
  });

  it('everything but: * then exceptions', () => {
    const text = '*\n!src\n!go.mod\n';
    expect(ignored(text, 'README.md')).toBe(true);
    expect(ignored(text, 'node_modules/x/index.js')).toBe(true);
    expect(ignored(text, 'src/main.go')).toBe(false);
    expect(ignored(text, 'go.mod')).toBe(false);
  });

  it('can exclude the Dockerfile and the .dockerignore itself', () => {
    expect(ignored('Dockerfile\n.dockerignore', 'Dockerfile')).toBe(true);
    expect(ignored('Dockerfile\n.dockerignore', '.dockerignore')).toBe(true);
  });

  it('never ignores the context root, and ignores nothing without patterns', () => {
    expect(ignored('*', '.')).toBe(false);
    expect(ignored('', 'anything/at/all')).toBe(false);
    expect(ignored('# only a comment\n', 'x')).toBe(false);
  });

  it('patterns are relative to the context root: a leading slash changes nothing', () => {
    expect(ignored('/node_modules', 'node_modules/a.js')).toBe(true);
    expect(ignored('/node_modules', 'web/node_modules/a.js')).toBe(false);
    expect(ignored('**/node_modules', 'web/node_modules/a.js')).toBe(true);
  });
});

// Cases from moby/patternmatcher's TestMatches and Go's filepath.Match tests,
// evaluated as Docker evaluates a context (a match on a parent directory counts).
describe('pattern matching (moby/patternmatcher cases)', () => {
  it.each([
    ['**', 'file', true],
    ['**', 'dir/file', true],
    ['**/', 'file', true],
    ['**/**', 'dir/file', true],
    ['dir/**', 'dir/file', true],
    ['dir/**', 'dir/dir2/file', true],
    ['**/dir', 'dir', true],
    ['**/dir', 'dir/file', true],
    ['**/dir2/*', 'dir/dir2/file', true],
    ['**/dir2/**', 'dir/dir2/dir3/file', true],
    ['**file', 'file', true],
    ['**file', 'dir/file', true],
    ['**/file', 'dir/file', true],
    ['**file', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file.txt', true],
    ['**/file*txt', 'dir/dir/file.txt', true],
    ['**/file*.txt*', 'dir/dir/file.txt', true],
    ['**/**/*.txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ['**/*.txt', 'file.txt', true],
    ['**/**/*.txt', 'file.txt', true],
    ['a**/*.txt', 'a/file.txt', true],
    ['a**/*.txt', 'a/dir/file.txt', true],
    ['a**/*.txt', 'a/dir/dir/file.txt', true],
    ['a/*.txt', 'a/dir/file.txt', false],
    ['a/*.txt', 'a/file.txt', true],
    ['a/*.txt**', 'a/file.txt', true],
    ['a[b-d]e', 'ae', false],
    ['a[b-d]e', 'ace', true],
    ['a[b-d]e', 'aae', false],
    ['a[^b-d]e', 'aze', true],
    ['.*', '.foo', true],
    ['.*', 'foo', false],
    ['abc.def', 'abcdef', false],
    ['abc.def', 'abc.def', true],
    ['abc.def', 'abcZdef', false],
    ['abc?def', 'abcZdef', true],
    ['abc?def', 'abcdef', false],
    ['**/foo/bar', 'foo/bar', true],
    ['**/foo/bar', 'dir/foo/bar', true],
    ['**/foo/bar', 'dir/dir2/foo/bar', true],
    ['abc/**', 'abc', false],
    ['abc/**', 'abc/def', true],
    ['abc/**', 'abc/def/ghi', true],
    ['**/.foo', '.foo', true],
    ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true],
    ['a(b)c/def', 'a(b)c/xyz', false],
    ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    ['a\\\\', 'a\\', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a\\*b', 'axb', false],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', true],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['*x', 'xxx', true],
  ])('%s matches %s: %s', (pattern, file, want) => {
    const di = parseDockerignore(pattern);
    expect(di.errors).toEqual([]);
    expect(di.isIgnored(file)).toBe(want);
  });

  it('matches the emoji as one character (code points, not UTF-16 units)', () => {
    expect(ignored('a?b', 'a😀b')).toBe(true);
  });

  it('compiles exact, prefix and suffix patterns without a regular expression', () => {
    expect(compilePattern('a/b')('a/b')).toBe(true);
    expect(compilePattern('a/b')('a/bc')).toBe(false);
    expect(compilePattern('foo**')('foobar/x')).toBe(true);
    expect(compilePattern('**')('')).toBe(true);
  });
});

describe('the literal prefilter and the remembered walk', () => {
  // A path is only walked through a pattern's steps when it starts and ends with the pattern's
  // leading and trailing literals and holds its longest inner run of literals, and a pattern keeps
  // where each character led its walk: answers of the plain walk, sooner. Patterns and paths from a
  // small alphabet, so that they meet often.
  const piece = fc.constantFrom('a', 'b', 'ab', '/', '*', '**', '**/', '?', '\\*', '\\a', '[ab]', '[^a]', '😀', '.');
  const pattern = fc.array(piece, { minLength: 1, maxLength: 7 }).map((xs) => xs.join(''));
  const path = fc.array(fc.constantFrom('a', 'b', '/', '*', '.', 'ab', '😀', '\n'), { maxLength: 12 }).map((xs) => xs.join(''));

  // The same compiled pattern answers many paths: what it remembers of one walk serves the next.
  it('answers as the walk of every path does', () => {
    fc.assert(
      fc.property(pattern, fc.array(path, { minLength: 1, maxLength: 24 }), (p, paths) => {
        const fast = compilePattern(p);
        const walk = compilePattern(p, false);
        for (const x of paths) expect(fast(x), `${p} against ${x}`).toBe(walk(x));
      }),
      { numRuns: 3000 },
    );
  });

  it('a pattern of escaped literals only still matches itself', () => {
    expect(compilePattern('a\\*b')('a*b')).toBe(true);
    expect(compilePattern('x\\?')('x?')).toBe(true);
    expect(compilePattern('x\\?')('xy')).toBe(false);
  });

  it('two thousand wildcard-only lines (`?*?*?*`) against two thousand files: the same answers as the plain walk', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `?*?*?*${'?'.repeat(i % 7)}`);
    const di = parseDockerignore(lines.join('\n'));
    const walks = lines.map((l) => compilePattern(l, false));
    const files = Array.from({ length: 2000 }, (_, i) => (i % 3 ? `src/f${i}.go` : `f${i}`));
    // No exception lines: a file is ignored when a line matches it or its directory.
    for (const f of files) expect(di.isIgnored(f), f).toBe(walks.some((w) => w(f) || (f.includes('/') && w(f.slice(0, f.indexOf('/'))))));
    expect(files.filter((f) => di.isIgnored(f)).length).toBeGreaterThan(0);
    expect(files.filter((f) => !di.isIgnored(f)).length).toBeGreaterThan(0);
  });

  it('ten thousand `*xN*` lines against two thousand changed files: none ignored, and a path that holds one literal is', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `*x${i}*`).join('\n');
    const di = parseDockerignore(lines);
    const files = Array.from({ length: 2000 }, (_, i) => `src/f${i}.go`);
    expect(files.filter((f) => di.isIgnored(f))).toEqual([]);
    expect(di.isIgnored('x77y')).toBe(true);
  });
});

describe('malformed patterns', () => {
  it.each(['[]a]', '[-]', '[x-]', '[-x]', '\\', '[a-b-c]', '[', '[^', '[^bc', 'a[', '[z-a]'])('%s is an error and matches nothing', (pattern) => {
    const di = parseDockerignore(`${pattern}\nkept`);
    expect(di.errors).toHaveLength(1);
    expect(di.patterns.map((p) => p.pattern)).toEqual(['kept']);
    expect(di.isIgnored('a')).toBe(false);
  });

  it('a lone ! is an error', () => {
    expect(parseDockerignore('!').errors).toEqual(['illegal exclusion pattern: "!"']);
  });

  it('marks exceptions, with the spaces after ! trimmed', () => {
    expect(parseDockerignore('docs\n  !  docs/README.md  ').patterns.map((p) => [p.pattern, p.exception])).toEqual([
      ['docs', false],
      ['docs/README.md', true],
    ]);
  });
});

// A repository's .dockerignore is input matrix reads on every validate and gen. Docker's
// patternmatcher compiles a line to Go's RE2, which runs in time linear in the path; a
// backtracking regular expression made of the same line took exponential time (a line such as
// `*a*a*a*a*a*a*a*a*a*a*b` against a long name of `a`s hung validate).
describe('matching time does not explode on a hostile line', () => {
  it('many stars against a long name that almost matches answer at once, and right', () => {
    const name = 'a'.repeat(200);
    expect(compilePattern('*a*a*a*a*a*a*a*a*a*a*a*a*b')(name)).toBe(false);
    expect(compilePattern('*a*a*a*a*a*a*a*a*a*a*a*a*a')(name)).toBe(true);
    expect(compilePattern('**/a*a*a*a*a*a*a*a*a*a*b')(`${'x/'.repeat(50)}${name}`)).toBe(false);
    expect(compilePattern('x/**/a*a*a*a*a*a*a*a*a*a*b/**')(`x/${'y/'.repeat(60)}${name}`)).toBe(false);
    expect(parseDockerignore('*a*a*a*a*a*a*a*a*a*a*b\n').isIgnored(name)).toBe(false);
  });

  it('steps keep their meaning: * and ? stay in a segment, **/ spans segments or none, classes and escapes', () => {
    expect(compilePattern('a/**/b')('a/b')).toBe(true);
    expect(compilePattern('a/**/b')('a/x/y/b')).toBe(true);
    expect(compilePattern('a/**/b')('a/xb')).toBe(false);
    expect(compilePattern('a*')('ab/c')).toBe(false);
    expect(compilePattern('a?c')('a/c')).toBe(false);
    expect(compilePattern('[a-c]x')('bx')).toBe(true);
    expect(compilePattern('[^a-c]x')('bx')).toBe(false);
    expect(compilePattern('\\*x')('*x')).toBe(true);
    expect(compilePattern('\\*x')('ax')).toBe(false);
    expect(compilePattern('a*/**')('ab/c/d')).toBe(true);
  });
});
