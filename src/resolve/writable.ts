// One check for every path the spec makes matrix (`gen`) or buildx (`bake`)
// write to: output `dest`, `generated_file`, `generated_dir`, `bake_file`,
// a local cache `dir`, and every generated Dockerfile. Such a path must stay
// inside the repository, also through symbolic links (followed as far as the
// path exists), and never reach the repository's git directory: a file
// written there is code git runs (a hook, `core.fsmonitor` in .git/config).
import path from 'node:path';
import type { DiagnosticCode } from '../diagnostics.js';
import { dotGitComponent, nearestReal, realGitDirsOf, toPosix } from '../paths.js';
import { insideNormalized } from './paths.js';

export interface WhereWritten {
  specDir: string;
  repoRoot: string;
  realRoot: string;
}

export interface WriteProblem {
  code: DiagnosticCode;
  message: string;
  hint: string;
}

/**
 * The repository's real git directories, found once per `where` (one compile
 * checks every generated Dockerfile against the same ones): not a gitDirOf,
 * a commondir read and realpaths per file.
 */
const GIT_DIRS = new WeakMap<WhereWritten, string[]>();

function gitDirsFor(where: WhereWritten): string[] {
  let dirs = GIT_DIRS.get(where);
  if (!dirs) GIT_DIRS.set(where, (dirs = realGitDirsOf(where.repoRoot)));
  return dirs;
}

/**
 * False when no component of `p` can be one git treats as `.git`
 * (src/paths.ts isDotGitName): each such name, once the HFS+ ignorable code
 * points (all outside ASCII) are dropped and ASCII is in lower case, starts
 * with `.git` or `git~1`. An ASCII path without either, in any case, has none:
 * the usual answer for a generated Dockerfile, asked once per service.
 */
export function mayNameDotGit(p: string): boolean {
  return /\.git|git~1|[^\x00-\x7f]/i.test(p);
}

const GIT_HINT = 'matrix never writes into the git directory (a hook or .git/config there is code git runs); choose a directory of its own, e.g. `dist/`';

/**
 * What is wrong with writing at `raw` (as the spec gives it; `what` names the
 * field in the message), or undefined. `raw` is relative to the spec dir and
 * already checked lexically to be inside the repository. For a `file`, the
 * real path of its folder is checked (what is at the path itself is
 * output/existing.ts's to judge).
 */
export function writeTargetProblem(where: WhereWritten, raw: string, what: string, kind: 'file' | 'dir' = 'dir'): WriteProblem | undefined {
  const abs = path.resolve(where.specDir, raw);
  const dotGit = mayNameDotGit(raw) || mayNameDotGit(abs) ? (dotGitComponent(raw) ?? dotGitComponent(toPosix(path.relative(where.repoRoot, abs)))) : undefined;
  if (dotGit !== undefined) {
    return { code: 'path-in-git-dir', message: `${what} \`${raw}\` is inside the git directory (\`${dotGit}\` is what git calls .git)`, hint: GIT_HINT };
  }
  const real = nearestReal(kind === 'file' ? path.dirname(abs) : abs);
  if (real === undefined || !insideNormalized(where.realRoot, real)) {
    return { code: 'path-outside-repo', message: `${what} \`${raw}\` leads outside the repository through a symbolic link`, hint: 'point at a real directory inside the repository' };
  }
  if (gitDirsFor(where).some((g) => insideNormalized(g, real))) {
    return { code: 'path-in-git-dir', message: `${what} \`${raw}\` leads into the git directory through a symbolic link or a .git file`, hint: GIT_HINT };
  }
  return undefined;
}
