// `matrix bake`: build the committed targets with one `docker buildx bake`
// run. Before it: the targets (and --affected), the files it may write, the
// engine checks (run while git is read, and for a build that pushes nothing
// beside bake's own start-up), the git values and per-target
// revisions, a CI shard's tags and outputs. After it: the summary per target
// and platform, with digests. Each step is a function below, in that order.
import { accessSync, constants, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { readRegularText } from '../fs/read.js';
import { ownedTempDir, removeOwned } from '../fs/owned.js';
import { toPosix } from '../paths.js';
import { localCacheRoot } from '../render/cache.js';
import { exportParentDir, pushedByBake } from '../resolve/outputs.js';
import os from 'node:os';
import path from 'node:path';
import { detectDriver, dockerMissing, dockerOf, inspectRaw, throwIfEnded, type Docker } from '../adapters/docker.js';
import { bakeArgs, bakeTargetName, isNamePattern, namePatternRegExp, selectTargets, setTarget, specDefines, unknownTarget, type BakeFlags, type BakeSelection } from '../bake/command.js';
import { definedNames, fileTargetsFrom, unfoundName, type FileTargets } from '../bake/file-targets.js';
import { OutputGate } from '../bake/gate.js';
import { ProgressTracker } from '../bake/progress.js';
import { colors, userError } from '../diagnostics.js';
import { PullFailures, planBaseImages } from '../doctor/base-images.js';
import { binfmtRegistered, dottedVariants, runDoctor, type Check, type DoctorInput } from '../doctor/doctor.js';
import { lastLine, interruptedBy, shellQuote, signalNumber, type StreamResult } from '../adapters/process.js';
import { targetDigests } from '../bake/digests.js';
import { blockedExit, formatAbnormalEnd, formatBlocked, formatCacheFault, formatMachineFault, formatStepSignals, formatSummary, type Colors, type SummaryRow } from '../output/format.js';
import { abnormalEnd, endExit, type AbnormalEnd } from '../adapters/exit.js';
import { hostPlatform, normalizePlatform } from '../platforms.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { danglingAt } from './faults.js';
import type { Io, SpecLocation } from './io.js';
import type { Committed } from '../cache/bake.js';
import type { CommandArgs } from './options.js';
import { dynKey, dynVariables, evalDyn, isStatic, MAX_TAG_LENGTH, overlongTags, type Dyn } from '../dyn.js';
import { referenceProblem } from '../validate/reference.js';
import { GIT_VARIABLES, type GitInfoRead } from '../bake/gitenv.js';
import { bakeInputs, withDependencies } from '../repro/inputs.js';
import { parseAllow, type Allowed } from '../bake/entitlements.js';
import { allowFlags, refuseOutsideReads } from '../bake/allow.js';
import { reproducibleOutputs } from '../repro/output.js';
import { newRunId, runIdFromEnv, shardFileName, shardPlan, writeShardResult, type ShardPlan } from '../ci/shard.js';
import { buildPlan } from '../plan/build-plan.js';
import { planRelease, printedTargets, withResolvedTags, type Release } from '../release/atomic.js';
import { finishRelease } from '../release/finish.js';
import { settleLocalTempTags } from '../release/local-tags.js';
import { releaseTests } from '../release/gate.js';
import { signOf } from '../release/sign.js';
import { formatTestFailures, testsOf } from '../release/tests.js';
import { bakeRounds, withBlockedBy, type Round, type RoundsOutcome } from '../bake/rounds.js';
import { reattribute } from '../bake/attribution.js';
import { isErrorLine, stepSignal, stepSignalOf, type StepSignal } from '../release/classify.js';
import type { TargetDigests } from '../bake/digests.js';
import { BakeMetadata, type MetadataEntries } from '../bake/metadata.js';

type BakeArgs = CommandArgs['bake'];

/** What one bake run needs once its targets are chosen and its files checked. */
interface BakeRun {
  /** --allow, read once (src/bake/entitlements.ts). */
  allowed: Allowed;
  loc: SpecLocation;
  spec: ResolvedSpec;
  sel: BakeSelection;
  docker: Docker;
  flags: BakeFlags;
  /** Where bake writes its metadata (the user's --metadata-file, or in tmpDir). */
  metadataFile: string | undefined;
  tmpDir: string | undefined;
  /** `--push`: all or nothing (src/release); the user's --metadata-file then gets what was published. */
  atomic: boolean;
  releaseMetadataFile: string | undefined;
  /** The user asked for bake's metadata (--metadata-file): bake writes all of it, provenance included. */
  userMetadata: boolean;
  retries: number;
  /** The spec as written (its `test:` entries). */
  specValue: unknown;
  /** git's reads for the bake variables, started before the compile (startGitInfo). */
  gitInfo: GitInfoRead | undefined;
}

/** The command to run, with what it needs from git and, for a CI shard, its plan. */
interface BakeCommand {
  args: string[];
  /** The same command for another selection (a --keep-going round). */
  argsFor: (sel: BakeSelection) => string[];
  buildEnv: Record<string, string>;
  shard: ShardPlan | undefined;
  /** `--push`: the targets are pushed without final tags; publishing follows when all succeeded. */
  release: Release | undefined;
  /** Said right before the build (or the dry run's command), after the engine checks. */
  warnings: string[];
  /** Said there too, as notes: what the run does differently from what was asked, as bake would. */
  notes: string[];
}

export async function bakeSpec(io: Io, opts: BakeArgs, color: boolean, gitInfo: { repoRoot: string; read: GitInfoRead } | undefined): Promise<number> {
  const allowed = parseAllow(opts.allow, io.cwd);
  const { committed, keep } = await committedModel(io, opts);
  if (committed === 1) return 1;
  const { loc, spec, files, loaded } = committed;
  const fromFiles = await targetsOfFiles(io, opts, loc, spec);
  const requested = await affectedTargets(io, opts, loc, spec, files, fromFiles);
  if (!requested) return 0;
  const run = { ...prepareRun(io, opts, loc, spec, requested, fromFiles), specValue: loaded.value, gitInfo: loc.repoRoot === gitInfo?.repoRoot ? gitInfo.read : undefined, allowed };
  try {
    refuseOutsideReads(loaded, loc, withDependencies(spec, run.sel), allowed);
    // What it builds is accepted: the compile's record is kept for the next bake (a refused run writes nothing).
    keep();
    // git's reads for the command start first (the build waits for them). A
    // build that waits for the engine checks (docker and buildx calls) has
    // them run beside those reads; one that starts beside the checks starts
    // them once it runs, so they do not hold up the reads.
    const beside = !opts.dryRun && !writesOutside(opts, run);
    const pending = bakeCommand(io, opts, run);
    pending.catch(() => undefined);
    const doctor = opts.dryRun || beside ? undefined : engineChecks(doctorInput(opts, run, files));
    const command = await pending;
    if (opts.dryRun) {
      printDryRun(io, run, command);
      return 0;
    }
    makeExportDirs(run);
    if (beside) return await buildBesideChecks(io, opts, run, command, () => doctorInput(opts, run, files), colors(color));
    // Fail fast with a fix, before buildx prints its own error text.
    const failed = (await doctor!).filter((ch) => ch.status === 'fail');
    if (failed.length) {
      io.stderr.write(formatBlocked(failed, 'build', colors(color)));
      return blockedExit(failed);
    }
    if (run.atomic) await withRelease(io, opts, run, command);
    return await build(io, opts, run, command, colors(color));
  } finally {
    if (run.tmpDir) removeOwned(run.tmpDir);
  }
}

/**
 * What bake builds: the committed files must match the spec. From bake's
 * record of its last compile when every read it made answers the same
 * (src/cache/bake.ts: the compiler is not even loaded), else compiled and
 * compared; `keep` then keeps the record for the next run, when they matched.
 */
async function committedModel(io: Io, opts: BakeArgs): Promise<{ committed: Committed | 1; keep: () => void }> {
  const { cachedCommitted } = await import('../cache/bake.js');
  const hit = cachedCommitted(io, opts);
  if (hit) return { committed: hit, keep: () => {} };
  const [{ recordedCommitted }, { compileCommitted }] = await Promise.all([import('../cache/bake-save.js'), import('./io.js')]);
  return recordedCommitted(io, opts, async (rio) => {
    const c = await compileCommitted(rio, opts.spec, 'what is built is what is committed');
    return c === 1 ? 1 : { loc: c.loc, spec: c.result.spec!, files: c.result.files!, loaded: c.result.loaded };
  });
}

/**
 * The directories the selected targets' tar, oci and docker exports write
 * into (resolve/outputs.ts exportParentDir): bake opens each export file while
 * it reads the file, and fails when its directory is missing (as it is in a
 * fresh clone where `dist/` is ignored). Checked inside the repository by the
 * compile.
 */
function makeExportDirs(run: BakeRun): void {
  const own = new Set(run.sel.fromFiles?.names);
  for (const { target } of [...run.sel.targets, ...(run.sel.dependencies ?? [])]) {
    // A -f file's target: its outputs were never checked to stay inside the repository; bake handles them as written.
    if (own.has(target.name)) continue;
    for (const output of target.outputs) {
      const dir = exportParentDir(output);
      if (dir) mkdirSync(path.resolve(run.loc.specDir, dir), { recursive: true });
    }
  }
}

/**
 * The targets asked for, narrowed by --affected; undefined when nothing is affected (said, nothing to build).
 * A target that only a `-f` file defines has inputs matrix does not know: it is always built, and said so.
 */
async function affectedTargets(io: Io, opts: BakeArgs, loc: SpecLocation, spec: ResolvedSpec, files: ReadonlyMap<string, string>, fromFiles: FileTargets | undefined): Promise<string[] | undefined> {
  if (opts.affected === undefined) return opts.targets;
  const { computeAffected } = await import('../affected/affected.js');
  const aff = await computeAffected({ repoRoot: loc.repoRoot, specPath: loc.specPath, ref: opts.affected, current: { spec, files }, env: io.env });
  const selected = opts.targets.length ? selectTargets(spec, opts.targets, undefined, fromFiles) : undefined;
  const wanted = selected ? new Set(selected.targets.map((t) => t.target.name)) : undefined;
  const picked = aff.targets.filter((t) => !wanted || wanted.has(t.name));
  const unknowable = selected?.fromFiles?.names ?? [];
  if (unknowable.length) {
    io.stderr.write(
      `matrix: note: --affected cannot tell what ${unknowable.join(', ')} ${unknowable.length > 1 ? 'are' : 'is'} built from (defined in ${selected!.fromFiles!.files.slice(1).join(', ')}, not in the spec): built anyway\n`,
    );
  }
  if (!picked.length && !unknowable.length) {
    io.stdout.write(`Nothing affected since ${opts.affected}: ${spec.targets.length} targets unchanged, nothing to build.\n`);
    return undefined;
  }
  if (picked.length) io.stderr.write(`Affected since ${opts.affected}: ${picked.map((t) => `${t.name} (${t.reasons[0] ?? 'changed'})`).join(', ')}\n`);
  return [...picked.map((t) => t.name), ...unknowable];
}

/**
 * What the `-f` files define among the names asked for that the generated
 * file does not (bake/file-targets.ts): `docker buildx bake --print` over
 * every file, as bake reads them all before it looks a name up (buildx
 * bake/bake.go ReadTargets). A pattern is asked of bake only when it matches
 * nothing in the generated file (buildx 0.13 takes no pattern at all). A name
 * bake does not find either is `unknown-target`, naming every file read.
 */
async function targetsOfFiles(io: Io, opts: BakeArgs, loc: SpecLocation, spec: ResolvedSpec): Promise<FileTargets | undefined> {
  if (!opts.file.length) return undefined;
  const asked = [...new Set(opts.targets.map(bakeTargetName))].filter((n) => (isNamePattern(n) ? !patternInSpec(spec, n) : !specDefines(spec, n)));
  if (!asked.length) return undefined;
  const files = extraFiles(io, loc.specDir, opts.file);
  const shown = [spec.bakeFile, ...opts.file];
  const docker = dockerOf(io.env);
  const args = ['buildx', 'bake', '-f', spec.bakeFile, ...files.flatMap((f) => ['-f', f]), ...(opts.builder ? ['--builder', opts.builder] : []), '--print', '--', ...asked];
  const printed = await docker.capture(args, { cwd: loc.specDir, env: io.env, timeoutMs: 120_000 });
  if (printed.spawnError) throw dockerMissing(docker, printed.spawnError);
  // Killed, or a docker that could not run it: no answer about the files (src/adapters/exit.ts).
  throwIfEnded(docker, args, printed, 'reading the targets of the -f files', '--print');
  if (printed.code === 0) return fileTargetsFrom(spec, asked, printed.stdout, shown, hostPlatform());
  const missing = unfoundName(printed.stderr);
  if (missing === undefined)
    throw userError('bake-print', `docker buildx bake --print failed: ${lastLine(printed)}`, { hint: `check the -f files (${opts.file.join(', ')}); run \`matrix bake --print\` to see the error` });
  const given = opts.targets.find((g) => bakeTargetName(g) === missing) ?? missing;
  const defined = files.flatMap((f) => definedNames(readTextOr(path.resolve(loc.specDir, f))));
  throw unknownTarget(spec, missing, given, shown, defined);
}

/** Does a name pattern match a name of the generated file? */
function patternInSpec(spec: ResolvedSpec, pattern: string): boolean {
  const names = ['default', ...spec.groups.map(([g]) => g), ...spec.services.keys(), ...spec.targets.map((t) => t.name)];
  try {
    return names.some((n) => namePatternRegExp(pattern).test(n));
  } catch {
    return true; // a malformed pattern: selectTargets says so
  }
}

/** A file's text, or nothing when it cannot be read (a hint's best effort). */
function readTextOr(file: string): string {
  try {
    return readRegularText(file);
  } catch {
    return '';
  }
}

/** The selection, the files bake reads and writes (checked now, not after the build), and bake's flags. */
function prepareRun(io: Io, opts: BakeArgs, loc: SpecLocation, spec: ResolvedSpec, requested: string[], fromFiles: FileTargets | undefined): Omit<BakeRun, 'specValue' | 'gitInfo' | 'allowed'> {
  refusePlatformSets(opts.set);
  const sel = selectTargets(spec, requested, opts.platform.length ? opts.platform : undefined, fromFiles);
  const files = extraFiles(io, loc.specDir, opts.file);
  // With no names, bake builds the `default` group of the files it merged, and a `-f`
  // file may define its own: name the targets, so that bake builds what the summary reports.
  if (files.length && !sel.names.length) sel.names = sel.targets.map((t) => t.target.name);
  const printing = Boolean(opts.print);
  // Given relative to where matrix runs; bake runs in the spec's directory.
  const atomic = Boolean(opts.push) && !printing;
  const userMetadata = opts.metadataFile !== undefined ? writableFile(io, opts.metadataFile) : undefined;
  // An atomic push reads bake's metadata from its own file and writes the user's after publishing.
  let metadataFile = atomic ? undefined : userMetadata;
  if (opts.pushByDigest && !opts.dryRun) writableFile(io, opts.shardFile ?? '.', opts.shardFile === undefined ? 'directory' : 'file');
  let tmpDir: string | undefined;
  if (!metadataFile && !printing && (!opts.dryRun || opts.pushByDigest)) {
    tmpDir = ownedTempDir('matrix-bake-', io.env);
    metadataFile = path.join(tmpDir, 'metadata.json');
  }
  const flags: BakeFlags = {
    ...(opts.push !== undefined ? { push: opts.push } : {}),
    ...(opts.load !== undefined ? { load: opts.load } : {}),
    set: opts.set,
    ...(opts.builder !== undefined ? { builder: opts.builder } : {}),
    ...(opts.progress !== undefined ? { progress: opts.progress } : !printing ? { progress: 'plain' } : {}),
    ...(opts.print !== undefined ? { print: opts.print } : {}),
    ...(opts.cache ? {} : { noCache: true }),
    ...(opts.pull !== undefined ? { pull: opts.pull } : {}),
    ...(metadataFile ? { metadataFile } : {}),
    ...(opts.sbom !== undefined ? { sbom: opts.sbom } : {}),
    ...(opts.provenance !== undefined ? { provenance: opts.provenance } : {}),
    files,
    ...(opts.platform.length ? { platforms: opts.platform } : {}),
    // HOME of the Io; the account's home directory when it has none.
    localCacheRoot: localCacheRoot(io.env, io.env.HOME || os.homedir(), realpathSync(loc.repoRoot)),
    cacheDirExists: (dir) => existsSync(path.join(dir, 'index.json')),
  };
  return {
    loc,
    spec,
    sel,
    docker: dockerOf(io.env),
    flags,
    metadataFile,
    tmpDir,
    atomic,
    releaseMetadataFile: atomic ? userMetadata : undefined,
    userMetadata: userMetadata !== undefined,
    retries: opts.retries ?? DEFAULT_RETRIES,
  };
}

/** What the doctor checks for this run: the builder, and what this build needs of it. */
function doctorInput(opts: BakeArgs, run: BakeRun, files: ReadonlyMap<string, string>): DoctorInput {
  const { sel, spec } = run;
  const printing = Boolean(opts.print);
  const plan = buildPlan(spec, files, run.loc.specDir, hostPlatform());
  const selected = new Set(sel.targets.map((t) => t.target.name));
  const planned = plan.targets.filter((t) => selected.has(t.name));
  return {
    docker: run.docker,
    ...(opts.builder ? { builder: opts.builder } : {}),
    platforms: [...new Set(sel.targets.flatMap((t) => t.platforms))],
    emulatedPlatforms: printing ? [] : [...new Set(planned.flatMap((t) => t.platforms.filter((p) => p.mode === 'emulated').map((p) => p.platform)))],
    // Only where something is pushed: a target whose outputs only export files is not (pushedByBake).
    registries: opts.push || opts.pushByDigest ? [...new Set(sel.targets.filter((t) => pushedByBake(t.target.outputs)).flatMap((t) => t.target.tags.map((tag) => registryOf(dynKey(tag)))))] : [],
    multiPlatform: !printing && sel.targets.some((t) => t.platforms.length > 1) && Boolean(opts.push || opts.load || opts.pushByDigest),
    // Only failures block a build: one `buildx inspect` answers for the CLI, buildx and the daemon when it can.
    blockersOnly: true,
  };
}

/** The doctor's checks for what this run needs; awaited before the build. */
function engineChecks(input: DoctorInput): Promise<Check[]> {
  const checks = runDoctor(input);
  // Until it is awaited, an early return or error must not leave it unhandled.
  checks.catch(() => undefined);
  return checks;
}

/**
 * Git values for the bake variables, and per target the commit that last
 * changed its inputs: SOURCE_DATE_EPOCH and OCI revision labels
 * (src/repro/inputs.ts). Then a CI shard's tags, and where the builder can
 * rewrite layer timestamps (not the docker driver), the outputs that ask for it.
 */
async function bakeCommand(io: Io, opts: BakeArgs, run: BakeRun): Promise<BakeCommand> {
  const { docker, flags } = run;
  const warnings: string[] = [];
  const notes: string[] = [];
  const { env: buildEnv, sets: revisionSets } = await bakeInputs(run.loc, run.spec, run.sel, io.env, (m) => warnings.push(m), run.gitInfo, extraFilePaths(run));
  refuseOverlongTags(run.sel, buildEnv);
  const allow = await allowFlags(docker, run.allowed, run.loc.specDir, warnings);
  if (allow) flags.allow = allow;
  let shard: ShardPlan | undefined;
  if (run.atomic && opts.dryRun) warnings.push('--push publishes all or nothing: the run pushes every image without its final tags first (see "Releasing" in the README); this is the plain command');
  if (opts.pushByDigest) {
    const runId = opts.runId ?? runIdFromEnv(io.env) ?? newRunId();
    // A -f file's target is not the spec's: `matrix merge` (which reads the spec) could not publish it. It builds as bake builds it, unpushed.
    const own = new Set(run.sel.fromFiles?.names);
    const pushable = { ...run.sel, targets: run.sel.targets.filter((t) => !own.has(t.target.name)) };
    shard = shardPlan(pushable, await detectDriver(docker, opts.builder), runId, { ...buildEnv, ...io.env }, opts.set);
    for (const name of own)
      notes.push(
        `${name} is not pushed: only ${run.sel.fromFiles!.files.slice(1).join(', ')} define${run.sel.fromFiles!.files.length > 2 ? '' : 's'} it, and \`matrix merge\` publishes the spec's targets; it builds as bake builds it`,
      );
    // Ours last, so they win over the user's --set for tags and output.
    flags.set = [...opts.set, ...shard.set];
    for (const name of shard.exported) notes.push(`${name} is not pushed: ${EXPORTED_NOTE}; it is in no shard result, and \`matrix merge\` does not expect it`);
    if (!opts.runId && !runIdFromEnv(io.env)) io.stderr.write(`matrix: run id ${shard.runId} (give every shard of this run --run-id ${shard.runId})\n`);
  }
  // No driver known (e.g. no daemon): nothing to add; the engine checks say why.
  const driver = (opts.push || opts.load) && !(run.atomic && !opts.dryRun) ? await detectDriver(docker, opts.builder).catch(() => undefined) : undefined;
  if (driver && !opts.pushByDigest) {
    const targets = run.sel.targets.map(({ target }) => ({ name: target.name, outputs: target.outputs }));
    const out = reproducibleOutputs(driver, { ...flags, targets });
    flags.push = out.push;
    flags.load = out.load;
    flags.set = [...out.set, ...(flags.set ?? [])];
  }
  const argsFor = (sel: BakeSelection) => {
    return bakeArgs(run.spec.bakeFile, sel, { ...flags, ownSets: revisionSets });
  };
  // An atomic --push gets its release from withRelease, once the engine checks passed.
  return { args: argsFor(run.sel), argsFor, buildEnv, shard, release: undefined, warnings, notes };
}

/**
 * A `--set` of a target's `platform`: bake adds its list to the one matrix
 * sets for --platform (docker/buildx bake/bake.go newOverrides: `platform`
 * is a list key, each --set appends), and the summary would report
 * platforms that never built. --platform selects, caches and reports by
 * platform; a platform the spec does not list belongs in the spec.
 */
function refusePlatformSets(sets: readonly string[]): void {
  for (const s of sets) {
    if (setTarget(s).field !== 'platform') continue;
    throw userError('usage', `--set ${s}: matrix bake chooses platforms with --platform`, {
      hint: 'use --platform (e.g. `matrix bake api --platform linux/arm64`), which bake builds and the summary reports; to build a platform the spec does not list, add it to `platforms:` in the spec',
    });
  }
}

/** The `-f` files as paths bakeInputs can read (given relative to the spec's directory). */
function extraFilePaths(run: BakeRun): string[] {
  return (run.flags.files ?? []).map((f) => path.resolve(run.loc.specDir, f));
}

/**
 * A tag whose git values make it longer than a registry takes is refused
 * here, before anything builds, with the values that made it so: buildx
 * would stop with "invalid reference format" and no word of which variable.
 * So is any other tag they make invalid: a git value in the repository part
 * (`r/app-${{ git.tag }}:x` with the tag `V1.0`, `r/${{ git.branch }}:x` on a
 * branch `fix_`), which the tag-safe values do not make repository-safe.
 */
function refuseOverlongTags(sel: BakeSelection, env: Readonly<Record<string, string | undefined>>): void {
  for (const { target } of sel.targets) {
    const [long] = overlongTags(target.tags, env);
    const bad = long ? undefined : invalidTag(target.tags, env);
    if (!long && !bad) continue;
    const used = new Set(bad ? dynVariables(bad.dyn) : target.tags.flatMap(dynVariables));
    const names = Object.entries(GIT_VARIABLES)
      .filter(([, v]) => used.has(v))
      .map(([name, v]) => (long ? `\`\${{ ${name} }}\` is ${(env[v] ?? '').length} characters` : `\`\${{ ${name} }}\` is \`${env[v] ?? ''}\``));
    if (bad) {
      throw userError('invalid-tag', `target ${target.name}: the tag \`${bad.tag}\` ${bad.problem}`, {
        hint: `${names.length ? `${names.join(', ')}; ` : ''}a git value makes only a valid tag part (after the \`:\`); keep it out of the repository name, or set MATRIX_GIT_BRANCH / MATRIX_GIT_TAG to a name that fits`,
      });
    }
    throw userError('tag-too-long', `target ${target.name}: the tag \`${long!.tag}\` has ${long!.length} characters after its \`:\`; a registry takes at most ${MAX_TAG_LENGTH}`, {
      hint: `${names.length ? `${names.join(', ')}; ` : ''}build the tag from a shorter value (\`\${{ git.short_sha }}\`), or set MATRIX_GIT_BRANCH / MATRIX_GIT_TAG to a shorter name`,
    });
  }
}

/** The first tag built from git values that is no valid image reference once they are set. */
function invalidTag(tags: readonly Dyn[], env: Readonly<Record<string, string | undefined>>): { dyn: Dyn; tag: string; problem: string } | undefined {
  for (const d of tags) {
    if (isStatic(d)) continue;
    const tag = evalDyn(d, env);
    const problem = tag === undefined ? undefined : referenceProblem(tag);
    if (problem) return { dyn: d, tag: tag!, problem };
  }
  return undefined;
}

/** An atomic --push: its release plan, and the command that pushes without final tags. */
async function withRelease(io: Io, opts: BakeArgs, run: BakeRun, command: BakeCommand): Promise<void> {
  const release = await releaseOf(io, opts, run, command.buildEnv);
  run.flags.set = [...opts.set, ...release.shard.set];
  run.flags.push = false;
  command.release = release;
  command.args = command.argsFor(run.sel);
}

/**
 * The release plan of an atomic `--push`: the builder's driver decides how
 * images are pushed without final tags; `bake --print` says what the final
 * tags are once the user's -f files and --set values are applied.
 */
async function releaseOf(io: Io, opts: BakeArgs, run: BakeRun, buildEnv: Record<string, string>): Promise<Release> {
  const driver = await detectDriver(run.docker, opts.builder);
  const { files, builder, platforms } = run.flags;
  const printArgs = bakeArgs(run.spec.bakeFile, run.sel, { print: true, set: opts.set, ...(files ? { files } : {}), ...(builder ? { builder } : {}), ...(platforms ? { platforms } : {}) });
  const printed = await run.docker.capture(printArgs, { cwd: run.loc.specDir, env: { ...io.env, ...buildEnv }, timeoutMs: 120_000 });
  if (printed.spawnError) throw dockerMissing(run.docker, printed.spawnError);
  // Killed, or a docker that could not run it: nothing is built or pushed yet (src/adapters/exit.ts).
  throwIfEnded(run.docker, printArgs, printed, 'reading the tags to publish', '--print');
  if (printed.code !== 0) throw userError('bake-print', `docker buildx bake --print failed: ${lastLine(printed)}`, { hint: 'run `matrix bake --print` to see the error' });
  const runId = opts.runId ?? runIdFromEnv(io.env) ?? newRunId();
  const resolved = withResolvedTags(run.sel, printedTargets(printed.stdout));
  // A -f file's target is pushed as bake --push would push it: it needs a tag of its own, there.
  const untagged = resolved.targets.find(({ target }) => run.sel.fromFiles?.names.includes(target.name) && !target.tags.length && pushedByBake(target.outputs));
  if (untagged) {
    throw userError('shard-no-tag', `target \`${untagged.target.name}\` of ${run.sel.fromFiles!.files.slice(1).join(', ')} has no tag, so --push has nowhere to push it`, {
      hint: 'give it `tags` in its bake file, or an `output` that exports files',
    });
  }
  const release = planRelease(run.spec, resolved, driver, runId, opts.set);
  // As bake's --push leaves a local, tar, oci or docker output alone (buildx bake/bake.go AddOverrides `push`).
  for (const name of release.notPushed) {
    // Its test: checks run in pushed images only: say that they do not run, rather than pass in silence.
    const target = run.spec.targets.find((t) => t.name === name);
    const untested = target && testsOf(run.specValue, target).length ? `; its test: checks do not run (they run in pushed images only)` : '';
    io.stderr.write(`matrix: note: ${name} is not pushed: ${EXPORTED_NOTE}${untested}\n`);
  }
  return release;
}

/** Why a target is built and exported, not pushed (resolve/outputs.ts pushedByBake). */
const EXPORTED_NOTE = 'its outputs export it (bake --push pushes only a target without outputs or with an image or registry output)';

function sayWarnings(io: Io, command: BakeCommand): void {
  for (const m of command.warnings) io.stderr.write(`matrix: warning: ${m}\n`);
  for (const m of command.notes) io.stderr.write(`matrix: note: ${m}\n`);
}

/** --dry-run: the exact command, with the environment bake would get. */
function printDryRun(io: Io, run: BakeRun, command: BakeCommand): void {
  sayWarnings(io, command);
  const envText = Object.entries(command.buildEnv)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => shellQuote([`${k}=${v}`]))
    .join(' ');
  io.stdout.write(`cd ${shellQuote([run.loc.specDir])} && ${envText ? envText + ' ' : ''}${shellQuote([run.docker.bin, ...command.args])}\n`);
}

