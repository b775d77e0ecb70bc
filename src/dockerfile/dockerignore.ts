// .dockerignore as Docker reads it: moby/patternmatcher's `ignorefile.ReadAll`
// (comments, trimming, cleaning) and `MatchesOrParentMatches` (the documented
// rule: the last matching line wins, and a line matching a directory matches
// everything below it). Pure: text in, predicate out.

export interface IgnorePattern {
  /** The cleaned pattern, without the `!`. */
  pattern: string;
  /** A `!` line: re-includes what earlier lines excluded. */
  exception: boolean;
  match: (path: string) => boolean;
}

export interface Dockerignore {
  patterns: readonly IgnorePattern[];
  /** Lines Docker would refuse (the build fails on them); they match nothing here. */
  errors: readonly string[];
  /** Whether a context-relative POSIX path is left out of the build context. */
  isIgnored(relPath: string): boolean;
}

/** Go's `path.Clean`: the shortest equivalent path, by lexical processing only. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}

/** The pattern lines of a .dockerignore, as Docker's `ReadAll` returns them (`!` kept). */
export function readPatterns(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let line of lines) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A comment only when `#` is the very first character, before trimming (as Docker does).
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

export function parseDockerignore(text: string): Dockerignore {
  const patterns: IgnorePattern[] = [];
  const errors: string[] = [];
  for (const line of readPatterns(text)) {
    // patternmatcher.New trims and cleans once more, `!` included.
    let p = line.trim();
    if (p === '') continue;
    p = cleanPath(p);
    let exception = false;
    if (p.startsWith('!')) {
      if (p.length === 1) {
        errors.push('illegal exclusion pattern: "!"');
        continue;
      }
      exception = true;
      p = p.slice(1);
    }
    const bad = syntaxError(p);
    if (bad) {
      errors.push(`${bad}: ${JSON.stringify(p)}`);
      continue;
    }
    patterns.push({ pattern: p, exception, match: compilePattern(p) });
  }
  return { patterns, errors, isIgnored: (relPath) => isIgnored(patterns, relPath) };
}

function isIgnored(patterns: readonly IgnorePattern[], relPath: string): boolean {
  const file = cleanPath(relPath);
  // Docker never excludes the context root itself.
  if (file === '.') return false;
  const slash = file.lastIndexOf('/');
  const parents = slash < 0 ? [] : ancestors(file.slice(0, slash));
  let ignored = false;
  for (const p of patterns) {
    // Only a line that could flip the answer needs evaluating.
    if (p.exception !== ignored) continue;
    if (p.match(file) || parents.some((dir) => p.match(dir))) ignored = !p.exception;
  }
  return ignored;
}

/** `a/b/c` -> `a`, `a/b`, `a/b/c`. */
function ancestors(dir: string): string[] {
  const parts = dir.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Pattern -> predicate, following patternmatcher's compile: exact, prefix
 * (`dir/**`), suffix (`**` then no wildcard) or a regular expression. `*` and
 * `?` stay within a path segment; `**` spans any number of them (even none).
 */
export function compilePattern(pattern: string): (path: string) => boolean {
  const { kind, re } = translatePattern(pattern);
  return matcherOf(kind, pattern, re);
}

type PatternKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** The pattern's kind, and its regular expression (used for 'regexp'). */
function translatePattern(pattern: string): { kind: PatternKind; re: string } {
  let kind: PatternKind = 'exact';
  let re = '^';
  const chars = Array.from(pattern);
  let i = 0;
  for (let step = 0; i < chars.length; step++) {
    const ch = chars[i++]!;
    if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        // `**/` is `**`.
        if (chars[i] === '/') i++;
        if (i >= chars.length) {
          // Trailing `**` accepts everything below, as in .gitignore.
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '.*';
            kind = 'regexp';
          }
        } else {
          re += '(?:.*/)?';
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      kind = 'regexp';
    } else if (ch === '\\') {
      if (i < chars.length) {
        re += escapeLiteral(chars[i++]!);
        kind = 'regexp';
      } else re += '\\\\';
    } else if (ch === '[') {
      const cls = characterClass(chars, i);
      re += cls.source;
      i = cls.end;
      kind = 'regexp';
    } else {
      re += escapeLiteral(ch);
    }
  }
  return { kind, re };
}

function matcherOf(kind: PatternKind, pattern: string, re: string): (path: string) => boolean {
  switch (kind) {
    case 'exact':
      return (path) => path === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      // `**/foo` also matches `foo` itself.
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    case 'regexp': {
      const rx = new RegExp(re + '$', 'u');
      return (path) => rx.test(path);
    }
  }
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function escapeInClass(ch: string): string {
  return /[\\\][^-]/.test(ch) ? `\\${ch}` : ch;
}

/** A `[...]` class starting after `[` at `start` (syntax already checked) -> JS class source. */
function characterClass(chars: string[], start: number): { source: string; end: number } {
  let i = start;
  let out = '[';
  if (chars[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  while (!(chars[i] === ']' && !first)) {
    const lo = classChar(chars, i);
    i = lo.end;
    out += escapeInClass(lo.ch);
    if (chars[i] === '-') {
      const hi = classChar(chars, i + 1);
      i = hi.end;
      out += '-' + escapeInClass(hi.ch);
    }
    first = false;
  }
  return { source: out + ']', end: i + 1 };
}

function classChar(chars: string[], i: number): { ch: string; end: number } {
  return chars[i] === '\\' ? { ch: chars[i + 1]!, end: i + 2 } : { ch: chars[i]!, end: i + 1 };
}

/**
 * Go's filepath.Match syntax check (Docker rejects a .dockerignore whose
 * pattern it fails): unterminated classes, empty or reversed-looking ranges,
 * a trailing backslash.
 */
export function syntaxError(pattern: string): string | undefined {
  const chars = Array.from(pattern);
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i++]!;
    if (ch === '\\') {
      if (i >= chars.length) return 'trailing backslash';
      i++;
    } else if (ch === '[') {
      if (chars[i] === '^') i++;
      let ranges = 0;
      for (;;) {
        if (chars[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        const lo = classEsc(chars, i);
        if (lo === undefined) return 'malformed character class';
        i = lo.end;
        if (chars[i] === '-') {
          const hi = classEsc(chars, i + 1);
          if (hi === undefined) return 'malformed character class';
          // Docker's regexp engine refuses `[z-a]` (filepath.Match would accept it).
          if (hi.ch.codePointAt(0)! < lo.ch.codePointAt(0)!) return 'invalid character range';
          i = hi.end;
        }
        ranges++;
      }
    }
  }
  return undefined;
}

/** Go's getEsc: one (possibly escaped) class character, which must be followed by more. */
function classEsc(chars: string[], i: number): { ch: string; end: number } | undefined {
  const c = chars[i];
  if (c === undefined || c === '-' || c === ']') return undefined;
  let j = i;
  if (c === '\\') {
    j++;
    if (j >= chars.length) return undefined;
  }
  const ch = chars[j]!;
  if (j + 1 >= chars.length) return undefined;
  return { ch, end: j + 1 };
}
