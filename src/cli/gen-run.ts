// The full `gen` and `gen --check`: compile, compare with the disk, write
// (src/cli/gen.ts tries the cached answer first). A gen that ends with every
// file up to date saves what its compile and comparison read (src/cache/).
import { setFlagsFromString } from 'node:v8';
import { saveRecord, recorded, type RunRecord } from '../cache/save.js';
import { cacheEnabled } from '../cache/answer.js';
import { fileSize, realpath, writable } from '../fs/probe.js';
import { gitDirOf } from '../paths.js';
import { colors } from '../diagnostics.js';
import { tempDirOf } from '../fs/temp.js';
import { acquireLock } from '../output/lock.js';
import { formatDrift, formatUpToDate, formatWritten, type Colors } from '../output/format.js';
import { applySync, planSync, type SyncPlan } from '../output/sync.js';
import { outputOrigins, specInputs } from '../output/origins.js';
import { renameNotes } from '../output/renames.js';
import { compileOrThrow, locateSpec, readSpecSource, type Io } from './io.js';
import { UserError } from '../diagnostics.js';
import type { CommandArgs } from './options.js';

type GenOptions = CommandArgs['gen'];

type Compiled = ReturnType<typeof compileOrThrow>;

/**
 * Compile (unless `earlier` was compiled from the same spec text) and compare
 * with the disk.
 */
function planFor(io: Io, opts: GenOptions, earlier?: Compiled) {
  const loc = locateSpec(io, opts.spec);
  if (!earlier) collectSoonerForLargeSpec(loc.specPath);
  const result = earlier && readSpecSource(loc) === earlier.loaded.source ? earlier : compileOrThrow(loc, false, io);
  // A compile reused from before the lock read the disk then: read it again now.
  const known = result === earlier ? undefined : result.outputs;
  const plan = planSync(loc.specDir, loc.repoRoot, result.files!, result.spec!.bakeFile, outputOrigins(result.loaded, result.spec!), specInputs(loc.specPath, loc.specDir, result.spec!), known);
  if (plan.diagnostics.length) throw new UserError(plan.diagnostics);
  return { loc, plan, result };
}

export async function runGenFull(io: Io, opts: GenOptions, color: boolean): Promise<number> {
  const c = colors(color);
  if (opts.check) {
    const { plan, result } = planFor(io, opts);
    const code = await reportCheck(io, plan, c);
    sayRenames(io, plan, result);
    return code;
  }
  const cache = cacheEnabled(io, opts);
  // In its own function: the first compile is garbage by the time the record's compile runs.
  if ((await genOnce(io, opts, c, cache)) && cache) await recordAfterWrite(io, opts);
  return 0;
}

/** Compile, compare and write what changed; true when something was written. An up-to-date run saves its record. */
async function genOnce(io: Io, opts: GenOptions, c: Colors, cache: boolean): Promise<boolean> {
  const { value: first, record } = cache ? await recorded(io, true, (rio) => planFor(rio, opts)) : { value: planFor(io, opts), record: undefined };
  if (!first.plan.changes.length) {
    if (!opts.quiet) io.stdout.write(formatUpToDate(first.plan.unchanged.length));
    saveRecord(io, opts.spec, first.loc, first.plan.unchanged, countsOf(first.result), record);
    return false;
  }
  const release = acquireLock(realpath(first.loc.specDir), 3000, lockDirOf(first.loc.repoRoot) ?? tempDirOf(io.env));
  try {
    // Compare with the disk again under the lock: another run may have
    // written in between. The spec is compiled again only if it changed.
    const { loc, plan, result } = planFor(io, opts, first.result);
    applySync(loc.specDir, plan);
    if (!opts.quiet) io.stdout.write(formatWritten(plan.changes, plan.unchanged.length, c));
    sayRenames(io, plan, result);
  } finally {
    release();
  }
  return true;
}

/**
 * After writing, what `gen --check` would read is no longer what this run's
 * compile read (it looked at the outputs it then replaced): compile once more,
 * recorded, and save the record if that run finds everything up to date. Any
 * failure here only loses the record; what was written stands.
 */
async function recordAfterWrite(io: Io, opts: GenOptions): Promise<void> {
  let again: { value: ReturnType<typeof planFor>; record?: RunRecord };
  try {
    again = await recorded(io, false, (rio) => planFor(rio, opts));
  } catch {
    return;
  }
  if (!again.value.plan.changes.length) saveRecord(io, opts.spec, again.value.loc, again.value.plan.unchanged, countsOf(again.value.result), again.record);
}

/** What `validate` would say of the spec compiled (src/cli/validate.ts). */
function countsOf(result: Compiled): { services: number; targets: number } {
  return { services: result.spec!.services.size, targets: result.spec!.targets.length };
}

/** Why a generated `Dockerfile` gave way to `TARGET.Dockerfile` files (said even with --quiet: a file the user committed goes away). */
function sayRenames(io: Io, plan: SyncPlan, result: Compiled): void {
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

/** Spec size from which a run collects garbage sooner: about 4,000 services of scripts/gen-scale-spec.mjs. */
const LARGE_SPEC_BYTES = 512 * 1024;

/**
 * A large spec keeps 80-100 MB alive while it compiles and renders, and V8
 * lets the heap grow to about twice that before a full collection. Growing
 * it by a fifth at a time instead keeps the peak near what is alive, for the
 * same CPU (measured on 10,000 services: peak RSS 294 -> 220 MB, user time
 * unchanged). Set here, not when matrix starts: V8 rejects a code cache made
 * under other flags, so every loaded chunk would compile again; a small spec
 * never needs it. The chunks a large run may still load (the diff) compile
 * without their cache, a few milliseconds beside seconds of compiling.
 */
function collectSoonerForLargeSpec(specPath: string): void {
  let size: number | undefined;
  try {
    size = fileSize(specPath);
  } catch {
    return; // Reading the spec reports it.
  }
  if (size !== undefined && size >= LARGE_SPEC_BYTES) setFlagsFromString('--heap-growing-percent=20');
}

/** The repository's git directory when matrix may write there (private to the repository), else undefined (the temp dir). */
function lockDirOf(repoRoot: string): string | undefined {
  const dir = gitDirOf(repoRoot);
  if (!dir) return undefined;
  return writable(dir) ? dir : undefined;
}
