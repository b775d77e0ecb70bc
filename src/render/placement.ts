// Where a template printed each value, checked on the rendered Dockerfile.
//
// The escaping helpers are only safe in some places: `{{sh x}}` is one shell
// word outside quotes, but inside "..." its `$(...)` runs; `{{word x}}` is a
// Dockerfile word, but a shell reads a backtick in it as a command; `{{json
// x}}` is an exec-form array, but inside a shell-form RUN it is shell text;
// and any word that starts with `-` is read as an option by the program it is
// given to. A template is text, so these are checked after rendering, on the
// text BuildKit will read: each helper wraps its output in markers that say
// which `{{...}}` printed it, and `checkPlacement` looks at where each one
// landed (which instruction, inside quotes or not, at the start of a word, in
// a parser directive line) before the markers are removed.
import { readDirectives } from '../dockerfile/directives.js';

export interface Mark {
  helper: string;
  /** The values as given (json: each element). */
  values: string[];
  /** Body-relative position of the `{{...}}` that printed it. */
  line: number;
  column: number;
}

export interface PlacementProblem {
  mark: Mark;
  message: string;
  hint: string;
}

const OPEN = '\u0001';
const MID = '\u0002';
const CLOSE = '\u0003';
const MARKED = /\u0001(\d+)\u0002([^\u0001\u0003]*)\u0003/g;

export function markOutput(index: number, output: string): string {
  return `${OPEN}${index}${MID}${output}${CLOSE}`;
}

/** Markers removed. */
export function unmark(marked: string): string {
  return marked.replace(MARKED, (_m, _i, out: string) => out);
}

/** Instructions whose arguments (in shell form) are handed to a shell as they are. */
const SHELL_FORM = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK']);
/**
 * Instructions whose shell form BuildKit splits at whitespace before it reads
 * any quote (frontend/dockerfile/parser/parser.go: ADD, COPY and VOLUME take
 * parseMaybeJSONToList, EXPOSE and FROM parseStringsWhitespaceDelimited):
 * `COPY "a b" /d` fails with "unexpected end of statement while looking for
 * matching double-quote".
 */
const SPLIT_AT_WHITESPACE = new Set(['ADD', 'COPY', 'VOLUME', 'EXPOSE', 'FROM']);
/** The whitespace those parsers split at (parser.go tokenWhitespace), and a line end. */
const SPLITS = /[\t\v\f\r\n ]/;
/** Helpers whose output is quoted text (ident and int print only [A-Za-z0-9_]). */
const QUOTING = new Set(['word', 'sh', 'json']);

export interface Placed {
  mark: Mark;
  /** Offsets of the output in the unmarked text. */
  start: number;
  end: number;
}

/**
 * Problems with where values landed in `marked` (the rendered text with
 * markers), and the text without them. `escapeChar` is the one BuildKit will
 * use for this text (from its directives).
 */
export function checkPlacement(marked: string, marks: readonly Mark[], escapeChar: string): { text: string; problems: PlacementProblem[] } {
  const { text, placed } = unmarkPlaced(marked, marks);
  return { text, problems: placementProblems(text, placed, escapeChar) };
}

/** checkPlacement on a text already unmarked (unmarkPlaced): the problems, if any. `directiveLines`: readDirectives(text).lineCount, when known. */
export function placementProblems(text: string, placed: readonly Placed[], escapeChar: string, directiveLines?: number): PlacementProblem[] {
  const problems: PlacementProblem[] = [];
  if (!placed.length) return problems;
  const doc = scanText(text, escapeChar, directiveLines);
  for (const p of placed) {
    // problemAt has rules for the quoting helpers only: `ident` and `int` print [A-Za-z0-9_], wrong only in a directive line.
    const where = QUOTING.has(p.mark.helper) ? locate(doc, p) : lineOf(doc, p.start) < doc.directiveLines ? 'directive' : undefined;
    const problem = where === 'directive' ? directiveProblem(p.mark) : where && problemAt(p.mark, where, escapeChar, doc);
    if (problem) problems.push({ mark: p.mark, ...problem });
  }
  return problems;
}

