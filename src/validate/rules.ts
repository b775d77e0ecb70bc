// Stage 4: meaning. Small named rules over the resolved targets, each
// reporting what bake would otherwise merge or overwrite silently.
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { specDiagnostic } from '../load/load.js';
import { dynKey } from '../dyn.js';
import type { ResolvedSpec, SpecInput } from '../spec.js';
import type { CheckedSpec } from './schema.js';
import { analyzeDependencies } from '../resolve/dependencies.js';

type Rule = (spec: ResolvedSpec, input: SpecInput, report: Report) => void;
type Report = (code: DiagnosticCode, at: (string | number)[], message: string, hint?: string, onKey?: boolean) => void;

/**
 * No generated name twice: bake merges two targets of one name into one, and
 * reads a name that is both a group and a target as the group (bake/bake.go
 * Config.group), so a service's group must not take another target's name.
 */
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

/** depends_on: known services, no cycles, one target each, platforms covered (the analysis is resolve's). */
const dependencies: Rule = (spec, input, report) => {
  for (const p of analyzeDependencies(input, spec.services, spec.targets).problems) report(p.code, p.at, p.message, p.hint);
};

/** Two targets pushing one tag overwrite each other, in an order nobody chose. */
const uniqueTags: Rule = (spec, input, report) => {
  const seen = new Map<string, string>();
  for (const t of spec.targets) {
    for (const tag of t.tags.map(dynKey)) {
      const prev = seen.get(tag);
      if (prev !== undefined && prev !== t.name) {
        const at = input.services[t.service]!.tags ? ['services', t.service, 'tags'] : ['services', t.service];
        report(
          'duplicate-tag',
          at,
          `targets \`${prev}\` and \`${t.name}\` both write the tag \`${tag}\``,
          'give each target its own tag, e.g. with `${{ matrix.AXIS }}` or `${{ target }}` in the tag',
        );
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
    report(
      'name-collision',
      at,
      `metadata_action target \`${m}\` is the name of ${m === 'default' ? 'the group of all targets' : 'a target or group this spec generates'}`,
      'name the target metadata-action fills something else, e.g. `meta-${{ service }}`, and give the same name to its `bake-target` input',
    );
  }
};

export const RULES: ReadonlyArray<readonly [string, Rule]> = [
  ['unique-names', uniqueNames],
  ['metadata-targets', metadataTargets],
  ['dependencies', dependencies],
  ['unique-tags', uniqueTags],
];

export function ruleDiagnostics(loaded: CheckedSpec, spec: ResolvedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const input = loaded.value;
  for (const [, rule] of RULES) {
    rule(spec, input, (code, at, message, hint, onKey = false) => {
      out.push(specDiagnostic(loaded, code, at, message, hint || undefined, { onKey }));
    });
  }
  return out;
}
