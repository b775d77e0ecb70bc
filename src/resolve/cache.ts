// `cache` and `attest`: normalized to what bake takes.
import path from 'node:path';
import { isInside } from '../paths.js';
import type { CacheSpec, ServiceInput } from '../spec.js';
import { origin, type ResolveContext } from './context.js';
import { writeTargetProblem } from './writable.js';

/** The cache of a service with its build context; false (reported) when its `dir` is misplaced. */
export function resolveCache(ctx: ResolveContext, name: string, svc: ServiceInput, context: string): CacheSpec | undefined | false {
  const cache = normalizeCache(svc.cache);
  if (cache?.dir === undefined) return cache;
  const dir = path.posix.normalize(cache.dir);
  const at = [...origin(ctx, name, 'cache'), 'dir'];
  if (path.isAbsolute(cache.dir) || dir === '..' || dir.startsWith('../') || !isInside(ctx.repoRoot, path.resolve(ctx.specDir, cache.dir))) {
    ctx.report.err('path-outside-repo', at, `cache dir \`${cache.dir}\` is not inside the repository`, 'leave `dir` out to keep the cache in a machine-local directory outside the repository');
    return false;
  }
  // Bake's cache export writes there: through symbolic links too, and never into the git directory (writable.ts).
  const problem = writeTargetProblem(ctx, cache.dir, 'cache dir');
  if (problem) {
    ctx.report.err(problem.code, at, problem.message, problem.hint);
    return false;
  }
  if (context === '.' || dir === context || dir.startsWith(`${context}/`)) {
    ctx.report.err(
      'cache-in-context',
      at,
      `cache dir \`${cache.dir}\` is inside the build context \`${context}\`: every export would change the context and miss the cache`,
      'leave `dir` out (matrix then keeps the cache outside the repository), or put it outside the context',
    );
    return false;
  }
  return cache;
}

function normalizeCache(c: ServiceInput['cache']): CacheSpec | undefined {
  if (c === undefined) return undefined;
  const input = typeof c === 'string' ? { type: c } : c;
  if (input.type === 'none') return undefined;
  return {
    type: input.type,
    mode: input.mode ?? 'max',
    ...(input.ref !== undefined ? { ref: input.ref } : {}),
    // Without `dir`, a local cache lives outside the repository (see render/cache.ts).
    ...(input.type === 'local' && input.dir !== undefined ? { dir: input.dir } : {}),
  };
}

/** bake `attest` entries. */
export function attestEntries(a: ServiceInput['attest']): string[] {
  if (!a) return [];
  const out: string[] = [];
  if (a.sbom) out.push('type=sbom');
  if (a.provenance === false) out.push('type=provenance,disabled=true');
  else if (a.provenance) out.push(`type=provenance,mode=${a.provenance}`);
  return out;
}
