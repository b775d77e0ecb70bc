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
 * `fast` false: the plain walk for every path, without the literal prefilter and
 * without remembering moves (a test holds both the same).
 */
export function compilePattern(pattern: string, fast = true): (path: string) => boolean {
  const { kind, steps } = translatePattern(pattern);
  return matcherOf(kind, pattern, steps, fast);
}

type PatternKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

/**
 * One step of a pattern that is no plain string: a character (a literal, `?`
 * or a class), a run of characters (`*` within a segment, `.*` for a trailing
 * `**`), or a `**` and slash in the middle: nothing, or any characters up to a `/`.
 */
type Step = { kind: 'char'; ok: (ch: string) => boolean; literal?: string } | { kind: 'run'; ok: (ch: string) => boolean } | { kind: 'dirs' };

const notSlash = (ch: string) => ch !== '/';
// Go's regexp `.` (patternmatcher compiles to Go's RE2): anything but a newline.
const notNewline = (ch: string) => ch !== '\n';

/** The pattern's kind, and its steps (used for 'regexp'). */
function translatePattern(pattern: string): { kind: PatternKind; steps: Step[] } {
  let kind: PatternKind = 'exact';
  const steps: Step[] = [];
  const literal = (c: string) => steps.push({ kind: 'char', ok: (ch) => ch === c, literal: c });
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
            steps.push({ kind: 'run', ok: notNewline });
            kind = 'regexp';
          }
        } else {
          steps.push({ kind: 'dirs' });
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        steps.push({ kind: 'run', ok: notSlash });
        kind = 'regexp';
      }
    } else if (ch === '?') {
      steps.push({ kind: 'char', ok: notSlash });
      kind = 'regexp';
    } else if (ch === '\\') {
      if (i < chars.length) {
        literal(chars[i++]!);
        kind = 'regexp';
      } else literal('\\');
    } else if (ch === '[') {
      const cls = characterClass(chars, i);
      // One character against a class: no backtracking to speak of.
      const rx = new RegExp(`^${cls.source}$`, 'u');
      steps.push({ kind: 'char', ok: (c) => rx.test(c) });
      i = cls.end;
      kind = 'regexp';
    } else {
      literal(ch);
    }
  }
  return { kind, steps };
}

function matcherOf(kind: PatternKind, pattern: string, steps: readonly Step[], fast: boolean): (path: string) => boolean {
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
      if (!fast) return (path) => matchSteps(steps, path);
      // The literal characters the steps start and end with: a path without them cannot match, and
      // telling that takes two string compares instead of the walk (thousands of lines such as
      // `dir123/**/*.tmp`, each asked for every changed file and its parents).
      // Likewise every run of literal characters between two wildcards is somewhere in a path that matches:
      // the longest is looked for first (`*x123*` against `src/main.go`).
      const head = leadingLiterals(steps);
      const tail = leadingLiterals(steps.slice(head.length).reverse()).reverse();
      const [start, end, inner] = [head.join(''), tail.join(''), longestLiterals(steps.slice(head.length, steps.length - tail.length))];
      const walk = cachedWalk(steps);
      return (path) => path.length >= start.length + end.length && path.startsWith(start) && path.endsWith(end) && path.includes(inner) && walk(path);
    }
  }
}

/** The longest run of consecutive literal steps, joined ('' when there is none). */
function longestLiterals(steps: readonly Step[]): string {
  let best = '';
  let run = '';
  for (const st of steps) {
    run = st.kind === 'char' && st.literal !== undefined ? run + st.literal : '';
    if (run.length > best.length) best = run;
  }
  return best;
}

/** The literal characters (code points) that `steps` start with. */
function leadingLiterals(steps: readonly Step[]): string[] {
  const out: string[] = [];
  for (const st of steps) {
    if (st.kind !== 'char' || st.literal === undefined) break;
    out.push(st.literal);
  }
  return out;
}

/**
 * Whether the whole path matches the steps, by walking every position the
 * pattern can be in at once (a Thompson NFA, as Go's RE2 that Docker's
 * patternmatcher compiles to): time grows with path length times pattern
 * length. A backtracking regular expression took exponential time on lines
 * such as `*a*a*a*a*a*a*a*a*b`, which a repository's .dockerignore can hold.
 * A state is a step index; `n + k` (n = steps.length + 1) is "inside the
 * characters of the `**` and slash at step k, before its slash".
 */
function matchSteps(steps: readonly Step[], path: string): boolean {
  let current = closure(steps, new Set([0]));
  for (const ch of path) {
    const next = advance(steps, current, ch);
    if (!next.size) return false;
    current = closure(steps, next);
  }
  return current.has(steps.length);
}

/** The states `states` reach without reading a character (a `*` run or a `**` may be empty), `states` included. */
function closure(steps: readonly Step[], states: Set<number>): Set<number> {
  const n = steps.length + 1;
  const todo = [...states];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    if (s >= n || s === steps.length) continue;
    const st = steps[s]!;
    const next = st.kind === 'run' || st.kind === 'dirs' ? [s + 1, ...(st.kind === 'dirs' ? [n + s] : [])] : [];
    for (const t of next) if (!states.has(t)) states.add(t), todo.push(t);
  }
  return states;
}

/** The states after reading `ch` in `current` (before their closure). */
function advance(steps: readonly Step[], current: ReadonlySet<number>, ch: string): Set<number> {
  const n = steps.length + 1;
  const next = new Set<number>();
  for (const s of current) {
    if (s >= n) {
      // Inside a `**` and slash: any character but a newline stays, a `/` may end it.
      if (notNewline(ch)) next.add(s);
      if (ch === '/') next.add(s - n + 1);
      continue;
    }
    const st = steps[s];
    if (!st || st.kind === 'dirs') continue;
    if (st.ok(ch)) next.add(st.kind === 'run' ? s : s + 1);
  }
  return next;
}

/** A set of walk states, and where each character read in it leads (null: nowhere, the path cannot match). */
interface Walked {
  states: Set<number>;
  accepts: boolean;
  next: Map<string, Walked | null>;
}

/** At most this many sets of states are kept per pattern; past it, the rest are walked as they come. */
const MAX_WALKED = 512;

/**
 * matchSteps, remembering each set of states the walk has been in and where
 * each character led from it (the subset construction, made lazily): a
 * pattern asked about thousands of paths computes each move once, and a path
 * then costs one map lookup per character. Bounded, since a pattern can have
 * very many such sets.
 */
function cachedWalk(steps: readonly Step[]): (path: string) => boolean {
  // Made on the first path that gets this far: most lines of a long file never do (the literal prefilter).
  let known: Map<string, Walked> | undefined;
  let start: Walked | undefined;
  const walked = (states: Set<number>): Walked => {
    known ??= new Map();
    const key = [...states].sort((a, b) => a - b).join(',');
    const seen = known.get(key);
    if (seen) return seen;
    const w: Walked = { states, accepts: states.has(steps.length), next: new Map() };
    if (known.size < MAX_WALKED) known.set(key, w);
    return w;
  };
  return (path) => {
    start ??= walked(closure(steps, new Set([0])));
    let at = start;
    for (const ch of path) {
      let to = at.next.get(ch);
      if (to === undefined) {
        const next = advance(steps, at.states, ch);
        to = next.size ? walked(closure(steps, next)) : null;
        if (known!.size < MAX_WALKED) at.next.set(ch, to);
      }
      if (to === null) return false;
      at = to;
    }
    return at.accepts;
  };
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
