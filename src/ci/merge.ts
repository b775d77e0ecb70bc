// Merge shards into final tags: decide, from the spec and the shard result
// files, whether everything the spec expects was built, and which
// `imagetools create` commands publish it. Pure: data in, commands out.
import { normalizedPlatform } from '../platforms.js';
import { platformOf } from '../repro/manifests.js';
import { annotationKeys, annotationLevels } from '../annotations.js';
import { dynValue, evalTags } from '../dyn.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { pushedByBake } from '../resolve/outputs.js';
import { repositoryOf, tempTagFor, type ShardResult } from './shard.js';

export interface ShardFile {
  file: string;
  result?: ShardResult;
  /** Why the file is unusable (missing, not JSON, not a shard result). */
  error?: string;
}

export interface MergeTarget {
  target: string;
  tags: string[];
  /** REPO@DIGEST, one per distinct digest, in platform order. */
  sources: string[];
  /** Platform -> the source that holds it. */
  platforms: Record<string, string>;
  /**
   * `LEVEL:KEY=VALUE` for imagetools create's `--annotation`: the spec's
   * index and manifest-descriptor annotations, when the sources are several
   * (imagetools then writes a new index, and the shards' own index
   * annotations are not carried into it); none for one source, which
   * imagetools copies as it is, annotations and all.
   */
  annotations?: string[];
}

export interface TempTag {
  ref: string;
  digest: string;
}

export interface MergePlan {
  runId?: string;
  targets: MergeTarget[];
  tempTags: TempTag[];
  /** Reasons not to publish anything; empty when the merge may go ahead. */
  problems: string[];
}

/**
 * `expected`: the targets that must be published (default: every target of
 * the spec), each with every platform the spec gives it; of these, those
 * whose outputs only export files are not pushed by a shard and not
 * expected. `env`: the values of git-derived tag variables (MATRIX_GIT_*
 * ...); a tag whose variable is empty is dropped, as `matrix bake` drops it. `ciRunId`: the CI run this merge
 * belongs to (GITHUB_RUN_ID), when known; every shard must be of that run.
 */
export function planMerge(
  spec: ResolvedSpec,
  shards: readonly ShardFile[],
  expected: readonly Target[] = spec.targets,
  env: Readonly<Record<string, string | undefined>> = {},
  ciRunId?: string,
): MergePlan {
  const problems: string[] = [];
  if (!shards.length) problems.push('no shard result files given');
  const { built, runIds, tempTags } = collectShards(spec, shards, env, problems);
  // In CI the merge job knows its own run: shard files of another run (an old
  // artifact, or one written to name another run's tags) are refused.
  if (ciRunId !== undefined) for (const id of runIds) if (id !== ciRunId && !id.startsWith(`${ciRunId}-`)) problems.push(`the shard files are of run ${id}, but this is run ${ciRunId}`);
  if (runIds.size > 1) problems.push(`the shard files come from different runs (${[...runIds].sort().join(', ')}): give merge the files of one run`);
  // A target whose outputs only export files is built, not pushed, by its shard (shard.ts shardPlan, as bake's --push): nothing to publish.
  const targets = completeTargets(
    expected.filter((t) => pushedByBake(t.outputs)),
    built,
    env,
    problems,
  );
  const known = new Set(spec.targets.map((t) => t.name));
  for (const name of built.keys()) if (!known.has(name)) problems.push(`${name}: a shard built it, but the spec has no such target (is it the same spec and revision?)`);
  return { ...(runIds.size === 1 ? { runId: [...runIds][0]! } : {}), targets, tempTags: dedupe(tempTags), problems };
}

/** target -> platform -> the source that holds it, and the shard file that said so. */
type Built = Map<string, Map<string, { source: string; file: string }>>;

/** The tags of a target with git values filled in; a tag whose variable is empty is dropped. */
function tagsOf(t: Target, env: Readonly<Record<string, string | undefined>>): string[] {
  return evalTags(t.tags, env);
}

/** What the shard files say was built (checked against the spec), with every problem found on the way. */
function collectShards(spec: ResolvedSpec, shards: readonly ShardFile[], env: Readonly<Record<string, string | undefined>>, problems: string[]) {
  const runIds = new Set<string>();
  const built: Built = new Map();
  const tempTags: TempTag[] = [];
  // What a shard may name: for each target of the spec, the repositories of its tags.
  const repositories = new Map(spec.targets.map((t) => [t.name, new Set(tagsOf(t, env).map(repositoryOf))]));
  for (const s of shards) {
    if (!s.result) {
      problems.push(`${s.file}: ${s.error ?? 'unusable'}`);
      continue;
    }
    const r = s.result;
    runIds.add(r.runId);
    if (r.status !== 'succeeded') {
      const failed = Object.entries(r.targets)
        .filter(([, t]) => !t.digest)
        .map(([n]) => n);
      const platforms = r.platforms.join(', ') || 'no platform';
      // Exit 0 and no digest: bake reported none (its metadata says nothing of the target, src/bake/metadata.ts).
      problems.push(
        r.exitCode === 0 && failed.length
          ? `${s.file}: the shard for ${platforms} is incomplete: its bake ended with exit 0 but reported no image digest for ${failed.join(', ')}`
          : `${s.file}: the shard for ${platforms} failed (exit ${r.exitCode}${failed.length ? `; no image for ${failed.join(', ')}` : ''})`,
      );
    }
    for (const [name, t] of Object.entries(r.targets)) collectTarget(s.file, r.runId, name, t, repositories.get(name), { built, tempTags, problems });
  }
  return { built, runIds, tempTags };
}

