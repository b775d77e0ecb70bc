// Stage 1: text -> YAML document with positions. Pure: the caller reads the file.
import type { Alias, CST, Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { diagnostic, type Diagnostic, type DiagnosticCode, type Severity } from '../diagnostics.js';
import { formatNumber } from '../expand/values.js';
import { plainYamlValue } from './plain-yaml.js';
import { sizeText } from '../size-text.js';

/** Larger specs are refused before parsing (a generated 10,000-service spec is ~2 MB). */
export const MAX_SPEC_BYTES = 32 * 1024 * 1024;
const MAX_DEPTH = 64;

export interface LoadedSpec {
  file: string;
  source: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Plain JS value; undefined when the YAML could not be parsed. */
  value: unknown;
  diagnostics: Diagnostic[];
}

export function loadSpec(file: string, source: string): LoadedSpec {
  if (Buffer.byteLength(source) > MAX_SPEC_BYTES) {
    // Line 1, column 1: the whole file is the problem, and a position keeps `file:line:column` greppable.
    const tooLarge = diagnostic({
      code: 'spec-too-large',
      file,
      line: 1,
      column: 1,
      message: `spec is larger than ${sizeText(MAX_SPEC_BYTES, 'bytes')}`,
      hint: 'split it, or check that it is not a generated or binary file',
    });
    return { file, source, doc: yamlLib().parseDocument(''), lineCounter: new (yamlLib().LineCounter)(), value: undefined, diagnostics: [tooLarge] };
  }
  // A spec in plain YAML is read without yaml's document; its document (for a
  // diagnostic's position) is parsed only when something asks for it.
  const plain = plainYamlValue(source);
  if (plain !== undefined) return new PlainLoaded(file, source, plain, new LazyDocument(source));
  const { doc, lineCounter, problems } = parseSpec(source);
  const found = problems.length ? problems : documentProblems(doc, source);
  if (found.length) {
    const diagnostics = found.map(({ offset, code, message, hint }) => diagnostic({ code, file, ...lineColumn(lineCounter, offset), message, hint }));
    return { file, source, doc, lineCounter, value: undefined, diagnostics };
  }
  try {
    // Aliases are resolved here; the limit stops "billion laughs" expansion.
    return { file, source, doc, lineCounter, value: doc.toJS({ maxAliasCount: 50 }), diagnostics: [] };
  } catch (err) {
    const aliases = diagnostic({
      code: 'yaml-alias-limit',
      file,
      line: 1,
      column: 1,
      message: firstLine((err as Error).message),
      hint: 'YAML anchors and aliases expand to too much data; write the values out or use `defaults`',
    });
    return { file, source, doc, lineCounter, value: undefined, diagnostics: [aliases] };
  }
}

/** yaml's document of a spec that has no syntax problem, parsed on first use. */
class LazyDocument {
  #parsed: { doc: Document.Parsed; lineCounter: LineCounter } | undefined;
  constructor(private readonly source: string) {}
  get(): { doc: Document.Parsed; lineCounter: LineCounter } {
    this.#parsed ??= parseSpec(this.source);
    return this.#parsed;
  }
}

/** A spec loaded by plainYamlValue: `doc` and `lineCounter` are yaml's, parsed when first read. */
class PlainLoaded implements LoadedSpec {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly source: string,
    readonly value: unknown,
    readonly lazy: LazyDocument,
  ) {}
  get doc(): Document.Parsed {
    return this.lazy.get().doc;
  }
  get lineCounter(): LineCounter {
    return this.lazy.get().lineCounter;
  }
}

/** The same loaded spec with its value typed (a spread would lose a lazy document). */
export function withValue<T>(spec: LoadedSpec, value: T): LoadedSpec & { value: T } {
  if (spec instanceof PlainLoaded) return new PlainLoaded(spec.file, spec.source, value, spec.lazy) as PlainLoaded & { value: T };
  return { ...spec, value };
}

/** A problem found in the text, at an offset (made a located diagnostic by loadSpec). */
interface TextProblem {
  offset: number;
  code: DiagnosticCode;
  message: string;
  hint: string;
}

function lineColumn(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const p = lineCounter.linePos(offset);
  return { line: p.line, column: p.col };
}

const DEEP_INPUT_HINT = 'a matrix spec is a few levels deep; this looks like generated or hostile input';
const TOO_DEEP_HINT = `nesting deeper than ${MAX_DEPTH} levels is not a valid spec`;

