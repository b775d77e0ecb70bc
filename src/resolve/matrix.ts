// A service's matrix: expanded into cells, checked (empty, unknown axes,
// unused include keys), and each cell named as a target.
import { closest } from '../diagnostics.js';
import { caseDuplicateKeys, cellTargetNames, cellValue, declaredAxes, emptyMatrixProblem, expandMatrix } from '../expand/matrix.js';
import { equalsIgnoreCase } from '../expand/values.js';
import type { Cell, ServiceInput } from '../spec.js';
import { origin, type ResolveContext } from './context.js';
import { unusedMatrixKeys } from './usage.js';

export interface ResolvedMatrix {
  axes: string[];
  cells: Cell[];
  /** Target name per cell (the service name for a service without a matrix). */
  names: string[];
}

/** The cells and their target names, or undefined (reported). `templateText` tells which include keys are read. */
export function resolveMatrix(ctx: ResolveContext, name: string, svc: ServiceInput, templateText: string | undefined): ResolvedMatrix | undefined {
  if (svc.matrix) {
    const empty = emptyMatrixProblem(svc.matrix);
    if (empty) {
      ctx.report.err('empty-matrix', origin(ctx, name, 'matrix'), empty.message, empty.hint);
      return undefined;
    }
    if (!uniqueKeys(ctx, name, svc)) return undefined;
    if (!literalValues(ctx, name, svc)) return undefined;
  }
  const { axes, cells } = expandMatrix(svc.matrix);
  const declared = declaredAxes(svc.matrix);
  if (svc.matrix && !checkMatrix(ctx, name, svc, declared, cells, templateText)) return undefined;
  const naming = cellTargetNames(name, declared, cells);
  if (svc.matrix && naming.clashes.length) {
    for (const [a, b] of naming.clashes) {
      ctx.report.err(
        'name-collision',
        origin(ctx, name, 'matrix'),
        `the matrix gives two combinations one target name \`${naming.names[a]}\`: ${cellText(cells[a]!)} and ${cellText(cells[b]!)}`,
        'each include entry must add a combination of its own; remove the repeated one',
      );
    }
    return undefined;
  }
  return { axes, cells, names: svc.matrix ? naming.names : [name] };
}

/**
 * No two keys of one mapping in the matrix differ only in case: on GitHub the
 * keys of the matrix and of each include or exclude entry ignore case, and a
 * second spelling of a key is refused (actions/runner TemplateReader.cs).
 */
function uniqueKeys(ctx: ResolveContext, name: string, svc: ServiceInput): boolean {
  const dups = caseDuplicateKeys(svc.matrix!);
  for (const d of dups) {
    const where = d.path.length === 1 ? 'the matrix' : `${d.path[0]} entry ${Number(d.path[1]) + 1}`;
    ctx.report.err(
      'duplicate-key',
      [...origin(ctx, name, 'matrix'), ...d.path],
      `\`${d.key}\` repeats \`${d.first}\` in ${where}: matrix keys ignore case, as on GitHub, so they are one key`,
      d.path.length === 1 ? matrixKeyHint(d.key, d.first) : 'keep one of the two keys',
      true,
    );
  }
  return dups.length === 0;
}

/** What to do about two keys of the matrix mapping that differ only in case: two axes, or an axis spelt like `include` or `exclude`. */
function matrixKeyHint(key: string, first: string): string {
  const list = [first, key].find((k) => k === 'include' || k === 'exclude');
  if (list === undefined) return 'keep one spelling: merge the two axes, or rename one';
  const axis = list === key ? first : key;
  return `only \`${list}\` in lower case is the ${list} list, and \`${axis}\` would be an axis of that name: rename the axis, or move its entries into \`${list}\``;
}