/** The text without markers, and where each marked value landed in it. */
export function unmarkPlaced(marked: string, marks: readonly Mark[]): { text: string; placed: Placed[] } {
  const placed: Placed[] = [];
  let text = '';
  let last = 0;
  for (const m of marked.matchAll(MARKED)) {
    text += marked.slice(last, m.index);
    const start = text.length;
    text += m[2]!;
    placed.push({ mark: marks[Number(m[1])]!, start, end: text.length });
    last = m.index + m[0].length;
  }
  return { text: text + marked.slice(last), placed };
}

/** The rendered text as BuildKit's scanner sees it: physical lines, directives, continuations, heredocs. */
interface ScannedText {
  /** Physical lines, a trailing \r dropped. */
  lines: string[];
  lineStart: number[];
  directiveLines: number;
  cont: RegExp;
  heredoc: Map<number, string>;
  /**
   * Per line, for the lines of instructions a value was printed in
   * (instructionLines): the first line of its instruction, and that
   * instruction's text on the lines before it, continuations joined. Each
   * value used to join its instruction's lines again, which made a long RUN
   * with many values quadratic.
   */
  first: (number | undefined)[];
  before: (string | undefined)[];
  /** Per line looked at: whether it (or, for a comment or empty line, the last line above it that is neither) ends with the escape character. */
  continued: (boolean | undefined)[];
  /** The last quoteAtEnd answered, which a longer text starting with the same one continues from. */
  quote: QuoteScan;
}

function scanText(text: string, escapeChar: string, directiveLines = readDirectives(text).lineCount): ScannedText {
  const raw = text.split('\n');
  const lines = text.includes('\r') ? raw.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)) : raw;
  const lineStart: number[] = [];
  let off = 0;
  for (const l of raw) {
    lineStart.push(off);
    off += l.length + 1;
  }
  const cont = new RegExp(`${escapeChar === '\\' ? '\\\\' : escapeChar}[ \\t]*$`);
  // A heredoc starts at `<<`: a text without one has none (most rendered Dockerfiles).
  const heredoc = text.includes('<<') ? heredocLines(lines, cont) : new Map<number, string>();
  return { lines, lineStart, directiveLines, cont, heredoc, first: [], before: [], continued: [], quote: { text: '', esc: '', q: undefined, skip: false } };
}

/**
 * Fills `first` and `before` (ScannedText) for line `li`, and for the lines
 * above it in its instruction. A line starts its own instruction unless it is
 * below the directives, the line above is no heredoc line, and that line
 * continues onto it (continuedAt); the text before it is the instruction's
 * earlier lines, comments and empty lines skipped (BuildKit's parser does),
 * each without its escape character at the end. Only the lines of the
 * instructions that hold a value are read, each once.
 */
function instructionLines(doc: ScannedText, li: number): void {
  const { lines, cont, heredoc, first, before } = doc;
  let s = li;
  while (first[s] === undefined && s > doc.directiveLines && !heredoc.has(s - 1) && continuedAt(doc, s - 1)) s--;
  if (first[s] === undefined) {
    first[s] = s;
    before[s] = '';
  }
  for (let i = s + 1; i <= li; i++) {
    const above = lines[i - 1]!;
    first[i] = first[s]!;
    before[i] = skippable(above) ? before[i - 1]! : before[i - 1]! + above.replace(cont, '');
  }
}

/** Does line `j` continue onto the next one? A comment or empty line carries the state from above (none above the first line). */
function continuedAt(doc: ScannedText, j: number): boolean {
  const { lines, continued, cont } = doc;
  let k = j;
  while (k >= 0 && continued[k] === undefined && skippable(lines[k]!)) k--;
  const answer = k < 0 ? false : (continued[k] ?? cont.test(lines[k]!));
  for (let i = Math.max(k, 0); i <= j; i++) continued[i] = answer;
  return answer;
}

