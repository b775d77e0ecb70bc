// The named contexts of a level-2+ job, pinned to the digests that the
// earlier levels pushed: `docker-image://REPO@sha256:...` for each dependency,
// as a bake definition file (read after the generated one, bake merges a
// target's `contexts` key by key, the later file winning). A dependency
// wired so is not built again: the dependent is built FROM that digest.
// Pure: spec, shard results and the job's targets in, the file or problems out.
import { evalDyn } from '../dyn.js';
import type { ResolvedSpec, Target } from '../spec.js';
import type { ShardFile } from './merge.js';
import { pushedByBake } from '../resolve/outputs.js';
import { repositoryOf } from './shard.js';

export interface ContextsPlan {
  /** The bake file: { target: { NAME: { contexts: { DEP: docker-image://... } } } }. */
  file: { target: Record<string, { contexts: Record<string, string> }> };
  /** Reasons not to build; empty when every dependency has its image. */
  problems: string[];
}

interface Built {
  source: string;
  platforms: readonly string[];
  file: string;
}

/**
 * `targets`: what this job builds; `platforms`: the platforms it builds
 * (empty: each target's own). `runId`: the run this job belongs to; shard
 * files of another run are refused, as merge refuses them.
 */
export function planContexts(
  spec: ResolvedSpec,
  targets: readonly Target[],
  platforms: readonly string[],
  shards: readonly ShardFile[],
  env: Readonly<Record<string, string | undefined>>,
  runId?: string,
): ContextsPlan {
  const problems: string[] = [];
  const built = collectBuilt(spec, shards, env, runId, problems);
  const file: ContextsPlan['file'] = { target: {} };
  const byName = new Map(spec.targets.map((t) => [t.name, t]));
  for (const t of targets) {
    const need = platforms.length ? t.platforms.filter((p) => platforms.includes(p)) : [...t.platforms];
    for (const [name, dep] of Object.entries(t.contexts)) {
      // Its outputs only export files: no shard pushed it (shard.ts shardPlan); it stays `target:DEP`, and bake builds it in this job.
      const depTarget = byName.get(dep);
      if (depTarget && !pushedByBake(depTarget.outputs)) continue;
      // One named context serves every platform of the build: one digest must hold them all.
      const fits = (built.get(dep) ?? []).filter((b) => need.every((p) => b.platforms.includes(p)));
      const sources = [...new Set(fits.map((b) => b.source))];
      if (sources.length === 1) {
        ((file.target[t.name] ??= { contexts: {} }).contexts as Record<string, string>)[name] = `docker-image://${sources[0]}`;
      } else if (!sources.length) {
        problems.push(`${t.name}: no image of ${dep} for ${need.join(', ')} in the shard files (its earlier-level job failed, did not run, or built other platforms)`);
      } else {
        problems.push(`${t.name}: ${dep} for ${need.join(', ')} was built twice with different digests (${fits.map((b) => b.file).join(', ')})`);
      }
    }
  }
  return { file, problems };
}

/** Every successful image of the shards, by target; problems for unusable, foreign or failed shards. */
function collectBuilt(spec: ResolvedSpec, shards: readonly ShardFile[], env: Readonly<Record<string, string | undefined>>, runId: string | undefined, problems: string[]): Map<string, Built[]> {
  const byName = new Map(spec.targets.map((t) => [t.name, t]));
  const repos = (t: Target) =>
    new Set(
      t.tags
        .map((tag) => evalDyn(tag, env))
        .filter((tag): tag is string => Boolean(tag))
        .map(repositoryOf),
    );
  const built = new Map<string, Built[]>();
  const runs = new Set<string>();
  for (const s of shards) {
    if (!s.result) {
      problems.push(`${s.file}: ${s.error ?? 'unusable'}`);
      continue;
    }
    runs.add(s.result.runId);
    for (const [name, t] of Object.entries(s.result.targets)) {
      const specTarget = byName.get(name);
      if (!specTarget || !t.digest) continue;
      // The file is untrusted: it may only point into a repository the spec's own tags name.
      if (!repos(specTarget).has(t.repository)) {
        problems.push(`${s.file}: ${name} was pushed to ${t.repository}, which none of the target's tags in the spec names`);
        continue;
      }
      built.set(name, [...(built.get(name) ?? []), { source: `${t.repository}@${t.digest}`, platforms: t.platforms, file: s.file }]);
    }
  }
  if (runId !== undefined) for (const id of runs) if (id !== runId) problems.push(`the shard files are of run ${id}, but this is run ${runId}`);
  if (runs.size > 1) problems.push(`the shard files come from different runs (${[...runs].sort().join(', ')})`);
  return built;
}
