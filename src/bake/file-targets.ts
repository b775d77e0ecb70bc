// Targets and groups that only the user's `-f` files define. bake reads every
// `-f` file and merges them before it looks a name up (docker/buildx
// bake/bake.go ReadLocalFiles, ParseFiles, ReadTargets; commands/bake.go), so
// `matrix bake -f extra.hcl extra` builds `extra` as `docker buildx bake -f
// docker-bake.hcl -f extra.hcl extra` does. The spec does not know such a
// target: bake's `--print` says what it is, and it joins the selection as a
// target of bake's own (its context, Dockerfile, platforms, tags and outputs
// as bake prints them). Pure: bake's answer in, the selection's part out.
import path from 'node:path';
import { userError } from '../diagnostics.js';
import { csvField } from '../render/csv.js';
import { isNamePattern, namePatternRegExp } from './command.js';
import type { ResolvedSpec, Target } from '../spec.js';

/** What the `-f` files add to the names a run may ask for. */
export interface FileTargets {
  /** Every file bake reads, the generated one first, as the user named them. */
  files: readonly string[];
  /** A requested name (as bake reads it) -> the targets bake resolved it to (spec targets among them). */
  expand: ReadonlyMap<string, readonly string[]>;
  /** The targets no spec service makes, as bake prints them. */
  targets: readonly Target[];
}

interface Printed {
  group?: Record<string, { targets?: string[] }>;
  target?: Record<string, { context?: string; dockerfile?: string; platforms?: string[]; tags?: string[]; output?: (string | Record<string, string>)[]; contexts?: Record<string, string> }>;
}

/**
 * The names `requested` stand for, from `docker buildx bake --print
 * REQUESTED...` over the generated file and the `-f` files: bake's `default`
 * group of the print lists the names it matched (a pattern matches several),
 * each group lists its members, and every target it would build is printed.
 * A target of the print that no requested name reaches is a dependency bake
 * builds through a named context (`target:`), not a selected one.
 * `hostPlatform`: the platform of a target that lists none (bake builds it for
 * the builder's default platform; matrix counts this machine's).
 */
export function fileTargetsFrom(spec: ResolvedSpec, requested: readonly string[], printedJson: string, files: readonly string[], hostPlatform: string): FileTargets {
  let printed: Printed;
  try {
    printed = JSON.parse(printedJson) as Printed;
  } catch {
    throw userError('bake-print', 'cannot read the targets of the -f files from `docker buildx bake --print`', { hint: 'run `matrix bake --print` with the same -f files to see what bake says' });
  }
  const groups = printed.group ?? {};
  const printedTargets = printed.target ?? {};
  const known = new Set(spec.targets.map((t) => t.name));
  const expand = new Map<string, string[]>();
  const leaves = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    if (printedTargets[name] !== undefined) return [name];
    return (groups[name]?.targets ?? []).flatMap((n) => leaves(n, seen));
  };
  const matched = groups.default?.targets ?? [];
  for (const name of requested) {
    // A pattern stands for every name bake matched; a name for itself.
    const names = isNamePattern(name) ? matched.filter((m) => namePatternRegExp(name).test(m)) : [name];
    expand.set(name, [...new Set(names.flatMap((n) => leaves(n, new Set())))]);
  }
  const own = [...new Set([...expand.values()].flat())].filter((n) => !known.has(n));
  return { files, expand, targets: own.map((n) => bakeTarget(n, printedTargets[n]!, hostPlatform)) };
}

/** A target as bake prints it, in the resolved model's shape: no spec values (args, labels, tests) of matrix's own. */
function bakeTarget(name: string, p: NonNullable<Printed['target']>[string], hostPlatform: string): Target {
  const context = p.context ?? '.';
  const dockerfile = p.dockerfile ?? 'Dockerfile';
  // bake reads the Dockerfile relative to the context; the model's path is relative to the spec's directory.
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(context) && !path.posix.isAbsolute(dockerfile);
  const contexts = Object.fromEntries(
    Object.entries(p.contexts ?? {})
      .filter(([, v]) => v.startsWith('target:'))
      .map(([k, v]) => [k, v.slice('target:'.length)]),
  );
  return {
    name,
    service: name,
    cell: {},
    axes: [],
    context,
    source: { kind: 'dockerfile', file: dockerfile },
    dockerfile: local ? path.posix.join(context, dockerfile) : dockerfile,
    platforms: p.platforms?.length ? p.platforms : [hostPlatform],
    tags: p.tags ?? [],
    args: {},
    labels: {},
    annotations: {},
    secrets: [],
    contexts,
    with: {},
    outputs: (p.output ?? []).map(outputText),
    attest: [],
  };
}

/** One printed output as CSV text (buildx 0.14+ prints `{"type": "local", "dest": "dist"}`). */
export function outputText(o: string | Record<string, string>): string {
  if (typeof o === 'string') return o;
  const { type, ...rest } = o;
  return [`type=${type ?? ''}`, ...Object.entries(rest).map(([k, v]) => `${k}=${v}`)].map(csvField).join(',');
}

/**
 * The name bake could not find, from its error (`failed to find target X`,
 * buildx bake/bake.go ResolveTarget; `could not find any target matching
 * 'X'` for a pattern, matchNames/expandTargets), or undefined for any other failure.
 */
export function unfoundName(stderr: string): string | undefined {
  const m = /failed to find target (\S+)|could not find any target matching ['"]?([^'"\n]+)['"]?/.exec(stderr);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * The target and group names a bake file defines, for a did-you-mean only:
 * the labels of HCL `target "NAME"` / `group "NAME"` blocks, or the keys of a
 * JSON file's `target` and `group` objects. Best effort: names made by
 * `matrix` blocks or functions are not seen.
 */
export function definedNames(text: string): string[] {
  try {
    const doc = JSON.parse(text) as { target?: unknown; group?: unknown };
    const keys = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
    return [...keys(doc.group), ...keys(doc.target)];
  } catch {
    return [...text.matchAll(/^\s*(?:target|group)\s+"([A-Za-z0-9_-]+)"/gm)].map((m) => m[1]!);
  }
}
