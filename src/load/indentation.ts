// Indentation mistakes, told as what the user did. YAML decides where a key
// belongs by its column alone, so a key one space off or one level off shows up
// as a parser error about "compact mappings" or as an unknown key somewhere
// else. Two passes turn those into one located sentence each:
//  - `explainIndentation` reads the source lines when the parser failed: a tab
//    in the indentation, a key indented further than a `key: value` line above
//    it, or a key at a column no open mapping uses;
//  - `explainMisplacedKeys` reads the parsed document when the schema failed: a
//    key one level too far left (it lands in the parent mapping) or too far
//    right (it lands in a sibling's mapping).
// YAML 1.2.2, 6.1 (indentation spaces; tabs are not indentation) and 8.2.2
// (block mappings): https://yaml.org/spec/1.2.2/#61-indentation-spaces
import type { Node, Pair, YAMLMap } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { closest, diagnostic, type Diagnostic, pathToString } from '../diagnostics.js';
import { propertySchema, schemaAt, type SchemaLike } from '../validate/schema.js';
import type { LoadedSpec } from './load.js';

// ---- pass 1: the source lines, when the YAML parser failed

interface SourceLine {
  no: number;
  /** Column (0-based) of the first character that is not a space. */
  indent: number;
  /** 1-based column of a tab in the leading white space, if any. */
  tab?: number;
  /** The key this line starts (after `- ` for an item), if any. */
  key?: string;
  /** Column (0-based) of that key. */
  keyAt: number;
  /** The line ends in `key:` or `-`: the next line may be indented further. */
  opens: boolean;
  /** The line's value starts a block scalar (`|`, `>`): the lines below are text. */
  block: boolean;
  /** Open `[` / `{` left on the line (a flow collection continued below). */
  flowDepth: number;
}