/**
 * No value of the matrix holds `${{`. GitHub evaluates expressions in a job's
 * matrix (its github, inputs, vars and needs contexts: "Using contexts to
 * create matrices" in GitHub's docs), so `os: ["${{ inputs.os }}"]` is the
 * input's value there; matrix has no such contexts and took the text as the
 * value, silently: a build arg of `${{ inputs.os }}`, an exclude that matched
 * nothing. Refused, at the value.
 */
function literalValues(ctx: ResolveContext, name: string, svc: ServiceInput): boolean {
  const found: { at: (string | number)[]; value: string }[] = [];
  const look = (at: (string | number)[], v: unknown) => {
    if (typeof v === 'string' && v.includes('${{')) found.push({ at, value: v });
  };
  for (const [key, v] of Object.entries(svc.matrix!)) {
    if (!Array.isArray(v)) continue;
    if (key === 'include' || key === 'exclude') v.forEach((entry, i) => Object.entries((entry ?? {}) as Record<string, unknown>).forEach(([k, x]) => look([key, i, k], x)));
    else v.forEach((x, i) => look([key, i], x));
  }
  for (const f of found) {
    ctx.report.err(
      'invalid-value',
      [...origin(ctx, name, 'matrix'), ...f.at],
      `\`${f.value}\`: a matrix value is taken as written, and \`\${{ }}\` in it would be neither evaluated nor matched as GitHub evaluates it (matrix has no github, inputs, vars or needs context)`,
      'write the value itself; to vary a build by a CI input, pass it on the command line (`matrix bake --set TARGET.args.NAME=VALUE`) or list each value as an axis value',
    );
  }
  return found.length === 0;
}

/** Exclude entries name axes, something is left, and include keys that are no axis are read somewhere. */
function checkMatrix(ctx: ResolveContext, name: string, svc: ServiceInput, declared: string[], cells: readonly Cell[], templateText: string | undefined): boolean {
  let ok = true;
  (svc.matrix!.exclude ?? []).forEach((ex, i) => {
    for (const k of Object.keys(ex)) {
      // A key names an axis whatever its case, as in GitHub's matrix filters (expand/matrix.ts).
      if (declared.some((a) => equalsIgnoreCase(a, k))) continue;
      ok = false;
      const guess = closest(k, declared);
      ctx.report.err(
        'unknown-axis',
        [...origin(ctx, name, 'matrix'), 'exclude', i, k],
        `exclude names \`${k}\`, which is not an axis of this matrix`,
        guess ? `did you mean \`${guess}\`?` : `axes: ${declared.join(', ') || 'none'}`,
        true,
      );
    }
  });
  if (!ok) return false;
  if (cells.length === 0) {
    ctx.report.err('empty-matrix', origin(ctx, name, 'matrix'), 'the matrix excludes every combination', 'remove an `exclude` entry, or the service');
    return false;
  }
  // An include key that is no axis is a variable (as on GitHub); one nothing reads is probably a typo.
  for (const u of unusedMatrixKeys(svc, declared, templateText)) {
    const guess = closest(u.key, declared);
    ctx.report.warn(
      'unused-matrix-key',
      [...origin(ctx, name, 'matrix'), 'include', u.include, u.key],
      `include key \`${u.key}\` is not an axis, and no tag, arg, label, annotation, parameter or template reads \`\${{ matrix.${u.key} }}\``,
      guess
        ? `did you mean \`${guess}\`? (an include key that names an axis selects combinations; any other key only adds a variable)`
        : `axes: ${declared.join(', ') || 'none'}; use \`\${{ matrix.${u.key} }}\` somewhere, or remove it`,
      true,
    );
  }
  return true;
}

/** The cell with every key of its matrix, spelt as the matrix's axes spell them, '' where this combination lacks one. */
export function withAllKeys(axes: readonly string[], cell: Cell): Cell {
  return Object.fromEntries(axes.map((a) => [a, cellValue(cell, a) ?? ''] as const));
}

function cellText(c: Cell): string {
  return `{${Object.entries(c)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}`;
}
