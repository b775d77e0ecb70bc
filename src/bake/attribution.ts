// Which target a failed step belongs to. A target built from another (a named
// context `target:`) shares that target's steps, and BuildKit names a shared
// step after whichever of the two builds reached it first: the same failing
// `COPY` of `b` shows as `[b 1/1] COPY missing /f` in one run and as
// `[c 1/1] COPY missing /f` in the next (measured on buildx 0.13.1,
// 2026-12-06). The summary would then blame `c` and call `b` unfinished. The
// step's text is the Dockerfile instruction (with build args expanded in a
// RUN, dockerfile2llb's prefixCommand and processCmdEnv), so the target whose
// Dockerfile holds it is the one that failed. Only a failure that cannot be
// the named target's own, and is exactly one of its unfinished dependencies',
// moves; anything unclear stays as BuildKit named it.
import { logicalLines } from '../dockerfile/directives.js';
import type { CellProgress } from './progress.js';
import { dependenciesOf } from './rounds.js';
import type { Target } from '../spec.js';

/** The instructions of a Dockerfile as BuildKit's parser assembles them (src/dockerfile/directives.ts logicalLines), whitespace collapsed. */
export function dockerfileInstructions(text: string): string[] {
  return logicalLines(text)
    .map((l) => collapse(l.text))
    .filter(Boolean);
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Whether BuildKit's name of a step (`RUN case "amd64" in ...`) is this
 * instruction (`RUN case "${TARGETARCH}" in ...`): equal once whitespace is
 * collapsed, with each variable reference of the instruction standing for any
 * text (BuildKit shows a RUN with its build args expanded), and the keyword in
 * any case.
 */
export function stepIsInstruction(step: string, instruction: string): boolean {
  const [keyword = '', ...rest] = instruction.split(' ');
  const [stepKeyword = '', ...stepRest] = collapse(step).split(' ');
  if (keyword.toUpperCase() !== stepKeyword.toUpperCase()) return false;
  // Literal parts between the references; each reference matches any text. Leftmost matching of
  // each middle part is exact for such patterns, and linear (no regular expression to backtrack).
  const parts = rest.join(' ').split(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/);
  const text = stepRest.join(' ');
  const first = parts[0]!;
  const last = parts.length > 1 ? parts[parts.length - 1]! : undefined;
  if (last === undefined) return text === first;
  if (!text.startsWith(first) || !text.endsWith(last) || first.length + last.length > text.length) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

const holds = (instructions: readonly string[] | undefined, step: string) => instructions?.some((i) => stepIsInstruction(step, i)) ?? false;

/**
 * The cells with each failure moved to the dependency it belongs to, when the
 * failed step is not an instruction of the target BuildKit named but of
 * exactly one target it is built from that did not finish. That target's cell
 * on the same platform (or its only one) takes the error; the named one is
 * then unfinished, as bake never got to it. `dockerfileOf` reads a target's
 * Dockerfile (undefined when it cannot).
 */
export function reattribute(cells: readonly CellProgress[], targets: readonly Target[], dockerfileOf: (t: Target) => string | undefined): CellProgress[] {
  const out = cells.map((c) => ({ ...c, error: [...c.error] }));
  const failed = out.filter((c) => c.status === 'failed' && c.failedStep);
  if (!failed.length) return out;
  const deps = dependenciesOf(targets);
  const byName = new Map(targets.map((t) => [t.name, t]));
  const instructions = new Map<string, string[] | undefined>();
  const of = (name: string) => {
    if (!instructions.has(name)) {
      const t = byName.get(name);
      const text = t ? dockerfileOf(t) : undefined;
      instructions.set(name, text === undefined ? undefined : dockerfileInstructions(text));
    }
    return instructions.get(name);
  };
  for (const cell of failed) {
    const step = cell.failedStep!;
    const own = of(cell.target);
    if (own === undefined || holds(own, step)) continue;
    const unfinished = [...(deps.get(cell.target) ?? [])].filter((d) => out.some((c) => c.target === d && c.status !== 'done'));
    const owners = unfinished.filter((d) => holds(of(d), step));
    if (owners.length !== 1) continue;
    const mine = out.filter((c) => c.target === owners[0]);
    const dest = mine.find((c) => c.platform === cell.platform) ?? (mine.length === 1 ? mine[0] : undefined);
    if (!dest) continue;
    if (dest.status !== 'failed') Object.assign(dest, { status: 'failed', error: cell.error, failedStep: step, ...(cell.endedAt ? { endedAt: cell.endedAt } : {}) });
    Object.assign(cell, { status: 'cancelled', error: [] });
    delete cell.failedStep;
  }
  return out;
}
