// The full `gen` and `gen --check`: compile, compare with the disk, write
// (src/cli/gen.ts tries the cached answer first). A gen that ends with every
// file up to date saves what its compile and comparison read (src/cache/).
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { saveRecord, recorded, recordedWhenKept, type RunRecord } from '../cache/save.js';
import { isLargeSpec } from '../cache/large.js';
import { realpath, writable } from '../fs/probe.js';
import { replayAnswer } from '../fs/recorder.js';
import { withPathMemo } from '../fs/path-memo.js';
import { gitDirOf } from '../paths.js';
import { colors } from '../diagnostics.js';
import { tempDirOf } from '../fs/temp.js';
import { acquireLock } from '../output/lock.js';
import { formatDrift, formatUpToDate, formatWritten, type Colors } from '../output/format.js';
import { applySync, planSync, type OutputFiles, type OutputOrigins, type SyncPlan } from '../output/sync.js';
import { textDigest } from '../output/digest.js';
import { afterPoll, holdSignals } from '../adapters/process.js';
import { outputOrigins, specInputs } from '../output/origins.js';
import { assumeOutputFile } from '../output/existing.js';
import { renameNotes } from '../output/renames.js';
import { compileOrThrow, locateSpec, readSpecSource, type Io, type SpecLocation } from './io.js';
import { loadSpec } from '../load/load.js';
import type { CheckedSpec } from '../validate/schema.js';
import { UserError } from '../diagnostics.js';
import type { CommandArgs } from './options.js';

type GenOptions = CommandArgs['gen'];

type Compiled = ReturnType<typeof compileOrThrow>;

/**
 * What a writing `gen` keeps of its first compile while it takes the lock,
 * compares again and writes: the files and the resolved spec, and the spec's
 * text as its digest. Not the spec as loaded (its text and value: 4.6 MB at
 * 10,000 services, only the comparison's refusals use it, and the second
 * comparison finds them in the text it reads again), nor what resolve found
 * at each output path (the first comparison's, read again under the lock).
 */
interface Kept {
  files: OutputFiles;
  spec: NonNullable<Compiled['spec']>;
  sourceDigest: string;
}

/** What the second comparison needs of a compile: it keeps nothing else alive. */
function keptOf(result: Compiled | Kept): Kept {
  return 'sourceDigest' in result ? result : { files: result.files!, spec: result.spec!, sourceDigest: textDigest(result.loaded.source) };
}

/**
 * Compile (unless `earlier` was compiled from the same spec text) and compare
 * with the disk: one phase that writes nothing, so each path is asked once
 * (src/fs/path-memo.ts), and afresh on each call.
 */
function planFor(io: Io, opts: GenOptions, earlier?: Kept) {
  return withPathMemo(() => compileAndCompare(io, opts, earlier));
}

function compileAndCompare(io: Io, opts: GenOptions, earlier?: Kept): { loc: SpecLocation; plan: SyncPlan; result: Compiled | Kept } {
  const loc = locateSpec(io, opts.spec);
  if (!earlier) collectSoonerForLargeSpec(loc.specPath);
  const source = earlier && readSpecSource(loc);
  if (earlier && textDigest(source!) === earlier.sourceDigest) {
    // A compile reused from before the lock read the disk then: read it again now.
    const origins = reloadedOrigins(loc, source!, earlier.spec);
    return { loc, plan: planChecked(loc, earlier.files, earlier.spec, origins), result: earlier };
  }
  const result = compileOrThrow(loc, false, io);
  return { loc, plan: planChecked(loc, result.files!, result.spec!, outputOrigins(result.loaded, result.spec!), result.outputs), result };
}

function planChecked(loc: SpecLocation, files: OutputFiles, spec: Kept['spec'], origins: OutputOrigins, known?: Compiled['outputs']): SyncPlan {
  const plan = planSync(loc.specDir, loc.repoRoot, files, spec.bakeFile, origins, specInputs(loc.specPath, loc.specDir, spec), known);
  if (plan.diagnostics.length) throw new UserError(plan.diagnostics);
  return plan;
}

/**
 * outputOrigins for a compile reused on `source`, the same text it was
 * compiled from: loaded again only if a refusal asks where an output comes
 * from. The text passed the compile's checks, so its value has the
 * checked shape.
 */
function reloadedOrigins(loc: SpecLocation, source: string, spec: Kept['spec']): OutputOrigins {
  let origins: OutputOrigins | undefined;
  return { get: (file) => (origins ??= outputOrigins(loadSpec(loc.displayName, source) as CheckedSpec, spec)).get(file) };
}

export async function runGenFull(io: Io, opts: GenOptions, color: boolean): Promise<number> {
  const c = colors(color);
  if (opts.check) return await checkOnce(io, opts, c);
  await genOnce(io, opts, c);
  return 0;
}

/**
 * `gen --check`: compile and compare, writing no generated file. One that
 * finds every file up to date keeps the record an up-to-date `gen` keeps
 * (the same reads of the same compile and comparison), so in a fresh clone,
 * where no `gen` ran, the second check (and `validate`) answers from it.
 */
