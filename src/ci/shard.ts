// One shard of a CI build: the targets of one runner (usually one platform),
// pushed so that `matrix merge` can later assemble the final multi-platform
// tags. Nothing here touches a final tag: a shard pushes by digest, or, on the
// `docker` driver (which refuses push-by-digest), under a temporary tag.
import { createHash, randomBytes } from 'node:crypto';
import { FileFault, readJsonFile } from '../fs/read.js';
import { writeFileAtomic } from '../fs/write.js';
import { namePatternRegExp, setTarget, type BakeSelection } from '../bake/command.js';
import { userError } from '../diagnostics.js';
import { evalDyn } from '../dyn.js';
import { platformSlug } from '../platforms.js';
import { loadsIntoEngine, outputType, PUSHED_TYPES, pushedByBake } from '../resolve/outputs.js';

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
  /**
   * Selected targets that are not pushed, as bake's --push would not push
   * them (resolve/outputs.ts pushedByBake): their outputs only export files.
   * They build with those outputs and are in no shard result.
   */
  exported: string[];
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
  const s = id
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 40);
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

/**
 * The extra bake `--set` values that make one shard push without touching a
 * final tag. Pure: the selection and driver in, arguments out.
 *
 * - docker-container, remote, kubernetes: `T.tags=` (none) and
 *   `T.output=type=image,name=REPO,push-by-digest=true,name-canonical=true,push=true`.
 * - docker (no push-by-digest there): `T.tags=REPO:matrix-tmp-...` and `T.output=type=image,push=true`.
 *
 * Only the targets bake's `--push` would push (resolve/outputs.ts
 * pushedByBake: no outputs, or an image or registry one); one whose outputs
 * only export files (`type=local,dest=dist/`) is built and exported as it
 * is, and listed in `exported`. A pushed target that also exports files
 * keeps those outputs: the shard's `T.output` replaces the target's list
 * (buildx bake/bake.go AddOverrides `output`), so they are given again after
 * it, unless the user's `--set` (`userSets`) gives the target's outputs,
 * which then stay in bake's list before the shard's.
 *
 * `env`: the build's environment (MATRIX_GIT_* ...), for tags that use git values.
 */
export function shardPlan(sel: BakeSelection, driver: string, runId: string, env: Readonly<Record<string, string | undefined>> = {}, userSets: readonly string[] = []): ShardPlan {
  const mode: ShardMode = DIGEST_DRIVERS.includes(driver) ? 'push-by-digest' : 'temp-tag';
  if (mode === 'temp-tag' && driver !== 'docker') {
    throw userError('shard-driver', `builder driver \`${driver}\` is not known to push by digest or by temporary tag`, {
      hint: `use a builder with one of the drivers ${['docker', ...DIGEST_DRIVERS].join(', ')}`,
    });
  }
  const id = sanitizeRunId(runId);
  const platforms: string[] = [];
  const targets: ShardTarget[] = [];
  const set: string[] = [];
  const exported: string[] = [];
  for (const { target, platforms: ps } of sel.targets) {
    for (const p of ps) if (!platforms.includes(p)) platforms.push(p);
    if (!pushedByBake(target.outputs)) {
      exported.push(target.name);
      continue;
    }
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
    // Its other outputs again, after the push (T.output replaces the list); on the docker driver not a load into
    // the engine's store, which the push fills already (resolve/outputs.ts loadsIntoEngine).
    const again = target.outputs.filter((o) => !PUSHED_TYPES.has(outputType(o) ?? '') && !(driver === 'docker' && loadsIntoEngine(o)));
    if (!userSetsOutput(userSets, target.name)) for (const o of again) set.push(`${target.name}.output=${o}`);
  }
  return { runId: id, driver, mode, platforms, targets, set, exported };
}

/**
 * Does one of the user's `--set` values give this target's `output`? bake
 * matches the part before the first `.` against target names as a
 * path.Match pattern (buildx bake/bake.go expandTargets).
 */
function userSetsOutput(sets: readonly string[], target: string): boolean {
  return sets.some((s) => {
    const { pattern, field } = setTarget(s);
    if (field !== 'output') return false;
    try {
      return pattern === target || namePatternRegExp(pattern).test(target);
    } catch {
      return false; // bake refuses the pattern itself
    }
  });
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
 * shard must say so, so that merge refuses). `metadata`: the entries bake's
 * `--metadata-file` gave this run (src/bake/metadata.ts, which reads it after
 * each round); else `metadataFile`, read here. bake writes none when it fails.
 */
export function writeShardResult(file: string, plan: ShardPlan, outcome: { exitCode: number; metadata?: Record<string, Record<string, unknown>>; metadataFile?: string }): ShardResult {
  let metadata: Record<string, Record<string, unknown>> = outcome.metadata ?? {};
  if (!outcome.metadata && outcome.metadataFile) {
    try {
      const raw = readJsonFile(outcome.metadataFile, { maxBytes: MAX_SHARD_BYTES });
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) metadata = raw as Record<string, Record<string, unknown>>;
    } catch {
      metadata = {}; // bake writes none when it fails: every target then counts as not built
    }
  }
  const result = shardResult(plan, outcome.exitCode, metadata);
  // Temp file + rename, every byte checked: a merge job never reads half a file.
  writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  return result;
}

