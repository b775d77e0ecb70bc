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

export function githubLevelOutputs(levels: readonly (readonly LevelJob[])[], maxLevels?: number): string {
  const n = maxLevels ?? levels.length;
  if (levels.length > n) {
    throw userError('usage', `the spec has ${levels.length} dependency levels, the workflow jobs for ${n}`, {
      hint: `add jobs level-${n + 1}..level-${levels.length} to the workflow (each needs the one before) and raise --max-levels; see docs/github-actions.md`,
    });
  }
  const lines = [`levels=${levels.length}`];
  for (let i = 0; i < n; i++) {
    const jobs = levels[i] ?? [];
    const include: LevelEntry[] = jobs.map((j) => ({ id: j.id, platforms: j.platforms.join(','), runner: j.runner, targets: j.targets.join(','), shard: j.shard }));
    lines.push(`level${i + 1}=${include.length ? JSON.stringify({ include }) : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
