// Matrix expansion with GitHub Actions `strategy.matrix` semantics:
// 1. the cartesian product of the axes, in declaration order;
// 2. `exclude` drops every combination that has all of an entry's pairs;
// 3. each `include` entry is merged into every combination whose original
//    axis values it does not contradict (keys it adds may be overwritten by
//    later includes; an original value is never changed); an entry that fits
//    no combination becomes a new one.
// A combination's keys are in the runner's order: the axes as declared, then
// the keys includes add, in the order they are first added; a new combination
// from include, the entry's axis keys, then its other keys. Each is spelt as the
// runner spells it in that combination: an axis as declared, an added key as the
// first entry that added it to the combination, a new combination's keys as its
// entry writes them.
// "Has" and "contradict" compare as GitHub's runner does: the filters are
// expressions `matrix['KEY'] == VALUE` (actions/runner MatrixBuilder), so a key
// names an axis whatever its case (ordinal, ignoring case) and values compare
// with the expression language's `==` (valueEquals, in values.ts).
import type { Cell, MatrixInput, Scalar } from '../spec.js';
import { copyInto, defineKey, ownValue } from './records.js';
import { equalsIgnoreCase, spelling, valueEquals, valueText } from './values.js';

export interface Expansion {
  axes: string[];
  cells: Cell[];
}

export function expandMatrix(m: MatrixInput | undefined): Expansion {
  if (!m) return { axes: [], cells: [{}] };
  const axes = declaredAxes(m);
  const cells = excluded(product(m, axes), m, axes);
  included(cells, m, axes);
  const out = cells.map((c) => {
    const text: Cell = {};
    for (const k of Object.keys(c)) defineKey(text, k, valueText(c[k]!));
    return text;
  });
  // Keys only added by include are axes too (for names and variables), after the declared ones: each once, whatever
  // the case, as first spelt.
  const all = [...axes];
  for (const c of out) for (const k of Object.keys(c)) if (!all.some((a) => equalsIgnoreCase(a, k))) all.push(k);
  return { axes: all, cells: out };
}

/** The cartesian product of the axes, the first axis slowest. */
function product(m: MatrixInput, axes: readonly string[]): Record<string, Scalar>[] {
  let cells: Record<string, Scalar>[] = axes.length ? [{}] : [];
  for (const axis of axes) {
    const next: Record<string, Scalar>[] = [];
    for (const cell of cells) {
      for (const v of m[axis] as Scalar[]) {
        // `{ ...cell, [axis]: v }` (src/expand/records.ts).
        const one = copyInto({}, cell);
        defineKey(one, axis, v);
        next.push(one);
      }
    }
    cells = next;
  }
  return cells;
}

/** The product without every combination that has all of an exclude entry's pairs. */
function excluded(cells: Record<string, Scalar>[], m: MatrixInput, axes: readonly string[]): Record<string, Scalar>[] {
  let left = cells;
  for (const ex of m.exclude ?? []) {
    const pairs = Object.entries(ex).map(([k, v]) => [spelling(k, axes), v] as const);
    left = left.filter(
      (c) =>
        !pairs.every(([k, v]) => {
          const value = ownValue(c, k);
          return value !== undefined && valueEquals(value, v);
        }),
    );
  }
  return left;
}

