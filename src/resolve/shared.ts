// Cells of one service mostly resolve to equal parts (`with`, labels, args):
// a target reuses its predecessor's part when equal, and an empty list or
// record is one frozen value, so 20,000 targets do not hold 20,000 copies of
// each (issue 18: peak memory of `gen` on 10,000 services). The model is
// readonly (src/spec.ts), so sharing is invisible to its readers.

/** The one empty list of the model. */
export const NO_ITEMS: readonly never[] = Object.freeze([]);
/** The one empty record of the model. */
export const NO_ENTRIES: Readonly<Record<string, never>> = Object.freeze({});

/** `prev` when it holds the same value as `next` (JSON-like values: strings, lists, records), else `next`; empty values shared. */
export function alike<T extends object>(next: T, prev: T | undefined): T {
  if (Array.isArray(next) && next.length === 0) return NO_ITEMS as unknown as T;
  if (!Array.isArray(next) && Object.keys(next).length === 0) return NO_ENTRIES as unknown as T;
  return prev !== undefined && same(next, prev) ? prev : next;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => same(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