const KEY = /^((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[\]{},:-][^#:]*?|-[^\s#:][^#:]*?))[ \t]*:(?:[ \t]+|$)/;

function readLine(text: string, no: number): SourceLine | undefined {
  const lead = /^[ \t]*/.exec(text)![0];
  const rest = text.slice(lead.length);
  if (rest === '' || rest.startsWith('#') || /^(---|\.\.\.)(\s|$)/.test(rest)) return undefined;
  const tabAt = lead.indexOf('\t');
  const indent = tabAt < 0 ? lead.length : tabAt;
  let keyAt = lead.length;
  let body = rest;
  const dash = /^-(?:[ \t]+|$)/.exec(body);
  if (dash) {
    keyAt += dash[0].length;
    body = body.slice(dash[0].length);
  }
  const key = KEY.exec(body);
  if (!key) keyAt = indent;
  const value = key ? body.slice(key[0].length) : dash ? body : '';
  const bare = value.replace(/(^|\s)#.*$/, '').trim();
  return {
    no,
    indent,
    ...(tabAt >= 0 ? { tab: tabAt + 1 } : {}),
    ...(key ? { key: unquote(key[1]!) } : {}),
    keyAt,
    opens: (key !== null || dash !== null) && bare === '',
    block: /^[|>][-+0-9]*$/.test(bare),
    flowDepth: Math.max(0, flowDepth(bare)),
  };
}

function unquote(k: string): string {
  if (k.startsWith('"')) return k.slice(1, -1).replace(/\\(.)/g, '$1');
  if (k.startsWith("'")) return k.slice(1, -1).replace(/''/g, "'");
  return k;
}

function flowDepth(s: string): number {
  let depth = 0;
  let quote = '';
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth;
}

interface Anomaly {
  line: number;
  column: number;
  message: string;
  hint: string;
}

/** The lines that hold YAML structure: no text of block scalars, no continued flow collections. */
function structuralLines(source: string): SourceLine[] {
  const out: SourceLine[] = [];
  let blockAbove: number | undefined;
  let flow = 0;
  source.split(/\r?\n/).forEach((text, i) => {
    const line = readLine(text, i + 1);
    if (!line) return;
    if (blockAbove !== undefined && line.indent > blockAbove && line.tab === undefined) return;
    blockAbove = undefined;
    if (flow > 0) {
      flow = Math.max(0, flow + flowDepth(text));
      return;
    }
    out.push(line);
    if (line.block) blockAbove = line.indent;
    flow = line.flowDepth;
  });
  return out;
}

function name(l: SourceLine): string {
  return l.key !== undefined ? `\`${l.key}\`` : 'this item';
}

function spaces(n: number): string {
  return n === 1 ? '1 space' : `${n} spaces`;
}

/** The first indentation mistake in the source, if any. */
export function findIndentationMistake(source: string): Anomaly | undefined {
  const stack: number[] = [];
  let prev: SourceLine | undefined;
  for (const l of structuralLines(source)) {
    if (l.tab !== undefined)
      return { line: l.no, column: l.tab, message: 'tab used for indentation', hint: 'YAML indents with spaces only: replace the tab with spaces, lined up with the sibling keys' };
    while (stack.length && stack[stack.length - 1]! > l.indent) stack.pop();
    const top = stack[stack.length - 1];
    if (prev && top !== l.indent && (top === undefined || top < l.indent) && !prev.opens) return misindented(l, prev);
    if (top !== l.indent) stack.push(l.indent);
    if (l.keyAt > l.indent) stack.push(l.keyAt);
    prev = l;
  }
  return undefined;
}

function misindented(l: SourceLine, prev: SourceLine): Anomaly {
  const column = l.indent + 1;
  if (l.indent > prev.keyAt) {
    const extra = l.indent - prev.keyAt;
    return {
      line: l.no,
      column,
      message: `${name(l)} is indented ${spaces(l.indent)}, ${extra === 1 ? 'one space' : spaces(extra)} more than ${name(prev)} on line ${prev.no}, which already has a value`,
      hint: `line ${name(l)} up with ${name(prev)} (${spaces(prev.keyAt)}), or give ${name(prev)} no value on its own line to start a mapping under it`,
    };
  }
  return {
    line: l.no,
    column,
    message: `${name(l)} is indented ${spaces(l.indent)}, which lines it up with no key above it (${name(prev)} on line ${prev.no} has ${spaces(prev.keyAt)})`,
    hint: 'keys of one mapping start in the same column: move it to the column of the mapping it belongs to',
  };
}

/**
 * When the parser failed because of indentation, one diagnostic that says so,
 * in place of the parser's messages from that line on (they follow from it).
 * Earlier parser errors are kept.
 */
export function explainIndentation(source: string, file: string, parsed: readonly Diagnostic[]): Diagnostic[] {
  const syntax = parsed.filter((d) => d.code === 'yaml-syntax');
  if (!syntax.length) return [...parsed];
  const found = findIndentationMistake(source);
  const firstError = Math.min(...syntax.map((d) => d.line));
  if (!found || found.line > firstError + 1) return [...parsed];
  const kept = parsed.filter((d) => d.code !== 'yaml-syntax' || d.line < found.line - 1);
  const told = diagnostic({ code: 'yaml-syntax', file, line: found.line, column: found.column, message: found.message, hint: found.hint });
  return [...kept, told].sort((a, b) => a.line - b.line || a.column - b.column);
}

// ---- pass 2: the parsed document, when the schema failed

type SchemaNode = SchemaLike;

function childSchema(node: SchemaNode | undefined, part: string | number): SchemaNode | undefined {
  return node && schemaAt(node, [part]);
}

/** The mapping accepts keys of any name (template parameters, args, service names). */
function open(node: SchemaNode | undefined): boolean {
  return !!node && (node.additionalProperties === true || typeof node.additionalProperties === 'object');
}

type Path = (string | number)[];

interface Visit {
  map: YAMLMap;
  path: Path;
  schema: SchemaNode | undefined;
  parent?: Visit;
}

function* maps(node: unknown, path: Path, schema: SchemaNode | undefined, parent?: Visit): Generator<Visit> {
  if (yamlLib().isMap(node)) {
    const visit: Visit = { map: node, path, schema, ...(parent ? { parent } : {}) };
    yield visit;
    for (const pair of node.items) {
      const k = keyOf(pair);
      if (k !== undefined) yield* maps(pair.value, [...path, k], childSchema(schema, k), visit);
    }
  } else if (yamlLib().isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) yield* maps(node.items[i], [...path, i], childSchema(schema, i), parent);
  }
}

function keyOf(pair: Pair): string | undefined {
  return yamlLib().isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
}

function has(map: unknown, key: string): boolean {
  return yamlLib().isMap(map) && map.items.some((p) => keyOf(p) === key);
}

function under(d: Diagnostic, path: Path): boolean {
  const p = pathToString(path);
  return d.path === p || d.path.startsWith(`${p}.`) || d.path.startsWith(`${p}[`);
}

interface Misplaced {
  key: Pair;
  path: Path;
  message: string;
  hint: string;
  /** Diagnostics that are symptoms of this one. */
  symptoms: (d: Diagnostic) => boolean;
}

function levelName(path: Path): string {
  return path.length ? pathToString(path) : 'the top level';
}

/** `key` sits one level left of where it belongs: right after a sibling whose mapping takes it. */
function dedented(v: Visit, prev: Pair, pair: Pair, shape: readonly Diagnostic[]): Misplaced | undefined {
  const k = keyOf(pair)!;
  const p = keyOf(prev)!;
  const here = [...v.path, k];
  if (propertySchema(v.schema, k) || !shape.some((d) => under(d, here))) return undefined;
  const target = childSchema(v.schema, p);
  const empty = prev.value === null || (yamlLib().isScalar(prev.value) && prev.value.value === null);
  const takes = propertySchema(target, k) !== undefined || (empty && open(target) && !open(v.schema));
  if (!takes || (!empty && !yamlLib().isMap(prev.value)) || has(prev.value, k)) return undefined;
  if (!open(v.schema) && !propertySchema(target, k) && closest(k, Object.keys(v.schema?.properties ?? {}))) return undefined;
  const prevPath = [...v.path, p];
  return {
    key: pair,
    path: here,
    message: `\`${k}\` is at the level of ${levelName(v.path)}: indent it under \`${p}\``,
    hint: `indentation decides which mapping a key belongs to; \`${k}\` belongs in ${pathToString(prevPath)}, so indent it further than \`${p}\``,
    symptoms: (d) => under(d, here) || (empty && d.code === 'wrong-type' && d.path === pathToString(prevPath)),
  };
}

/** `key` sits one level right of where it belongs: inside a mapping that does not take it, while its parent does. */
function overIndented(v: Visit, pair: Pair, shape: readonly Diagnostic[]): Misplaced | undefined {
  const k = keyOf(pair)!;
  const here = [...v.path, k];
  const outer = v.parent;
  const last = v.path[v.path.length - 1];
  if (!outer || typeof last !== 'string' || open(v.schema) || propertySchema(v.schema, k)) return undefined;
  if (!propertySchema(outer.schema, k) || has(outer.map, k)) return undefined;
  if (!shape.some((d) => d.code === 'unknown-key' && d.path === pathToString(here))) return undefined;
  return {
    key: pair,
    path: here,
    message: `\`${k}\` is indented under \`${last}\`, which has no such key: move it left, to the level of \`${last}\``,
    hint: `\`${k}\` is a key of ${levelName(outer.path)}; indentation decides which mapping a key belongs to`,
    symptoms: (d) => under(d, here) || (d.code === 'missing-key' && d.path === pathToString(outer.path) && d.message.includes(`\`${k}\``)),
  };
}

function findMisplaced(loaded: LoadedSpec, schema: SchemaNode, shape: readonly Diagnostic[]): Misplaced[] {
  const out: Misplaced[] = [];
  for (const v of maps(loaded.doc.contents as Node, [], schema)) {
    v.map.items.forEach((pair, i) => {
      if (keyOf(pair) === undefined) return;
      const prev = i > 0 ? v.map.items[i - 1] : undefined;
      const found = (prev && keyOf(prev) !== undefined ? dedented(v, prev, pair, shape) : undefined) ?? overIndented(v, pair, shape);
      if (found) out.push(found);
    });
  }
  return out;
}

/**
 * Schema diagnostics with each indentation mistake told once, at the key that
 * is misplaced, in place of the errors it caused.
 */
export function explainMisplacedKeys(loaded: LoadedSpec, schema: SchemaNode, shape: readonly Diagnostic[]): Diagnostic[] {
  if (!shape.length) return [...shape];
  const found = findMisplaced(loaded, schema, shape);
  if (!found.length) return [...shape];
  const kept = shape.filter((d) => !found.some((m) => m.symptoms(d)));
  const told = found.map((m) => {
    const at = loaded.lineCounter.linePos((m.key.key as Node).range?.[0] ?? 0);
    return diagnostic({ code: 'misplaced-key', file: loaded.file, line: at.line, column: at.col, path: m.path, message: m.message, hint: m.hint });
  });
  return [...kept, ...told].sort((a, b) => a.line - b.line || a.column - b.column);
}
