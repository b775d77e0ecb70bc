// Parse a bake file with HashiCorp's HCL parser (WASM, via @cdktf/hcl2json).
import { parse } from '@cdktf/hcl2json';

export interface BakeTargetJson {
  context?: string;
  dockerfile?: string;
  target?: string;
  inherits?: string[];
  contexts?: Record<string, string>;
  platforms?: string[];
  tags?: string[];
  args?: Record<string, string>;
  labels?: Record<string, string>;
  secret?: string[];
}

export interface BakeJson {
  group: Record<string, { targets: string[] }>;
  target: Record<string, BakeTargetJson>;
}

/**
 * hcl2json prints literal text in HCL's JSON syntax, where `${` and `%{` start
 * templates, so it re-escapes them as `$${` and `%%{`. Undo that to get the
 * value bake sees.
 */
export function literal(s: string): string {
  return s.replace(/\$\$\{/g, () => '${').replace(/%%\{/g, () => '%{');
}

function unescapeDeep(v: unknown): unknown {
  if (typeof v === 'string') return literal(v);
  if (Array.isArray(v)) return v.map(unescapeDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [literal(k), unescapeDeep(x)]));
  return v;
}

/** Blocks as bake reads them: one entry per name (we never emit a name twice; asserted). */
export async function parseBake(text: string, name = 'docker-bake.hcl'): Promise<BakeJson> {
  const raw = (await parse(name, text)) as { group?: Record<string, unknown[]>; target?: Record<string, unknown[]> };
  const one = <T>(kind: string, blocks: Record<string, unknown[]> | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [k, list] of Object.entries(blocks ?? {})) {
      if (list.length !== 1) throw new Error(`${kind} "${k}" is defined ${list.length} times`);
      out[literal(k)] = unescapeDeep(list[0]) as T;
    }
    return out;
  };
  return { group: one('group', raw.group), target: one('target', raw.target) };
}
