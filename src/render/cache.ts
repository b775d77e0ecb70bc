// cache-from / cache-to for a target. Each set of platforms built together
// gets its own cache ref, so a run for linux/arm64 alone (a CI shard) never
// overwrites the cache of a run for linux/amd64, and a full run reads both.
import { createHash } from 'node:crypto';
import type { CacheSpec, Target } from '../spec.js';
import { dynKey } from '../dyn.js';
import { csvField } from './csv.js';

export function platformsSlug(platforms: readonly string[]): string {
  return [...platforms]
    .sort()
    .map((p) => p.replace(/\//g, '-'))
    .join('_');
}

/** A tag (max 128 chars) naming a target's cache for a platform set. */
function cacheTag(target: string, platforms: readonly string[]): string {
  const tag = `cache-${target}-${platformsSlug(platforms)}`;
  if (tag.length <= 128) return tag;
  const hash = createHash('sha256').update(tag).digest('hex').slice(0, 12);
  return `${tag.slice(0, 128 - 13)}-${hash}`;
}

/**
 * The repository a registry cache without `ref` lives in, next to the image:
 * that of the first tag whose repository holds no build-time value
 * (`localhost:5000/x/api:${{ git.sha }}` names `localhost:5000/x/api`).
 * Undefined when no tag names one (validate/cache.ts reports it).
 */
export function cacheRepository(t: Target): string | undefined {
  for (const key of t.tags.map(dynKey)) {
    const noDigest = key.split('@')[0]!;
    const lastColon = noDigest.lastIndexOf(':');
    const repo = lastColon > noDigest.lastIndexOf('/') ? noDigest.slice(0, lastColon) : noDigest;
    if (!repo.includes('${')) return repo;
  }
  return undefined;
}

function entry(c: CacheSpec, t: Target, platforms: readonly string[], direction: 'from' | 'to', localRoot?: string): string | undefined {
  const mode = direction === 'to' && c.mode === 'max' ? ',mode=max' : '';
  switch (c.type) {
    case 'registry': {
      const repo = c.ref ?? cacheRepository(t);
      if (!repo) return undefined;
      return `type=registry,${csvField(`ref=${repo}:${cacheTag(t.name, platforms)}`)}${mode}`;
    }
    case 'local': {
      const root = c.dir ?? localRoot;
      if (root === undefined) return undefined;
      const dir = `${root}/${t.name}/${platformsSlug(platforms)}`;
      return direction === 'from' ? `type=local,${csvField(`src=${dir}`)}` : `type=local,${csvField(`dest=${dir}`)}${mode}`;
    }
    case 'gha':
      return `type=gha,${csvField(`scope=${t.name}-${platformsSlug(platforms)}`)}${mode}`;
    case 'inline': {
      if (direction === 'to') return 'type=inline';
      const first = t.tags.map(dynKey).find((k) => !k.includes('${'));
      return first ? `type=registry,${csvField(`ref=${first}`)}` : undefined;
    }
  }
}

export interface CacheEntries {
  from: string[];
  to: string[];
}

/**
 * Entries for a run that builds `platforms` (default: all of the target's).
 * A `local` cache without `dir` has no entries in the committed file: it
 * lives in a machine-local directory outside the repository (a cache inside a
 * build context would change the context and so miss itself), which
 * `matrix bake` passes as `localRoot`; `exists` filters sources not written yet.
 */
export function cacheEntries(t: Target, platforms: readonly string[] = t.platforms, localRoot?: string, exists?: (dir: string) => boolean): CacheEntries {
  const c = t.cache;
  if (!c) return { from: [], to: [] };
  const sets: string[][] = [[...platforms]];
  if (c.type !== 'inline') {
    // A shard (a subset of the platforms) reads what a full run wrote, and a
    // full run reads every single-platform cache the shards wrote.
    if (platformsSlug(platforms) !== platformsSlug(t.platforms)) sets.push([...t.platforms]);
    for (const p of t.platforms) if (platforms.length !== 1 || platforms[0] !== p) sets.push([p]);
  }
  const usable = (s: string[]) => !(c.type === 'local' && exists && !exists(`${c.dir ?? localRoot}/${t.name}/${platformsSlug(s)}`));
  const from = [
    ...new Set(
      sets
        .filter(usable)
        .map((s) => entry(c, t, s, 'from', localRoot))
        .filter((e): e is string => e !== undefined),
    ),
  ];
  const to = [entry(c, t, platforms, 'to', localRoot)].filter((e): e is string => e !== undefined);
  return { from, to };
}

/** The machine-local cache directory of a repository (MATRIX_CACHE_DIR, else XDG / ~/.cache). */
export function localCacheRoot(env: Readonly<Record<string, string | undefined>>, home: string, repoRealPath: string): string {
  const base = env.MATRIX_CACHE_DIR || `${env.XDG_CACHE_HOME || `${home}/.cache`}/matrix`;
  return `${base}/${createHash('sha256').update(repoRealPath).digest('hex').slice(0, 12)}`;
}
