// Paths from the spec, checked to stay inside the repository.
import path from 'node:path';
import { isInside, kindOf, realpathOrUndefined, toPosix } from '../paths.js';
import type { Path, ResolveContext } from './context.js';

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
  if (!isInside(ctx.repoRoot, abs)) {
    report.err('path-outside-repo', at, `${what} \`${raw}\` is outside the repository`, `paths must stay inside ${toPosix(path.relative(ctx.cwd, ctx.repoRoot) || '.')}`);
    return undefined;
  }
  const kind = kindOf(abs);
  if (kind === 'missing') {
    report.err('path-not-found', at, `${what} \`${raw}\` does not exist`, want === 'dir' ? 'create the directory, or fix the path' : 'create the file, or fix the path');
    return undefined;
  }
  const real = realpathOrUndefined(abs);
  if (!real || !isInside(ctx.realRoot, real)) {
    report.err('path-outside-repo', at, `${what} \`${raw}\` leads outside the repository through a symbolic link`, 'point at a real directory inside the repository');
    return undefined;
  }
  if (kind !== want) {
    report.err('wrong-path-kind', at, `${what} \`${raw}\` is not a ${want === 'dir' ? 'directory' : 'file'}`);
    return undefined;
  }
  const rel = toPosix(path.relative(ctx.specDir, abs));
  return rel === '' ? '.' : rel;
}
