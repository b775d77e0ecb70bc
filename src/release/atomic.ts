// `matrix bake --push`, all or nothing: the same mechanism as a CI shard and
// `matrix merge` (src/ci/shard.ts, src/ci/merge.ts), in one run. Every target
// is pushed without its final tags (by digest, or under a temporary tag of
// this run on the `docker` driver); only when bake succeeded for every
// target does `publish` create the final tags. Pure: data in, plans out.
import type { BakeSelection } from '../bake/command.js';
import { planMerge, type MergePlan } from '../ci/merge.js';
import { shardPlan, shardResult, type ShardPlan, type ShardResult } from '../ci/shard.js';
import { userError } from '../diagnostics.js';
import { REWRITE_TIMESTAMP_DRIVERS } from '../repro/output.js';
import type { ResolvedSpec, Target } from '../spec.js';

/** Bake's own view of each target (`docker buildx bake --print`): the tags after every -f file and --set. */
export interface PrintedTargets {
  [target: string]: { tags?: string[] };
}

/** `bake --print` JSON -> its targets; a usage error when it is not bake's output. */
export function printedTargets(json: string): PrintedTargets {
  try {
    const doc = JSON.parse(json) as { target?: PrintedTargets };
    if (doc && typeof doc.target === 'object' && doc.target) return doc.target;
  } catch {
    // fall through
  }
  throw userError('bake-print', 'cannot read the resolved targets from `docker buildx bake --print`', { hint: 'run `matrix bake --print` to see what bake says' });
}

/**
 * The selection with each target's tags as bake resolves them: the user's
 * `--set T.tags=...` and `-f` files (e.g. docker/metadata-action's) decide the
 * final tags, not the spec alone.
 */
export function withResolvedTags(sel: BakeSelection, printed: PrintedTargets): BakeSelection {
  return {
    names: sel.names,
    targets: sel.targets.map(({ target, platforms }) => ({
      target: { ...target, tags: printed[target.name]?.tags ?? target.tags } as Target,
      platforms,
    })),
  };
}

export interface Release {
  shard: ShardPlan;
  /** The spec with the resolved targets: what the merge plan checks against. */
  spec: ResolvedSpec;
  /** Each selected target with the platforms this run builds: all must be complete. */
  expected: Target[];
}

/** The release of one run: the shard plan (its --set values go last) and what must be complete to publish. */
export function planRelease(spec: ResolvedSpec, sel: BakeSelection, driver: string, runId: string): Release {
  const shard = shardPlan(sel, driver, runId);
  // Where the exporter allows it, layers are clamped to SOURCE_DATE_EPOCH as a plain --push does.
  if (REWRITE_TIMESTAMP_DRIVERS.includes(driver)) shard.set = shard.set.map((s) => (/^[^=]+\.output=/.test(s) ? `${s},rewrite-timestamp=true` : s));
  const expected = sel.targets.map(({ target, platforms }) => ({ ...target, platforms }) as Target);
  const byName = new Map(expected.map((t) => [t.name, t]));
  return { shard, spec: { ...spec, targets: spec.targets.map((t) => byName.get(t.name) ?? t) }, expected };
}

/** After bake: what it pushed (its exit code and metadata), and the merge plan; `problems` non-empty = publish nothing. */
export function releaseOutcome(release: Release, exitCode: number, metadata: Record<string, Record<string, unknown>>): { result: ShardResult; plan: MergePlan } {
  const result = shardResult(release.shard, exitCode, metadata);
  const plan = planMerge(release.spec, [{ file: 'this run', result }], release.expected);
  if (exitCode !== 0) plan.problems.unshift(`bake failed (exit ${exitCode})`);
  return { result, plan };
}

/** Every temporary tag the run may have created, with the digest when bake reported it (a failed run reports none). */
export function tempTagsOf(release: Release, result: ShardResult): { ref: string; digest?: string }[] {
  return release.shard.targets.filter((t) => t.tempTag).map((t) => ({ ref: t.tempTag!, ...(result.targets[t.target]?.digest ? { digest: result.targets[t.target]!.digest! } : {}) }));
}
