// A service's platforms: its own, else the spec's, else linux/amd64; each canonical.
import { closest } from '../diagnostics.js';
import { checkPlatform, KNOWN_PLATFORMS } from '../platforms.js';
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
    const c = checkPlatform(p);
    if (c.ok) return;
    ok = false;
    if (c.reason === 'alias') {
      ctx.report.err(
        'unknown-platform',
        [...platformsAt, i],
        `\`${p}\` is not a canonical platform name: containerd reads it as \`${c.canonical}\``,
        `did you mean \`${c.canonical}\`? (one spelling per platform keeps target names, caches and plans in agreement)`,
      );
      return;
    }
    const guess = closest(p, KNOWN_PLATFORMS);
    const osOnly = c.reason === 'invalid' && !p.includes('/') && /^[a-z]+$/i.test(p);
    ctx.report.err(
      'unknown-platform',
      [...platformsAt, i],
      `unknown platform \`${p}\``,
      osOnly
        ? `give the architecture too, e.g. \`${p.toLowerCase()}/amd64\``
        : guess
          ? `did you mean \`${guess}\`?`
          : `a platform is os/arch[/variant], e.g. ${KNOWN_PLATFORMS.slice(0, 6).join(', ')}`,
    );
  });
  return ok ? platforms : undefined;
}