function collectTarget(
  file: string,
  runId: string,
  name: string,
  t: ShardResult['targets'][string],
  repos: Set<string> | undefined,
  out: { built: Built; tempTags: TempTag[]; problems: string[] },
): void {
  // A shard file is untrusted: it may only point at the repositories the
  // spec's own tags name, and only at temporary tags this run derives
  // (REPO:matrix-tmp-RUNID-TARGET-PLATFORMS), nothing a file could pick.
  if (repos && !repos.has(t.repository)) {
    out.problems.push(`${file}: ${name} was pushed to ${t.repository}, which none of the target's tags in the spec names (${[...repos].join(', ') || 'no tags'})`);
    return;
  }
  const derived = tempTagFor(t.repository, runId, name, t.platforms);
  const foreign = t.tempTags.filter((ref) => ref !== derived);
  if (foreign.length) {
    out.problems.push(`${file}: ${name} lists temporary tag ${foreign[0]} that this run did not create (a shard of run ${runId} tags ${derived})`);
    return;
  }
  if (!t.digest) return;
  for (const ref of t.tempTags) out.tempTags.push({ ref, digest: t.digest });
  const source = `${t.repository}@${t.digest}`;
  const byPlatform = out.built.get(name) ?? new Map();
  out.built.set(name, byPlatform);
  for (const p of t.platforms) {
    const prev = byPlatform.get(p);
    if (prev && prev.source !== source) out.problems.push(`${name} ${p} was built by two shards (${prev.file} and ${file}) with different digests`);
    else byPlatform.set(p, { source, file });
  }
}

/** The expected targets that every platform was built for and that have a tag, as imagetools sources. */
function completeTargets(expected: readonly Target[], built: Built, env: Readonly<Record<string, string | undefined>>, problems: string[]): MergeTarget[] {
  const targets: MergeTarget[] = [];
  for (const t of expected) {
    const byPlatform = built.get(t.name);
    const missing = t.platforms.filter((p) => !byPlatform?.has(p));
    if (missing.length) {
      problems.push(`${t.name}: no image for ${missing.join(', ')} (a shard is missing or did not build it)`);
      continue;
    }
    const tags = tagsOf(t, env);
    if (!tags.length) {
      problems.push(`${t.name}: no tag to publish (the spec gives none, or each uses a git value that is empty here)`);
      continue;
    }
    const platforms: Record<string, string> = {};
    const sources: string[] = [];
    for (const p of t.platforms) {
      const src = byPlatform!.get(p)!.source;
      platforms[p] = src;
      if (!sources.includes(src)) sources.push(src);
    }
    const annotations = sources.length > 1 ? indexAnnotations(t, env) : [];
    targets.push({ target: t.name, tags, sources, platforms, ...(annotations.length ? { annotations } : {}) });
  }
  return targets;
}

/** The levels an index made by imagetools create carries (the others are in the shards' manifests). */
const MERGED_LEVELS = new Set(['index', 'manifest-descriptor']);

/**
 * The annotations of the index a multi-platform bake pushes, as bake writes
 * them (src/render/hcl.ts: one entry per level; a git value that is empty
 * here is empty, as an unset HCL variable is): the `index` level, and
 * `manifest-descriptor` (with its platform, if any), which imagetools
 * create sets on the index's descriptors (docker/buildx
 * util/imagetools/create.go combine). The manifest levels live in the
 * shards' manifests, which imagetools does not change.
 */
function indexAnnotations(t: Target, env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(t.annotations)) {
    const text = dynValue(value, env);
    for (const entry of annotationKeys(key)) if (MERGED_LEVELS.has(annotationLevels(entry)[0]?.level ?? '')) out.push(`${entry}=${text}`);
  }
  return out;
}

function dedupe(tags: TempTag[]): TempTag[] {
  const seen = new Set<string>();
  return tags.filter((t) => (seen.has(t.ref) ? false : (seen.add(t.ref), true)));
}

/** `docker buildx imagetools create -t TAG... [--annotation A...] SOURCE...` for one target. */
export function imagetoolsCreateArgs(t: MergeTarget): string[] {
  return ['buildx', 'imagetools', 'create', ...t.tags.flatMap((tag) => ['-t', tag]), ...(t.annotations ?? []).flatMap((a) => ['--annotation', a]), ...t.sources];
}

/**
 * Platforms of an image as `imagetools inspect --raw` shows it; undefined for a
 * single manifest (no list). Throws for text that is not a JSON object (the
 * caller says the source is no image manifest).
 */
export function indexPlatforms(raw: string): string[] | undefined {
  const doc: unknown = JSON.parse(raw);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  return (
    (Array.isArray((doc as { manifests?: unknown }).manifests) ? (doc as { manifests: unknown[] }).manifests : undefined)
      ?.map(platformOf)
      .filter((p): p is { os: string; architecture: string; variant?: string } => p !== undefined && p.os !== 'unknown')
      // containerd's Normalize (src/platforms.ts normalizedPlatform): BuildKit may write arm64's default variant v8, an index
      // may say `arm` without a variant (arm/v7) or amd64/v1; the spec names each one way.
      .map((p) => normalizedPlatform(p))
  );
}
