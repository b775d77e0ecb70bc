// A service's platforms: its own, else the spec's, else linux/amd64; each canonical.
import { specPlatformProblem } from '../platforms.js';
import type { ServiceInput } from '../spec.js';
import { origin, type Path, type ResolveContext } from './context.js';

export const DEFAULT_PLATFORMS = ['linux/amd64'];

/** The platforms, or undefined (reported) when one is not a canonical platform name. */
export function resolvePlatforms(ctx: ResolveContext, name: string, svc: ServiceInput): string[] | undefined {
  const { input, defaults } = ctx;
  const platforms = svc.platforms ?? input.platforms ?? DEFAULT_PLATFORMS;
  const platformsAt: Path = input.services[name]!.platforms ? origin(ctx, name, 'platforms') : defaults.platforms ? ['defaults', 'platforms'] : ['platforms'];
  let ok = true;
  platforms.forEach((p, i) => {
    const problem = specPlatformProblem(p);
    if (!problem) return;
    ok = false;
    ctx.report.err('unknown-platform', [...platformsAt, i], problem.message, problem.hint);
  });
  return ok ? platforms : undefined;
}

/**
 * The spec's own lists, `platforms` and `defaults.platforms`, checked whether
 * or not a service reads them: a list that `defaults` or every service
 * replaces is still a platform the spec names (`platforms: [linux/z80]`, each
 * service with its own `platforms`, passed validate). A service that reads
 * one reports the same error at the same place; the reporter keeps one.
 */
export function checkSpecPlatforms(ctx: ResolveContext): void {
  const lists: [Path, readonly string[] | undefined][] = [
    [['platforms'], ctx.input.platforms],
    [['defaults', 'platforms'], ctx.defaults.platforms],
  ];
  for (const [at, list] of lists) {
    (list ?? []).forEach((p, i) => {
      const problem = specPlatformProblem(p);
      if (problem) ctx.report.err('unknown-platform', [...at, i], problem.message, problem.hint);
    });
  }
}
