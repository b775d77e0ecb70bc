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

/** A target of bake's --print, the fields matrix reads (docker/buildx bake/bake.go `Target`). */
export interface PrintedTarget {
  context?: string;
  dockerfile?: string;
  platforms?: string[];
  tags?: string[];
  output?: (string | Record<string, string>)[];
  contexts?: Record<string, string>;
}

export interface Printed {
  group: Record<string, { targets?: string[] }>;
  target: Record<string, PrintedTarget>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isStringMap = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

/** Why a printed target's field is not what bake prints, or undefined when each field matrix reads has bake's type. */
function targetProblem(t: unknown): string | undefined {
  if (!isObject(t)) return 'is no object';
  for (const k of ['context', 'dockerfile'] as const) if (Object.hasOwn(t, k) && typeof t[k] !== 'string') return `has a \`${k}\` that is no string`;
  for (const k of ['platforms', 'tags'] as const) if (Object.hasOwn(t, k) && !isStrings(t[k])) return `has \`${k}\` that are no list of strings`;
  if (Object.hasOwn(t, 'contexts') && !isStringMap(t.contexts)) return 'has `contexts` that are no map of strings';
  // buildx 0.13 prints an output as its CSV text, later versions as an object of strings (util/buildflags/export.go ExportEntry.MarshalJSON).
  if (Object.hasOwn(t, 'output') && !(Array.isArray(t.output) && t.output.every((o) => typeof o === 'string' || isStringMap(o))))
    return 'has an `output` that is no list of strings or objects of strings';
  return undefined;
}

/**
 * `docker buildx bake --print` JSON (docker/buildx commands/bake.go: the
 * `group` and `target` maps, each target a bake/bake.go `Target`), the fields
 * matrix reads checked for bake's types; a user error (bake-print, exit 2)
 * naming what is wrong otherwise, never a crash on a `null` or a number. Keys
 * are the document's own (a target named `constructor` is not Object's).
 * `needTargets`: a print without a `target` object is refused too.
 */
export function readPrinted(json: string, what: string, hint: string, needTargets = false): Printed {
  const refuse = (why: string) => userError('bake-print', `cannot read ${what} from \`docker buildx bake --print\`: ${why}`, { hint });
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw refuse(`it printed no JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) throw refuse(`it printed ${doc === null ? 'null' : Array.isArray(doc) ? 'a list' : `a ${typeof doc}`}, not an object with \`group\` and \`target\``);
  if (needTargets && !isObject(doc.target)) throw refuse('it printed no `target` object');
  const group = doc.group ?? {};
  const target = doc.target ?? {};
  if (!isObject(group) || !isObject(target)) throw refuse('its `group` or `target` is no object');
  for (const [name, g] of Object.entries(group)) {
    if (!isObject(g) || (Object.hasOwn(g, 'targets') && !isStrings(g.targets))) throw refuse(`group \`${name}\` has no list of target names`);
  }
  for (const [name, t] of Object.entries(target)) {
    const problem = targetProblem(t);
    if (problem) throw refuse(`target \`${name}\` ${problem}`);
  }
  return { group: group as Printed['group'], target: target as Printed['target'] };
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
  const printed = readPrinted(printedJson, 'the targets of the -f files', 'run `matrix bake --print` with the same -f files to see what bake says');
  const groups = printed.group;
  const printedTargets = printed.target;
  const group = (name: string) => (Object.hasOwn(groups, name) ? groups[name] : undefined);
  const known = new Set(spec.targets.map((t) => t.name));
  const expand = new Map<string, string[]>();
  const leaves = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    if (Object.hasOwn(printedTargets, name)) return [name];
    return (group(name)?.targets ?? []).flatMap((n) => leaves(n, seen));
  };
  const matched = group('default')?.targets ?? [];
  for (const name of requested) {
    // A pattern stands for every name bake matched; a name for itself.
    const names = isNamePattern(name) ? matched.filter((m) => namePatternRegExp(name).test(m)) : [name];
    const leafNames = [...new Set(names.flatMap((n) => leaves(n, new Set())))];
    // bake fails on a name it cannot resolve (bake/bake.go ReadTargets): an answer of exit 0 without it is not bake's.
    if (!leafNames.length) {
      throw userError('bake-print', `\`docker buildx bake --print ${name}\` ended with exit 0 but printed no target for \`${name}\``, {
        hint: 'bake fails on a name no file defines: check that `docker` is Docker with its buildx plugin (`matrix doctor`), and run `matrix bake --print` with the same -f files',
      });
    }
    expand.set(name, leafNames);
  }
  const own = [...new Set([...expand.values()].flat())].filter((n) => !known.has(n));
  return { files, expand, targets: own.map((n) => bakeTarget(n, printedTargets[n]!, hostPlatform)) };
}

/** A target as bake prints it, in the resolved model's shape: no spec values (args, labels, tests) of matrix's own. */
function bakeTarget(name: string, p: PrintedTarget, hostPlatform: string): Target {
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
