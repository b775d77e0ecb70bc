// One shard of a CI build: the targets of one runner (usually one platform),
// pushed so that `matrix merge` can later assemble the final multi-platform
// tags. Nothing here touches a final tag: a shard pushes by digest, or, on the
// `docker` driver (which refuses push-by-digest), under a temporary tag.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BakeSelection } from '../bake/command.js';
import { userError } from '../diagnostics.js';
import { evalDyn } from '../dyn.js';
import { parseInspect } from '../doctor/doctor.js';
import { capture } from '../exec.js';
import { platformSlug } from '../platforms.js';

/** `push-by-digest`: no tag at all. `temp-tag`: the `docker` driver's way. */
export type ShardMode = 'push-by-digest' | 'temp-tag';

/** Drivers whose image exporter supports `push-by-digest=true`. */
export const DIGEST_DRIVERS: readonly string[] = ['docker-container', 'remote', 'kubernetes'];

export const TEMP_TAG_PREFIX = 'matrix-tmp-';

export interface ShardTarget {
  target: string;
  /** Where this shard pushes: the repository of the target's first tag. */
  repository: string;
  platforms: string[];
  /** `temp-tag` mode only: REPO:matrix-tmp-RUNID-TARGET-PLATFORMS. */
  tempTag?: string;
}

export interface ShardPlan {
  runId: string;
  driver: string;
  mode: ShardMode;
  /** Every platform this shard builds, in first-seen order. */
  platforms: string[];
  targets: ShardTarget[];
  /** Values for bake's `--set` (without the flag), to go after the user's own. */
  set: string[];
}

export interface ShardTargetResult {
  repository: string;
  platforms: string[];
  /** `containerimage.digest` from bake's metadata file; absent when the build failed. */
  digest?: string;
  tempTags: string[];
}

export interface ShardResult {
  kind: 'matrix-shard';
  version: 1;
  runId: string;
  status: 'succeeded' | 'failed';
  exitCode: number;
  driver: string;
  mode: ShardMode;
  platforms: string[];
  targets: Record<string, ShardTargetResult>;
}

/** `ghcr.io/acme/api:1.2` -> `ghcr.io/acme/api` (tag and digest dropped, host:port kept). */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** A run id usable inside a tag: GitHub's run id and attempt, when there. */
export function runIdFromEnv(env: Record<string, string | undefined>): string | undefined {
  if (!env.GITHUB_RUN_ID) return undefined;
  return sanitizeRunId(`${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`);
}

export function sanitizeRunId(id: string): string {
  const s = id.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 40);
  if (!s) throw userError('invalid-run-id', `run id \`${id}\` has no letters or digits`, { hint: 'use e.g. the CI run number: --run-id "$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT"' });
  return s;
}

/** A fresh id for a run outside CI; every shard of one run must be given the same one. */
export function newRunId(): string {
  return `local-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * REPO:matrix-tmp-RUNID-TARGET-PLATFORMS. The target is part of the tag
 * because several targets (matrix cells) may push to one repository. A tag is
 * at most 128 characters: longer ones keep a prefix and a hash of the rest.
 */
export function tempTagFor(repository: string, runId: string, target: string, platforms: readonly string[]): string {
  let tag = `${TEMP_TAG_PREFIX}${runId}-${target}-${platforms.map(platformSlug).join('_')}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  if (tag.length > 128) tag = `${tag.slice(0, 115)}-${createHash('sha256').update(tag).digest('hex').slice(0, 12)}`;
  return `${repository}:${tag}`;
}

/** A default name for the shard result file: `matrix-shard-linux-arm64.json`. */
export function shardFileName(plan: Pick<ShardPlan, 'platforms'>): string {
  return `matrix-shard-${plan.platforms.map(platformSlug).join('_') || 'none'}.json`;
}

