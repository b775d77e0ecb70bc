// `${{ name }}` variables in spec strings (tags, args, labels, context).
// Resolved here, in TypeScript; nothing of this syntax ever reaches HCL.

const VAR = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export type Vars = ReadonlyMap<string, string>;

export interface Interpolated {
  value: string;
  /** Variables used but not defined. */
  unknown: string[];
}

export function interpolate(s: string, vars: Vars): Interpolated {
  if (!s.includes('${{')) return { value: s, unknown: [] };
  const unknown: string[] = [];
  const value = s.replace(VAR, (whole, name: string) => {
    const v = vars.get(name);
    if (v === undefined) {
      unknown.push(name);
      return whole;
    }
    return v;
  });
  return { value, unknown };
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