/** --set fields that make bake export (read by setTarget, as bake reads the key). */
const EXPORTING_FIELDS: ReadonlySet<string> = new Set(['output', 'cache-to', 'push', 'load']);

/**
 * Does this run write anything outside the builder's cache before it ends: a push, a load, a
 * target's `output` (registry, image, local, tar, oci) or `cache-to` export, or what a user's
 * `--set` or `-f` file may add? Only a run that does not may start beside the engine checks: if a
 * check fails after a fully cached build ended, nothing must have been exported.
 */
function writesOutside(opts: BakeArgs, run: BakeRun): boolean {
  if (run.atomic || opts.push || opts.pushByDigest || opts.load) return true;
  if (run.flags.files?.length) return true;
  // `--set target.attr=value` (or `+=`): bake attributes that export (buildx bake --set).
  if (opts.set.some((s) => EXPORTING_FIELDS.has(setTarget(s).field ?? ''))) return true;
  return run.sel.targets.some(({ target }) => target.outputs.length > 0 || target.cache !== undefined);
}

/**
 * A build that pushes nothing starts as soon as its command is known, and its
 * output is held until the engine checks passed. When one fails, bake's
 * process group is stopped, its output dropped, and the check's failure and
 * fix are said as before (exit 2). A run that pushes, loads or exports
 * (writesOutside) still waits for the checks (runBake).
 *
 * Most such builds need no `buildx inspect` at all: its answer is that the
 * docker CLI, buildx, the builder and the daemon work, and bake says as much
 * itself. Its plain progress starts with `#0 building with "NAME" instance
 * using DRIVER driver`, written once buildx loaded the builder's nodes (buildx
 * commands/bake.go: the progress printer is made after LoadNodes, and a CLI
 * that reaches no daemon or no builder errors out before it). So when nothing
 * else is checked (no emulated platform that binfmt_misc does not already
 * run, which the doctor would also accept without inspect's platforms), that
 * line opens the output, and no checks run: on a 2-core machine a `buildx
 * inspect` beside a cached build took about 0.23 s CPU from it. Without the
 * line (another progress mode, a bake that ends or waits first), the checks
 * run as before.
 */