/** The builder's driver, as `docker buildx inspect` reports it. */
export async function detectDriver(docker: string, builder?: string, env?: Record<string, string | undefined>): Promise<string> {
  const r = await capture({ file: docker, args: ['buildx', 'inspect', ...(builder ? ['--builder', builder] : [])], ...(env ? { env } : {}) });
  const driver = r.code === 0 ? parseInspect(r.stdout).driver : '';
  if (!driver) {
    throw userError('builder-unknown', `cannot tell the driver of ${builder ? `builder \`${builder}\`` : 'the current builder'}: ${(r.spawnError ?? r.stderr.trim().split('\n')[0]) || 'no Driver line'}`, {
      hint: 'check it with `docker buildx inspect`, or run `matrix doctor`',
    });
  }
  return driver;
}

/**
 * The extra bake `--set` values that make one shard push without touching a
 * final tag. Pure: the selection and driver in, arguments out.
 *
 * - docker-container, remote, kubernetes: `T.tags=` (none) and
 *   `T.output=type=image,name=REPO,push-by-digest=true,name-canonical=true,push=true`.
 * - docker (no push-by-digest there): `T.tags=REPO:matrix-tmp-...` and `T.output=type=image,push=true`.
 *
 * `env`: the build's environment (MATRIX_GIT_* ...), for tags that use git values.
 */
export function shardPlan(sel: BakeSelection, driver: string, runId: string, env: Readonly<Record<string, string | undefined>> = {}): ShardPlan {
  const mode: ShardMode = DIGEST_DRIVERS.includes(driver) ? 'push-by-digest' : 'temp-tag';
  if (mode === 'temp-tag' && driver !== 'docker') {
    throw userError('shard-driver', `builder driver \`${driver}\` is not known to push by digest or by temporary tag`, { hint: `use a builder with one of the drivers ${['docker', ...DIGEST_DRIVERS].join(', ')}` });
  }
  const id = sanitizeRunId(runId);
  const platforms: string[] = [];
  const targets: ShardTarget[] = [];
  const set: string[] = [];
  for (const { target, platforms: ps } of sel.targets) {
    for (const p of ps) if (!platforms.includes(p)) platforms.push(p);
    const first = target.tags.map((t) => evalDyn(t, env)).find((t): t is string => Boolean(t));
    if (!first) {
      throw userError('shard-no-tag', `target \`${target.name}\` has no tag, so a shard has no repository to push it to`, {
        hint: target.metadataAction ? 'give the service `tags:` in the spec; tags from docker/metadata-action are only known at bake time' : 'give the service `tags:` or set `registry:`',
      });
    }
    const repository = repositoryOf(first);
    if (mode === 'push-by-digest') {
      set.push(`${target.name}.tags=`, `${target.name}.output=type=image,name=${repository},push-by-digest=true,name-canonical=true,push=true`);
      targets.push({ target: target.name, repository, platforms: [...ps] });
    } else {
      const tempTag = tempTagFor(repository, id, target.name, ps);
      set.push(`${target.name}.tags=${tempTag}`, `${target.name}.output=type=image,push=true`);
      targets.push({ target: target.name, repository, platforms: [...ps], tempTag });
    }
  }
  return { runId: id, driver, mode, platforms, targets, set };
}

/** What a shard did, from bake's exit code and metadata file content (keyed by target). Pure. */
export function shardResult(plan: ShardPlan, exitCode: number, metadata: Record<string, Record<string, unknown>>): ShardResult {
  const targets: Record<string, ShardTargetResult> = {};
  let complete = true;
  for (const t of plan.targets) {
    const digest = metadata[t.target]?.['containerimage.digest'];
    const ok = exitCode === 0 && typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest);
    if (!ok) complete = false;
    targets[t.target] = { repository: t.repository, platforms: t.platforms, ...(ok ? { digest: digest as string } : {}), tempTags: t.tempTag ? [t.tempTag] : [] };
  }
  return {
    kind: 'matrix-shard',
    version: 1,
    runId: plan.runId,
    status: exitCode === 0 && complete ? 'succeeded' : 'failed',
    exitCode,
    driver: plan.driver,
    mode: plan.mode,
    platforms: plan.platforms,
    targets,
  };
}

/**
 * Write the shard result file after the bake run, failed or not (a failed
 * shard must say so, so that merge refuses). `metadataFile` is bake's
 * `--metadata-file`; bake writes none when it fails.
 */
export function writeShardResult(file: string, plan: ShardPlan, outcome: { exitCode: number; metadataFile?: string }): ShardResult {
  let metadata: Record<string, Record<string, unknown>> = {};
  if (outcome.metadataFile) {
    try {
      metadata = JSON.parse(readFileSync(outcome.metadataFile, 'utf8'));
    } catch {
      metadata = {};
    }
  }
  const result = shardResult(plan, outcome.exitCode, metadata);
  // Temp file + rename: a merge job never reads half a file.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n');
  renameSync(tmp, file);
  return result;
}

/** Read and shape-check a shard result file; a message instead of a result when it is unusable. */
export function readShardResult(file: string): { result?: ShardResult; error?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.code === 'ENOENT' ? 'file does not exist (did the shard run?)' : `not readable JSON: ${err.message}` };
  }
  const r = raw as Partial<ShardResult>;
  if (!r || typeof r !== 'object' || r.kind !== 'matrix-shard' || r.version !== 1) return { error: 'not a matrix shard result (kind: matrix-shard, version: 1)' };
  if (typeof r.runId !== 'string' || (r.status !== 'succeeded' && r.status !== 'failed') || !Array.isArray(r.platforms) || !r.targets || typeof r.targets !== 'object') {
    return { error: 'malformed shard result (runId, status, platforms, targets)' };
  }
  for (const [name, t] of Object.entries(r.targets)) {
    if (!t || typeof t.repository !== 'string' || !Array.isArray(t.platforms) || !Array.isArray(t.tempTags) || (t.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(String(t.digest)))) {
      return { error: `malformed entry for target \`${name}\`` };
    }
  }
  return { result: r as ShardResult };
}
