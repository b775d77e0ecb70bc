// User groups: members are services (all their cells) or target names.
import { closest } from '../diagnostics.js';
import type { Target } from '../spec.js';
import type { Path, ResolveContext } from './context.js';

export function resolveGroups(ctx: ResolveContext, targets: readonly Target[], byService: ReadonlyMap<string, readonly string[]>, skip: ReadonlySet<string>): [string, string[]][] {
  const { input, report } = ctx;
  const out: [string, string[]][] = [];
  const targetNames = new Set(targets.map((t) => t.name));
  for (const [group, members] of Object.entries(input.groups ?? {})) {
    const at: Path = ['groups', group];
    if (group === 'default' || byService.has(group) || targetNames.has(group)) {
      report.err(
        'name-collision',
        at,
        `group \`${group}\` has the name of ${group === 'default' ? 'the built-in group of all targets' : 'a service or target'}`,
        'bake has one namespace for targets and groups; rename the group',
        true,
      );
      continue;
    }
    const list: string[] = [];
    members.forEach((m, i) => {
      if (byService.has(m)) list.push(...byService.get(m)!);
      else if (skip.has(m) || Object.hasOwn(input.services, m))
        return; // that service is invalid: reported already
      else if (targetNames.has(m)) list.push(m);
      else {
        const guess = closest(m, [...byService.keys(), ...targetNames]);
        report.err('unknown-group-member', [...at, i], `group member \`${m}\` is not a service or target`, guess ? `did you mean \`${guess}\`?` : 'run `matrix plan` to list targets');
      }
    });
    out.push([group, [...new Set(list)]]);
  }
  return out;
}
