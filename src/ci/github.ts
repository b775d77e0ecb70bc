// GitHub Actions outputs for layered jobs: one `strategy.matrix` per level,
// as `levelN=JSON` lines for $GITHUB_OUTPUT (https://docs.github.com/actions/
// writing-workflows/choosing-what-your-workflow-does/passing-information-between-jobs).
// A workflow has a fixed number of level jobs (level-1, level-2, ... each
// `needs` the one before); `maxLevels` is that number: a spec with more
// levels is refused, a level the spec does not have is printed empty and its
// job is skipped by its `if:`.
import { userError } from '../diagnostics.js';
import type { LevelJob } from './levels.js';
import type { Runner } from './runners.js';

export interface LevelEntry {
  id: string;
  /** Comma-separated, as `matrix bake --platform` takes them. */
  platforms: string;
  runner: Runner;
  /** Comma-separated, as `matrix bake` takes them. */
  targets: string;
  shard: string;
}

/**
 * The most jobs one GitHub Actions matrix makes: "A matrix will generate a
 * maximum of 256 jobs per workflow run. This limit applies to both
 * GitHub-hosted and self-hosted runners." (docs.github.com, actions: Running
 * variations of jobs in a workflow; the workflow syntax reference for
 * jobs.<job_id>.strategy.matrix says the same). A larger matrix fails the
 * workflow run when the job is expanded, after everything before it ran:
 * refused here, where the matrix is made.
 */
export const GITHUB_MATRIX_MAX_JOBS = 256;

/** Refuse a matrix of more jobs than GitHub expands (`what` names it: `the matrix`, `level 2`). */
export function checkGithubMatrixSize(jobs: number, what: string, by: 'platform' | 'target'): void {
  if (jobs <= GITHUB_MATRIX_MAX_JOBS) return;
  throw userError('ci-matrix-too-large', `${what} has ${jobs} jobs; GitHub Actions expands at most ${GITHUB_MATRIX_MAX_JOBS} jobs from one matrix`, {
    hint:
      by === 'target'
        ? '`--by platform` makes one job per platform, each building every target; or give each workflow its own targets with `--target`'
        : 'give each workflow its own targets with `--target`',
  });
}

export function githubLevelOutputs(levels: readonly (readonly LevelJob[])[], maxLevels?: number, by: 'platform' | 'target' = 'platform'): string {
  const n = maxLevels ?? levels.length;
  if (levels.length > n) {
    throw userError('usage', `the spec has ${levels.length} dependency levels, the workflow jobs for ${n}`, {
      hint: `add jobs level-${n + 1}..level-${levels.length} to the workflow (each needs the one before) and raise --max-levels; see docs/github-actions.md`,
    });
  }
  const lines = [`levels=${levels.length}`];
  for (let i = 0; i < n; i++) {
    const jobs = levels[i] ?? [];
    checkGithubMatrixSize(jobs.length, `level ${i + 1}`, by);
    const include: LevelEntry[] = jobs.map((j) => ({ id: j.id, platforms: j.platforms.join(','), runner: j.runner, targets: j.targets.join(','), shard: j.shard }));
    lines.push(`level${i + 1}=${include.length ? JSON.stringify({ include }) : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
