// The CI plan as plain JSON, for any CI that can loop over a list: levels in
// order, the jobs of a level in parallel, each with its runner, the shard
// file it writes, the jobs it needs and the shell lines it runs; then the
// merge job. docs/ci-plan.md describes the format (kind + version).
import path from 'node:path';
import { jobCommands, type LevelJob, mergeCommands, RUN_ID_VAR, SHARD_DIR } from './levels.js';

export const PLAN_KIND = 'matrix-ci-plan';
export const PLAN_VERSION = 1;

/** A job of the plan: the level job, and the commands it runs (the same on every CI). */
export interface PlanJob extends LevelJob {
  run: string[];
}

export interface CiPlan {
  kind: typeof PLAN_KIND;
  version: typeof PLAN_VERSION;
  /** The spec, relative to the repository root. */
  spec: string;
  /** Where the commands run, relative to the repository root: the spec's directory. */
  directory: string;
  /** The environment variable every job must see with one value per run. */
  runIdVariable: string;
  /** Where each job must find the shard files of the jobs it needs (and write its own). */
  shardDir: string;
  levels: { level: number; jobs: PlanJob[] }[];
  merge: { id: 'merge'; needs: string[]; run: string[] };
}

export function ciPlan(specPath: string, levels: readonly (readonly LevelJob[])[]): CiPlan {
  return {
    kind: PLAN_KIND,
    version: PLAN_VERSION,
    spec: specPath,
    directory: path.posix.dirname(specPath),
    runIdVariable: RUN_ID_VAR,
    shardDir: SHARD_DIR,
    levels: levels.map((jobs, i) => ({
      level: i + 1,
      jobs: jobs.map((j) => ({ id: j.id, level: j.level, platforms: j.platforms, runner: j.runner, targets: j.targets, needs: j.needs, shard: j.shard, run: jobCommands(j) })),
    })),
    merge: { id: 'merge', needs: levels.flat().map((j) => j.id), run: mergeCommands() },
  };
}
