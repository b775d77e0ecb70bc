// Matrix expansion with GitHub Actions `strategy.matrix` semantics:
// 1. the cartesian product of the axes, in declaration order;
// 2. `exclude` drops every combination that has all of an entry's pairs;
// 3. each `include` entry is merged into every combination whose original
//    axis values it does not contradict (keys it adds may be overwritten by
//    later includes); an entry that fits no combination becomes a new one.
import type { Cell, MatrixInput, Scalar } from '../spec.js';

export interface Expansion {
  axes: string[];
  cells: Cell[];
}

const str = (v: Scalar): string => String(v);

export function expandMatrix(m: MatrixInput | undefined): Expansion {
  if (!m) return { axes: [], cells: [{}] };
  const axes = Object.keys(m).filter((k) => k !== 'include' && k !== 'exclude');
  let cells: Cell[] = axes.length ? [{}] : [];
  for (const axis of axes) {
    const values = (m[axis] as Scalar[]).map(str);
    const next: Cell[] = [];
    for (const cell of cells) for (const v of values) next.push({ ...cell, [axis]: v });
    cells = next;
  }

  for (const ex of m.exclude ?? []) {
    const pairs = Object.entries(ex).map(([k, v]) => [k, str(v)] as const);
    cells = cells.filter((c) => !pairs.every(([k, v]) => c[k] === v));
  }

  const original = new Set(axes);
  // Cells that came from the product; their original axis values never change.
  const productCount = cells.length;
  for (const inc of m.include ?? []) {
    const pairs = Object.entries(inc).map(([k, v]) => [k, str(v)] as const);
    let matched = false;
    for (let i = 0; i < productCount; i++) {
      const cell = cells[i]!;
      const fits = pairs.every(([k, v]) => !original.has(k) || cell[k] === v);
      if (!fits) continue;
      matched = true;
      for (const [k, v] of pairs) cell[k] = v;
    }
    if (!matched) cells.push(Object.fromEntries(pairs));
  }
  // Keys only added by include are axes too (for names and variables), after the declared ones.
  const extra: string[] = [];
  for (const c of cells) for (const k of Object.keys(c)) if (!original.has(k) && !extra.includes(k)) extra.push(k);
  return { axes: [...axes, ...extra], cells };
}

/** A value as it may appear in a bake target name: [a-z0-9-], no leading/trailing dash. */
export function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Target name of a cell: the service plus the cell's values of the given
 * (declared) axes, in axis order. Keys that `include` merely adds do not rename
 * a cell; a cell with none of the axes (an include-only matrix, or an include
 * that fit nowhere) is named by all of its values.
 */
export function cellTargetName(service: string, axes: readonly string[], cell: Cell): string {
  const keys = axes.some((a) => cell[a] !== undefined) ? axes : Object.keys(cell);
  const parts = [service];
  for (const a of keys) {
    const v = cell[a];
    if (v !== undefined) parts.push(slug(v) || 'x');
  }
  return parts.join('-');
}
