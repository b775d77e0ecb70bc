// Stage 4: meaning. Small named rules over the resolved targets, each
// reporting what bake would otherwise merge or overwrite silently.
import { closest, pathToString, type Diagnostic } from '../diagnostics.js';
import { positionOf, type LoadedSpec } from '../load/load.js';
import { dynKey } from '../dyn.js';
import type { ResolvedSpec, SpecInput } from '../spec.js';

type Rule = (spec: ResolvedSpec, input: SpecInput, report: Report) => void;
type Report = (code: string, at: (string | number)[], message: string, hint?: string, onKey?: boolean) => void;

/** Bake target and group names share one namespace; ours must not collide. */
const uniqueNames: Rule = (spec, _input, report) => {
  const owner = new Map<string, string>();
  const claim = (name: string, what: string, service: string) => {
    const prev = owner.get(name);
    if (prev !== undefined) {
      report('name-collision', ['services', service], `${what} \`${name}\` collides with ${prev}`, 'rename a service, or change a matrix value so the generated names differ', true);
    } else owner.set(name, `${what} of service \`${service}\``);
  };
  for (const [service, names] of spec.services) {
    if (names.length > 1 || (names.length === 1 && names[0] !== service)) claim(service, 'group', service);
    for (const n of names) claim(n, 'target', service);
  }
};

/** depends_on: known services, no cycles, one target each, platforms covered. */
const dependencies: Rule = (spec, input, report) => {
  const targetsOf = spec.services;
  const byName = new Map(spec.targets.map((t) => [t.name, t]));
  const services = Object.keys(input.services);
  // Only services that resolved: the others were reported by an earlier stage, and their fields may not even have the right shape.
  const valid = services.filter((s) => targetsOf.has(s));
  const depsOf = (s: string): string[] => {
    const d = input.services[s]?.depends_on ?? input.defaults?.depends_on ?? [];
    return Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : [];
  };
  for (const service of valid) {
    const deps = depsOf(service);
    const field = input.services[service]!.depends_on ? ['services', service, 'depends_on'] : ['defaults', 'depends_on'];
    deps.forEach((dep, i) => {
      const at = [...field, i];
      if (dep === service) return report('dependency-cycle', at, `service \`${service}\` depends on itself`, 'remove it from its own depends_on');
      if (!Object.hasOwn(input.services, dep)) {
        const guess = closest(dep, services);
        return report('unknown-dependency', at, `depends_on names \`${dep}\`, which is not a service`, guess ? `did you mean \`${guess}\`?` : 'list services defined under `services`');
      }
      const depTargets = targetsOf.get(dep);
      if (!depTargets) return; // already reported elsewhere
      if (depTargets.length !== 1) {
        return report('ambiguous-dependency', at, `\`${dep}\` has a matrix (${depTargets.length} targets), so \`FROM ${dep}\` would be ambiguous`, 'depend on a service without a matrix');
      }
      const depTarget = byName.get(depTargets[0]!)!;
      for (const tn of targetsOf.get(service) ?? []) {
        const t = byName.get(tn)!;
        const missing = t.platforms.filter((p) => !depTarget.platforms.includes(p));
        if (missing.length) {
          return report('platform-mismatch', at, `\`${service}\` builds for ${missing.join(', ')}, but its dependency \`${dep}\` does not`, `add ${missing.join(', ')} to the platforms of \`${dep}\`, or remove them from \`${service}\``);
        }
        // buildx refuses a multi-platform named context whose platforms differ from the
        // multi-platform target using it ("defined for different platforms").
        if (t.platforms.length > 1 && depTarget.platforms.length > 1 && depTarget.platforms.length !== t.platforms.length) {
          const extra = depTarget.platforms.filter((p) => !t.platforms.includes(p));
          return report('platform-mismatch', at, `\`${dep}\` builds for ${extra.join(', ')} too, and bake needs a multi-platform dependency to build exactly the platforms of \`${service}\``, `give \`${dep}\` and \`${service}\` the same platforms`);
        }
        t.contexts[dep] = depTarget.name;
      }
    });
  }
  // Cycles: depth-first search with colours; report each cycle once, at its first service.
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (s: string): void => {
    state.set(s, 1);
    stack.push(s);
    for (const d of depsOf(s)) {
      if (!Object.hasOwn(input.services, d) || d === s) continue;
      if (state.get(d) === 1) {
        const cycle = [...stack.slice(stack.indexOf(d)), d];
        report('dependency-cycle', ['services', d, 'depends_on'], `dependency cycle: ${cycle.join(' -> ')}`, 'a service cannot be built FROM something that is built FROM it; break the cycle');
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(s, 2);
  };
  for (const s of valid) if (!state.has(s)) visit(s);
};

/** Two targets pushing one tag overwrite each other, in an order nobody chose. */
const uniqueTags: Rule = (spec, input, report) => {
  const seen = new Map<string, string>();
  for (const t of spec.targets) {
    for (const tag of t.tags.map(dynKey)) {
      const prev = seen.get(tag);
      if (prev !== undefined && prev !== t.name) {
        const at = input.services[t.service]!.tags ? ['services', t.service, 'tags'] : ['services', t.service];
        report('duplicate-tag', at, `targets \`${prev}\` and \`${t.name}\` both write the tag \`${tag}\``, 'give each target its own tag, e.g. with `${{ matrix.AXIS }}` or `${{ target }}` in the tag');
      } else seen.set(tag, t.name);
    }
  }
};

/**
 * `metadata_action: NAME` inherits target NAME, which metadata-action's bake
 * file fills in. It must not be one of our own targets or groups: bake would
 * merge metadata-action's tags into that target (or make a target inherit itself).
 */
const metadataTargets: Rule = (spec, input, report) => {
  const ours = new Set<string>(['default', ...spec.targets.map((t) => t.name), ...spec.services.keys(), ...spec.groups.map(([g]) => g)]);
  for (const t of spec.targets) {
    const m = t.metadataAction;
    if (m === undefined || m === 'docker-metadata-action' || !ours.has(m)) continue;
    const at = input.services[t.service]!.metadata_action !== undefined ? ['services', t.service, 'metadata_action'] : ['defaults', 'metadata_action'];
    report('name-collision', at, `metadata_action target \`${m}\` is the name of ${m === 'default' ? 'the group of all targets' : 'a target or group this spec generates'}`, 'name the target metadata-action fills something else, e.g. `meta-${{ service }}`, and give the same name to its `bake-target` input');
  }
};

export const RULES: ReadonlyArray<readonly [string, Rule]> = [
  ['unique-names', uniqueNames],
  ['metadata-targets', metadataTargets],
  ['dependencies', dependencies],
  ['unique-tags', uniqueTags],
];

export function ruleDiagnostics(loaded: LoadedSpec, spec: ResolvedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const input = loaded.value as SpecInput;
  for (const [, rule] of RULES) {
    rule(spec, input, (code, at, message, hint, onKey = false) => {
      out.push({ code, severity: 'error', file: loaded.file, path: pathToString(at), ...positionOf(loaded, at, onKey), message, ...(hint ? { hint } : {}) });
    });
  }
  return out;
}
