// Layered CI jobs: targets grouped by dependency level, so that a base image
// is built once per platform per run. Level 1 holds the targets that depend
// on nothing; level N the targets whose deepest dependency is at level N-1.
// A level's jobs push by digest (shard files); the next level's jobs read
// those files and wire each dependency as a named context pinned to its
// digest (`docker-image://REPO@sha256:...`), so bake never rebuilds it.
// The commands of a job are one function of the job: every CI runs the same.
// Pure: targets in, jobs and commands out.
import { userError } from '../diagnostics.js';
import { platformSlug } from '../platforms.js';
import type { Target } from '../spec.js';
import { DEFAULT_RUNNERS, FALLBACK_RUNNER, requestedPlatforms, type Runner } from './runners.js';

const LEVELS_EMPTY_HINT = 'a CI run with no job publishes nothing; check --platform against `matrix plan`';

/** Where every job writes its shard file, and where later jobs find the earlier ones. */
export const SHARD_DIR = 'shards';
/** The bake file of pinned named contexts a level-2+ job writes and bakes with; one per job, so jobs sharing a directory do not race. */
export const contextsFile = (jobId: string) => `matrix-contexts-${jobId}.json`;
/** How a job calls matrix; the same on every CI (the project's own devDependency). */
export const MATRIX_CMD = 'npx matrix';
/** The CI sets it to one id per run (GitHub: run id and attempt; GitLab: pipeline id). */
export const RUN_ID_VAR = 'MATRIX_RUN_ID';

export interface LevelJob {
  /** `level-1-linux-amd64` (by platform) or `level-2-jobs` (by target). */
  id: string;
  level: number;
  platforms: string[];
  runner: Runner;
  /** Targets this job builds, in spec order. */
  targets: string[];
  /** Ids of earlier jobs whose images this job's targets use as named contexts. */
  needs: string[];
  /** The shard file this job writes: shards/ID.json. */
  shard: string;
}

export interface LevelOptions {
  by: 'platform' | 'target';
  platforms?: readonly string[];
  runners?: Readonly<Record<string, Runner>>;
  /** Runner for a platform nobody overrode (GitHub's by default). */
  defaultRunners?: Readonly<Record<string, Runner>>;
  fallbackRunner?: Runner;
}

/**
 * Targets and every target they use as a named context (transitively), each
 * with its level. `selected` narrows what must be published; its dependencies
 * are built too, since their digests are what the dependents are built FROM.
 */
export function dependencyLevels(all: readonly Target[], selected: readonly Target[] = all): Target[][] {
  const byName = new Map(all.map((t) => [t.name, t]));
  const level = new Map<string, number>();
  const visit = (t: Target, path: readonly string[]): number => {
    const known = level.get(t.name);
    if (known !== undefined) return known;
    // resolve refuses cycles (dependency-cycle); this guards the recursion anyway.
    if (path.includes(t.name)) throw new Error(`dependency cycle through ${t.name}`);
    let l = 1;
    for (const dep of Object.values(t.contexts)) {
      const d = byName.get(dep);
      if (d) l = Math.max(l, visit(d, [...path, t.name]) + 1);
    }
    level.set(t.name, l);
    return l;
  };
  for (const t of selected) visit(t, []);
  const levels: Target[][] = [];
  for (const t of all) {
    const l = level.get(t.name);
    if (l !== undefined) (levels[l - 1] ??= []).push(t);
  }
  return levels;
}

