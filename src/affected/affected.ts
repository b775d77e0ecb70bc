// `--affected REF`: the IO around decideAffected. Asks git what changed and
// what the spec was at REF, compiles that old spec with the same pipeline,
// and reads ignore files from the working tree.
import { readRegularText } from '../fs/read.js';
import path from 'node:path';
import { compile } from '../compile.js';
import { isInside, realpathOrUndefined, toPosix } from '../paths.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { decideAffected, type AffectedPlan, type Previous, type TargetPaths } from './decide.js';
import { changedFiles, gitAt, resolveRef, showFile } from '../adapters/git.js';

export type { AffectedPlan, AffectedTarget } from './decide.js';

export interface AffectedInput {
  /** The repository root the spec was compiled against (see `repoRootOf`). */
  repoRoot: string;
  /** Absolute path of the spec. */
  specPath: string;
  /** A git revision: branch, tag, commit, `HEAD~1`, ... */
  ref: string;
  /** The spec compiled from the working tree. */
  current: { spec: ResolvedSpec; files: ReadonlyMap<string, string> };
  /** The environment git runs with (the Io's). */
  env: Readonly<Record<string, string | undefined>>;
}

export async function computeAffected(input: AffectedInput): Promise<AffectedPlan> {
  const { repoRoot, specPath, ref } = input;
  const { spec, files } = input.current;
  const git = gitAt(repoRoot, input.env);
  const commit = await resolveRef(git, ref);
  const [changed, oldSource] = await Promise.all([changedFiles(git, commit), showFile(git, commit, spec.specRepoPath)]);

  let previous: Previous;
  if (oldSource === undefined) previous = { kind: 'missing' };
  else {
    // The old spec is compiled against today's working tree (paths, custom
    // templates): only its own text comes from REF. It is named repo-relative,
    // so the repository root is its working directory.
    const old = compile({ specPath, displayName: `${ref}:${spec.specRepoPath}`, source: oldSource, repoRoot, cwd: repoRoot });
    previous = old.spec && old.files && !old.diagnostics.some((d) => d.severity === 'error') ? { kind: 'compiled', spec: old.spec, files: old.files } : { kind: 'failed' };
  }

  return decideAffected({
    ref,
    spec,
    files,
    previous,
    changed,
    paths: targetPaths(repoRoot, specPath),
    readFile: (rel) => {
      try {
        return readRegularText(path.join(repoRoot, rel));
      } catch {
        return undefined;
      }
    },
  });
}

/** Spec-dir-relative paths of a target -> repo-relative ones, as git names them. */
export function targetPaths(repoRoot: string, specPath: string): (t: Target) => TargetPaths {
  const specDir = path.dirname(specPath);
  const realRoot = realpathOrUndefined(repoRoot) ?? repoRoot;
  const lexical = (p: string) => {
    const rel = toPosix(path.relative(repoRoot, path.resolve(specDir, p)));
    return rel === '.' ? '' : rel;
  };
  const contexts = new Map<string, string>();
  // A context reached through a symlink changes where git sees its files.
  const context = (p: string): string => {
    let rel = contexts.get(p);
    if (rel === undefined) {
      const real = realpathOrUndefined(path.resolve(specDir, p));
      rel = real && isInside(realRoot, real) ? toPosix(path.relative(realRoot, real)) : lexical(p);
      contexts.set(p, rel);
    }
    return rel;
  };
  return (t) => ({
    context: context(t.context),
    dockerfile: lexical(t.dockerfile),
    ...(t.source.kind === 'template' && !t.source.builtin ? { template: lexical(t.source.file) } : {}),
  });
}
