// `matrix verify`: rebuild targets from the current tree, without cache and
// without pushing, and check that each platform's image manifest is the one
// that was pushed (or recorded by `matrix bake --metadata-file`). The rebuild
// is exported as an OCI layout (the one output that gives per-platform
// manifest digests on every driver, `docker` included); it uses exactly the
// inputs `matrix bake` uses, SOURCE_DATE_EPOCH from git among them.
import { printedTargets } from '../release/atomic.js';
import { lstatSync } from 'node:fs';
import { readJsonFile } from '../fs/read.js';
import { keepOwned, ownedNewDir, ownedTempDir, removeOwned } from '../fs/owned.js';
import { tempDirOf } from '../fs/temp.js';
import path from 'node:path';
import { bakeArgs, selectTargets, setTarget, type BakeFlags, type BakeSelection } from '../bake/command.js';
import { colors, userError } from '../diagnostics.js';
import { runDoctor, type Check } from '../doctor/doctor.js';
import { dockerAt, dockerMissing, dockerOf, throwIfEnded, type Docker } from '../adapters/docker.js';
import { lastLine, shellQuote, signalNumber } from '../adapters/process.js';
import { hostPlatform } from '../platforms.js';
import { bakeInputs, withDependencies, type BakeInputs } from '../repro/inputs.js';
import { parseAllow } from '../bake/entitlements.js';
import { allowFlags, refuseOutsideReads } from '../bake/allow.js';
import type { CheckedSpec } from '../validate/schema.js';
import { normalizePlatform } from '../platforms.js';
import type { PlatformImage } from '../repro/manifests.js';
import { readLayout } from '../repro/oci.js';
import { imageDetails, pushedImages, repositoryOf, withTag, type RegistryReader } from '../repro/registry.js';
import { compareTarget, explainRow, formatVerify, type VerifyRow } from '../repro/report.js';
import { blockedExit, formatAbnormalEnd, formatBlocked, formatCacheFault, formatMachineFault, formatStepSignals } from '../output/format.js';
import { abnormalEnd, EndedError, endExit } from '../adapters/exit.js';
import { cacheFault, isErrorLine, machineFault, stepSignalOf } from '../release/classify.js';
import type { CommandArgs } from './options.js';
import type { ResolvedSpec } from '../spec.js';
import { compileCommitted, type Io, type SpecLocation } from './io.js';
import { buildPlan } from '../plan/build-plan.js';

/**
 * `against`: a tag (applied to each target's first tag) or, for one target, a
 * full reference; `metadataFile`: a `matrix bake --metadata-file` output to
 * read the expected digests from; `keep`: keep the rebuilt OCI layouts there
 * instead of in a temporary directory.
 */
type VerifyOptions = CommandArgs['verify'];

interface Expected {
  ref?: string;
  images?: PlatformImage[];
  error?: string;
}

export async function runVerify(io: Io, opts: VerifyOptions, color: boolean): Promise<number> {
  // Options that do not go together: said before the spec is read.
  if (opts.against !== undefined && opts.metadataFile) throw userError('verify-usage', 'give --against or --metadata-file, not both');
  const committed = await compileCommitted(io, opts.spec, 'verify rebuilds what is committed');
  if (committed === 1) return 1;
  const { loc, result } = committed;
  const spec = result.spec!;
  if (opts.signatures) return (await import('../release/verify-signatures.js')).verifySignatures(io, loc, spec, result.loaded.value, opts.targets);
  const allowed = parseAllow(opts.allow, io.cwd);
  const { rebuild, keep } = await prepareRebuild(io, opts, loc, spec);
  refuseOutsideReads(result.loaded as CheckedSpec, loc, withDependencies(spec, rebuild.sel), allowed);
  const warnings: string[] = [];
  rebuild.allow = await allowFlags(rebuild.engine, allowed, loc.specDir, warnings);
  for (const w of warnings) io.stderr.write(`matrix: warning: ${w}\n`);
  if (opts.dryRun) return printVerifyDryRun(io, rebuild, keep);
  if (keep) checkKeep(opts, keep, rebuild.sel);
  const work: WorkDirs = { dir: keep ?? ownedTempDir('matrix-verify-', io.env), keep, created: [], kept: false };
  try {
    return await rebuildAndCompare(io, rebuild, result.files!, work, colors(color));
  } catch (e) {
    // imagetools killed, or a docker that could not run it, reading the pushed images (src/repro/registry.ts), or bake --print for their tags.
    if (!(e instanceof EndedError)) throw e;
    io.stderr.write(formatAbnormalEnd(e.end, e.subject ?? 'reading the pushed images'));
    return endExit(e.end);
  } finally {
    // Only what this run created: the temp dir, or the layouts of a run that did not finish.
    if (!keep) removeOwned(work.dir);
    for (const dir of work.created.reverse()) (work.kept ? keepOwned : removeOwned)(dir);
  }
}