/** Each include entry's values added to the combinations it matches, or a combination of its own (in place). */
function included(cells: Record<string, Scalar>[], m: MatrixInput, axes: readonly string[]): void {
  // The axis an include key names, whatever its case; undefined for a key that only adds a value.
  const axisOf = (k: string) => axes.find((a) => equalsIgnoreCase(a, k));
  // Cells that came from the product; their original axis values never change.
  const productCount = cells.length;
  for (const inc of m.include ?? []) {
    const pairs = Object.entries(inc);
    const filter = pairs.filter(([k]) => axisOf(k) !== undefined);
    const extra = pairs.filter(([k]) => axisOf(k) === undefined);
    // The filter by the axes' own spelling, which the product's cells have.
    const byAxis = filter.map(([k, v]) => [axisOf(k)!, v] as const);
    let matched = false;
    for (let i = 0; i < productCount; i++) {
      const cell = cells[i]!;
      if (!byAxis.every(([a, v]) => valueEquals(cell[a]!, v))) continue;
      matched = true;
      // A key the cell already has (from an earlier entry, in any case) keeps its place and spelling; a new one is
      // spelt as this entry spells it: the runner collects a combination's added values in a dictionary that
      // ignores case and keeps a key's first spelling (MatrixBuilder.cs MatrixInclude.Match,
      // Expressions/Data/DictionaryExpressionData.cs).
      for (const [k, v] of extra) defineKey(cell, ownKey(cell, k) ?? k, v);
    }
    // A new combination holds the entry's axis keys, then its other keys, each in the entry's order and spelling:
    // the runner builds it from the entry's filter, then adds its extra values (actions/runner
    // src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs GetUnmatchedVectors), and its matrix context
    // (`toJSON(matrix)`, a template's `{{#each matrix}}`) lists them so.
    if (!matched) cells.push(Object.fromEntries([...filter, ...extra]));
  }
}

/** The key of `record` that is `key` whatever its case (the exact spelling first), or undefined. */
function ownKey(record: Readonly<Record<string, unknown>>, key: string): string | undefined {
  if (Object.hasOwn(record, key)) return key;
  for (const k of Object.keys(record)) if (equalsIgnoreCase(k, key)) return k;
  return undefined;
}

/**
 * The value of `key` in a combination, whatever the case the combination spells
 * it in, or undefined when it lacks the key: a combination an include entry
 * makes spells its keys as the entry does (`{OS: macos}` beside axis `os`), and
 * GitHub reads a matrix key ignoring case.
 */
export function cellValue(cell: Readonly<Record<string, string>>, key: string): string | undefined {
  const k = ownKey(cell, key);
  return k === undefined ? undefined : cell[k];
}

/** A value as it may appear in a bake target name: [a-z0-9-], no leading/trailing dash. */
export function slug(value: string): string {
  // Most values are slugs already (`small`, `22`, `linux-amd64`): nothing to change.
  if (/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value)) return value;
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A key that repeats an earlier key of the same mapping in other case: where it is (below `matrix`) and the earlier spelling. */
export interface CaseDuplicate {
  path: (string | number)[];
  key: string;
  first: string;
}

/**
 * Keys of one mapping that differ only in case: two axes `os` and `OS`, an
 * axis `Include` beside `include`, or `Npm` and `npm` in one include or exclude
 * entry. GitHub reads these mappings with keys compared ordinally ignoring case
 * and refuses the second key, whether or not the first is a property its schema
 * knows (actions/runner src/Sdk/WorkflowParser/ObjectTemplating/TemplateReader.cs:
 * one OrdinalIgnoreCase set of the keys read so far, checked before the schema's
 * properties are matched); yaml keeps both, so they are found here.
 */
export function caseDuplicateKeys(m: MatrixInput): CaseDuplicate[] {
  const out: CaseDuplicate[] = [];
  const scan = (keys: readonly string[], at: (string | number)[]) => {
    keys.forEach((key, i) => {
      const first = keys.slice(0, i).find((k) => equalsIgnoreCase(k, key));
      if (first !== undefined) out.push({ path: [...at, key], key, first });
    });
  };
  // Every key of the matrix mapping: `include` and `exclude` are keys of it like the axes.
  scan(Object.keys(m), []);
  for (const list of ['include', 'exclude'] as const) {
    const entries = m[list];
    if (Array.isArray(entries)) entries.forEach((e, i) => e && typeof e === 'object' && scan(Object.keys(e), [list, i]));
  }
  return out;
}

/** The axes a matrix declares (every key but `include` and `exclude`), in order. */
export function declaredAxes(m: MatrixInput | undefined): string[] {
  return Object.keys(m ?? {}).filter((k) => k !== 'include' && k !== 'exclude');
}

