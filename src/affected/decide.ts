// Which targets a change since REF affects, and why. Pure: the changed paths,
// both compiled specs and a file reader come in; the plan comes out.
import type { ResolvedSpec, Target } from '../spec.js';
import { parseDockerignore, type Dockerignore } from '../dockerfile/dockerignore.js';

export interface AffectedTarget {
  name: string;
  /** Short human reasons, e.g. `services/api/main.go changed`, `definition changed: args`, `depends on base`. */
  reasons: string[];
}

export interface AffectedPlan {
  ref: string;
  /** Affected targets, in spec order. */
  targets: AffectedTarget[];
  /** Names of the other targets, in spec order. */
  unaffected: string[];
}

/** The spec as it was at REF. */
export type Previous =
  | { kind: 'compiled'; spec: ResolvedSpec; files: ReadonlyMap<string, string> }
  /** The spec file did not exist at REF: every target is new. */
  | { kind: 'missing' }
  | { kind: 'failed' };

/** Where a target's inputs are, relative to the repository root (POSIX, `''` for the root). */
export interface TargetPaths {
  context: string;
  dockerfile: string;
  /** A template of the repository (not a built-in), which both compiles read from the working tree. */
  template?: string;
}

export interface DecideInput {
  ref: string;
  spec: ResolvedSpec;
  files: ReadonlyMap<string, string>;
  previous: Previous;
  /** Repo-relative POSIX paths changed since REF. */
  changed: readonly string[];
  paths: (t: Target) => TargetPaths;
  /** A repo-relative file of the working tree, or undefined when it does not exist. */
  readFile: (repoRelPath: string) => string | undefined;
}

/** Files named one by one in a target's reasons; the rest are counted. */
const LISTED_FILES = 3;

/** The fields of a target that change what is built or how it is published. */
const DEFINITION: readonly (keyof Target)[] = ['context', 'dockerfile', 'source', 'platforms', 'tags', 'args', 'labels', 'stage', 'secrets', 'contexts', 'with', 'metadataAction', 'outputs'];

export function decideAffected(input: DecideInput): AffectedPlan {
  const { spec, previous } = input;
  // Code-unit order keeps every directory's files contiguous (see lowerBound).
  const changed = [...input.changed].sort();
  const changedSet = new Set(changed);
  const before = previous.kind === 'compiled' ? new Map(previous.spec.targets.map((t) => [t.name, t])) : undefined;
  const contextChanges = contextIndex(changed, changedSet, cachedReader(input.readFile));

  const direct = new Map<string, string[]>();
  for (const t of spec.targets) {
    const reasons: string[] = [];
    const p = input.paths(t);
    if (previous.kind === 'failed') reasons.push('spec at REF did not compile');
    const old = before?.get(t.name);
    if (previous.kind === 'missing' || (before && !old)) reasons.push('new target');
    if (old) {
      const fields = DEFINITION.filter((f) => canonical(t[f]) !== canonical(old[f]));
      if (fields.length) reasons.push(`definition changed: ${fields.join(', ')}`);
    }
    if (t.source.kind === 'template' && old && previous.kind === 'compiled' && old.source.kind === 'template' && input.files.get(t.dockerfile) !== previous.files.get(old.dockerfile)) {
      reasons.push(`${p.dockerfile} changed (rendered)`);
    } else if (changedSet.has(p.dockerfile)) {
      // Counts even when the context's .dockerignore excludes it: the Dockerfile is sent apart.
      reasons.push(`${p.dockerfile} changed`);
    }
    if (p.template !== undefined && changedSet.has(p.template)) reasons.push(`template ${p.template} changed`);
    reasons.push(...contextChanges(p));
    if (reasons.length) direct.set(t.name, reasons);
  }

  // Dependents of an affected target are affected (bake builds them FROM it).
  const byName = new Map(spec.targets.map((t) => [t.name, t]));
  const reasonsOf = new Map<string, string[] | null>();
  const visit = (t: Target): boolean => {
    const known = reasonsOf.get(t.name);
    if (known !== undefined) return known !== null;
    reasonsOf.set(t.name, null); // a cycle (refused by validation) ends here
    const reasons = [...(direct.get(t.name) ?? [])];
    for (const dep of new Set(Object.values(t.contexts))) {
      const d = byName.get(dep);
      if (d && visit(d)) reasons.push(`depends on ${dep}`);
    }
    reasonsOf.set(t.name, reasons.length ? reasons : null);
    return reasons.length > 0;
  };

  const plan: AffectedPlan = { ref: input.ref, targets: [], unaffected: [] };
  for (const t of spec.targets) {
    if (visit(t)) plan.targets.push({ name: t.name, reasons: reasonsOf.get(t.name)! });
    else plan.unaffected.push(t.name);
  }
  return plan;
}

