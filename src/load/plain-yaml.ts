// The value of a spec written in a plain subset of YAML, read in one pass
// without building yaml's document (positions, tokens, nodes), which is most
// of the time and memory of loading a large spec. The subset: block mappings
// and sequences indented with spaces (a mapping may start on its item's `- `
// line), flow collections on one line, plain
// scalars that can only be strings, canonical decimal integers, true, false,
// null, and one-line quoted strings. Anything else (anchors, tags, block
// scalars, multi-line values, duplicate keys, tabs, non-ASCII text, ...)
// returns undefined and the spec is parsed by yaml as before, which also
// reports every problem with its position. So this never decides what a spec
// means: when it answers, the answer is yaml's (test/unit/plain-yaml.test.ts
// checks that on generated specs).
// YAML 1.2.2: https://yaml.org/spec/1.2.2/ (7.3.3 plain scalars, 10.3 core schema).

/** Thrown inside to give up; never escapes plainYamlValue. */
const GIVE_UP = Symbol('not plain');
const MAX_NESTING = 32;

interface Line {
  indent: number;
  /** The line without its indentation and without a trailing comment. */
  text: string;
}

/** The spec's value, or undefined when it is not in the subset (then yaml decides). */
export function plainYamlValue(source: string): unknown {
  // Printable ASCII and \n only: no tabs, CR, BOM, NEL or other breaks to weigh.
  if (!/^[\x20-\x7e\n]*$/.test(source)) return undefined;
  const lines = contentLines(source);
  if (!lines?.length || lines[0]!.indent !== 0) return undefined;
  try {
    const at = { i: 0 };
    const value = blockNode(lines, at, 0, 0);
    return at.i === lines.length ? value : undefined;
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

function giveUp(): never {
  throw GIVE_UP;
}

/** The lines that carry content; undefined for a document marker or directive. */
function contentLines(source: string): Line[] | undefined {
  const out: Line[] = [];
  for (const raw of source.split('\n')) {
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    // A marker starts with `-` or `.` in the first column: only such lines are tested for one.
    if (((raw[0] === '-' || raw[0] === '.') && /^(---|\.\.\.)( |$)/.test(raw)) || raw.startsWith('%')) return undefined;
    out.push({ indent: raw.length - trimmed.length, text: trimmed });
  }
  return out;
}

/** A block mapping or sequence starting at lines[at.i], whose lines are at `indent`. */
function blockNode(lines: Line[], at: { i: number }, indent: number, depth: number): unknown {
  if (depth > MAX_NESTING) giveUp();
  const first = lines[at.i]!;
  if (first.indent !== indent || first.text === '-') giveUp();
  return first.text === '-' || first.text.startsWith('- ') ? blockSeq(lines, at, indent, depth) : blockMap(lines, at, indent, depth);
}

function blockSeq(lines: Line[], at: { i: number }, indent: number, depth: number): unknown[] {
  const out: unknown[] = [];
  while (at.i < lines.length && lines[at.i]!.indent === indent && lines[at.i]!.text.startsWith('- ')) {
    const line = lines[at.i]!;
    const item = new Cursor(line.text, 2);
    item.skipSpaces();
    const rest = line.text.slice(item.at());
    if (startsEntry(rest)) {
      // `- key: value` then `  key: value`: a mapping whose lines are at the first key's column.
      const column = indent + line.text.length - rest.length;
      lines[at.i] = { indent: column, text: rest };
      out.push(blockMap(lines, at, column, depth + 1));
    } else {
      at.i++;
      out.push(item.inlineValue(depth + 1));
      item.end();
    }
    if (at.i < lines.length && lines[at.i]!.indent > indent) giveUp();
  }
  return out;
}

function blockMap(lines: Line[], at: { i: number }, indent: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (at.i < lines.length && lines[at.i]!.indent === indent) {
    const line = lines[at.i++]!;
    const c = new Cursor(line.text, 0);
    const key = c.key();
    if (Object.hasOwn(out, key) || key === '__proto__') giveUp();
    c.skipSpaces();
    if (!c.restIsComment()) {
      out[key] = c.inlineValue(depth + 1);
      c.end();
      if (at.i < lines.length && lines[at.i]!.indent > indent) giveUp(); // a continued plain scalar
      continue;
    }
    const next = lines[at.i];
    const seqHere = next && next.indent === indent && next.text.startsWith('- ');
    out[key] = next && (next.indent > indent || seqHere) ? blockNode(lines, at, next.indent, depth + 1) : null;
  }
  return out;
}

/** Whether a sequence item's text starts a mapping (`key: ...` or `key:`). */
function startsEntry(text: string): boolean {
  try {
    new Cursor(text, 0).key();
    return true;
  } catch (e) {
    if (e === GIVE_UP) return false;
    throw e;
  }
}

/** Reads one line's text from `pos`. */
class Cursor {
  constructor(
    private readonly s: string,
    private pos: number,
  ) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }

  at(): number {
    return this.pos;
  }

  skipSpaces(): void {
    while (this.s[this.pos] === ' ') this.pos++;
  }

  /** The end of the line, or a comment (a `#` after a space). */
  restIsComment(): boolean {
    return this.done() || (this.s[this.pos] === '#' && this.s[this.pos - 1] === ' ');
  }

  /** Nothing but a comment may follow. */
  end(): void {
    this.skipSpaces();
    if (!this.restIsComment()) giveUp();
  }

  /** A block mapping key and its `:` (followed by a space or the end of the line). */
  key(): string {
    const key = this.scalar(false, true);
    // YAML limits an implicit key to 1024 characters.
    if (typeof key !== 'string' || key.length > 1000 || this.s[this.pos] !== ':') giveUp();
    this.pos++;
    if (!this.done() && this.s[this.pos] !== ' ') giveUp();
    return key;
  }

  /** A value on the rest of the line: a flow collection or a scalar. */
  inlineValue(depth: number): unknown {
    const c = this.s[this.pos];
    if (c === '[' || c === '{') return this.flow(depth);
    return this.scalar(false, false);
  }

  private flow(depth: number): unknown {
    if (depth > MAX_NESTING) giveUp();
    const open = this.s[this.pos++];
    const close = open === '[' ? ']' : '}';
    const seq: unknown[] = [];
    const map: Record<string, unknown> = {};
    this.skipSpaces();
    if (this.s[this.pos] === close) {
      this.pos++;
      return open === '[' ? seq : map;
    }
    for (;;) {
      this.skipSpaces();
      if (open === '[') seq.push(this.flowItem(depth));
      else this.flowPair(map, depth);
      this.skipSpaces();
      const sep = this.s[this.pos++];
      if (sep === close) return open === '[' ? seq : map;
      if (sep !== ',') giveUp();
    }
  }

  private flowItem(depth: number): unknown {
    const c = this.s[this.pos];
    return c === '[' || c === '{' ? this.flow(depth + 1) : this.scalar(true, false);
  }

  private flowPair(map: Record<string, unknown>, depth: number): void {
    const key = this.scalar(true, true);
    if (typeof key !== 'string' || key.length > 1000 || Object.hasOwn(map, key) || key === '__proto__') giveUp();
    if (this.s[this.pos] !== ':' || this.s[this.pos + 1] !== ' ') giveUp();
    this.pos += 2;
    this.skipSpaces();
    map[key] = this.flowItem(depth);
  }

  /** A quoted or plain scalar; in a flow collection when `flow`; a key stops at `: `. */
  private scalar(flow: boolean, isKey: boolean): unknown {
    const c = this.s[this.pos];
    if (c === '"' || c === "'") return this.quoted(c);
    const start = this.pos;
    for (; !this.done(); this.pos++) {
      const ch = this.s[this.pos]!;
      if (flow && ',[]{}'.includes(ch)) break;
      if (ch === '#' && this.s[this.pos - 1] === ' ') break;
      if (ch === ':') {
        const after = this.s[this.pos + 1];
        if (after === undefined || after === ' ') break;
        if (flow) giveUp(); // `a:b` in a flow collection: leave it to yaml
      }
    }
    const text = this.s.slice(start, this.pos).trimEnd();
    if (this.s[this.pos] === ':' && !isKey) giveUp(); // `a: b: c` or a key in an item
    return plainScalar(text);
  }

  private quoted(q: string): string {
    const close = this.s.indexOf(q, this.pos + 1);
    if (close < 0) giveUp();
    const body = this.s.slice(this.pos + 1, close);
    // Escapes and doubled quotes: yaml reads them.
    if (body.includes('\\') || this.s[close + 1] === q) giveUp();
    this.pos = close + 1;
    return body;
  }
}

/**
 * A plain scalar as YAML 1.2's core schema reads it, for the forms that are
 * plainly one thing: text that cannot be anything but a string, a canonical
 * decimal integer, `true`, `false`, `null`, `~`. Every other form gives up.
 */
function plainScalar(text: string): unknown {
  if (text === '') giveUp();
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^(0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  // A string: starts with a letter, `_`, `/` or `$` (no indicator, sign, dot or digit), and is none of the
  // core schema's other spellings (True, NULL, ...).
  // A relative path (`./cmd/api`, `../x`) too: a core-schema float or `.inf`/`.nan` never has `/` after its dots.
  // And `.` and `..` alone (`context: .`, the most common context): a float needs a digit after its dot,
  // `.inf` and `.nan` letters (YAML 1.2.2 10.3.2, the core schema's float forms).
  if (!/^(?:[A-Za-z_/$]|\.\.?\/|\.\.?$)/.test(text) || /^(true|false|null)$/i.test(text)) giveUp();
  // Indicators inside a plain scalar that yaml might read otherwise.
  if (/ #|[`]|\s$/.test(text)) giveUp();
  return text;
}
