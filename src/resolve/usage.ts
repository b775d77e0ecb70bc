// Include keys that are not axes. On GitHub such a key only adds a variable to
// the combinations it matches (docs: "Expanding or adding matrix
// configurations"), so a misspelt axis in an include silently becomes a new,
// unused variable. We keep GitHub's meaning, and warn when nothing reads it.
import { equalsIgnoreCase } from '../expand/values.js';
import type { ServiceInput } from '../spec.js';

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

/** The keys `${{ matrix.KEY }}` reads in the spec's strings. */
function matrixReads(text: string): string[] {
  return [...text.matchAll(/\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g)].map((m) => m[1]!);
}

/**
 * The matrix keys a Handlebars template reads: `matrix.KEY`, `matrix/KEY`,
 * `matrix.[KEY]`, `(lookup matrix "KEY")`; `each` when it lists them all
 * (`{{#each matrix}}`, every key read as `@key`).
 */
export function templateMatrixReads(text: string): { keys: string[]; each: boolean } {
  const keys: string[] = [];
  for (const m of text.matchAll(/matrix[./](?:\[([^\]]*)\]|([A-Za-z0-9_-]+))|lookup\s+matrix\s+(?:"([^"]*)"|'([^']*)')/g)) keys.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  return { keys, each: /#each\s+matrix\b/.test(text) };
}

export function unusedMatrixKeys(svc: ServiceInput, axes: readonly string[], templateText: string | undefined): UnusedKey[] {
  const m = svc.matrix;
  if (!m?.include) return [];
  // `${{ matrix.KEY }}` finds a key whatever its case, as GitHub's matrix context does.
  const reads = matrixReads(specStrings(svc).join('\n'));
  const templateReads = templateText === undefined ? undefined : templateMatrixReads(templateText);
  const latestKeys = svc.latest && typeof svc.latest === 'object' ? Object.keys(svc.latest) : [];
  const out: UnusedKey[] = [];
  // One key whatever its case across entries: GitHub keeps the first spelling.
  const seen: string[] = [];
  m.include.forEach((entry, i) => {
    for (const key of Object.keys(entry)) {
      if (axes.some((a) => equalsIgnoreCase(a, key)) || seen.some((s) => equalsIgnoreCase(s, key))) continue;
      seen.push(key);
      // `latest` picks a combination by a key whatever its case too (src/resolve/latest.ts).
      const inSpec = reads.some((r) => equalsIgnoreCase(r, key)) || latestKeys.some((l) => equalsIgnoreCase(l, key));
      // A template reads a key whatever its case too (src/render/files.ts matrixContext).
      const inTemplate = templateReads !== undefined && (templateReads.each || templateReads.keys.some((r) => equalsIgnoreCase(r, key)));
      if (!inSpec && !inTemplate) out.push({ key, include: i });
    }
  });
  return out;
}