async function checkOnce(io: Io, opts: GenOptions, c: Colors): Promise<number> {
  const { value, record } = await recordedWhenKept(io, opts, (rio) => planFor(rio, opts));
  const { loc, plan, result } = value;
  if (!plan.changes.length) saveRecord(io, opts.spec, loc, plan.unchanged, countsOf(result), record);
  const code = await reportCheck(io, plan, c);
  sayRenames(io, plan, result);
  return code;
}

/** Compile, compare and write what changed; true when something was written. An up-to-date run saves its record. */
async function genOnce(io: Io, opts: GenOptions, c: Colors): Promise<boolean> {
  const changed = await firstComparison(io, opts);
  if (!changed) return false;
  await writeChanges(io, opts, c, changed.loc, changed.kept, changed.record);
  return true;
}

/**
 * The comparison before the lock: undefined when every file is up to date
 * (said, and the record saved), else what writeChanges needs of it. In a
 * function of its own so that nothing else of it (its plan, an object per
 * file, and the compile as it was) stays referenced while the files are
 * compared again and written.
 */
async function firstComparison(io: Io, opts: GenOptions): Promise<{ loc: SpecLocation; kept: Kept; record: RunRecord | undefined } | undefined> {
  const { value: first, record } = await recordedWhenKept(io, opts, (rio) => planFor(rio, opts));
  if (first.plan.changes.length) return { loc: first.loc, kept: keptOf(first.result), record };
  if (!opts.quiet) io.stdout.write(formatUpToDate(first.plan.unchanged.length));
  saveRecord(io, opts.spec, first.loc, first.plan.unchanged, countsOf(first.result), record);
  return undefined;
}

/** Under the lock: compare again (`first`, the compile before it, is reused if the spec did not change), write, keep the record. */
async function writeChanges(io: Io, opts: GenOptions, c: Colors, firstLoc: SpecLocation, first: Kept, record: RunRecord | undefined): Promise<void> {
  const release = acquireLock(realpath(firstLoc.specDir), 3000, lockDirOf(firstLoc.repoRoot) ?? tempDirOf(io.env));
  try {
    // Compare with the disk again under the lock: another run may have
    // written in between. The spec is compiled again only if it changed.
    const written = planFor(io, opts, first);
    const { loc, plan, result } = written;
    await holdingSignals(async () => {
      await applySync(loc.specDir, plan);
      if (!opts.quiet) io.stdout.write(formatWritten(plan.changes, plan.unchanged.length, c));
      sayRenames(io, plan, result);
      // Under the lock, so no other run writes while the files are read back.
      if (record?.usable && written.result === first) await recordAfterWrite(io, opts, record, written);
    }, release);
  } finally {
    release();
  }
}

/**
 * Run the rest of a writing `gen` with signals held (src/adapters/process.ts):
 * a SIGINT, SIGTERM or SIGHUP that comes meanwhile waits until every file is
 * renamed into place and the record is kept, then ends the run (128+signal,
 * with its line on stderr), after `unlock` releases gen's lock. Without that, a signal ended the process between
 * two renames (half of the files new, temporary files left), or, once they
 * were renamed, while it read them back for the record (exit by the signal,
 * without its line).
 */
async function holdingSignals(write: () => Promise<void>, unlock: () => void): Promise<void> {
  const release = holdSignals();
  try {
    await write();
  } finally {
    // A signal that came during the last writes reaches the handler first (else it is lost with the handler).
    await afterPoll();
    // The lock before a held signal ends the process: that exit runs no `finally` of the caller, and a lock
    // left with this pid in it blocked every later gen where each run has the same pid (pid 1 in a container).
    unlock();
    release();
  }
}

type Planned = ReturnType<typeof planFor>;

/**
 * After writing, what `gen --check` would read differs from what this run's
 * compile and comparison read only in the files it wrote or removed (and the
 * directories holding them). The comparison's reads of each written file
 * are known without making them: the file is what was just written
 * (output/existing.ts assumeOutputFile notes them with the text's digest).
 * Every other read of the run about those paths is asked again, and every
 * read about other paths keeps the answer the compile saw (reanswered).
 * Together they are what an up-to-date run reads (the property test,
 * test/unit/cache-property.test.ts, holds the record to that, and
 * test/unit/gen-record-after-write.test.ts to the record an up-to-date
 * `gen --check` keeps). Reading every file back instead was about a tenth of
 * a fresh `gen` of 1,000 services. A file changed by someone else after this
 * run renamed it into place is no risk: the next run reads it, finds another
 * digest than the record's, and compiles. Any failure here only loses the record.
 */
