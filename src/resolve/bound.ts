// The number of targets a spec expands to, bounded before anything is
// expanded: a matrix in `defaults` multiplies across every service, and YAML
// aliases can make a short file name 10^12 combinations. Counting is
// O(services x axes); expansion only starts once the count is known to fit.
import { matrixBound } from '../expand/matrix.js';
import type { MatrixInput, SpecInput } from '../spec.js';

/** At most this many targets per service (one matrix). */
export const MAX_MATRIX_CELLS = 1024;
/** At most this many targets in one spec (the scale benchmark builds 20,000). */
export const MAX_TARGETS = 50_000;

export interface BoundProblem {
  code: 'matrix-too-large' | 'too-many-targets';
  /** Where to point: the service's own `matrix`, or `defaults.matrix`. */
  at: (string | number)[];
  message: string;
  hint: string;
}

const count = (n: number) => (n > 1e15 ? 'more than 10^15' : n.toLocaleString('en-US'));

/**
 * The size of a matrix as matrixBound counts it: an include entry adds at most one combination (one
 * that extends a combination of the axes adds none), so with `include` the count is an upper bound.
 */
function sizeText(m: MatrixInput | undefined, n: number): string {
  const includes = Array.isArray(m?.include) ? m.include.length : 0;
  if (!includes || !Number.isFinite(n)) return `the matrix has ${count(n)} combinations`;
  const fromAxes = n - includes;
  const entries = `${includes.toLocaleString('en-US')} \`include\` ${includes === 1 ? 'entry' : 'entries'}`;
  return fromAxes > 0
    ? `the matrix has ${count(fromAxes)} combinations from its axes and up to ${count(n)} with its ${entries} (counted before anything is expanded: each entry may add one)`
    : `the matrix has up to ${count(n)} combinations from its ${entries}`;
}

/**
 * Per-service and total bounds; `skip` lists services not to count (already
 * invalid). Returns the problems and the services not to expand; after a
 * `too-many-targets` problem nothing may be expanded.
 */
export function targetBound(input: SpecInput, skip: ReadonlySet<string> = new Set()): { problems: BoundProblem[]; tooLarge: Set<string>; stop: boolean } {
  const problems: BoundProblem[] = [];
  const tooLarge = new Set<string>();
  let defaultsReported = false;
  const defaultsMatrix = input.defaults?.matrix as MatrixInput | undefined;
  let total = 0;
  let worst: { n: number; at: (string | number)[] } | undefined;
  for (const [name, svc] of Object.entries(input.services ?? {})) {
    if (skip.has(name) || !svc || typeof svc !== 'object') continue;
    const own = svc.matrix as MatrixInput | undefined;
    const m = own ?? defaultsMatrix;
    const at = own !== undefined ? ['services', name, 'matrix'] : ['defaults', 'matrix'];
    const n = matrixBound(m);
    if (n > MAX_MATRIX_CELLS) {
      tooLarge.add(name);
      if (own === undefined && defaultsReported) continue;
      defaultsReported ||= own === undefined;
      problems.push({
        code: 'matrix-too-large',
        at,
        message: `${sizeText(m, n)}; at most ${MAX_MATRIX_CELLS} are allowed per service`,
        hint: 'split the service, or use `include` to list the combinations you build',
      });
      continue;
    }
    total += n;
    if (!worst || n > worst.n) worst = { n, at };
  }
  let stop = false;
  if (total > MAX_TARGETS && worst) {
    stop = true;
    problems.push({
      code: 'too-many-targets',
      at: worst.at,
      message: `the spec expands to ${count(total)} targets; at most ${MAX_TARGETS.toLocaleString('en-US')} are allowed`,
      hint:
        defaultsMatrix !== undefined
          ? 'a matrix under `defaults` multiplies with every service: move it to the services that need it'
          : 'split the spec, or use `include` to list the combinations you build',
    });
  }
  return { problems, tooLarge, stop };
}