/** The YAML document, or the syntax problems that stop it. */
function parseSpec(source: string): { doc: Document.Parsed; lineCounter: LineCounter; problems: TextProblem[] } {
  let lineCounter = new (yamlLib().LineCounter)();
  let doc: Document.Parsed;
  const deepFlow = tooDeepFlowPrefix(source);
  if (deepFlow !== undefined) {
    const offset = tooDeepOffset(source.slice(0, deepFlow)) ?? 0;
    for (let start = 0; start !== 0 || lineCounter.lineStarts.length === 0; start = source.indexOf('\n', start) + 1) lineCounter.addNewLine(start);
    return { doc: yamlLib().parseDocument(''), lineCounter, problems: [{ offset, code: 'yaml-too-deep', message: `nesting deeper than ${MAX_DEPTH} levels`, hint: DEEP_INPUT_HINT }] };
  }
  try {
    // yaml's own duplicate-key check compares each key with every earlier key of
    // its mapping: quadratic, seconds for 10,000 services. Parse without it and
    // look for duplicates with a Set; only a spec with duplicates (or other
    // errors) is parsed again with yaml's check, which reports them exactly.
    doc = yamlLib().parseDocument(source, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2' });
    if (doc.errors.length || hasDuplicateKeys(doc.contents)) {
      lineCounter = new (yamlLib().LineCounter)();
      doc = yamlLib().parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false, version: '1.2' });
    }
  } catch (err) {
    // The parser recurses per nesting level; absurd nesting can exhaust the stack.
    const problem = { offset: tooDeepOffset(source) ?? 0, code: 'yaml-too-deep' as const, message: `YAML could not be parsed: ${(err as Error).message}`, hint: TOO_DEEP_HINT };
    return { doc: yamlLib().parseDocument(''), lineCounter, problems: [problem] };
  }
  return { doc, lineCounter, problems: syntaxProblems(doc, source) };
}

function syntaxProblems(doc: Document.Parsed, source: string): TextProblem[] {
  const out: TextProblem[] = [];
  for (const e of doc.errors) {
    if (e.code === 'RESOURCE_EXHAUSTION' || /call stack/i.test(e.message)) {
      // The parser recursed out of stack on absurd nesting and recorded it as a syntax error
      // where the stack ran out (which depends on the machine); point at the level that is too deep.
      out.push({ offset: tooDeepOffset(source) ?? e.pos[0], code: 'yaml-too-deep', message: 'YAML nesting is too deep to parse', hint: TOO_DEEP_HINT });
      break;
    }
    const dup = e.code === 'DUPLICATE_KEY';
    const multi = e.code === 'MULTIPLE_DOCS';
    out.push({
      offset: e.pos[0],
      code: dup ? 'duplicate-key' : 'yaml-syntax',
      message: dup ? 'duplicate key: a later value would silently replace the earlier one' : multi ? 'a spec is one YAML document, and a second one starts here' : firstLine(e.message),
      hint: dup
        ? 'remove one of the two entries, or merge them'
        : multi
          ? 'remove the `---` line and merge what follows into the first document'
          : 'check indentation, quoting and that every `key:` is followed by a space',
    });
  }
  return out;
}

/** What a parsed document may not hold: absurd nesting, then tags, then keys and values toJS would change. */
function documentProblems(doc: Document.Parsed, source: string): TextProblem[] {
  const deep = findTooDeep(doc.contents, 0);
  if (deep)
    return [
      {
        offset: deep.range?.[0] ?? 0,
        code: 'yaml-too-deep',
        message: `nesting deeper than ${MAX_DEPTH} levels`,
        hint: DEEP_INPUT_HINT,
      },
    ];
  const cycle = aliasCycle(doc.contents);
  if (cycle)
    return [
      {
        offset: cycle.range?.[0] ?? 0,
        code: 'yaml-alias-cycle',
        message: `alias \`*${cycle.source}\` is inside the node its anchor names: the value would contain itself`,
        hint: 'an alias may repeat a node written before it, not one it is part of; write the value out',
      },
    ];
  const tags = tagDiagnostics(doc.contents, source);
  if (tags.length) return tags;
  return scalarDiagnostics(doc.contents, doc).map(({ node, code, message, hint }) => ({ offset: node.range?.[0] ?? 0, code, message, hint }));
}

/**
 * The first alias that names a node it is inside (`args: &a { A: *a }`): YAML
 * lets an anchor's node hold an alias to it (yaml.org/spec/1.2.2 3.2.1.1: the
 * representation is a graph, not a tree), and yaml's toJS then gives a value
 * that contains itself, which every later walk of the spec followed until the
 * stack ran out. An alias names the last node with its anchor before it in
 * document order (yaml's Alias.resolve); a walk in that order, keys before
 * values, knows that node when it meets the alias. No other cycle can exist:
 * an alias cannot name a node that starts after it. Runs after the depth
 * check (bounded recursion).
 */
