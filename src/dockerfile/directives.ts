// Parser directives and logical lines of a Dockerfile, read the way BuildKit's
// Dockerfile frontend reads them (moby/buildkit frontend/dockerfile/parser:
// directives.go and parser.go). One reader for everything matrix does with a
// Dockerfile text: the escape character used to quote values in templates,
// the stages `plan` classifies and the FROM lines `init` follows (stages.ts);
// `.dockerignore` is dockerignore.ts.
//
// BuildKit's rules, as its parser applies them line by line from the top:
// - a UTF-8 byte order mark before the first line is dropped;
// - leading white space of a line is dropped, then the line must start with
//   `#`, optional white space, a key ([a-zA-Z][a-zA-Z0-9]*), optional white
//   space, `=`, and a value (surrounding white space trimmed);
// - the key is case-insensitive; only `syntax`, `escape` and `check` are
//   directives: an unknown key, any other comment, an empty line or an
//   instruction ends the directives for good (later lines are comments);
// - a directive given twice is an error ("only one X parser directive can be
//   used"); `escape` accepts only `\` and `` ` ``.

export const DIRECTIVE_NAMES = ['syntax', 'escape', 'check'] as const;
export type DirectiveName = (typeof DIRECTIVE_NAMES)[number];

export interface Directive {
  name: DirectiveName;
  value: string;
  /** 1-based line of the directive. */
  line: number;
}

export interface Directives {
  directives: Directive[];
  /** How many lines from the top BuildKit reads as directives. */
  lineCount: number;
  /** The escape character BuildKit will use (`\` unless an `escape` directive says otherwise). */
  escapeChar: '\\' | '`';
  /** Set when BuildKit refuses the directives (a duplicate, an invalid escape character). */
  error?: { line: number; message: string };
}

// Go's unicode.IsSpace: white space that BuildKit trims at the start of a line.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`);
// Go regexp `\s` is [\t\n\f\r ] (no \v); `.` matches anything but \n.
const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

/** The lines BuildKit's scanner sees: split at \n, a trailing \r dropped, the BOM dropped from the first. */
export function scannerLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines[0]?.startsWith('\uFEFF')) lines[0] = lines[0].slice(1);
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** One line as BuildKit's directive parser reads it: a directive, or undefined (directives end). */
function directiveOf(line: string): { name: string; value: string } | undefined {
  const trimmed = line.replace(LEADING_SPACE, '');
  if (!trimmed.startsWith('#')) return undefined;
  const m = DIRECTIVE.exec(trimmed.slice(1).replace(LEADING_SPACE, ''));
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), value: m[2]! };
}

/**
 * The directives at the top of `text`. Only the lines up to the first that is
 * not a directive are looked at (usually the first): the rest of the text is
 * never split.
 */
export function readDirectives(text: string): Directives {
  const out: Directives = { directives: [], lineCount: 0, escapeChar: '\\' };
  const seen = new Set<string>();
  for (let i = 0, start = 0; start <= text.length; i++) {
    const end = lineEnd(text, start);
    // A line as scannerLines gives it: the BOM dropped from the first, a trailing \r dropped.
    let line = text.slice(start, end);
    start = end + 1;
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const d = directiveOf(line);
    if (!d || !(DIRECTIVE_NAMES as readonly string[]).includes(d.name)) break;
    if (seen.has(d.name)) {
      out.error ??= { line: i + 1, message: `only one \`${d.name}\` parser directive can be used` };
      break;
    }
    seen.add(d.name);
    out.directives.push({ name: d.name as DirectiveName, value: d.value, line: i + 1 });
    out.lineCount = i + 1;
    if (d.name === 'escape') {
      if (d.value !== '\\' && d.value !== '`') {
        out.error ??= { line: i + 1, message: `invalid escape character \`${d.value}\`: BuildKit accepts only \`\\\` and \`\`\`` };
        break;
      }
      out.escapeChar = d.value;
    }
  }
  return out;
}

/** Where the line that starts at `start` ends: its \n, or the end of the text. */
function lineEnd(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  return nl < 0 ? text.length : nl;
}

/** The directive lines at the top of a Dockerfile, as written. */
export function leadingDirectives(text: string): string[] {
  const out: string[] = [];
  const count = readDirectives(text).lineCount;
  for (let start = 0; out.length < count; ) {
    const end = lineEnd(text, start);
    out.push(text.slice(start, end));
    start = end + 1;
  }
  return out;
}

/** The text after its first `n` lines (`text.split('\n').slice(n).join('\n')`, without splitting). */
export function afterLines(text: string, n: number): string {
  let start = 0;
  for (let i = 0; i < n; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return '';
    start = nl + 1;
  }
  return start ? text.slice(start) : text;
}

export interface LogicalLine {
  /** The instruction with its continuation lines joined (escape character and line break removed). */
  text: string;
  /** 1-based line where it starts. */
  line: number;
}

/**
 * BuildKit's trimContinuationCharacter for one physical line: the line without
 * its continuation, or undefined when it does not continue. Its regex is
 * `([^E])E[ \t]*$|^E[ \t]*$` (E the escape character): the escape character
 * as the last non-blank, not itself escaped by an escape character before it.
 * Checked here without a regex, so each line is looked at once.
 */
function continued(line: string, escapeChar: string): string | undefined {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  if (end === 0 || line[end - 1] !== escapeChar) return undefined;
  if (end >= 2 && line[end - 2] === escapeChar) return undefined;
  return line.slice(0, end - 1);
}

const isBlankOrComment = (l: string): boolean => {
  const t = l.replace(LEADING_SPACE, '');
  return t === '' || t.startsWith('#');
};

/**
 * Instructions as BuildKit's parser assembles them: comment lines dropped
 * (also between continuation lines), a line ending in the escape character
 * (optionally followed by spaces or tabs) continued on the next line.
 * Heredoc bodies are not interpreted. Linear in the text: the parts of a
 * continued instruction are collected and joined once.
 */
export function logicalLines(text: string, escapeChar: string = readDirectives(text).escapeChar): LogicalLine[] {
  const out: LogicalLine[] = [];
  const lines = scannerLines(text);
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.replace(LEADING_SPACE, '');
    if (first === '' || first.startsWith('#')) continue;
    const start = i + 1;
    const parts: string[] = [];
    let rest = continued(first, escapeChar);
    parts.push(rest ?? first);
    while (rest !== undefined && ++i < lines.length) {
      // Comment lines and empty lines inside a continued instruction are skipped, as BuildKit does.
      const l = lines[i]!;
      if (isBlankOrComment(l)) continue;
      rest = continued(l, escapeChar);
      parts.push(rest ?? l);
    }
    out.push({ text: parts.join(''), line: start });
  }
  return out;
}
