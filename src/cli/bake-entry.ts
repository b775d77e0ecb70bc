// `matrix bake`'s entry: git's reads for the bake variables start first,
// before the rest of bake (and the compiler) is loaded. They need only the
// repository, and the build waits for them: loading bake's modules and
// compiling the spec then run beside the git processes instead of before them.
import { startGitInfo, type GitInfoRead } from '../bake/gitenv.js';
import { userError } from '../diagnostics.js';
import type { Io } from './io.js';
import { locateSpec } from './locate.js';
import type { CommandArgs } from './options.js';

export async function runBake(io: Io, opts: CommandArgs['bake'], color: boolean): Promise<number> {
  // Options that do not go together: said before anything starts. (--retries: its range is the table's.)
  if (opts.pushByDigest && (opts.load || opts.print || opts.push)) {
    throw userError('usage', '--push-by-digest cannot be combined with --load, --print or --push', { hint: 'a shard pushes by digest only; `matrix merge` applies the final tags' });
  }
  const gitInfo = gitInfoEarly(io, opts.spec);
  try {
    const { bakeSpec } = await import('./bake.js');
    return await bakeSpec(io, opts, color, gitInfo);
  } finally {
    // A run that ended before it used them (stale files, a usage error, a fault) still waits for its git processes.
    await gitInfo?.read.catch(() => undefined);
  }
}

/**
 * git's reads for the bake variables (HEAD, branch, tags, remote). Undefined
 * when the spec cannot be located: the compile says why.
 */
function gitInfoEarly(io: Io, spec: string | undefined): { repoRoot: string; read: GitInfoRead } | undefined {
  let repoRoot: string;
  try {
    repoRoot = locateSpec(io, spec).repoRoot;
  } catch {
    return undefined;
  }
  return { repoRoot, read: startGitInfo(repoRoot, io.env) };
}
