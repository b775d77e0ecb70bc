// The GitHub Actions `strategy.matrix` for building on native runners: one
// job per platform (or per target), each with a runner suggestion. Pure.
import { userError } from '../diagnostics.js';
import { checkGithubMatrixSize } from './github.js';
import { canonicalPlatform, commandLinePlatform, commandLinePlatformProblem, platformSlug } from '../platforms.js';
import type { Target } from '../spec.js';

/** GitHub-hosted runners that run the platform natively; others get the x86 runner (cross or QEMU). */
export const DEFAULT_RUNNERS: Readonly<Record<string, string>> = {
  'linux/amd64': 'ubuntu-24.04',
  'linux/amd64/v2': 'ubuntu-24.04',
  'linux/amd64/v3': 'ubuntu-24.04',
  'linux/386': 'ubuntu-24.04',
  'linux/arm64': 'ubuntu-24.04-arm',
};
export const FALLBACK_RUNNER = 'ubuntu-24.04';
const EMPTY_HINT = 'GitHub Actions rejects an empty matrix; check --platform against `matrix plan`';

/** A runner is a label, or a list of labels (`runs-on: [self-hosted, arm64]`). */
export type Runner = string | string[];

export interface PlatformEntry {
  platform: string;
  slug: string;
  runner: Runner;
}

export interface TargetEntry {
  target: string;
  /** Comma-separated, as `matrix bake --platform` takes them. */
  platforms: string;
  slug: string;
  runner: Runner;
}

export interface CiMatrix {
  include: (PlatformEntry | TargetEntry)[];
}

/**
 * `linux/arm64=my-runner` or `linux/arm64=["self-hosted","arm64"]`. The
 * platform is read as `--platform` is (src/platforms.ts commandLinePlatform):
 * spaces in it are refused, as buildx refuses them, not trimmed.
 */
export function parseRunnerOverrides(values: readonly string[]): Record<string, Runner> {
  const out: Record<string, Runner> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const given = eq > 0 ? v.slice(0, eq) : '';
    const value = eq > 0 ? v.slice(eq + 1).trim() : '';
    if (!given.trim() || !value) throw userError('invalid-runner', `--runner ${v}: expected PLATFORM=RUNNER`, { hint: 'e.g. --runner linux/arm64=ubuntu-24.04-arm' });
    const problem = commandLinePlatformProblem(given);
    if (problem) throw userError('invalid-runner', `--runner ${v}: ${problem.message}`, { hint: problem.hint });
    // By its canonical name, as the targets' platforms are (`linux/aarch64=...` is linux/arm64's runner; `local=...` and `linux=...` this machine's).
    const platform = commandLinePlatform(given) ?? given;
    if (value.startsWith('[')) {
      let labels: unknown;
      try {
        labels = JSON.parse(value);
      } catch {
        labels = undefined;
      }
      if (!Array.isArray(labels) || !labels.length || !labels.every((l) => typeof l === 'string' && l)) {
        throw userError('invalid-runner', `--runner ${v}: a list of labels must be a JSON array of strings`, { hint: `e.g. --runner '${platform}=["self-hosted","arm64"]'` });
      }
      out[platform] = labels as string[];
    } else out[platform] = value;
  }
  return out;
}

export interface CiMatrixOptions {
  by: 'platform' | 'target';
  /** Keep only these platforms. */
  platforms?: readonly string[];
  runners?: Readonly<Record<string, Runner>>;
}

/**
 * The `--platform` values of a CI command by their canonical names (src/platforms.ts
 * canonicalPlatform, as buildx normalises `--platform`), each built by some target:
 * a platform no target builds is an error (`unknown-platform`, the hint listing
 * what they build), never a job silently left out. All of them unbuilt, with
 * `emptyHint` (a matrix of jobs): `empty-ci-matrix` (CI rejects an empty matrix).
 */
export function requestedPlatforms(targets: readonly Target[], platforms: readonly string[] | undefined, emptyHint?: string): string[] | undefined {
  if (!platforms?.length) return undefined;
  const wanted = platforms.map((p) => canonicalPlatform(p) ?? p);
  const built = new Set(targets.flatMap((t) => t.platforms));
  const missing = platforms.filter((_, i) => !built.has(wanted[i]!));
  if (!missing.length) return wanted;
  const named = (p: string) => {
    const c = canonicalPlatform(p);
    return c && c !== p ? `${p} (${c})` : p;
  };
  if (emptyHint !== undefined && missing.length === platforms.length) throw userError('empty-ci-matrix', `no target builds for ${platforms.map(named).join(', ')}`, { hint: emptyHint });
  throw userError('unknown-platform', `--platform ${missing.map(named).join(', ')}: no target builds ${missing.length > 1 ? 'them' : 'it'}`, {
    hint: `the targets build ${[...built].join(', ')}; \`matrix plan\` lists each target's platforms`,
  });
}

export function ciMatrix(targets: readonly Target[], opts: CiMatrixOptions): CiMatrix {
  const runnerFor = (p: string): Runner => opts.runners?.[p] ?? DEFAULT_RUNNERS[p] ?? FALLBACK_RUNNER;
  const wanted = requestedPlatforms(targets, opts.platforms, EMPTY_HINT);
  const keep = (p: string) => !wanted || wanted.includes(p);
  for (const p of Object.keys(opts.runners ?? {})) {
    if (!targets.some((t) => t.platforms.includes(p))) throw userError('invalid-runner', `--runner ${p}=...: no target builds ${p}`, { hint: 'check the platform against `matrix plan`' });
  }
  let include: CiMatrix['include'];
  if (opts.by === 'platform') {
    const platforms: string[] = [];
    for (const t of targets) for (const p of t.platforms) if (keep(p) && !platforms.includes(p)) platforms.push(p);
    include = platforms.map((platform) => ({ platform, slug: platformSlug(platform), runner: runnerFor(platform) }));
  } else {
    include = targets.flatMap((t) => {
      const ps = t.platforms.filter(keep);
      if (!ps.length) return [];
      // One job builds every platform of the target: a native runner only when all agree.
      const runners = ps.map(runnerFor);
      const same = runners.every((r) => JSON.stringify(r) === JSON.stringify(runners[0]));
      const runner = same ? runners[0]! : (opts.runners?.['linux/amd64'] ?? FALLBACK_RUNNER);
      return [{ target: t.name, platforms: ps.join(','), slug: t.name, runner }];
    });
  }
  if (!include.length) {
    throw userError('empty-ci-matrix', `no target builds for ${opts.platforms?.join(', ')}`, { hint: EMPTY_HINT });
  }
  checkGithubMatrixSize(include.length, 'the matrix', opts.by);
  return { include };
}