async function buildBesideChecks(io: Io, opts: BakeArgs, run: BakeRun, command: BakeCommand, inputOf: () => DoctorInput, c: Colors): Promise<number> {
  const gate = new OutputGate(io.stdout, io.stderr);
  const stop = new AbortController();
  const connected = connectedBuilder(gate.stderr);
  const building = build({ ...io, stdout: gate.stdout, stderr: connected.stderr }, opts, run, command, c, stop.signal);
  building.catch(() => undefined);
  // Worked out once bake runs (the build plan it needs is not on the way to docker's start), and the checks, when
  // they run, hold up nothing but its output.
  const input = inputOf();
  const doctor = answeredByBake(opts, run, input) ? checksUnlessConnected(connected.seen, building, input) : engineChecks(input);
  doctor.catch(() => undefined);
  const stopBuild = async () => {
    gate.drop();
    stop.abort();
    await building.catch(() => undefined);
  };
  let checks: Check[] = [];
  try {
    checks = await doctor;
  } catch (e) {
    if (!interruptedBy()) {
      await stopBuild();
      throw e;
    }
  }
  // Interrupted meanwhile (the signal also stopped the checks' probes): bake's own outcome, as for any interrupted build.
  const failed = interruptedBy() ? [] : checks.filter((ch) => ch.status === 'fail');
  if (failed.length) {
    await stopBuild();
    io.stderr.write(formatBlocked(failed, 'build', c));
    return blockedExit(failed);
  }
  gate.open();
  return await building;
}

