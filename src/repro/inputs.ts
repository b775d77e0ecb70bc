// What a build gets from git besides the bake file: the MATRIX_GIT_* bake
// variables in docker's environment, and per target the commit that last
// changed its inputs, as SOURCE_DATE_EPOCH and OCI revision/created labels.
// `matrix verify` must rebuild with exactly what `matrix bake` used, or every
// image differs; test/unit/repro-verify.test.ts compares the two commands.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { BakeSelection } from '../bake/command.js';
import { gitAt, gitStalled } from '../adapters/git.js';
import { buildEnvironment, GIT_PROCESSES, inputRevisions, type GitInfoRead, type InputRevision } from '../bake/gitenv.js';
import { toPosix } from '../paths.js';
import { readRegularText } from '../fs/read.js';
import { revisionStore } from './revision-store.js';
import { cacheOffIn } from '../cache/answer.js';
import type { ResolvedSpec } from '../spec.js';

export interface BakeInputs {
  /** Merged over the caller's environment for the docker process. */
  env: Record<string, string>;
  /** `--set` arguments (flag and value), to go before `--`. */
  args: string[];
}

export async function bakeInputs(
  where: { repoRoot: string; specDir: string },
  spec: ResolvedSpec,
  sel: BakeSelection,
  callerEnv: Readonly<Record<string, string | undefined>>,
  onWarning?: (message: string) => void,
  /** buildEnvironment's git reads, when the caller started them already (startGitInfo). */
  started?: GitInfoRead,
  /** Absolute paths of the bake files given with `-f` (docker/metadata-action's), merged after the generated one. */
  extraFiles: readonly string[] = [],
): Promise<BakeInputs> {
  // The targets' revisions need nothing from the environment: git reads both side by side.
  const revisions = targetRevisions(where, spec, sel, callerEnv, started);
  revisions.catch(() => undefined);
  const env = await buildEnvironment(where.repoRoot, callerEnv, false, spec, onWarning, started);
  const revs = await revisions;
  if (gitStalled(where.repoRoot)) {
    // buildx runs git in the context too, with no time limit: it would wait forever where ours gave up.
    env.BUILDX_GIT_INFO = 'false';
    env.BUILDX_GIT_LABELS = 'false';
    onWarning?.(
      'git did not answer in time in this repository (something in its git directory blocks: a FIFO, a hung file system): the images get no git values or revision labels, and buildx is told not to run git (BUILDX_GIT_INFO=false)',
    );
  }
  // The caller's own values win, except MATRIX_GIT_SOURCE: buildEnvironment removed its credentials.
  return { env, args: revisionSets(spec, sel, { ...env, ...callerEnv, MATRIX_GIT_SOURCE: env.MATRIX_GIT_SOURCE }, revs, inheritedLabels(extraFiles)) };
}

/**
 * The last commit that changed the context or Dockerfile of each target bake
 * builds. When HEAD's reads were started already (`matrix bake`), asked of
 * the commit they found, and kept for it (src/repro/revision-store.ts; not
 * with MATRIX_CACHE=0): the next run at that commit asks git nothing more.
 */
async function targetRevisions(where: { repoRoot: string; specDir: string }, spec: ResolvedSpec, sel: BakeSelection, callerEnv: Readonly<Record<string, string | undefined>>, started?: GitInfoRead) {
  const specDirRel = path.relative(where.repoRoot, where.specDir);
  const repoPath = (p: string) => toPosix(path.join(specDirRel, p)) || '.';
  const head = started && (await started)[1]?.sha;
  return inputRevisions(
    gitAt(where.repoRoot, callerEnv),
    withDependencies(spec, sel).map((t) => ({ target: t.name, paths: [repoPath(t.context), repoPath(t.dockerfile)] })),
    // No more git processes side by side than the machine runs at once.
    Math.min(GIT_PROCESSES, availableParallelism()),
    head && !cacheOffIn(callerEnv) ? revisionStore(where.repoRoot, head, callerEnv) : undefined,
  );
}

/**
 * The label keys each target of the `-f` JSON files sets: docker/metadata-action
 * writes its OCI labels (revision, created, source, ...) into the target a
 * `metadata_action` service inherits. A `--set` wins over every file, so
 * matrix sets none of those keys for such a target: metadata-action's labels
 * stay, as they do with bake-action. A file that is no JSON bake file (HCL)
 * gives nothing here; bake reads it and reports what is wrong with it.
 */
export function inheritedLabels(files: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(readRegularText(file));
    } catch {
      continue;
    }
    const targets = (doc as { target?: unknown } | null)?.target;
    if (!targets || typeof targets !== 'object') continue;
    for (const [name, def] of Object.entries(targets as Record<string, unknown>)) {
      const labels = (def as { labels?: unknown } | null)?.labels;
      if (!labels || typeof labels !== 'object' || Array.isArray(labels)) continue;
      const keys = out.get(name) ?? new Set<string>();
      for (const key of Object.keys(labels)) keys.add(key);
      out.set(name, keys);
    }
  }
  return out;
}

function revisionSets(
  spec: ResolvedSpec,
  sel: BakeSelection,
  env: Readonly<Record<string, string | undefined>>,
  revs: Map<string, InputRevision>,
  inherited: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): string[] {
  const fixed = env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '' ? env.SOURCE_DATE_EPOCH : spec.sourceDateEpoch;
  const sets: string[] = [];
  for (const t of withDependencies(spec, sel)) {
    const rev = revs.get(t.name);
    const epoch = fixed === false ? undefined : fixed !== undefined ? String(fixed) : rev?.epoch;
    if (epoch !== undefined && t.args.SOURCE_DATE_EPOCH === undefined) sets.push('--set', `${t.name}.args.SOURCE_DATE_EPOCH=${epoch}`);
    if (spec.ociLabels && rev) {
      const labels: [string, string][] = [
        ['revision', rev.sha],
        ['created', epoch !== undefined ? new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z') : rev.created],
      ];
      if (env.MATRIX_GIT_SOURCE) labels.push(['source', env.MATRIX_GIT_SOURCE]);
      const fromFile = t.metadataAction !== undefined ? inherited.get(t.metadataAction) : undefined;
      for (const [label, value] of labels) {
        const key = `org.opencontainers.image.${label}`;
        if (t.labels[key] === undefined && !fromFile?.has(key)) sets.push('--set', `${t.name}.labels.${key}=${value}`);
      }
    }
  }
  return sets;
}

/**
 * Every target bake builds for a selection: the selected ones and, through
 * their named contexts (`target:NAME`), the targets they are built on. A
 * dependency that bake builds only as a context needs its own
 * SOURCE_DATE_EPOCH and labels too: without them it would get the HEAD
 * commit's time (bake) or none (verify), and every image built FROM it would
 * differ from a full run's.
 */
export function withDependencies(spec: ResolvedSpec, sel: BakeSelection): ResolvedSpec['targets'][number][] {
  const byName = new Map(spec.targets.map((t) => [t.name, t]));
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const t = byName.get(name);
    if (!t || seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.values(t.contexts)) visit(dep);
  };
  for (const { target } of sel.targets) visit(target.name);
  // Spec order, as bake lists them.
  return spec.targets.filter((t) => seen.has(t.name));
}
