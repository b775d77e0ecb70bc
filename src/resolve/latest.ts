// `latest`: which single matrix cell (if any) also gets REPO:latest.
import { valueText } from '../expand/values.js';
import { cellValue } from '../expand/matrix.js';
import type { Cell, ServiceInput } from '../spec.js';
import { origin, type ResolveContext } from './context.js';

/** The index of the latest cell; undefined for none; false (reported) when `latest` does not pick exactly one. */
export function latestCell(ctx: ResolveContext, name: string, svc: ServiceInput, cells: readonly Cell[]): number | undefined | false {
  if (svc.matrix === undefined || svc.latest === undefined || svc.latest === false) return undefined;
  const at = origin(ctx, name, 'latest');
  if (svc.latest === true) {
    ctx.report.err('ambiguous-latest', at, '`latest: true` on a service with a matrix does not say which image is latest', 'name the combination, e.g. `latest: { python: "3.12" }`');
    return false;
  }
  // Values are written as the matrix writes its own (numbers as GitHub renders them), so `3.12` meets `3.12`.
  const pairs = Object.entries(svc.latest).map(([k, v]) => [k, valueText(v)] as const);
  const matches = cells.flatMap((c, i) => (pairs.every(([k, v]) => cellValue(c, k) === v) ? [i] : []));
  if (matches.length !== 1) {
    ctx.report.err('ambiguous-latest', at, `\`latest\` matches ${matches.length} matrix combinations; it must match exactly one`, 'add axis values until one combination is left');
    return false;
  }
  return matches[0];
}