/** buildx's first line of plain progress once the builder's nodes are loaded (buildx: "building with %q instance using %s driver"). */
const BUILDER_LINE = /^#0 building with ".*" instance using [\w.-]+ driver\r?\n?$/;

/** How long bake may take to say which builder it uses before the checks run anyway. */
const CONNECT_WAIT_MS = 2000;

/** Whether bake's own first line can stand for the checks: plain progress, and nothing to check beyond a working builder. */
function answeredByBake(opts: BakeArgs, run: BakeRun, input: DoctorInput): boolean {
  if (opts.print || run.flags.progress !== 'plain') return false;
  if (input.multiPlatform || input.registries.length) return false;
  // Whether buildx reads such a platform depends on its version, which bake's first line does not tell.
  if (dottedVariants(input.platforms).length) return false;
  return input.emulatedPlatforms.every((p) => binfmtRegistered(p));
}

/** A sink that notes bake's BUILDER_LINE on its way through. */
function connectedBuilder(to: { write(s: string): unknown }) {
  let said: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => (said = resolve));
  let found = false;
  const stderr = {
    write: (s: string) => {
      if (!found && BUILDER_LINE.test(s)) {
        found = true;
        said();
      }
      return to.write(s);
    },
  };
  return { seen, stderr };
}

/**
 * No checks when bake says it reached its builder; else (bake ended, or said
 * nothing of it within CONNECT_WAIT_MS) the checks, unless a signal ended the run.
 */
