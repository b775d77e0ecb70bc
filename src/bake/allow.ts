// `--allow` at work, for `bake` and `verify` (src/bake/entitlements.ts says
// what the values mean): a spec's reads outside the repository refused unless
// allowed, and the values passed on to bake where its buildx takes them.
import { throwIfEnded, type Docker } from '../adapters/docker.js';
import { UserError } from '../diagnostics.js';
import type { SpecLocation } from '../cli/io.js';
import { realpathOrUndefined } from '../paths.js';
import type { ResolvedSpec } from '../spec.js';
import type { CheckedSpec } from '../validate/schema.js';
import { secretsOutsideRepo } from '../validate/secrets.js';
import type { Allowed } from './entitlements.js';

/** Secrets whose real path is outside the repository, unless --allow grants them (src/bake/entitlements.ts): located errors, exit 2. */
export function refuseOutsideReads(loaded: CheckedSpec, loc: SpecLocation, targets: readonly ResolvedSpec['targets'][number][], allowed: Allowed): void {
  const where = { specDir: loc.specDir, repoRoot: loc.repoRoot, realRoot: realpathOrUndefined(loc.repoRoot) ?? loc.repoRoot };
  const problems = secretsOutsideRepo(loaded, targets, where, allowed);
  if (problems.length) throw new UserError(problems);
}

/**
 * The --allow values bake is given: all of them where this buildx's bake
 * takes --allow (0.20 and later also ask it for files); else none, with a warning for
 * those matrix does not check itself (fs.read is: refuseOutsideReads).
 */
export async function allowFlags(docker: Docker, allowed: Allowed, cwd: string, warnings: string[]): Promise<readonly string[] | undefined> {
  if (!allowed.given.length) return undefined;
  const args = ['buildx', 'bake', '--help'];
  const help = await docker.capture(args, { cwd, timeoutMs: 30_000 });
  // Killed, or a docker that could not run it (src/adapters/exit.ts): no answer about this buildx, not one without --allow.
  throwIfEnded(docker, args, help, 'asking buildx whether its bake takes --allow', '--help');
  if (help.code === 0 && /(^|\s)--allow\b/m.test(help.stdout)) return allowed.given;
  const unchecked = allowed.given.filter((a) => !/^fs(\.read)?=/.test(a));
  if (unchecked.length) warnings.push(`this buildx's bake takes no --allow (its --help lists none): ${unchecked.join(', ')} not passed on`);
  return undefined;
}
