// `${{ name }}` variables in spec strings (tags, args, labels, context).
// Resolved here, in TypeScript; nothing of this syntax ever reaches HCL.

import type { Dyn, DynPart } from '../dyn.js';
import { equalsIgnoreCase } from '../expand/values.js';

const VAR = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export type Vars = ReadonlyMap<string, string>;

export interface Interpolated {
  value: string;
  /** Variables used but not defined. */
  unknown: string[];
}

/**
 * A variable's value. `matrix.KEY` finds the key whatever its case, as GitHub's
 * matrix context does (actions/runner DictionaryExpressionData.cs: keys are
 * looked up ordinally ignoring case), so `${{ matrix.OS }}` reads axis `os`.
 */
function lookup(vars: Vars, name: string): string | undefined {
  const exact = vars.get(name);
  if (exact !== undefined || !name.startsWith('matrix.')) return exact;
  const key = name.slice('matrix.'.length);
  for (const [k, v] of vars) if (k.startsWith('matrix.') && equalsIgnoreCase(k.slice('matrix.'.length), key)) return v;
  return undefined;
}

export function interpolate(s: string, vars: Vars): Interpolated {
  if (!s.includes('${{')) return { value: s, unknown: [] };
  const unknown: string[] = [];
  const value = s.replace(VAR, (whole, name: string) => {
    const v = lookup(vars, name);
    if (v === undefined) {
      unknown.push(name);
      return whole;
    }
    return v;
  });
  return { value, unknown };
}

/**
 * Like `interpolate`, but variables in `buildTime` (spec name -> bake variable)
 * stay symbolic: the result is a Dyn whose parts reference bake variables.
 */
export function interpolateDyn(s: string, vars: Vars, buildTime: Readonly<Record<string, string>>): { value: Dyn; unknown: string[] } {
  if (!s.includes('${{')) return { value: s, unknown: [] };
  const unknown: string[] = [];
  const parts: DynPart[] = [];
  let last = 0;
  // exec on VAR itself (matchAll copies the RegExp at every call); nothing below runs another search with it.
  VAR.lastIndex = 0;
  for (let m = VAR.exec(s); m !== null; m = VAR.exec(s)) {
    const name = m[1]!;
    const before = s.slice(last, m.index);
    last = m.index! + m[0].length;
    const v = lookup(vars, name);
    if (v !== undefined) parts.push(before + v);
    else if (Object.hasOwn(buildTime, name)) parts.push(before, { variable: buildTime[name]! });
    else {
      unknown.push(name);
      parts.push(before + m[0]);
    }
  }
  parts.push(s.slice(last));
  // Merge adjacent literals; a result without variables is a plain string.
  const merged: DynPart[] = [];
  for (const p of parts) {
    const prev = merged[merged.length - 1];
    if (typeof p === 'string' && typeof prev === 'string') merged[merged.length - 1] = prev + p;
    else if (p !== '') merged.push(p);
  }
  if (merged.every((p) => typeof p === 'string')) return { value: merged.join(''), unknown };
  return { value: { parts: merged }, unknown };
}

export function varsFor(service: string, target: string, registry: string | undefined, cell: Record<string, string>): Map<string, string> {
  const m = new Map<string, string>([
    ['service', service],
    ['target', target],
  ]);
  if (registry !== undefined) m.set('registry', registry);
  for (const [k, v] of Object.entries(cell)) m.set(`matrix.${k}`, v);
  return m;
}