/** The jobs of each level, with the `needs` between them. */
export function levelJobs(all: readonly Target[], selected: readonly Target[], opts: LevelOptions): LevelJob[][] {
  const defaults = opts.defaultRunners ?? DEFAULT_RUNNERS;
  const runnerFor = (p: string): Runner => opts.runners?.[p] ?? defaults[p] ?? opts.fallbackRunner ?? FALLBACK_RUNNER;
  const levelTargets = dependencyLevels(all, selected);
  const wanted = requestedPlatforms(levelTargets.flat(), opts.platforms, LEVELS_EMPTY_HINT);
  const keep = (p: string) => !wanted || wanted.includes(p);
  const jobOf = new Map<string, LevelJob[]>(); // target -> the jobs that build it
  const levels = levelTargets.map((targets, i) => {
    const level = i + 1;
    const jobs = opts.by === 'platform' ? platformJobs(targets, level, keep, runnerFor) : targetJobs(targets, level, keep, runnerFor, opts);
    const byName = new Map(targets.map((t) => [t.name, t]));
    for (const j of jobs) {
      const deps = j.targets.flatMap((n) => Object.values(byName.get(n)!.contexts));
      // A job needs the jobs that built its dependencies for the platforms it builds.
      const builders = deps.flatMap((dep) => jobOf.get(dep) ?? []).filter((b) => b.platforms.some((p) => j.platforms.includes(p)));
      j.needs = [...new Set(builders.map((b) => b.id))];
    }
    for (const j of jobs) for (const n of j.targets) jobOf.set(n, [...(jobOf.get(n) ?? []), j]);
    return jobs;
  });
  if (!levels.flat().length) {
    throw userError('empty-ci-matrix', `no target builds for ${opts.platforms?.join(', ')}`, { hint: LEVELS_EMPTY_HINT });
  }
  return levels;
}

function platformJobs(targets: readonly Target[], level: number, keep: (p: string) => boolean, runnerFor: (p: string) => Runner): LevelJob[] {
  const platforms: string[] = [];
  for (const t of targets) for (const p of t.platforms) if (keep(p) && !platforms.includes(p)) platforms.push(p);
  return platforms.map((p) => {
    const id = `level-${level}-${platformSlug(p)}`;
    return { id, level, platforms: [p], runner: runnerFor(p), targets: targets.filter((t) => t.platforms.includes(p)).map((t) => t.name), needs: [], shard: `${SHARD_DIR}/${id}.json` };
  });
}

function targetJobs(targets: readonly Target[], level: number, keep: (p: string) => boolean, runnerFor: (p: string) => Runner, opts: LevelOptions): LevelJob[] {
  return targets.flatMap((t) => {
    const ps = t.platforms.filter(keep);
    if (!ps.length) return [];
    const runners = ps.map(runnerFor);
    const same = runners.every((r) => JSON.stringify(r) === JSON.stringify(runners[0]));
    const runner = same ? runners[0]! : (opts.runners?.['linux/amd64'] ?? (opts.defaultRunners ?? DEFAULT_RUNNERS)['linux/amd64'] ?? FALLBACK_RUNNER);
    const id = `level-${level}-${t.name}`;
    return [{ id, level, platforms: ps, runner, targets: [t.name], needs: [], shard: `${SHARD_DIR}/${id}.json` }];
  });
}

/** What a job runs, as POSIX shell lines. Values are target names, platforms and fixed paths: no quoting needed, checked here anyway. */
export function jobCommands(job: Pick<LevelJob, 'id' | 'level' | 'platforms' | 'targets' | 'shard'>): string[] {
  const platforms = job.platforms.join(',');
  const targets = job.targets.join(',');
  for (const v of [job.id, platforms, targets, job.shard]) if (!/^[A-Za-z0-9_./,${} -]+$/.test(v)) throw new Error(`unsafe value in a CI command: ${JSON.stringify(v)}`);
  const run = `--run-id "$${RUN_ID_VAR}"`;
  const bake = `${MATRIX_CMD} bake --push-by-digest ${run} --platform ${platforms} --shard-file ${job.shard}`;
  // bake writes the shard file into SHARD_DIR but does not create it (artifact downloads do, on some CIs only).
  const mkdir = `mkdir -p ${SHARD_DIR}`;
  if (job.level === 1) return [mkdir, `${bake} ${targets}`];
  const contexts = contextsFile(job.id);
  return [mkdir, `${MATRIX_CMD} ci-contexts ${run} --platform ${platforms} --target ${targets} --out ${contexts} ${SHARD_DIR}/*.json`, `${bake} -f ${contexts} ${targets}`];
}

/** The merge job: every shard of every level, published all-or-nothing. */
export function mergeCommands(): string[] {
  return [`${MATRIX_CMD} merge ${SHARD_DIR}/*.json`];
}
