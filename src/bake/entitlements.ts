// `--allow`: what a build may reach beyond the repository, granted on the
// command line as buildx bake grants it (buildx 0.20 and later, its
// bake/entitlements.go): `fs.read=PATH`, `fs.write=PATH`, `fs=PATH` (both),
// a PATH of `*` for any; `network.host`, `security.insecure`, `ssh`, and
// `image.push=`, `image.load=`, `image=`.
//
// A secret's `src` is the one file a spec hands to a build from anywhere on
// the machine: bake reads it and the build's RUN steps see it. A repository
// that names `/home/me/.ssh/id_rsa`, or a link in the repository that points
// there, would have it read by a plain `matrix bake`. So matrix itself asks
// for `--allow fs.read=` for a secret whose real path is outside the
// repository, whatever buildx runs (one before 0.20 asks nothing). Every other
// path a spec names is inside the repository already (src/resolve/paths.ts,
// src/resolve/writable.ts). The values are passed on to bake when its buildx
// takes `bake --allow`.
import path from 'node:path';
import { userError } from '../diagnostics.js';
import { isInside, realAsFarAsItExists } from '../paths.js';

export interface Allowed {
  /** Absolute paths (as given, from the working directory) below which a read is allowed. */
  readonly fsRead: readonly string[];
  /** `fs.read=*` or `fs=*`. */
  readonly anyRead: boolean;
  /** Every value, what is passed on to bake: a relative fs path made absolute from matrix's working directory (bake runs in the spec's). */
  readonly given: readonly string[];
}

const BARE = new Set(['network.host', 'security.insecure', 'ssh']);
const WITH_VALUE = new Set(['fs.read', 'fs.write', 'fs', 'image.push', 'image.load', 'image']);

/** The --allow values (relative paths from `cwd`); an unknown key is a usage error, as buildx's ParseEntitlements makes it. */
export function parseAllow(values: readonly string[], cwd: string): Allowed {
  const fsRead: string[] = [];
  const given: string[] = [];
  let anyRead = false;
  for (const v of values) {
    given.push(v);
    if (BARE.has(v)) continue;
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    const value = eq < 0 ? '' : v.slice(eq + 1);
    if (!WITH_VALUE.has(key) || value === '') {
      throw userError('usage', `--allow ${v}: not an entitlement buildx bake knows`, {
        hint: 'give fs.read=PATH, fs.write=PATH or fs=PATH (PATH may be *), network.host, security.insecure, ssh, image.push=REF, image.load=REF or image=REF',
      });
    }
    if (key !== 'fs.read' && key !== 'fs' && key !== 'fs.write') continue;
    if (value === '*') {
      if (key !== 'fs.write') anyRead = true;
      continue;
    }
    const abs = path.resolve(cwd, value);
    given[given.length - 1] = `${key}=${abs}`;
    if (key !== 'fs.write') fsRead.push(abs);
  }
  return { fsRead, anyRead, given };
}

/** Whether reading `file` (absolute) is allowed: inside the repository's real root, or below a path --allow gives. */
export function readAllowed(file: string, realRoot: string, allowed: Allowed): boolean {
  if (allowed.anyRead) return true;
  const real = realAsFarAsItExists(file);
  if (isInside(realRoot, real)) return true;
  return allowed.fsRead.some((a) => isInside(realAsFarAsItExists(a), real));
}