function aliasCycle(root: unknown): Alias | undefined {
  const anchors = new Map<string, unknown>();
  const open = new Set<unknown>();
  const walk = (node: unknown): Alias | undefined => {
    if (!node || typeof node !== 'object') return undefined;
    if (yamlLib().isAlias(node)) return open.has(anchors.get(node.source)) ? node : undefined;
    const anchor = (node as Node).anchor;
    if (anchor) anchors.set(anchor, node);
    open.add(node);
    let hit: Alias | undefined;
    if (yamlLib().isMap(node)) {
      for (const pair of node.items) {
        hit = walk(pair.key) ?? walk(pair.value);
        if (hit) break;
      }
    } else if (yamlLib().isSeq(node)) {
      for (const item of node.items) {
        hit = walk(item);
        if (hit) break;
      }
    }
    open.delete(node);
    return hit;
  };
  return walk(root);
}

/**
 * Whether a mapping anywhere (keys included) has two scalar keys with the same
 * value, as yaml's `uniqueKeys: true` compares them (it may say yes more
 * often, e.g. for two `.nan` keys: the parse with yaml's check then decides).
 * An explicit stack: nesting is not limited yet.
 */
function hasDuplicateKeys(root: unknown): boolean {
  const work: unknown[] = [root];
  while (work.length) {
    const node = work.pop();
    if (yamlLib().isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (yamlLib().isScalar(pair.key)) {
          if (seen.has(pair.key.value)) return true;
          seen.add(pair.key.value);
        } else work.push(pair.key);
        work.push(pair.value);
      }
    } else if (yamlLib().isSeq(node)) {
      for (const item of node.items) work.push(item);
    }
  }
  return false;
}