/** The line an offset is on (binary search over line starts). */
function lineOf(doc: ScannedText, offset: number): number {
  let lo = 0;
  let hi = doc.lineStart.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.lineStart[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Where a printed value sits: its instruction, the text before it (joined over continuations) and after it on its line. */
interface Where {
  instruction: string;
  args: string;
  suffix: string;
  shell: boolean;
  exec: boolean;
}

/** The value's place; 'directive' on a parser directive line; undefined where nothing is checked (a comment, file content). */
function locate(doc: ScannedText, p: Placed): Where | 'directive' | undefined {
  const { lines, lineStart, heredoc } = doc;
  const li = lineOf(doc, p.start);
  const physical = lines[li] ?? '';
  if (li < doc.directiveLines) return 'directive';
  if (/^\s*#/.test(physical) && !heredoc.has(li)) return undefined;
  const inHeredoc = heredoc.get(li);
  const colStart = p.start - lineStart[li]!;
  const suffix = physical.slice(Math.min(p.end - lineStart[li]!, physical.length));
  // A heredoc line is a script for RUN, file content for COPY/ADD (not checked).
  if (inHeredoc !== undefined && inHeredoc !== 'RUN') return undefined;
  if (inHeredoc === 'RUN') {
    const script = physical.slice(0, colStart);
    return { instruction: 'RUN-SCRIPT', args: script, suffix, shell: true, exec: /^\s*\[/.test(script) };
  }
  // The instruction's text from its first line to the value, continuations joined.
  instructionLines(doc, li);
  const prefix = (doc.before[li]! + physical.slice(0, colStart)).replace(/^\s+/, '');
  const instruction = instructionOf(prefix);
  const args = argsOf(prefix);
  const shell = SHELL_FORM.has(instruction);
  return { instruction, args, suffix, shell, exec: shell && /^\s*\[/.test(args) };
}

function directiveProblem(mark: Mark): Omit<PlacementProblem, 'mark'> {
  return {
    message: `\`{{${mark.helper}}}\` prints a value into a parser directive line`,
    hint: 'parser directives (`# syntax=`, `# escape=`, `# check=`) choose how BuildKit reads and builds the file: write them literally, never from a value',
  };
}

/** What is wrong with a helper's output where it landed, if anything (the first rule that applies). */
function problemAt(mark: Mark, w: Where, escapeChar: string, doc: ScannedText): Omit<PlacementProblem, 'mark'> | undefined {
  const what = w.instruction === 'RUN-SCRIPT' ? 'a RUN script' : w.instruction;
  const q = QUOTING.has(mark.helper) ? quoteAtEnd(doc.quote, w.args, w.shell ? '\\' : escapeChar) : undefined;
  if (q) {
    return {
      message: `\`{{${mark.helper}}}\` is inside ${q === '"' ? 'double' : 'single'} quotes`,
      hint: 'a helper prints a complete quoted word: put it outside quotes, e.g. `RUN tool {{sh x}}`, not `RUN tool "{{sh x}}"`',
    };
  }
  if (mark.helper === 'json' && w.shell && !w.exec && !(/^\s*$/.test(w.args) && /^[\s\\`]*$/.test(w.suffix))) {
    return {
      message: `\`{{json}}\` in the shell form of ${what}: its text would run as shell code`,
      hint: `use {{json x}} as the whole exec-form argument (\`CMD {{json x}}\`), or {{sh x}} for one shell word`,
    };
  }
  // It prints a whole array: inside an exec-form array it nests one, which BuildKit's parser refuses
  // (parser.go parseJSON: errDockerfileNotStringArray) only when the build reaches that line.
  if (mark.helper === 'json' && /^\s*\[/.test(w.args)) {
    return {
      message: `\`{{json}}\` inside the exec-form array of ${what}: it prints a whole JSON array, so the array would hold an array`,
      hint: 'build the whole argument with it: `CMD {{json (list "echo" with.x)}}`',
    };
  }
  if (mark.helper === 'word' && w.shell) {
    return {
      message: `\`{{word}}\` in ${what}: a shell reads backticks and \`$(\` inside double quotes`,
      hint: 'inside RUN (and shell-form CMD, ENTRYPOINT, HEALTHCHECK) write {{sh x}}, a single-quoted shell word',
    };
  }
  // {{sh}} prints a single-quoted word, which these parsers split just the same (its quote then ends no word).
  const spaced =
    (mark.helper === 'word' || mark.helper === 'sh') && SPLIT_AT_WHITESPACE.has(w.instruction) && !/^\s*(?:--\S+\s+)*\[/.test(w.args) ? mark.values.find((v) => SPLITS.test(v)) : undefined;
  if (spaced !== undefined) {
    return {
      message: `\`{{${mark.helper}}}\` prints ${JSON.stringify(spaced)}, which has whitespace, into the shell form of ${what}: BuildKit splits its arguments at whitespace, quotes or not`,
      hint: `give a value without whitespace (rename the file or directory), or write ${what} in its exec form, a JSON array`,
    };
  }
  // A value that starts a word and begins with `-` is an option to whatever reads it.
  if ((mark.helper === 'word' || mark.helper === 'sh') && mark.values.some((v) => v.startsWith('-')) && startsWord(w.args)) {
    return {
      message: `\`{{${mark.helper}}}\` prints \`${mark.values[0]}\`, which starts with \`-\` and would be read as an option`,
      hint: 'a value must not start with `-`; to pass an option, write it in the template and glue the value to it (`--name={{sh x}}`), or put `--` before the value where the tool accepts it',
    };
  }
  return undefined;
}

/** Comment and empty lines inside a continued instruction are skipped (BuildKit's parser does). */
function skippable(l: string): boolean {
  return /^\s*(#|$)/.test(l);
}

function instructionOf(prefix: string): string {
  // The first two words (as `prefix.split(/\s+/)` gives them), without splitting the whole prefix.
  const words = /^(\S*)(?:\s+(\S*))?/.exec(prefix)!;
  let w = words[1]!.toUpperCase();
  if (w === 'ONBUILD') w = (words[2] ?? '').toUpperCase();
  // The whole prefix is the keyword being typed: the value is (part of) the instruction itself.
  return /\s/.test(prefix) ? w : '';
}

/** The instruction's arguments: keyword (ONBUILD included) and its `--flags` removed. */
function argsOf(prefix: string): string {
  let rest = prefix.replace(/^\s*ONBUILD\s+/i, '').replace(/^\S+\s+/, '');
  // RUN --mount=... and HEALTHCHECK --interval=... CMD: the command starts after them.
  for (;;) {
    const m = /^--\S+\s+/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
  }
  return rest.replace(/^CMD\s+/i, '');
}

/** How far quoteAtEnd read a text: the quote open there, and whether the next character is escaped. */
interface QuoteScan {
  text: string;
  esc: string;
  q: '"' | "'" | undefined;
  skip: boolean;
}

/**
 * The quote open at the end of `s` (shell-style: `'...'` literal, `"..."` with
 * escapes), if any; read on from the last text asked when `s` starts with it: the
 * values of one instruction are checked in order, each against the text
 * before it, which holds the text before the previous one. The scan reads
 * left to right, so its state after a prefix is the same in any text that
 * starts with it.
 */
function quoteAtEnd(last: QuoteScan, s: string, esc: string): '"' | "'" | undefined {
  if (last.esc !== esc || !s.startsWith(last.text)) {
    last.esc = esc;
    last.q = undefined;
    last.skip = false;
    readQuotes(last, s, 0);
  } else readQuotes(last, s, last.text.length);
  last.text = s;
  return last.q;
}

function readQuotes(scan: QuoteScan, s: string, from: number): void {
  const esc = scan.esc;
  let q = scan.q;
  let i = from;
  // An escape character at the end of the text read before escapes the first character of this one.
  if (scan.skip) i++;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (q === "'") {
      if (c === "'") q = undefined;
    } else if (c === esc) i++;
    else if (q === '"') {
      if (c === '"') q = undefined;
    } else if (c === '"' || c === "'") q = c;
  }
  scan.q = q;
  // The loop steps past the end only when the last character read was an unspent escape character.
  scan.skip = i > s.length;
}

/** Does a value printed after `args` begin a new word (nothing glued before it but empty quotes)? */
function startsWord(args: string): boolean {
  const stripped = args.replace(/(?:''|"")+$/, '');
  return stripped === '' || /[\s[,]$/.test(stripped);
}

/** Physical lines that are heredoc bodies (or terminators), with the instruction that opened them. */
function heredocLines(lines: readonly string[], cont: RegExp): Map<number, string> {
  const out = new Map<number, string>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const instr = /^\s*(?:ONBUILD\s+)?(RUN|COPY|ADD)\b/i.exec(l)?.[1]?.toUpperCase();
    if (!instr || cont.test(l)) continue;
    const words = [...l.matchAll(/<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)].map((m) => ({ word: m[2]!, strip: m[0].startsWith('<<-') }));
    for (const { word, strip } of words) {
      while (++i < lines.length) {
        out.set(i, instr);
        const body = strip ? lines[i]!.replace(/^\t+/, '') : lines[i]!;
        if (body === word) break;
      }
    }
  }
  return out;
}
