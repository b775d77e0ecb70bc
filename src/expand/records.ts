// Records built key by key, as object spread and Object.fromEntries build
// them, without either: on a spec of 1,000 services V8 spent about ten times
// as long spreading each service's small records (src/resolve/context.ts
// mergeService, src/expand/matrix.ts expandMatrix) as a loop of assignments.
// Spread and fromEntries define each key as an own data property; an
// assignment does too, except for `__proto__`, which sets the prototype
// instead, so that one key is defined.

/** Set `key` of `to` as an own data property, as spread and Object.fromEntries do. */
export function defineKey(to: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(to, key, { value, enumerable: true, writable: true, configurable: true });
  else to[key] = value;
}

/** `{ ...to, ...from }` in place (own enumerable string keys; the records here have no symbols): `to`. */
export function copyInto<T extends object>(to: T, from: object): T {
  const target = to as Record<string, unknown>;
  const source = from as Record<string, unknown>;
  for (const k of Object.keys(source)) defineKey(target, k, source[k]);
  return to;
}

/**
 * `record[key]` when the record has that key of its own, else undefined. A
 * matrix key is any name a spec gives (`constructor`, `__proto__`,
 * `toString` are valid axis and include keys), and a plain record's index
 * reads Object.prototype for a key it lacks: `cell.constructor` of a
 * combination without that include key is the function Object.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