/** Where the rebuild exports: --keep DIR (layouts kept) or an owned temp dir; what this run created in it. */
interface WorkDirs {
  dir: string;
  keep: string | undefined;
  created: string[];
  kept: boolean;
}

/** The selection, the build inputs and the engines of a rebuild; refuses an export path bake would split. */
async function prepareRebuild(io: Io, opts: VerifyOptions, loc: Rebuild['loc'], spec: Rebuild['spec']): Promise<{ rebuild: Rebuild; keep: string | undefined }> {
  const sel = checkedSelection(opts, spec);
  const docker = dockerOf(io.env);
  const inputs = await bakeInputs(loc, spec, sel, io.env, (m) => io.stderr.write(`matrix: warning: ${m}\n`));
  // With the build's environment: tags may use git values.
  const rebuild: Rebuild = { loc, spec, sel, opts, inputs, engine: docker, docker: dockerAt(docker.bin, { ...io.env, ...inputs.env }) };
  const keep = opts.keep !== undefined ? path.resolve(io.cwd, opts.keep) : undefined;
  // bake reads an output as CSV: a comma or quote in the path would split it.
  if (/[,"\r\n]/.test(keep ?? tempDirOf(io.env)))
    throw userError('verify-usage', `cannot export to ${keep ?? tempDirOf(io.env)}: the path contains a comma, quote or newline`, {
      hint: keep ? 'choose another --keep directory' : 'set TMPDIR to another directory',
    });
  return { rebuild, keep };
}

/** --dry-run: the exact rebuild command, with the environment bake would get. */
function printVerifyDryRun(io: Io, rebuild: Rebuild, keep: string | undefined): number {
  const envText = Object.entries(rebuild.inputs.env)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => shellQuote([`${k}=${v}`]))
    .join(' ');
  const workDir = keep ?? path.join(tempDirOf(io.env), 'matrix-verify-XXXXXX');
  io.stdout.write(`cd ${shellQuote([rebuild.loc.specDir])} && ${envText ? envText + ' ' : ''}${shellQuote([rebuild.engine.bin, ...rebuildArgs(rebuild, workDir)])}\n`);
  return 0;
}

/** Check the engine, read what is expected, rebuild into `work.dir`, compare and report. */
async function rebuildAndCompare(io: Io, rebuild: Rebuild, files: ReadonlyMap<string, string>, work: WorkDirs, c: ReturnType<typeof colors>): Promise<number> {
  const started = Date.now();
  const { loc, sel, opts } = rebuild;
  const failed = (await engineChecks(rebuild, files)).filter((ch) => ch.status === 'fail');
  if (failed.length) {
    io.stderr.write(formatBlocked(failed, 'rebuild', c));
    return blockedExit(failed);
  }
  const expected = await expectedImages(
    io,
    opts,
    sel.targets.map((t) => t.target.name),
    rebuild.docker,
    () => resolvedTags(rebuild.docker, loc.specDir, bakeCommand(rebuild, { print: true, set: opts.set })),
  );
  if (![...expected.values()].some((e) => e.images)) {
    for (const [name, e] of expected) io.stderr.write(`matrix: ${name}: ${e.error}\n`);
    io.stderr.write('matrix: nothing to compare with, so nothing was rebuilt. Push the images first (`matrix bake --push`), or point --against / --metadata-file at what was pushed.\n');
    return 1;
  }
  // Each layout directory is new and ours (see checkKeep); buildx exports into it.
  if (work.keep) for (const { target } of sel.targets) work.created.push(ownedNewDir(path.join(work.dir, target.name)));
  const errors: string[] = [];
  const res = await rebuild.docker.stream(
    rebuildArgs(rebuild, work.dir),
    { cwd: loc.specDir, contexts: withDependencies(rebuild.spec, sel).map((t) => t.context) },
    (line) => {
      if (isErrorLine(line)) errors.push(line);
      io.stderr.write(line + '\n');
    },
    (chunk) => io.stderr.write(chunk),
  );
  if (res.spawnError) throw dockerMissing(rebuild.engine, res.spawnError);
  if (res.interruptedBy) return 128 + signalNumber(res.interruptedBy);
  const fault = res.code !== 0 ? machineFault(errors) : undefined;
  if (fault) {
    io.stderr.write(formatMachineFault(fault, 'rebuild'));
    return 74;
  }
  // Killed by a signal matrix did not send (74), or a docker that could not run the command (2): src/adapters/exit.ts.
  const end = res.code !== 0 ? abnormalEnd(`${rebuild.docker.bin} buildx bake`, res, { plugin: true, said: errors.length > 0 }) : undefined;
  if (end) {
    io.stderr.write(formatAbnormalEnd(end, 'the rebuild'));
    return endExit(end);
  }
  if (res.code !== 0) {
    explainFailure(io, errors);
    io.stderr.write(`matrix: the rebuild failed (exit ${res.code}); nothing was compared.\n`);
    return 1;
  }
  const rows = await compareRows(rebuild, expected, work.dir);
  const seconds = (Date.now() - started) / 1000;
  const ok = rows.every((r) => r.match);
  work.kept = true;
  if (opts.json) io.stdout.write(JSON.stringify({ match: ok, seconds, targets: rows }, null, 2) + '\n');
  else io.stdout.write(formatVerify(rows, seconds, c) + '\n');
  return ok ? 0 : 1;
}

/**
 * What a failed rebuild's error lines say beyond the failure, each still a failed rebuild: a
 * snapshot the engine lost, a step whose process a signal ended (exit code 137: SIGKILL).
 */
function explainFailure(io: Io, errors: readonly string[]): void {
  const lost = cacheFault(errors);
  if (lost) io.stderr.write(formatCacheFault(lost, 'rebuild', false));
  const killed = stepSignalOf(errors);
  if (killed) {
    const { target, ...signal } = killed;
    io.stderr.write(formatStepSignals([{ ...signal, ...(target ? { who: target } : {}) }]));
  }
}

/** What one verify run rebuilds, and with what. */
interface Rebuild {
  loc: SpecLocation;
  spec: ResolvedSpec;
  sel: BakeSelection;
  opts: VerifyOptions;
  inputs: BakeInputs;
  /** docker with the Io's environment, for the engine checks. */
  engine: Docker;
  /** docker with the build's environment (the Io's and the git values): the rebuild and the registry reads. */
  docker: Docker;
  /** --allow values passed on to bake (where it takes them). */
  allow?: readonly string[] | undefined;
}

/** The selected targets, after the option combinations verify cannot honour were refused. */
function checkedSelection(opts: VerifyOptions, spec: ResolvedSpec): BakeSelection {
  // As bake reads the key (setTarget): `api.output.x=...` sets `output` too.
  if (opts.set.some((s) => ['output', 'push', 'load'].includes(setTarget(s).field ?? ''))) {
    throw userError('verify-output', '`matrix verify` chooses the outputs itself (an OCI layout, nothing pushed)', { hint: 'drop the --set of output/push/load' });
  }
  const against = opts.against;
  const fullRef = against !== undefined && /[/:@]/.test(against);
  if (against !== undefined && !fullRef && !/^[\w][\w.-]{0,127}$/.test(against)) {
    throw userError('verify-usage', `--against ${against} is neither a tag nor an image reference`, {
      hint: "a tag (v1.2.3) is applied to each target's first tag; a reference (registry/name:tag) needs one target",
    });
  }
  const sel = selectTargets(spec, opts.targets, opts.platform.length ? opts.platform : undefined);
  if (fullRef && sel.targets.length > 1) {
    throw userError('verify-usage', `--against ${against} is one image, but ${sel.targets.length} targets are selected`, {
      hint: "name one target, or pass a tag: it replaces the tag of each target's first tag",
    });
  }
  return sel;
}

/** The same command as `matrix bake`, with the given flags. */
function bakeCommand(r: Rebuild, extra: BakeFlags): string[] {
  const platforms = r.opts.platform.length ? r.opts.platform : undefined;
  const flags: BakeFlags = {
    ...extra,
    ...(r.opts.builder ? { builder: r.opts.builder } : {}),
    ...(platforms ? { platforms } : {}),
    ...(r.allow && !extra.print ? { allow: r.allow } : {}),
    ownSets: r.inputs.sets,
  };
  return bakeArgs(r.spec.bakeFile, r.sel, flags);
}

/** The rebuild: `matrix bake`'s command with --no-cache and an OCI layout per target in `workDir` instead of a push. */
function rebuildArgs(r: Rebuild, workDir: string): string[] {
  return bakeCommand(r, {
    noCache: true,
    progress: r.opts.progress ?? 'plain',
    set: [...r.opts.set, ...r.sel.targets.map(({ target }) => `${target.name}.output=type=oci,dest=${path.join(workDir, target.name)},tar=false`)],
  });
}

/**
 * --keep DIR: DIR may exist (a directory, not a link), but each DIR/TARGET is
 * created by this run (it must not exist), so a failed or interrupted run
 * removes only what it created, never a directory of the user's.
 */
function checkKeep(opts: VerifyOptions, keep: string, sel: BakeSelection): void {
  const st = lstatSync(keep, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw userError('verify-usage', `--keep ${opts.keep}: ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`, { hint: 'give a new directory, or an existing directory (not a link)' });
  for (const { target } of sel.targets) {
    if (lstatSync(path.join(keep, target.name), { throwIfNoEntry: false })) {
      throw userError('verify-usage', `--keep ${opts.keep}: ${path.join(keep, target.name)} already exists; matrix verify writes each target's layout to a new directory and never replaces one`, {
        hint: 'choose a new or empty directory for --keep, or move that one away',
      });
    }
  }
}

function engineChecks(r: Rebuild, files: ReadonlyMap<string, string>): Promise<Check[]> {
  const plan = buildPlan(r.spec, files, r.loc.specDir, hostPlatform(), r.docker.env);
  const selected = new Set(r.sel.targets.map((t) => t.target.name));
  return runDoctor({
    docker: r.engine,
    ...(r.opts.builder ? { builder: r.opts.builder } : {}),
    platforms: [...new Set(r.sel.targets.flatMap((t) => t.platforms))],
    emulatedPlatforms: [...new Set(plan.targets.filter((t) => selected.has(t.name)).flatMap((t) => t.platforms.filter((p) => p.mode === 'emulated').map((p) => p.platform)))],
    registries: [],
    // An OCI export from the docker driver needs the containerd image store, as multi-platform output does.
    multiPlatform: true,
  });
}

/** Each platform of each rebuilt layout against what was pushed; a difference is explained from the pushed image's details. */
async function compareRows(r: Rebuild, expected: Map<string, Expected>, workDir: string): Promise<VerifyRow[]> {
  const rows: VerifyRow[] = [];
  for (const { target, platforms } of r.sel.targets) {
    const exp = expected.get(target.name)!;
    let actual: { images?: PlatformImage[]; error?: string };
    try {
      actual = { images: readLayout(path.join(workDir, target.name)) };
    } catch (e) {
      actual = { error: `cannot read the rebuilt image: ${(e as Error).message}` };
    }
    for (const row of compareTarget(target.name, platforms, exp, actual)) {
      if (row.match || row.error || !exp.ref) {
        rows.push(row);
        continue;
      }
      const a = actual.images!.find((i) => i.platform === row.platform)!;
      const e = exp.images!.find((i) => i.platform === row.platform)!;
      let details: PlatformImage = e;
      try {
        details = await imageDetails(r.docker, repositoryOf(exp.ref), e);
      } catch (err) {
        // A registry error is explained as "cannot tell where"; a killed imagetools is said as that.
        if (err instanceof EndedError) throw err;
      }
      rows.push(explainRow(row, details, a));
    }
  }
  return rows;
}

/** Per target: the reference to compare with and its per-platform manifests. */
async function expectedImages(io: Io, opts: VerifyOptions, targets: string[], reader: RegistryReader, tags: () => Promise<Map<string, string[]>>): Promise<Map<string, Expected>> {
  const refs = new Map<string, Expected>();
  if (opts.metadataFile) {
    const file = path.resolve(io.cwd, opts.metadataFile);
    const raw = readJsonFile(file, { display: opts.metadataFile, hint: 'write it with `matrix bake --push --metadata-file FILE`' });
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw userError('verify-metadata', `cannot read ${opts.metadataFile}: not a bake metadata file (a JSON object keyed by target)`, {
        hint: 'write it with `matrix bake --push --metadata-file FILE`',
      });
    const meta = raw as Record<string, Record<string, unknown>>;
    for (const t of targets) {
      const m = meta[t];
      const digest = m?.['containerimage.digest'];
      const name = String(m?.['image.name'] ?? '')
        .split(',')[0]
        ?.trim();
      refs.set(
        t,
        typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) && name ? { ref: `${repositoryOf(name)}@${digest}` } : { error: `${opts.metadataFile} records no pushed image for ${t}` },
      );
    }
  } else if (opts.against !== undefined && /[/:@]/.test(opts.against)) {
    refs.set(targets[0]!, { ref: opts.against });
  } else {
    const resolved = await tags();
    for (const t of targets) {
      const first = resolved.get(t)?.[0];
      if (!first) refs.set(t, { error: `${t} has no tag to compare with; pass --against or --metadata-file` });
      else refs.set(t, { ref: opts.against !== undefined ? withTag(first, opts.against) : first });
    }
  }
  const seen = new Map<string, string>();
  for (const [t, e] of refs) {
    if (!e.ref) continue;
    const other = seen.get(e.ref);
    if (other) throw userError('verify-usage', `${other} and ${t} would both be compared with ${e.ref}`, { hint: 'verify them one at a time with --against REF, or give each its own tag' });
    seen.set(e.ref, t);
  }
  await Promise.all(
    [...refs.values()].map(async (e) => {
      if (!e.ref) return;
      try {
        e.images = (await pushedImages(reader, e.ref)).map((i) => ({ ...i, platform: normalizePlatform(i.platform) }));
      } catch (err) {
        if (err instanceof EndedError) throw err;
        e.error = `cannot read ${e.ref}: ${(err as Error).message}`;
      }
    }),
  );
  return refs;
}

/** The tags bake would push each target to (after --set overrides and bake variables). */
async function resolvedTags(docker: Docker, cwd: string, printArgs: string[]): Promise<Map<string, string[]>> {
  const r = await docker.capture(printArgs, { cwd, timeoutMs: 60_000 });
  if (r.spawnError) throw dockerMissing(docker, r.spawnError);
  // Killed, or a docker that could not run it (src/adapters/exit.ts): not an error of the spec or the files.
  throwIfEnded(docker, printArgs, r, 'reading the tags to compare with', '--print');
  if (r.code !== 0) throw userError('bake-print', `docker buildx bake --print failed: ${lastLine(r)}`);
  // Read as bake's --print output is read everywhere (release/atomic.ts): anything else is error bake-print, never a crash.
  return new Map(Object.entries(printedTargets(r.stdout)).map(([name, t]) => [name, t.tags ?? []]));
}