/** A shard result is a few KiB per target; anything near this is not one. */
export const MAX_SHARD_BYTES = 4 * 1024 * 1024;
const MAX_SHARD_TARGETS = 10_000;
const MAX_LIST = 256;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$/;
const TARGET_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const PLATFORM = /^[a-z0-9_.-]{1,32}\/[a-z0-9_.-]{1,32}(\/[a-z0-9_.-]{1,32})?$/;
/** host[:port]/path as a reference names a repository: no tag, no digest, no spaces or flags. */
const REPOSITORY = /^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Read and check a shard result file. The file is untrusted input (an
 * artifact any job of the workflow could have written): it must be a regular
 * file of bounded size, with exactly the fields a shard writes, each of its
 * kind, every repository a plain repository name, every digest sha256:<64 hex>
 * and every temporary tag REPOSITORY:TAG. A message naming the first wrong
 * field (as a JSON path) instead of a result when it is unusable. Whether the
 * repositories and tags belong to the spec is planMerge's business.
 */
export function readShardResult(file: string): { result?: ShardResult; error?: string } {
  let raw: unknown;
  try {
    raw = readJsonFile(file, { maxBytes: MAX_SHARD_BYTES });
  } catch (e) {
    if (!(e instanceof FileFault)) throw e;
    if (e.reason === 'missing') return { error: 'file does not exist (did the shard run?)' };
    if (e.diagnostics[0]!.code === 'file-not-json') return { error: `not readable JSON: ${e.message.replace(/^cannot read .*?: not valid JSON \((.*)\)$/, '$1')}` };
    return { error: e.message.replace(/^cannot read .*?: /, '') };
  }
  const problem = checkShard(raw);
  return problem ? { error: problem } : { result: raw as ShardResult };
}

function checkShard(raw: unknown): string | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(raw) || raw.kind !== 'matrix-shard' || raw.version !== 1) return 'not a matrix shard result (kind: matrix-shard, version: 1)';
  const bad = (where: string, expected: string) => `malformed shard result: \`${where}\` must be ${expected}`;
  const unknown = (obj: Record<string, unknown>, allowed: readonly string[], where: string) => {
    const extra = Object.keys(obj).find((k) => !allowed.includes(k));
    return extra === undefined ? undefined : `malformed shard result: unknown field \`${where}${/^[A-Za-z0-9_.-]{1,64}$/.test(extra) ? extra : JSON.stringify(extra).slice(0, 80)}\``;
  };
  const stringList = (v: unknown, re: RegExp) => Array.isArray(v) && v.length <= MAX_LIST && v.every((x) => typeof x === 'string' && re.test(x));
  const top = unknown(raw, ['kind', 'version', 'runId', 'status', 'exitCode', 'driver', 'mode', 'platforms', 'targets'], '');
  if (top) return top;
  if (typeof raw.runId !== 'string' || !RUN_ID.test(raw.runId)) return bad('runId', 'a run id (letters, digits, `_`, `.`, `-`; at most 40)');
  if (raw.status !== 'succeeded' && raw.status !== 'failed') return bad('status', '`succeeded` or `failed`');
  if (!Number.isInteger(raw.exitCode) || (raw.exitCode as number) < 0 || (raw.exitCode as number) > 255) return bad('exitCode', 'an exit code (0-255)');
  if (typeof raw.driver !== 'string' || !/^[a-z0-9-]{1,32}$/.test(raw.driver)) return bad('driver', 'a buildx driver name');
  if (raw.mode !== 'push-by-digest' && raw.mode !== 'temp-tag') return bad('mode', '`push-by-digest` or `temp-tag`');
  if (!stringList(raw.platforms, PLATFORM)) return bad('platforms', 'a list of platforms (os/arch[/variant])');
  if (!isObject(raw.targets)) return bad('targets', 'a map of target name to result');
  const names = Object.keys(raw.targets);
  if (names.length > MAX_SHARD_TARGETS) return bad('targets', `at most ${MAX_SHARD_TARGETS} entries`);
  for (const name of names) {
    // Checked before it is printed: a target name is part of every message below.
    if (!TARGET_NAME.test(name)) return `malformed shard result: \`targets\` has an entry that is not a target name: ${JSON.stringify(name).slice(0, 80)}`;
    const t = raw.targets[name];
    const at = `targets.${name}`;
    if (!isObject(t)) return `malformed entry for target \`${name}\`: not an object`;
    const extra = unknown(t, ['repository', 'platforms', 'digest', 'tempTags'], `${at}.`);
    if (extra) return `malformed entry for target \`${name}\`: ${extra.replace('malformed shard result: ', '')}`;
    if (typeof t.repository !== 'string' || t.repository.length > 255 || !REPOSITORY.test(t.repository))
      return `malformed entry for target \`${name}\`: \`${at}.repository\` must be a repository name (host/path, no tag or digest)`;
    if (!stringList(t.platforms, PLATFORM)) return `malformed entry for target \`${name}\`: \`${at}.platforms\` must be a list of platforms`;
    if (t.digest !== undefined && (typeof t.digest !== 'string' || !DIGEST.test(t.digest))) return `malformed entry for target \`${name}\`: \`${at}.digest\` must be sha256:<64 hex digits>`;
    const tagOk = (x: unknown) => typeof x === 'string' && x.startsWith(`${t.repository}:`) && TAG.test(x.slice(String(t.repository).length + 1));
    if (!Array.isArray(t.tempTags) || t.tempTags.length > MAX_LIST || !t.tempTags.every(tagOk))
      return `malformed entry for target \`${name}\`: \`${at}.tempTags\` must be a list of ${t.repository}:TAG references`;
  }
  return undefined;
}