/**
 * Reasons from files changed inside a target's context and not excluded by
 * its ignore file. Each (context, ignore file) pair is evaluated once, over
 * the slice of the sorted change list below that context, so the cost is
 * the number of changed files per distinct context, not per target.
 */
function contextIndex(changed: readonly string[], changedSet: ReadonlySet<string>, read: (p: string) => string | undefined) {
  const memo = new Map<string, { included: string[]; reasons: string[] }>();
  return (p: TargetPaths): string[] => {
    // BuildKit prefers `<Dockerfile>.dockerignore` next to the Dockerfile to the context's own.
    const ignoreFiles = [`${p.dockerfile}.dockerignore`, join(p.context, '.dockerignore')];
    const reasons = ignoreFiles.filter((f) => changedSet.has(f)).map((f) => `${f} changed`);
    const used = ignoreFiles.find((f) => read(f) !== undefined);
    const key = `${p.context}\0${used ?? ''}`;
    let entry = memo.get(key);
    if (!entry) {
      entry = { included: [], reasons: [] };
      const text = used === undefined ? undefined : read(used);
      const ignore: Dockerignore | undefined = text === undefined ? undefined : parseDockerignore(text);
      // Docker refuses a malformed ignore file; count every file rather than guess.
      const usable = ignore && ignore.errors.length === 0 ? ignore : undefined;
      // A submodule (or a context that was a file) shows up as the context path itself.
      if (p.context !== '' && changedSet.has(p.context)) entry.reasons.push(`${p.context} changed`);
      const prefix = p.context === '' ? '' : `${p.context}/`;
      const [from, to] = prefix === '' ? [0, changed.length] : [lowerBound(changed, prefix), lowerBound(changed, `${p.context}0`)];
      for (let i = from; i < to; i++) {
        const file = changed[i]!;
        if (!usable?.isIgnored(file.slice(prefix.length))) entry.included.push(file);
      }
      memo.set(key, entry);
    }
    // The Dockerfile and ignore files are reported on their own.
    const apart = new Set([p.dockerfile, ...ignoreFiles]);
    const files: string[] = [];
    for (const f of entry.included) {
      if (files.length === LISTED_FILES) break;
      if (!apart.has(f)) files.push(f);
    }
    const total = entry.included.length - [...apart].filter((f) => includes(entry!.included, f)).length;
    reasons.push(...entry.reasons, ...files.map((f) => `${f} changed`));
    if (total > files.length) reasons.push(`${total - files.length} more files changed in ${p.context || '.'}`);
    return reasons;
  };
}

function cachedReader(read: (p: string) => string | undefined): (p: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (p) => {
    if (!cache.has(p)) cache.set(p, read(p));
    return cache.get(p);
  };
}

/** First index whose value is >= `key` in a code-unit-sorted array. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function includes(sorted: readonly string[], key: string): boolean {
  const i = lowerBound(sorted, key);
  return sorted[i] === key;
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` compare equal. */
export function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, val: unknown) =>
      val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val,
    ) ?? 'undefined'
  );
}