async function checksUnlessConnected(seen: Promise<void>, building: Promise<number>, input: DoctorInput): Promise<Check[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), CONNECT_WAIT_MS);
    timer.unref();
  });
  const first = await Promise.race([
    seen.then(() => 'seen' as const),
    building.then(
      () => 'ended' as const,
      () => 'ended' as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (first === 'seen' || interruptedBy()) return [];
  return await engineChecks(input);
}

/** Run bake (in rounds: retries, --keep-going), following its progress; then the shard result, publishing and the summary. */
async function build(io: Io, opts: BakeArgs, run: BakeRun, command: BakeCommand, c: Colors, signal?: AbortSignal): Promise<number> {
  sayWarnings(io, command);
  const started = Date.now();
  const log = (l: string) => io.stderr.write(l + '\n');
  const pulls = new PullFailures();
  const how = { keepGoing: Boolean(opts.keepGoing), retries: run.retries, log, ...(signal ? { sleep: (s: number) => abortableSleep(s, signal) } : {}) };
  // bake's metadata, read after each round it ended with exit 0 (src/bake/metadata.ts).
  const meta = new BakeMetadata(run.metadataFile, run.userMetadata && !run.atomic && run.metadataFile ? path.relative(io.cwd, run.metadataFile) || run.metadataFile : undefined);
  const rounds = await bakeRounds(run.sel, run.spec.targets, how, async (sel) => {
    const before = meta.stamp();
    const round = await bakeRound(io, run, command, sel, pulls, signal);
    if (round.code === 0 && !round.interruptedBy) meta.afterRound(roundTargets(sel), before);
    return round;
  });
  const res = { code: rounds.exitCode, ...(rounds.last.interruptedBy ? { interruptedBy: rounds.last.interruptedBy } : {}) };
  if (opts.print) return exitCodeOf(res);
  const incompleteShard = command.shard ? shardResultOf(io, opts, command.shard, res.code, meta) : false;
  const cells = run.sel.targets.flatMap((t) => rounds.cells.get(t.target.name) ?? []);
  const release = command.release ? await publishRelease(io, run, command.release, res, c, meta.entries) : undefined;
  const readEnds: AbnormalEnd[] = [];
  const rows = await summaryRows(opts, run, cells, meta, release?.digests, release?.tags, readEnds);
  const localEnds: AbnormalEnd[] = release?.localEnd ? [release.localEnd] : [];
  if (command.shard) await dropLocalTempTags(io, run, command.shard, c, localEnds);
  const elapsed = (Date.now() - started) / 1000;
  const extra = {
    ...(release ? { release: { published: release.published, problems: release.problems } } : {}),
    ...(opts.keepGoing ? { keepGoing: { built: rounds.built, failed: rounds.failed, skipped: rounds.skipped } } : {}),
  };
  // A full, read-only or failing disk stopped it: the machine's fault (exit 74), not the build's.
  const fault = res.interruptedBy ? undefined : rounds.fault;
  // A snapshot the engine's build cache lost failed it: the engine's fault, said as such (exit 1, a failed build).
  const lost = res.interruptedBy || fault ? undefined : rounds.cacheFault;
  // Killed by a signal (exit 74), or docker that could not run the command (125, 126, 127: exit 2).
  const end = res.interruptedBy ? undefined : rounds.last.end;
  // The same after the build (publishing, the digests' read, the local tags): --json says the one the exit code is.
  const after = end || fault || exitCodeOf(res) ? undefined : afterBuildEndOf(release?.end, readEnds[0], localEnds[0]);
  if (opts.json) {
    const shown = end ?? after?.end;
    const faultJson = {
      ...(fault ? { machineFault: { errno: fault.errno, line: fault.line } } : {}),
      ...(lost ? { cacheFault: { snapshot: lost.snapshot, line: lost.line } } : {}),
      ...(shown ? { dockerEnd: { kind: shown.kind, exitCode: shown.code, ...(shown.signal ? { signal: shown.signal } : {}), ...(after ? { during: after.during } : {}) } } : {}),
    };
    io.stdout.write(JSON.stringify({ exitCode: res.code, seconds: elapsed, interrupted: res.interruptedBy ?? null, ...faultJson, ...extra, targets: rows }, null, 2) + '\n');
  } else io.stdout.write(formatSummary(rows, elapsed, c) + '\n' + (opts.keepGoing ? keepGoingText(rounds) : ''));
  for (const w of meta.warnings(run.docker.bin)) io.stderr.write(`${c.yellow('matrix: warning:')} ${w}\n`);
  explainPulls(io, run, pulls);
  if (!res.interruptedBy) explainStepSignals(io, rows, rounds.last.lines);
  if (lost) io.stderr.write(formatCacheFault(lost, 'build', opts.cache && rounds.cacheFaultFromCache !== false));
  if (fault) {
    io.stderr.write(formatMachineFault(fault, 'build', run.tmpDir));
    return 74;
  }
  if (end) {
    io.stderr.write(formatAbnormalEnd(end, 'the build'));
    return endExit(end);
  }
  const code = exitCodeOf(res);
  return code || afterBuildEnd(io, release?.end, readEnds[0], localEnds[0]) || (release && (!release.published || release.problems.length) ? 1 : 0) || (incompleteShard ? 1 : 0);
}

/** The targets a round built, by name (bake's metadata has an entry for each). */
function roundTargets(sel: { targets: readonly { target: { name: string } }[] }): string[] {
  return sel.targets.map((t) => t.target.name);
}

/**
 * imagetools, cosign or docker killed after the build, or a docker or cosign
 * that could not run the command (src/adapters/exit.ts): publishing (its
 * checks, `imagetools create`, the digests read back, `cosign sign`), the
 * read of the pushed digests for the summary, or the engine's local temporary
 * tags (`docker image tag`, `rm`). Said after the summary; the exit code (74,
 * 2) of the first, or 0 when there was none.
 */
function afterBuildEnd(io: Io, publishing: AbnormalEnd | undefined, reading: AbnormalEnd | undefined, local: AbnormalEnd | undefined): number {
  if (publishing) io.stderr.write(formatAbnormalEnd(publishing, 'publishing'));
  else if (reading) io.stderr.write(formatAbnormalEnd(reading, 'reading the pushed digests'));
  // Always its own line: the local tags are tidied whatever happened before.
  if (local) io.stderr.write(formatAbnormalEnd(local, "tidying the engine's local temporary tags"));
  // The same end --json names (afterBuildEndOf).
  const after = afterBuildEndOf(publishing, reading, local);
  return after ? endExit(after.end) : 0;
}

/** The end afterBuildEnd's exit code comes from, and what matrix was doing (`--json`'s dockerEnd.during). */
function afterBuildEndOf(
  publishing: AbnormalEnd | undefined,
  reading: AbnormalEnd | undefined,
  local: AbnormalEnd | undefined,
): { end: AbnormalEnd; during: 'publishing' | 'reading the pushed digests' | 'tidying the local temporary tags' } | undefined {
  if (publishing) return { end: publishing, during: 'publishing' };
  if (reading) return { end: reading, during: 'reading the pushed digests' };
  return local ? { end: local, during: 'tidying the local temporary tags' } : undefined;
}

/**
 * A CI shard's result file, from bake's exit code and metadata. After exit 0, a
 * target bake reported no digest of makes the shard `failed` (ci/shard.ts
 * shardResult): `matrix merge` refuses it, so this run fails now, saying why
 * (it exited 0 with "shard result failed"). True when it did.
 */
function shardResultOf(io: Io, opts: BakeArgs, shard: ShardPlan, exitCode: number, meta: BakeMetadata): boolean {
  const file = path.resolve(io.cwd, opts.shardFile ?? shardFileName(shard));
  const written = writeShardResult(file, shard, { exitCode, metadata: meta.entries });
  io.stderr.write(`matrix: shard result ${written.status}: ${path.relative(io.cwd, file) || file}\n`);
  if (exitCode !== 0 || written.status === 'succeeded') return false;
  const without = Object.entries(written.targets)
    .filter(([, t]) => !t.digest)
    .map(([n]) => n);
  io.stderr.write(`matrix: bake ended with exit 0 but reported no image digest for ${without.join(', ')}: the shard result is incomplete, and \`matrix merge\` refuses it\n`);
  return true;
}

/**
 * A shard on the \`docker\` driver pushed each target under a temporary tag,
 * and the engine's exporter also named the image with it in the local store
 * (src/release/local-tags.ts). The shard result and the registry keep what
 * \`matrix merge\` needs; the local name was never asked for, and on a
 * runner that is not thrown away it would pile up, one per target and run.
 * It goes (the image with it when that was its only name; its layers stay
 * in the build cache). Nothing is tagged: the final tags are merge's.
 */
async function dropLocalTempTags(io: Io, run: BakeRun, shard: ShardPlan, c: Colors, ends: AbnormalEnd[]): Promise<void> {
  const local = shard.targets.filter((t) => t.tempTag).map((t) => ({ temp: t.tempTag!, finals: [] }));
  for (const p of await settleLocalTempTags(run.docker, local, ends)) io.stderr.write(`${c.yellow('matrix:')} ${p}\n`);
}

/** Retries of a bake run that failed for a network or registry reason, or on a cached layer the engine lost (src/release/classify.ts). */
const DEFAULT_RETRIES = 2;

/** A retry's wait, cut short when the build is no longer wanted. */
function abortableSleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** One bake run on `sel`, its progress followed, its lines kept for the failure classifier; stopped (as by SIGTERM) when `signal` aborts. */
async function bakeRound(io: Io, run: BakeRun, command: BakeCommand, sel: BakeSelection, pulls: PullFailures, signal?: AbortSignal): Promise<Round> {
  const tracker = new ProgressTracker(sel.targets.map((t) => ({ target: t.target.name, platforms: t.platforms })));
  const lines: string[] = [];
  if (signal?.aborted) return { code: 1, interruptedBy: 'SIGTERM', cells: tracker.finish(1), lines };
  const args = sel === run.sel ? command.args : command.argsFor(sel);
  const res = await run.docker.stream(
    args,
    { cwd: run.loc.specDir, env: roundEnv(io, run, command), contexts: withDependencies(run.spec, sel).map((t) => t.context), ...(signal ? { signal } : {}) },
    (line) => {
      tracker.line(line);
      pulls.line(line);
      // The error lines always (the failure classifiers read them), the rest up to a bound.
      if (lines.length < 20_000 || isErrorLine(line)) lines.push(line);
      io.stderr.write(line + '\n');
    },
    (chunk) => io.stdout.write(chunk),
  );
  if (res.spawnError) throw dockerMissing(run.docker, res.spawnError);
  if (signal?.aborted) return { code: res.code || 1, interruptedBy: 'SIGTERM', cells: tracker.finish(res.code || 1), lines };
  const cells = reattribute(tracker.finish(res.code), run.spec.targets, (t) => dockerfileText(run.loc.specDir, t));
  // A signal matrix forwarded is an interruption; any other end that says nothing of the build is said as what it is.
  const end = res.code === 0 || res.interruptedBy ? undefined : abnormalEnd(`${run.docker.bin} buildx bake`, res, { plugin: true, said: lines.some(isErrorLine) });
  return { code: res.code, ...(res.interruptedBy ? { interruptedBy: res.interruptedBy } : {}), cells, lines, ...(end ? { end } : {}) };
}

/**
 * bake's environment. With a metadata file, buildx 0.14 and later fetch each
 * target's provenance from the build history after it built, to write it
 * there as `buildx.build.provenance` (build/provenance.go setRecordProvenance,
 * "resolving provenance for metadata file"), unless BUILDX_METADATA_PROVENANCE
 * is `disabled` (docs/reference/buildx_bake.md). matrix reads digests and
 * image names from its own file, never provenance: unless the user asked for
 * the file or set the variable, bake skips that work. The images' own
 * attestations (--provenance, `attest`) are not affected.
 */
function roundEnv(io: Io, run: BakeRun, command: BakeCommand): NodeJS.ProcessEnv {
  const skip = !run.userMetadata && io.env.BUILDX_METADATA_PROVENANCE === undefined;
  return { ...io.env, ...command.buildEnv, ...(skip ? { BUILDX_METADATA_PROVENANCE: 'disabled' } : {}) };
}

/** A target's Dockerfile as it is on disk (the compile read it), for reattribute; undefined when it cannot be read. */
function dockerfileText(specDir: string, t: Target): string | undefined {
  try {
    return readRegularText(path.resolve(specDir, t.dockerfile));
  } catch {
    return undefined;
  }
}

/** --keep-going's summary: built, failed, skipped with the reason. */
function keepGoingText(r: RoundsOutcome): string {
  const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');
  const skipped = r.skipped.map((s) => `${s.target} (${s.reason})`);
  return `built: ${list(r.built)}\nfailed: ${list(r.failed)}\nskipped: ${list(skipped)}\n`;
}

/** An atomic --push after bake: the final tags when every image was pushed, else none (said). */
async function publishRelease(io: Io, run: BakeRun, release: Release, res: { code: number; interruptedBy?: NodeJS.Signals }, c: Colors, metadata: MetadataEntries) {
  const out = { stdout: (s: string) => io.stdout.write(s), stderr: (s: string) => io.stderr.write(s) };
  // The images' own tests, before any final tag moves: a failure blocks publishing.
  const { failures, end } = res.code === 0 ? await releaseTests(run.docker, release, run.specValue, metadata) : { failures: [], end: undefined };
  if (failures.length) io.stderr.write(formatTestFailures(failures));
  return finishRelease(
    out,
    {
      docker: run.docker,
      release,
      exitCode: res.code,
      interrupted: Boolean(res.interruptedBy),
      metadata,
      metadataFile: run.releaseMetadataFile,
      blockers: failures.map((f) => `${f.target} (${f.platform}): test \`${f.test}\` failed: ${f.problem}`),
      ...(end ? { end } : {}),
      retries: run.retries,
      ...(signOf(run.specValue) ? { sign: { sign: signOf(run.specValue)!, specDir: run.loc.specDir, env: io.env } } : {}),
    },
    c,
  );
}

/** A base image that could not be pulled: which, why, and the build arg that points the template at a mirror. */
function explainPulls(io: Io, run: BakeRun, pulls: PullFailures): void {
  if (!pulls.any) return;
  const images = planBaseImages(buildPlan(run.spec, new Map(), run.loc.specDir, hostPlatform()).targets, run.loc.specDir);
  for (const m of pulls.explain(images)) io.stderr.write(`matrix: ${m}\n`);
}

/**
 * Failed steps whose process a signal ended (exit code 137: SIGKILL, the OOM
 * killer's), named with what to do. From the failed rows; when none says
 * which target failed (a --progress other than plain), from buildx's last
 * error line. Still a failed build (exit 1): the step's process is the
 * build's, in the builder; matrix, docker and buildx ran to their end.
 */
function explainStepSignals(io: Io, rows: readonly SummaryRow[], lines: readonly string[]): void {
  const failed = rows.filter((r) => r.status === 'failed');
  const found: (StepSignal & { who?: string })[] = failed.flatMap((r) => (r.stepSignal ? [{ ...r.stepSignal, who: `${r.target} (${r.platform})` }] : []));
  if (!failed.some((r) => r.error?.length)) {
    const last = stepSignalOf(lines);
    // buildx names the target when it built several (0.17 and later); a run of one is that one's.
    const targets = [...new Set(rows.map((r) => r.target))];
    const who = last?.target ?? (targets.length === 1 ? targets[0] : undefined);
    if (last) found.push({ exitCode: last.exitCode, signal: last.signal, ...(who ? { who } : {}) });
  }
  if (found.length) io.stderr.write(formatStepSignals(found));
}

/** bake's exit code, or 128+signal when matrix was interrupted. */
function exitCodeOf(res: Pick<StreamResult, 'code' | 'interruptedBy'>): number {
  return res.interruptedBy ? 128 + signalNumber(res.interruptedBy) : res.code;
}

/** One row per target and platform: status, time, image and digests (from bake's metadata). */
async function summaryRows(
  opts: BakeArgs,
  run: BakeRun,
  cells: ReturnType<ProgressTracker['finish']>,
  metadata: BakeMetadata,
  published?: Map<string, TargetDigests>,
  publishedTags?: ReadonlyMap<string, readonly string[]>,
  ends: AbnormalEnd[] = [],
): Promise<SummaryRow[]> {
  const meta = metadata.entries;
  // Built, as bake's exit 0 says, but of which its metadata says nothing: no image or digest to show. And
  // built in a bake that failed elsewhere: its export ended before bake stopped, and buildx writes no
  // metadata after a failed bake (the summary says so, formatSummary).
  const cellOf = (cell: ReturnType<ProgressTracker['finish']>[number]) =>
    cell.status === 'done' && metadata.missing.has(cell.target)
      ? { ...cell, status: 'no-metadata' as const }
      : cell.status === 'cancelled' && cell.exported
        ? { ...cell, status: 'no-metadata' as const, exportedBeforeFailure: true as const }
        : cell;
  // A release: the digests of the final tags (what was published), never the temporary ones; the image is
  // the first final tag (those the digests were read from).
  if (published)
    return withBlockedBy(
      cells.map((cell) => summaryRow(cellOf(cell), published.get(cell.target), publishedTags?.get(cell.target)?.[0])),
      run.spec.targets,
    );
  // A pushed index is in the registry: its platforms' own manifests are read from there.
  const inspect =
    opts.push || opts.pushByDigest
      ? async (ref: string) => {
          const r = await inspectRaw(run.docker, ref);
          // imagetools killed, or a docker that could not run it: the row shows no digest, and the run says why (build).
          if (r.end) ends.push(r.end);
          return r.code === 0 ? r.stdout : undefined;
        }
      : undefined;
  const digests = await targetDigests(
    meta,
    run.sel.targets.map((t) => ({ target: t.target.name, platforms: t.platforms })),
    inspect,
  );
  return withBlockedBy(
    cells.map((cell) => summaryRow(cellOf(cell), digests.get(cell.target), meta[cell.target]?.['image.name'])),
    run.spec.targets,
  );
}

function summaryRow(
  cell: Omit<ReturnType<ProgressTracker['finish']>[number], 'status'> & { status: SummaryRow['status']; exportedBeforeFailure?: true },
  d: TargetDigests | undefined,
  image: unknown,
): SummaryRow {
  const digest = d?.platforms[normalizePlatform(cell.platform)];
  // The error's last line is the step's own (`#N ERROR: ...`); the ones above it are its output. Exit codes of 128 + n are Linux's.
  const signal = cell.status === 'failed' && !cell.platform.startsWith('windows/') ? stepSignal(cell.error[cell.error.length - 1] ?? '') : undefined;
  return {
    target: cell.target,
    platform: cell.platform,
    status: cell.status,
    ...(cell.startedAt && cell.endedAt ? { seconds: Math.round((cell.endedAt - cell.startedAt) / 100) / 10 } : {}),
    ...(image ? { image: String(image) } : {}),
    ...(digest ? { digest } : {}),
    ...(d?.index ? { indexDigest: d.index } : {}),
    ...(cell.error.length ? { error: cell.error } : {}),
    ...(signal ? { stepSignal: signal } : {}),
    ...(cell.exportedBeforeFailure ? { exportedBeforeFailure: true as const } : {}),
  };
}

/**
 * `-f FILE`: each must be a regular file (a FIFO or device could block bake or
 * feed it without end). Given relative to the working directory; bake runs in
 * the spec's directory, so they are passed relative to that. `cwd://FILE` is
 * FILE, as buildx reads it (commands/bake.go readBakeFiles drops the prefix of
 * a local file): docker/metadata-action's README passes its bake file so
 * (`cwd://${{ steps.meta.outputs.bake-file }}`).
 */
function extraFiles(io: Io, specDir: string, given: readonly string[]): string[] {
  return given.map((f) => {
    // bake reads `-f -` from its standard input (bake/bake.go ReadLocalFiles); matrix runs bake more than once (--print first for --push, rounds).
    if (f === '-') throw userError('bake-file', '-f -: matrix bake does not read a bake file from standard input', { hint: 'write it to a file and give its path: `-f meta.json`' });
    const abs = path.resolve(io.cwd, f.startsWith('cwd://') ? f.slice('cwd://'.length) : f);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw userError('bake-file', `-f ${f}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`, {
        hint: 'give the path of a bake definition file (HCL or JSON), e.g. the `bake-file` output of docker/metadata-action',
      });
    }
    if (!st.isFile()) throw userError('bake-file', `-f ${f}: not a regular file`, { hint: 'give the path of a bake definition file (HCL or JSON)' });
    const rel = path.relative(specDir, abs);
    // (`./-x.json`: never a word bake could read as a flag.)
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? (rel.startsWith('-') ? './' : '') + toPosix(rel) : abs;
  });
}

/**
 * The absolute path of a file this run will write (bake's metadata, a shard
 * result), after checking that it can be: a directory in the way, a missing
 * or read-only directory fail now, as the fault they are, not after the build.
 */
function writableFile(io: Io, file: string, kind: 'file' | 'directory' = 'file'): string {
  const abs = path.resolve(io.cwd, file);
  const fault = (code: string) => Object.assign(new Error(code), { code, syscall: 'write', path: abs });
  try {
    const isDir = statSync(abs).isDirectory();
    if (kind === 'file' && isDir) throw fault('EISDIR');
    if (kind === 'directory' && !isDir) throw fault('ENOTDIR');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || kind === 'directory') throw e;
    if (danglingAt(abs)) throw fault('ENOENT');
  }
  try {
    accessSync(kind === 'file' ? path.dirname(abs) : abs, constants.W_OK);
  } catch (e) {
    throw fault((e as NodeJS.ErrnoException).code ?? 'EACCES');
  }
  return abs;
}

function registryOf(tag: string): string {
  const first = tag.split('/')[0]!;
  return tag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}
