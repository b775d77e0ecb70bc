// Stage 1: text -> YAML document with positions. Pure: the caller reads the file.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';

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
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const base = { severity: 'error' as const, file, path: '' };

  if (Buffer.byteLength(source) > MAX_SPEC_BYTES) {
    diagnostics.push({
      ...base, code: 'spec-too-large', line: 0, column: 0,
      message: `spec is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB`,
      hint: 'split it, or check that it is not a generated or binary file',
    });
    return { file, source, doc: parseDocument(''), lineCounter, value: undefined, diagnostics };
  }

  let doc: Document.Parsed;
  try {
    doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  } catch (err) {
    // The parser recurses per nesting level; absurd nesting can exhaust the stack.
    diagnostics.push({
      ...base, code: 'yaml-too-deep', line: 1, column: 1,
      message: `YAML could not be parsed: ${(err as Error).message}`,
      hint: `nesting deeper than ${MAX_DEPTH} levels is not a valid spec`,
    });
    return { file, source, doc: parseDocument(''), lineCounter, value: undefined, diagnostics };
  }

  for (const e of doc.errors) {
    if (/call stack/i.test(e.message)) {
      // The parser recursed out of stack on absurd nesting and recorded it as a syntax error.
      diagnostics.push({
        ...base, ...at(e.pos[0]), code: 'yaml-too-deep',
        message: 'YAML nesting is too deep to parse',
        hint: `nesting deeper than ${MAX_DEPTH} levels is not a valid spec`,
      });
      break;
    }
    const dup = e.code === 'DUPLICATE_KEY';
    diagnostics.push({
      ...base, ...at(e.pos[0]),
      code: dup ? 'duplicate-key' : 'yaml-syntax',
      message: dup ? 'duplicate key: a later value would silently replace the earlier one' : firstLine(e.message),
      hint: dup ? 'remove one of the two entries, or merge them' : 'check indentation, quoting and that every `key:` is followed by a space',
    });
  }
  if (diagnostics.length) return { file, source, doc, lineCounter, value: undefined, diagnostics };

  const deep = findTooDeep(doc.contents, 0);
  if (deep) {
    diagnostics.push({
      ...base, ...at(deep.range?.[0] ?? 0), code: 'yaml-too-deep',
      message: `nesting deeper than ${MAX_DEPTH} levels`,
      hint: 'a matrix spec is a few levels deep; this looks like generated or hostile input',
    });
    return { file, source, doc, lineCounter, value: undefined, diagnostics };
  }

  let value: unknown;
  try {
    // Aliases are resolved here; the limit stops "billion laughs" expansion.
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    diagnostics.push({
      ...base, line: 1, column: 1, code: 'yaml-alias-limit',
      message: firstLine((err as Error).message),
      hint: 'YAML anchors and aliases expand to too much data; write the values out or use `defaults`',
    });
    return { file, source, doc, lineCounter, value: undefined, diagnostics };
  }
  return { file, source, doc, lineCounter, value, diagnostics };
}

function findTooDeep(node: unknown, depth: number): Node | undefined {
  if (depth > MAX_DEPTH) return node as Node;
  if (isMap(node)) {
    for (const pair of node.items) {
      const hit = findTooDeep(pair.value, depth + 1);
      if (hit) return hit;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const hit = findTooDeep(item, depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Position of a key path in the document: the node itself, or for a missing
 * key its nearest existing parent. `onKey` points at the key instead of the value.
 */
export function positionOf(
  spec: Pick<LoadedSpec, 'doc' | 'lineCounter'>,
  path: readonly (string | number)[],
  onKey = false,
): { line: number; column: number } {
  let node: unknown = spec.doc.contents;
  let keyNode: unknown;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(part));
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
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