/**
 * How many combinations a matrix can produce at most, without expanding it:
 * the product of the axis lengths plus one per include entry (an include adds
 * at most one combination). Saturates at Infinity instead of overflowing.
 */
export function matrixBound(m: MatrixInput | undefined): number {
  if (!m) return 1;
  const axes = declaredAxes(m);
  let n = axes.length ? 1 : 0;
  for (const a of axes) {
    const v = m[a];
    n *= Array.isArray(v) ? v.length : 1;
    if (!Number.isFinite(n)) return Infinity;
  }
  return n + (Array.isArray(m.include) ? m.include.length : 0);
}

/** What makes a matrix produce nothing before `exclude` is even applied; undefined when it has combinations to start with. */
export function emptyMatrixProblem(m: MatrixInput): { message: string; hint: string } | undefined {
  if (declaredAxes(m).length) return undefined;
  if (m.include === undefined) {
    return { message: 'the matrix has no axes and no `include`', hint: 'add an axis (`node: ["20", "22"]`) or `include` entries, or remove `matrix`' };
  }
  if (m.include.length === 0) {
    return { message: 'the matrix has no axes and its `include` is empty', hint: 'list the combinations under `include`, add an axis, or remove `matrix`' };
  }
  return undefined;
}

/** The name a cell gets without disambiguation: service + slugs of the declared axes' values (all values for an include-only cell). */
export function cellTargetName(service: string, axes: readonly string[], cell: Cell): string {
  const keys = axes.some((a) => cellValue(cell, a) !== undefined) ? axes : Object.keys(cell);
  const parts = [service];
  for (const a of keys) {
    const v = cellValue(cell, a);
    if (v !== undefined) parts.push(slug(v) || 'x');
  }
  return parts.join('-');
}

/**
 * Target names for every cell of one service, distinct for distinct cells.
 * A cell keeps its plain name (`web-22-slim`) when no other cell shares it;
 * cells whose plain names coincide (values that slug alike, `1.2` and `1-2`,
 * or an include that adds a key the axes do not show) get a suffix made of
 * every key and value they hold, and as a last resort a hash of them. Returns
 * the names, and the pairs of cells still sharing one (for an error).
 */
export function cellTargetNames(service: string, axes: readonly string[], cells: readonly Cell[]): { names: string[]; clashes: [number, number][] } {
  const plain = cells.map((c) => cellTargetName(service, axes, c));
  const count = new Map<string, number>();
  for (const n of plain) count.set(n, (count.get(n) ?? 0) + 1);
  const names = plain.map((n, i) => {
    if (count.get(n) === 1) return n;
    const cell = cells[i]!;
    const keys = Object.keys(cell).sort();
    const spelled = [service, ...keys.map((k) => `${slug(k) || 'x'}-${slug(cell[k]!) || 'x'}`)].join('-');
    return spelled;
  });
  // Spelled-out names can still meet (values that differ only in case or punctuation, or a plain name): add a hash.
  const seen = new Map<string, number>();
  const taken = new Set(names);
  const canon = (c: Cell) => JSON.stringify(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  names.forEach((n, i) => {
    if (!seen.has(n)) return void seen.set(n, i);
    // The same combination twice is not a naming problem: leave it to be reported.
    if (sameCombination(cells[seen.get(n)!]!, cells[i]!)) return;
    const h = fnv1a(canon(cells[i]!));
    let candidate = `${n}-${h}`;
    if (taken.has(candidate)) candidate = `${n}-${h}-${i}`;
    names[i] = candidate;
    taken.add(candidate);
  });
  const clashes: [number, number][] = [];
  const first = new Map<string, number>();
  names.forEach((n, i) => {
    const j = first.get(n);
    if (j !== undefined) clashes.push([j, i]);
    else first.set(n, i);
  });
  return { names, clashes };
}

/** Two cells with the same keys, whatever their case (`{os: z}` and `{OS: z}` from two include entries), and the same values. */
function sameCombination(a: Cell, b: Cell): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => cellValue(b, k) === a[k]);
}

/** 32-bit FNV-1a as 8 hex digits: stable across machines and Node versions. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
