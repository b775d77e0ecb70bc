import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
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

export async function runGen(io: Io, opts: GenOptions, color: boolean): Promise<number> {
  const c = colors(color);
  if (opts.check) {
    const { plan, result } = planFor(io, opts);
    const code = await reportCheck(io, plan, c);
    sayRenames(io, plan, result);
    return code;
  }
  const first = planFor(io, opts);
  if (!first.plan.changes.length) {
    if (!opts.quiet) io.stdout.write(formatUpToDate(first.plan.unchanged.length));
    return 0;
  }
  const release = acquireLock(realpathSync(first.loc.specDir), 3000, lockDirOf(first.loc.repoRoot) ?? tempDirOf(io.env));
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
  return 0;
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
 * unchanged). The young generation keeps its first size instead of growing to
 * 32 MB (peak RSS 200 -> 140-146 MB, user+sys within 5%). Set here, not when matrix starts: V8 rejects a code cache made
 * under other flags, so every loaded chunk would compile again; a small spec
 * never needs it. The chunks a large run may still load (the diff) compile
 * without their cache, a few milliseconds beside seconds of compiling.
 */
function collectSoonerForLargeSpec(specPath: string): void {
  let size: number;
  try {
    size = statSync(specPath).size;
  } catch {
    return; // Reading the spec reports it.
  }
  if (size >= LARGE_SPEC_BYTES) setFlagsFromString('--heap-growing-percent=20 --semi-space-growth-factor=1');
}

/** The repository's git directory when matrix may write there (private to the repository), else undefined (the temp dir). */
function lockDirOf(repoRoot: string): string | undefined {
  const dir = gitDirOf(repoRoot);
  if (!dir) return undefined;
  try {
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    return undefined;
  }
}
