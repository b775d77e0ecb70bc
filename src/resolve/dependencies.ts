// depends_on: which dependency edges are sound, and the named contexts they give.
// One analysis for both sides: resolve turns the sound edges into each target's
// `contexts`; the `dependencies` rule (validate/rules.ts) reports the others.
import { closest } from '../diagnostics.js';
import type { SpecInput, Target } from '../spec.js';

type Path = (string | number)[];

export interface DependencyProblem {
  code: 'dependency-cycle' | 'unknown-dependency' | 'ambiguous-dependency' | 'platform-mismatch';
  at: Path;
  message: string;
  hint: string;
}

export interface DependencyAnalysis {
  /** Target name -> dependency service -> the bake target it resolves to (sound edges only). */
  contexts: ReadonlyMap<string, Readonly<Record<string, string>>>;
  problems: DependencyProblem[];
}

/** A service's `depends_on` (its own, else the one in `defaults`), strings only. */
export function dependsOn(input: SpecInput, service: string): string[] {
  const d = input.services[service]?.depends_on ?? input.defaults?.depends_on ?? [];
  return Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Checks every edge of the services that resolved (the others were reported by an
 * earlier stage, and their fields may not even have the right shape).
 */
export function analyzeDependencies(input: SpecInput, targetsOf: ReadonlyMap<string, readonly string[]>, targets: readonly Target[]): DependencyAnalysis {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const services = Object.keys(input.services);
  const contexts = new Map<string, Record<string, string>>();
  const problems: DependencyProblem[] = [];
  for (const service of services.filter((s) => targetsOf.has(s))) {
    const field: Path = input.services[service]!.depends_on ? ['services', service, 'depends_on'] : ['defaults', 'depends_on'];
    dependsOn(input, service).forEach((dep, i) => {
      const problem = edgeProblem(input, service, dep, [...field, i], services, targetsOf, byName, contexts);
      if (problem) problems.push(problem);
    });
  }
  problems.push(
    ...cycles(
      input,
      services.filter((s) => targetsOf.has(s)),
    ),
  );
  return { contexts, problems };
}

/** One edge service -> dep: its problem, or (when sound) the contexts it adds to each target of `service`. */
function edgeProblem(
  input: SpecInput,
  service: string,
  dep: string,
  at: Path,
  services: readonly string[],
  targetsOf: ReadonlyMap<string, readonly string[]>,
  byName: ReadonlyMap<string, Target>,
  contexts: Map<string, Record<string, string>>,
): DependencyProblem | undefined {
  if (dep === service) return { code: 'dependency-cycle', at, message: `service \`${service}\` depends on itself`, hint: 'remove it from its own depends_on' };
  if (!Object.hasOwn(input.services, dep)) {
    const guess = closest(dep, services);
    return { code: 'unknown-dependency', at, message: `depends_on names \`${dep}\`, which is not a service`, hint: guess ? `did you mean \`${guess}\`?` : 'list services defined under `services`' };
  }
  const depTargets = targetsOf.get(dep);
  if (!depTargets) return undefined; // already reported elsewhere
  if (depTargets.length !== 1) {
    return { code: 'ambiguous-dependency', at, message: `\`${dep}\` has a matrix (${depTargets.length} targets), so \`FROM ${dep}\` would be ambiguous`, hint: 'depend on a service without a matrix' };
  }
  const depTarget = byName.get(depTargets[0]!)!;
  for (const tn of targetsOf.get(service) ?? []) {
    const t = byName.get(tn)!;
    const missing = t.platforms.filter((p) => !depTarget.platforms.includes(p));
    if (missing.length) {
      return {
        code: 'platform-mismatch',
        at,
        message: `\`${service}\` builds for ${missing.join(', ')}, but its dependency \`${dep}\` does not`,
        hint: `add ${missing.join(', ')} to the platforms of \`${dep}\`, or remove them from \`${service}\``,
      };
    }
    // buildx refuses a multi-platform named context whose platforms differ from the
    // multi-platform target using it ("defined for different platforms").
    if (t.platforms.length > 1 && depTarget.platforms.length > 1 && depTarget.platforms.length !== t.platforms.length) {
      const extra = depTarget.platforms.filter((p) => !t.platforms.includes(p));
      return {
        code: 'platform-mismatch',
        at,
        message: `\`${dep}\` builds for ${extra.join(', ')} too, and bake needs a multi-platform dependency to build exactly the platforms of \`${service}\``,
        hint: `give \`${dep}\` and \`${service}\` the same platforms`,
      };
    }
    const own = contexts.get(t.name) ?? {};
    own[dep] = depTarget.name;
    contexts.set(t.name, own);
  }
  return undefined;
}

/** Depth-first search with colours; each cycle once, at its first service. */
function cycles(input: SpecInput, valid: readonly string[]): DependencyProblem[] {
  const out: DependencyProblem[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (s: string): void => {
    state.set(s, 1);
    stack.push(s);
    for (const d of dependsOn(input, s)) {
      if (!Object.hasOwn(input.services, d) || d === s) continue;
      if (state.get(d) === 1) {
        const cycle = [...stack.slice(stack.indexOf(d)), d];
        out.push({
          code: 'dependency-cycle',
          at: ['services', d, 'depends_on'],
          message: `dependency cycle: ${cycle.join(' -> ')}`,
          hint: 'a service cannot be built FROM something that is built FROM it; break the cycle',
        });
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(s, 2);
  };
  for (const s of valid) if (!state.has(s)) visit(s);
  return out;
}
