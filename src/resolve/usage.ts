// Include keys that are not axes. On GitHub such a key only adds a variable to
// the combinations it matches (docs: "Expanding or adding matrix
// configurations"), so a misspelt axis in an include silently becomes a new,
// unused variable. We keep GitHub's meaning, and warn when nothing reads it.
import type { ServiceInput } from '../spec.js';
import { literalRegExp } from '../regexp.js';

export interface UnusedKey {
  key: string;
  /** Index of the first include entry that has it. */
  include: number;
}

/** Every string of a service that `${{ matrix.KEY }}` can appear in. */
function specStrings(svc: ServiceInput): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === 'object') Object.values(v).forEach(add);
  };
  add([svc.tags, svc.args, svc.labels, svc.annotations, svc.with, svc.metadata_action, svc.output, svc.context, svc.target]);
  return out;
}

export function unusedMatrixKeys(svc: ServiceInput, axes: readonly string[], templateText: string | undefined): UnusedKey[] {
  const m = svc.matrix;
  if (!m?.include) return [];
  const text = specStrings(svc).join('\n');
  const latestKeys = svc.latest && typeof svc.latest === 'object' ? Object.keys(svc.latest) : [];
  const out: UnusedKey[] = [];
  const seen = new Set<string>();
  m.include.forEach((entry, i) => {
    for (const key of Object.keys(entry)) {
      if (axes.some((a) => a.toUpperCase() === key.toUpperCase()) || seen.has(key)) continue;
      seen.add(key);
      const k = literalRegExp(key);
      const inSpec = new RegExp(`\\$\\{\\{\\s*matrix\\.${k}\\s*\\}\\}`).test(text) || latestKeys.includes(key);
      // Handlebars reads it as matrix.KEY, matrix.[KEY], (lookup matrix "KEY") or @key in {{#each matrix}}.
      const inTemplate =
        templateText !== undefined && (new RegExp(`matrix(\\.|/)(\\[${k}\\]|${k}(?![A-Za-z0-9_-]))|lookup\\s+matrix\\s+["']${k}["']`).test(templateText) || /#each\s+matrix\b/.test(templateText));
      if (!inSpec && !inTemplate) out.push({ key, include: i });
    }
  });
  return out;
}
