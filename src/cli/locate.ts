// Where the spec is: `--spec`, else matrix.yaml (or matrix.yml) in the working
// directory. Apart from the compile so that a command can find its spec (and
// a cached answer keyed by it, src/cache/) without loading the compiler.
import path from 'node:path';
import { userError } from '../diagnostics.js';
import { exists, statKind } from '../fs/probe.js';
import { repoRootOf, toPosix } from '../paths.js';
import { danglingAt } from './faults.js';
import type { Io } from './io.js';

export const SPEC_NAMES = ['matrix.yaml', 'matrix.yml'];

export interface SpecLocation {
  specPath: string;
  displayName: string;
  specDir: string;
  repoRoot: string;
  /** The working directory (from Io), for paths shown to the user. */
  cwd: string;
}

export function locateSpec(io: Io, spec: string | undefined): SpecLocation {
  let specPath: string;
  if (spec !== undefined) {
    specPath = path.resolve(io.cwd, spec);
    if (!exists(specPath)) {
      // A symlink loop, a file used as a directory, a dangling symlink: a fault
      // of the file system (main() says which, in one line); nothing at all: a usage error.
      try {
        statKind(specPath, true);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' || danglingAt(specPath)) throw e;
      }
      throw userError('spec-not-found', `spec file ${spec} does not exist`, { file: spec, hint: 'check the path given to --spec' });
    }
  } else {
    const found = SPEC_NAMES.map((n) => path.join(io.cwd, n)).find((p) => exists(p));
    const broken = found ? undefined : SPEC_NAMES.map((n) => path.join(io.cwd, n)).find((p) => danglingAt(p));
    if (broken) statKind(broken, true); // throws the fault: a dangling matrix.yaml is not "no matrix.yaml"
    if (!found) {
      throw userError('spec-not-found', `no matrix.yaml in ${io.cwd}`, {
        hint: 'run `matrix init` to write one, or pass `--spec path/to/matrix.yaml`',
      });
    }
    specPath = found;
  }
  const displayName = toPosix(path.relative(io.cwd, specPath)) || path.basename(specPath);
  const specDir = path.dirname(specPath);
  return { specPath, displayName, specDir, repoRoot: repoRootOf(specDir), cwd: io.cwd };
}
