// What a build gets from git besides the bake file: the MATRIX_GIT_* bake
// variables in docker's environment, and per target the commit that last
// changed its inputs, as SOURCE_DATE_EPOCH and OCI revision/created labels.
// `matrix verify` must rebuild with exactly what `matrix bake` used, or every
// image differs; test/unit/repro-verify.test.ts compares the two commands.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { BakeSelection } from '../bake/command.js';
import { gitAt, gitStalled } from '../adapters/git.js';
import { buildEnvironment, checkEnvironment, GIT_PROCESSES, rfc3339, inputRevisions, type GitInfoRead, type InputRevision } from '../bake/gitenv.js';
import { toPosix } from '../paths.js';
import { readRegularText } from '../fs/read.js';
import { revisionStore } from './revision-store.js';
import { cacheOffIn } from '../cache/answer.js';
import type { ResolvedSpec } from '../spec.js';

export interface BakeInputs {
  /** Merged over the caller's environment for the docker process. */
  env: Record<string, string>;
  /**
   * `--set` values (each follows a `--set` of its own), to go before the
   * user's: bake keeps the last value given for a key, so a label or arg the
   * user sets with `--set` wins over these (BakeFlags.ownSets).
   */
  sets: string[];
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
  // Before a git process starts: an error must not leave one running.
  checkEnvironment(callerEnv);
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
  const fromFiles = fileValues(extraFiles);
  for (const m of uninheritedWarnings(spec, sel, fromFiles)) onWarning?.(m);
  // The caller's own values win, except MATRIX_GIT_SOURCE: buildEnvironment removed its credentials.
  return { env, sets: revisionSets(spec, sel, { ...env, ...callerEnv, MATRIX_GIT_SOURCE: env.MATRIX_GIT_SOURCE }, revs, fromFiles.targets) };
}

/**
 * A `metadata_action` target that none of the `-f` files defines: its images
 * get no tags at all. metadata-action names the target by its `bake-target`
 * input (default `docker-metadata-action`, src/context.ts), and one that
 * differs from the spec's `metadata_action` is easy to miss. Said only when
 * every file was read (an HCL file may define it).
 */
export function uninheritedWarnings(spec: ResolvedSpec, sel: BakeSelection, fromFiles: FileValues): string[] {
  if (!fromFiles.files || !fromFiles.allRead) return [];
  const missing = new Map<string, string[]>();
  for (const t of withDependencies(spec, sel)) {
    if (t.metadataAction === undefined || fromFiles.targets.has(t.metadataAction)) continue;
    missing.set(t.metadataAction, [...(missing.get(t.metadataAction) ?? []), t.name]);
  }
  const defined = [...fromFiles.targets.keys()].map((n) => `\`${n}\``).join(', ') || 'none';
  return [...missing].map(
    ([name, targets]) =>
      `${targets.join(', ')} ${targets.length === 1 ? 'inherits' : 'inherit'} the bake target \`${name}\` (\`metadata_action\`), which no -f file defines (they define: ${defined}), so ${targets.length === 1 ? 'its image gets' : 'their images get'} no tags from docker/metadata-action; give metadata-action's step \`bake-target: ${name}\`, or pass its file`,
  );
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

/** The label and arg keys one target of a `-f` file sets. */
export interface FileKeys {
  labels: Set<string>;
  args: Set<string>;
}

/** The keys of each target the `-f` files define; `allRead` when every one was a JSON bake file. */
export interface FileValues {
  targets: Map<string, FileKeys>;
  files: number;
  allRead: boolean;
}

/**
 * The label and arg keys each target of the `-f` JSON files sets: a value
 * there (docker/metadata-action's OCI labels in the target a `metadata_action`
 * service inherits, or the user's own for a target) wins over matrix's
 * revision labels and SOURCE_DATE_EPOCH, as the file would win over the
 * generated one. A `--set` wins over every file, so matrix sets none of those
 * keys for such a target. A file that is no JSON bake file (HCL) gives
 * nothing here; bake reads it and reports what is wrong with it.
 */
export function fileValues(files: readonly string[]): FileValues {
  const out: FileValues = { targets: new Map(), files: files.length, allRead: true };
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(readRegularText(file));
    } catch {
      out.allRead = false;
      continue;
    }
    const targets = (doc as { target?: unknown } | null)?.target;
    if (!targets || typeof targets !== 'object') {
      // No bake targets: maybe a compose file in JSON, whose services bake reads as targets.
      out.allRead = false;
      continue;
    }
    for (const [name, def] of Object.entries(targets as Record<string, unknown>)) {
      const keys = out.targets.get(name) ?? { labels: new Set<string>(), args: new Set<string>() };
      for (const field of ['labels', 'args'] as const) {
        const m = (def as Record<string, unknown> | null)?.[field];
        if (m && typeof m === 'object' && !Array.isArray(m)) for (const key of Object.keys(m)) keys[field].add(key);
      }
      out.targets.set(name, keys);
    }
  }
  return out;
}

function revisionSets(
  spec: ResolvedSpec,
  sel: BakeSelection,
  env: Readonly<Record<string, string | undefined>>,
  revs: Map<string, InputRevision>,
  fromFiles: ReadonlyMap<string, FileKeys> = new Map(),
): string[] {
  const fixed = env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '' ? env.SOURCE_DATE_EPOCH : spec.sourceDateEpoch;
  const sets: string[] = [];
  for (const t of withDependencies(spec, sel)) {
    const rev = revs.get(t.name);
    // What a -f file gives the target itself or the metadata-action target it inherits.
    const files = [fromFiles.get(t.name), t.metadataAction !== undefined ? fromFiles.get(t.metadataAction) : undefined];
    const inFile = (field: keyof FileKeys, key: string) => files.some((f) => f?.[field].has(key));
    const epoch = fixed === false ? undefined : fixed !== undefined ? String(fixed) : rev?.epoch;
    if (epoch !== undefined && t.args.SOURCE_DATE_EPOCH === undefined && !inFile('args', 'SOURCE_DATE_EPOCH')) sets.push(`${t.name}.args.SOURCE_DATE_EPOCH=${epoch}`);
    if (spec.ociLabels && rev) {
      const labels: [string, string][] = [['revision', rev.sha]];
      const created = epoch !== undefined ? rfc3339(Number(epoch)) : rev.created;
      if (created !== undefined) labels.push(['created', created]);
      if (env.MATRIX_GIT_SOURCE) labels.push(['source', env.MATRIX_GIT_SOURCE]);
      for (const [label, value] of labels) {
        const key = `org.opencontainers.image.${label}`;
        if (t.labels[key] === undefined && !inFile('labels', key)) sets.push(`${t.name}.labels.${key}=${value}`);
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