function findTooDeep(node: unknown, depth: number): Node | undefined {
  if (depth > MAX_DEPTH) return node as Node;
  if (yamlLib().isMap(node)) {
    for (const pair of node.items) {
      const hit = findTooDeep(pair.value, depth + 1);
      if (hit) return hit;
    }
  } else if (yamlLib().isSeq(node)) {
    for (const item of node.items) {
      const hit = findTooDeep(item, depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}

/**
 * When flow collections (`[`, `{`) nest deeper than MAX_DEPTH, the length of a prefix of the source
 * that holds the first collection too deep, else undefined. Told before yaml parses anything: its
 * parser and composer spend about 80 µs per level on such input (a 20 KB spec of 10,000 `[` took
 * 0.8 s of CPU over three parses), while its lexer is linear and lossless (apart from its one-character
 * markers, its tokens are the source, in order). A spec with fewer brackets than levels is passed at once.
 */
export function tooDeepFlowPrefix(source: string): number | undefined {
  let opening = 0;
  for (const bracket of ['[', '{']) {
    for (let i = source.indexOf(bracket); i !== -1 && opening <= MAX_DEPTH; i = source.indexOf(bracket, i + 1)) opening++;
  }
  if (opening <= MAX_DEPTH) return undefined;
  let depth = 0;
  let offset = 0;
  for (const token of new (yamlLib().Lexer)().lex(source)) {
    if (isLexerMarker(token)) continue;
    offset += token.length;
    if (token === '[' || token === '{') {
      // One level more than needed: the block collections around the flow count too.
      if (++depth > MAX_DEPTH + 1) return offset;
    } else if (token === ']' || token === '}') depth--;
  }
  return undefined;
}

/** yaml's lexer marks a document's start, a scalar and a flow's end with one control character each. */
export function isLexerMarker(token: string): boolean {
  return token.length === 1 && token < ' ' && token !== '\t' && token !== '\n' && token !== '\r';
}

/**
 * Offset of the first collection (in the text) nested deeper than MAX_DEPTH, found on the
 * concrete syntax tree with an explicit stack (the composer recurses and is
 * what runs out of stack on such input).
 */
function tooDeepOffset(source: string): number | undefined {
  const work: [CST.Token | undefined, number][] = [];
  let first: number | undefined;
  for (const tok of new (yamlLib().Parser)().parse(source)) if (tok.type === 'document') work.push([tok.value, 0]);
  while (work.length) {
    const [tok, depth] = work.pop()!;
    if (!tok || (tok.type !== 'block-map' && tok.type !== 'block-seq' && tok.type !== 'flow-collection')) continue;
    if (depth > MAX_DEPTH) {
      first = Math.min(first ?? tok.offset, tok.offset);
      continue;
    }
    for (const item of tok.items) {
      if ('key' in item && item.key) work.push([item.key, depth + 1]);
      if (item.value) work.push([item.value, depth + 1]);
    }
  }
  return first;
}

interface NodeProblem {
  node: Node;
  code: DiagnosticCode;
  message: string;
  hint: string;
}

/** Where in the spec a scalar is: a matrix (or `latest`, which names matrix values), or anywhere else. */
type NumberForm = 'plain' | 'matrix';

/** The keys under which values are matrix values: `services.NAME.matrix`, `defaults.matrix`, and their `latest`. */
const MATRIX_FIELDS = new Set(['matrix', 'latest']);

/**
 * What `toJS` would silently change: keys that are not text (a collection key is
 * stringified with a process warning, a null key becomes "") and plain numbers
 * whose written form is lost (`1.20` becomes "1.2", `0x10` becomes "16"). A
 * number in a matrix is written as GitHub writes it in `${{ matrix.KEY }}`
 * (.NET's "G15": `0.00001` becomes "1E-05"), so there the written form is
 * compared with that. Runs after the depth check, so the recursion is bounded;
 * keys are not descended into, and an alias in a matrix is followed once per
 * node it names.
 */
function scalarDiagnostics(root: unknown, doc: Document.Parsed): NodeProblem[] {
  const out: NodeProblem[] = [];
  const flagged = new Set<unknown>();
  const followed = new Set<unknown>();
  const asWritten = (node: unknown, form: NumberForm) => {
    if (!yamlLib().isScalar(node) || node.type !== 'PLAIN' || flagged.has(node)) return;
    const written = node.source ?? '';
    const kind = typeof node.value === 'number' ? 'number' : typeof node.value === 'boolean' ? 'boolean' : undefined;
    const shown = typeof node.value === 'number' && form === 'matrix' ? formatNumber(node.value) : String(node.value);
    // `True`/`FALSE` are still plainly booleans; `on`/`yes` (YAML 1.1) and `1.20` are not what they look like.
    if (!kind || shown === written || (kind === 'boolean' && shown === written.toLowerCase())) return;
    flagged.add(node);
    out.push({
      node,
      code: 'ambiguous-value',
      message:
        form === 'matrix' && kind === 'number'
          ? `\`${written}\` is read as the number ${shown} (a matrix number is written as GitHub writes it), not as written`
          : `\`${written}\` is read as the ${kind} ${shown}, not as written`,
      hint: `quote it to keep it as written: "${written}"`,
    });
  };
  const walk = (node: unknown, form: NumberForm, path: readonly string[]) => {
    if (yamlLib().isAlias(node)) {
      // Plain values are checked where they are written; a matrix value may be written under an anchor elsewhere.
      if (form !== 'matrix' || followed.has(node)) return;
      followed.add(node);
      const target = node.resolve(doc);
      if (target && !followed.has(target)) {
        followed.add(target);
        walk(target, form, path);
      }
      return;
    }
    if (yamlLib().isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (yamlLib().isAlias(key) || yamlLib().isMap(key) || yamlLib().isSeq(key)) {
          out.push({ node: key!, code: 'invalid-key', message: 'a key must be plain text, not an alias or a collection', hint: 'write the key as a string' });
        } else if (key === null || (yamlLib().isScalar(key) && (key.value === null || key.value === undefined))) {
          out.push({
            node: (key as Node | null) ?? (pair.value as Node),
            code: 'invalid-key',
            message: 'a key is empty or null',
            hint: 'give the entry a name; quote it if it really is the word `null` or `~`',
          });
        } else asWritten(key, form);
        const name = yamlLib().isScalar(key) ? String(key.value) : '';
        const inner = path.length < 3 ? [...path, name] : path;
        walk(pair.value, form === 'matrix' || isMatrixField(inner) ? 'matrix' : 'plain', inner);
      }
    } else if (yamlLib().isSeq(node)) {
      for (const item of node.items) walk(item, form, path);
    } else asWritten(node, form);
  };
  walk(root, 'plain', []);
  return out;
}

/** `services.NAME.matrix`, `defaults.matrix` and their `latest`. */
function isMatrixField(path: readonly string[]): boolean {
  if (path.length === 3) return path[0] === 'services' && MATRIX_FIELDS.has(path[2]!);
  if (path.length === 2) return path[0] === 'defaults' && MATRIX_FIELDS.has(path[1]!);
  return false;
}

/** The tags a spec may carry: YAML 1.2's core schema (`!!str 1` is the string "1"). */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * Any other tag is refused where it is written: yaml would turn `!custom x`
 * into "x" with only a warning, and `!!binary`, `!!set`, `!!omap` or
 * `!!timestamp` into a Buffer, Set, Map or Date that the schema does not
 * expect. Keys are checked too. Runs after the depth check (bounded recursion).
 */
function tagDiagnostics(root: unknown, source: string): TextProblem[] {
  const out: TextProblem[] = [];
  const check = (node: unknown) => {
    if (!node || typeof node !== 'object' || yamlLib().isAlias(node)) return;
    const n = node as Node;
    if (n.tag !== undefined && n.tag !== '!' && !CORE_TAGS.has(n.tag)) {
      const offset = tagOffset(source, n.range?.[0] ?? 0);
      const written = /^!\S*/.exec(source.slice(offset))?.[0] ?? n.tag;
      out.push({
        offset,
        code: 'unknown-tag',
        message: `YAML tag \`${written.slice(0, 60)}\` is not allowed in a spec`,
        hint: 'remove the tag: a spec holds plain strings, numbers, booleans, lists and maps (quote a value that starts with `!`)',
      });
    }
    if (yamlLib().isMap(n)) {
      for (const pair of n.items) {
        check(pair.key);
        check(pair.value);
      }
    } else if (yamlLib().isSeq(n)) {
      for (const item of n.items) check(item);
    }
  };
  check(root);
  return out;
}

/** Where the tag before a node starts (skipping an anchor between them); the node itself if none is found. */
function tagOffset(source: string, nodeStart: number): number {
  let end = nodeStart;
  for (let hop = 0; hop < 2; hop++) {
    while (end > 0 && /\s/.test(source[end - 1]!)) end--;
    let start = end;
    // A verbatim tag `!<...>` may hold commas; other tokens end at a flow indicator.
    const verbatim = source[end - 1] === '>' ? source.lastIndexOf('!<', end) : -1;
    if (verbatim >= 0 && !/\s/.test(source.slice(verbatim, end))) start = verbatim;
    else while (start > 0 && !/[\s[{,]/.test(source[start - 1]!)) start--;
    if (source[start] === '!') return start;
    if (source[start] !== '&') break;
    end = start;
  }
  return nodeStart;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Position of a key path in the document: the node itself, or for a missing
 * key its nearest existing parent. `onKey` points at the key instead of the value.
 */
/** A diagnostic at a key path of the spec (at its key with `onKey`, else at its value). */
export function specDiagnostic(
  spec: Pick<LoadedSpec, 'file' | 'doc' | 'lineCounter'>,
  code: DiagnosticCode,
  at: readonly (string | number)[],
  message: string,
  hint?: string,
  opts: { severity?: Severity; onKey?: boolean } = {},
): Diagnostic {
  return diagnostic({ code, severity: opts.severity ?? 'error', file: spec.file, path: at, ...positionOf(spec, at, opts.onKey), message, hint });
}

export function positionOf(spec: Pick<LoadedSpec, 'doc' | 'lineCounter'>, path: readonly (string | number)[], onKey = false): { line: number; column: number } {
  let node: unknown = spec.doc.contents;
  let keyNode: unknown;
  for (const part of path) {
    if (yamlLib().isMap(node)) {
      const pair = keyIndex(node).get(String(part));
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (yamlLib().isSeq(node) && typeof part === 'number' && node.items[part]) {
      keyNode = undefined;
      node = node.items[part];
    } else {
      break;
    }
  }
  const target = (onKey && keyNode ? keyNode : node) as Node | undefined;
  const offset = target?.range?.[0] ?? 0;
  const p = spec.lineCounter.linePos(offset);
  return { line: p.line, column: p.col };
}

const KEY_INDEX = new WeakMap<YAMLMap, { items: unknown[]; length: number; index: Map<string, Pair> }>();

/**
 * A mapping's pairs by key text, first pair first, as a linear search would
 * find them (diagnostics look up thousands of keys in `services`). Rebuilt if
 * the mapping's items change.
 */
function keyIndex(map: YAMLMap): Map<string, Pair> {
  const hit = KEY_INDEX.get(map);
  if (hit && hit.items === map.items && hit.length === map.items.length) return hit.index;
  const index = new Map<string, Pair>();
  for (const p of map.items as Pair[]) {
    if (!yamlLib().isScalar(p.key)) continue; // a collection key never equals a path part
    const k = String(p.key.value);
    if (!index.has(k)) index.set(k, p);
  }
  KEY_INDEX.set(map, { items: map.items, length: map.items.length, index });
  return index;
}