async function recordAfterWrite(io: Io, opts: GenOptions, first: RunRecord, written: Planned): Promise<void> {
  const { loc, plan, result } = written;
  const files: OutputFiles = result.files!;
  // The digest of the text written: from the text where the compile kept it (the bake file's digestOf would
  // render it again), else the one the compile knows (render/files.ts GeneratedFiles), else the text's.
  const digestOf = (file: string) => {
    const kept = files.keptText?.(file);
    return kept !== undefined ? textDigest(kept) : (files.digestOf?.(file) ?? textDigest(files.get(file)!));
  };
  let assumed: RunRecord | undefined;
  try {
    ({ record: assumed } = await recorded(io, false, () => {
      for (const c of plan.changes) if (c.kind !== 'delete') assumeOutputFile(path.resolve(loc.specDir, c.file), digestOf(c.file));
    }));
  } catch {
    return;
  }
  if (!assumed?.usable) return;
  const observations = reanswered(first.observations, touchedBy(loc, plan), assumed.observations);
  if (!observations) return;
  // Every output is up to date now, in the order a comparison lists them (output/sync.ts planOutputs).
  saveRecord(io, opts.spec, loc, [...files.keys()], countsOf(result), { observations, env: first.env, usable: true });
}

/** The absolute paths a sync wrote or removed, and every directory above them up to the repository. */
function touchedBy(loc: { specDir: string; repoRoot: string }, plan: SyncPlan): Set<string> {
  const touched = new Set<string>();
  for (const change of plan.changes) {
    for (let p = path.resolve(loc.specDir, change.file); !touched.has(p); p = path.dirname(p)) {
      touched.add(p);
      if (p === loc.repoRoot || p === path.dirname(p)) break;
    }
  }
  return touched;
}

/**
 * The first run's reads as they answer after the write, then the comparison's
 * own (`after`, its reads of the files written, known from what was written).
 * A call the comparison made has its answer from it. Any other call about
 * touched paths only is asked again (the write may have changed its answer);
 * every other call keeps the answer the compile saw, which is what the compile
 * depended on (if it changed meanwhile, the next run's replay finds that and
 * compiles). Undefined when a call asked again cannot answer.
 */
function reanswered(observations: ReadonlyMap<string, string>, touched: ReadonlySet<string>, after: ReadonlyMap<string, string>): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const [key, answer] of observations) {
    const fresh = after.get(key);
    if (fresh !== undefined) {
      out.set(key, fresh);
      continue;
    }
    const call = JSON.parse(key) as unknown[];
    const paths = call.slice(1).filter((a): a is string => typeof a === 'string' && path.isAbsolute(a));
    if (!paths.length || !paths.every((p) => touched.has(p))) {
      out.set(key, answer);
      continue;
    }
    const now = replayAnswer(call);
    if (now === undefined) return undefined;
    out.set(key, now);
  }
  for (const [key, answer] of after) if (!out.has(key)) out.set(key, answer);
  return out;
}

/** What `validate` would say of the spec compiled (src/cli/validate.ts). */
function countsOf(result: Compiled | Kept): { services: number; targets: number } {
  return { services: result.spec!.services.size, targets: result.spec!.targets.length };
}

/** Why a generated `Dockerfile` gave way to `TARGET.Dockerfile` files (said even with --quiet: a file the user committed goes away). */
function sayRenames(io: Io, plan: SyncPlan, result: Compiled | Kept): void {
  for (const note of renameNotes(plan.changes, result.spec!.targets)) io.stderr.write(`matrix: ${note}\n`);
}

async function reportCheck(io: Io, plan: SyncPlan, c: Colors): Promise<number> {
  if (!plan.changes.length) {
    io.stdout.write(formatUpToDate(plan.unchanged.length));
    return 0;
  }
  // The diff is needed only now: most runs (pre-commit hooks) find nothing to show.
  const { unifiedDiff } = await import('../output/diff.js');
  io.stdout.write(formatDrift(plan.changes, unifiedDiff, c));
  return 1;
}

/**
 * A large spec keeps about 45 MB alive once it is compiled (the model of
 * 20,000 targets at 10,000 services), and V8 lets the heap grow to several
 * times that before a full collection. Growing it by about a third at a time
 * instead keeps the peak near what is alive, and the young generation keeps
 * its first size instead of growing to 32 MB: peak RSS 209-218 MB without
 * these settings, 140-150 MB with them (10,000 services, 2026-12-04, after
 * the render allocated a third less). Growth by a fifth gave the same peak
 * with four more full collections (17 against 13, 318 against 181 ms). They
 * cost time still: `gen` used about 0.3-0.5 s more CPU than without them, in
 * interleaved runs on the same directory, and ended within 2-12% of 9f45e76's
 * wall time, which peaks at 360 MB. Set here, not when matrix starts: V8
 * rejects a code cache made under other flags, so every loaded chunk would
 * compile again; a small spec never needs it. The chunks a large run may
 * still load (the diff) compile without their cache, a few milliseconds
 * beside seconds of compiling.
 */
function collectSoonerForLargeSpec(specPath: string): void {
  if (isLargeSpec(specPath)) setFlagsFromString('--heap-growing-percent=35 --semi-space-growth-factor=1');
}

/** The repository's git directory when matrix may write there (private to the repository), else undefined (the temp dir). */
function lockDirOf(repoRoot: string): string | undefined {
  const dir = gitDirOf(repoRoot);
  if (!dir) return undefined;
  return writable(dir) ? dir : undefined;
}
