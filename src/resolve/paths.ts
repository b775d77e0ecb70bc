// Paths from the spec, checked to stay inside the repository.
import path from 'node:path';
import { isInside, kindOf, realpathOrUndefined, toPosix } from '../paths.js';
import type { Path, ResolveContext } from './context.js';

/** Whether a directory a path is checked against is absolute and normalized (no `.`, `..`, `//` or trailing `/`), by path. */
const NORMAL_DIRS = new Map<string, boolean>();

function normalDir(p: string): boolean {
  let known = NORMAL_DIRS.get(p);
  if (known === undefined) NORMAL_DIRS.set(p, (known = path.isAbsolute(p) && p.length > 1 && path.normalize(p) === p && !p.endsWith('/')));
  return known;
}

/**
 * isInside (src/paths.ts) for a `child` that is absolute and normalized (from
 * path.resolve or realpath(3)), answered from the strings where path.relative
 * would compute the same: on POSIX, with a normalized `parent`, the child is
 * inside when it is the parent, or the parent, a `/` and a rest that does not
 * start with `..` (isInside reads a relative path starting so as outside). A
 * compile asks this for every service several times.
 */
export function insideNormalized(parent: string, child: string): boolean {
  if (path.sep !== '/' || !normalDir(parent)) return isInside(parent, child);
  if (child === parent) return true;
  return child.charCodeAt(parent.length) === 47 && child.startsWith(parent) && !child.startsWith('..', parent.length + 1);
}

/** Returns the path spec-dir-relative, POSIX; undefined (reported) when it is not a `want` inside the repository. */
export function checkPath(ctx: ResolveContext, raw: string, at: Path, what: string, want: 'file' | 'dir'): string | undefined {
  const { report } = ctx;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || /^git@/.test(raw)) {
    report.err('remote-path', at, `${what} \`${raw}\` is a URL`, `matrix builds from the repository; give a path relative to the spec`);
    return undefined;
  }
  if (path.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw)) {
    report.err('absolute-path', at, `${what} \`${raw}\` is an absolute path`, 'give a path relative to the spec file, so the spec works in every clone');
    return undefined;
  }
  const abs = path.resolve(ctx.specDir, raw);
  if (!insideNormalized(ctx.repoRoot, abs)) {
    report.err('path-outside-repo', at, `${what} \`${raw}\` is outside the repository`, `paths must stay inside ${toPosix(path.relative(ctx.cwd, ctx.repoRoot) || '.')}`);
    return undefined;
  }
  const kind = kindOf(abs);
  if (kind === 'missing') {
    report.err('path-not-found', at, `${what} \`${raw}\` does not exist`, want === 'dir' ? 'create the directory, or fix the path' : 'create the file, or fix the path');
    return undefined;
  }
  const real = realpathOrUndefined(abs);
  if (!real || !insideNormalized(ctx.realRoot, real)) {
    report.err('path-outside-repo', at, `${what} \`${raw}\` leads outside the repository through a symbolic link`, 'point at a real directory inside the repository');
    return undefined;
  }
  if (kind !== want) {
    report.err('wrong-path-kind', at, `${what} \`${raw}\` is not a ${want === 'dir' ? 'directory' : 'file'}`);
    return undefined;
  }
  const rel = path.sep === '/' ? path.relative(ctx.specDir, abs) : toPosix(path.relative(ctx.specDir, abs));
  return rel === '' ? '.' : rel;
}
