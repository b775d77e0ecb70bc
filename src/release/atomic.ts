// `matrix bake --push`, all or nothing: the same mechanism as a CI shard and
// `matrix merge` (src/ci/shard.ts, src/ci/merge.ts), in one run. Every target
// is pushed without its final tags (by digest, or under a temporary tag of
// this run on the `docker` driver); only when bake succeeded for every
// target does `publish` create the final tags. Pure: data in, plans out.
import type { BakeSelection } from '../bake/command.js';
import { planMerge, type MergePlan } from '../ci/merge.js';
import { shardPlan, shardResult, type ShardPlan, type ShardResult } from '../ci/shard.js';
import { outputText, readPrinted, type PrintedTarget } from '../bake/file-targets.js';
import { REWRITE_TIMESTAMP_DRIVERS } from '../repro/output.js';
import type { ResolvedSpec, Target } from '../spec.js';

/**
 * Bake's own view of each target (`docker buildx bake --print`): the tags and
 * outputs after every -f file and --set. buildx 0.13 prints an output as its
 * CSV text, later versions as an object of its fields.
 */
export type PrintedTargets = Record<string, Pick<PrintedTarget, 'tags' | 'output'>>;

/** `bake --print` JSON -> its targets; a usage error naming what is wrong when it is not bake's output (bake/file-targets.ts readPrinted). */
export function printedTargets(json: string): PrintedTargets {
  return readPrinted(json, 'the resolved targets', 'run `matrix bake --print` to see what bake says', true).target;
}

/**
 * The selection with each target's tags and outputs as bake resolves them:
 * the user's `--set T.tags=...` (or `T.output=...`) and `-f` files (e.g.
 * docker/metadata-action's) decide them, not the spec alone.
 */
export function withResolvedTags(sel: BakeSelection, printed: PrintedTargets): BakeSelection {
  return {
    names: sel.names,
    targets: sel.targets.map(({ target, platforms }) => {
      const p = Object.hasOwn(printed, target.name) ? printed[target.name] : undefined;
      const outputs = p ? (p.output ?? []).map(outputText) : target.outputs;
      return { target: { ...target, tags: p?.tags ?? target.tags, outputs } as Target, platforms };
    }),
  };
}

export interface Release {
  shard: ShardPlan;
  /** The spec with the resolved targets: what the merge plan checks against. */
  spec: ResolvedSpec;
  /** Each selected target with the platforms this run builds: all must be complete. */
  expected: Target[];
  /** Selected targets that are not pushed: their outputs export files (pushedByBake). */
  notPushed: string[];
}

/**
 * The release of one run: the shard plan (its --set values go last) and what
 * must be complete to publish. Only the targets bake's `--push` would push
 * (pushedByBake) are pushed and published; the others build with their own
 * outputs (a binary exported to `dist/`), as with bake (ci/shard.ts
 * shardPlan decides, as it does for a CI shard).
 */
export function planRelease(spec: ResolvedSpec, sel: BakeSelection, driver: string, runId: string, userSets: readonly string[] = []): Release {
  const shard = shardPlan(sel, driver, runId, {}, userSets);
  // Where the exporter allows it, the pushed images' layers are clamped to SOURCE_DATE_EPOCH as a plain --push does.
  if (REWRITE_TIMESTAMP_DRIVERS.includes(driver)) shard.set = shard.set.map((s) => (/^[^=]+\.output=type=image,.*push=true$/.test(s) ? `${s},rewrite-timestamp=true` : s));
  const pushedNames = new Set(shard.targets.map((t) => t.target));
  const expected = sel.targets.filter(({ target }) => pushedNames.has(target.name)).map(({ target, platforms }) => ({ ...target, platforms }) as Target);
  const byName = new Map(expected.map((t) => [t.name, t]));
  // A target only a -f file defines (bake/file-targets.ts) is published as the spec's are: the merge plan must know it.
  const own = expected.filter((t) => !spec.targets.some((s) => s.name === t.name));
  return { shard, spec: { ...spec, targets: [...spec.targets.map((t) => byName.get(t.name) ?? t), ...own] }, expected, notPushed: shard.exported };
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
