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
      // bake itself accepts a group and a target of one name (docker/buildx bake/bake_test.go
      // TestReadTargetsSameGroupTarget), but resolves the name to the group first (bake/bake.go
      // Config.group), so that target could no longer be asked for alone. matrix writes `default` itself.
      report.err(
        'name-collision',
        at,
        `group \`${group}\` has the name of ${group === 'default' ? 'the built-in group of all targets' : 'a service or target'}`,
        group === 'default'
          ? 'matrix writes the `default` group itself, with every target (what bake builds when no name is given); rename the group'
          : `bake reads a name that is both a group and a target as the group, so \`matrix bake ${group}\` and \`docker buildx bake ${group}\` would build the group and never the target alone; rename the group`,
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
      else if (Object.hasOwn(input.groups ?? {}, m) && m !== group) {
        // bake nests groups (bake/bake_test.go TestNestedGroupsWithSameTarget); matrix keeps one level, so a
        // group's targets are read in the spec without following other groups.
        report.err(
          'unknown-group-member',
          [...at, i],
          `group member \`${m}\` is a group: matrix groups list services and targets, not other groups`,
          `list the members of \`${m}\` here instead (${input.groups![m]!.map((x) => `\`${x}\``).join(', ')})`,
        );
      } else {
        const guess = closest(m, [...byService.keys(), ...targetNames]);
        report.err('unknown-group-member', [...at, i], `group member \`${m}\` is not a service or target`, guess ? `did you mean \`${guess}\`?` : 'run `matrix plan` to list targets');
      }
    });
    out.push([group, [...new Set(list)]]);
  }
  return out;
}
