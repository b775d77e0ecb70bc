import { accessSync, constants, realpathSync } from 'node:fs';
import { gitDirOf } from '../paths.js';
import { colors } from '../diagnostics.js';
import { acquireLock } from '../output/lock.js';
import { unifiedDiff } from '../output/diff.js';
import { applySync, planSync, type SyncPlan } from '../output/sync.js';
import { outputOrigins, specInputs } from '../output/origins.js';
import { compileOrThrow, locateSpec, readSpecSource, type Io } from './io.js';
import { UserError } from '../diagnostics.js';

export interface GenOptions {
  spec?: string;
  check: boolean;
  color: boolean;
  quiet: boolean;
}

type Compiled = ReturnType<typeof compileOrThrow>;

/**
 * Compile (unless `earlier` was compiled from the same spec text) and compare
 * with the disk.
 */
function planFor(io: Io, opts: GenOptions, earlier?: Compiled) {
  const loc = locateSpec(io, opts.spec);
  const result = earlier && readSpecSource(loc) === earlier.loaded.source ? earlier : compileOrThrow(loc, false, io);
  const plan = planSync(loc.specDir, loc.repoRoot, result.files!, result.spec!.bakeFile, outputOrigins(result.loaded, result.spec!), specInputs(loc.specPath, loc.specDir, result.spec!));
  if (plan.diagnostics.length) throw new UserError(plan.diagnostics);
  return { loc, plan, result };
}

export function runGen(io: Io, opts: GenOptions): number {
  const c = colors(opts.color);
  if (opts.check) {
    const { plan } = planFor(io, opts);
    return reportCheck(io, plan, c);
  }
  const first = planFor(io, opts);
  if (!first.plan.changes.length) {
    if (!opts.quiet) io.stdout.write(`Up to date: ${first.plan.unchanged.length} files.\n`);
    return 0;
  }
  const release = acquireLock(realpathSync(first.loc.specDir), 3000, lockDirOf(first.loc.repoRoot));
  try {
    // Compare with the disk again under the lock: another run may have
    // written in between. The spec is compiled again only if it changed.
    const { loc, plan } = planFor(io, opts, first.result);
    applySync(loc.specDir, plan);
    if (!opts.quiet) {
      for (const ch of plan.changes) io.stdout.write(`${ch.kind === 'delete' ? c.red('removed') : ch.kind === 'create' ? c.green('created') : c.yellow('updated')} ${ch.file}\n`);
      io.stdout.write(`${plan.changes.length} changed, ${plan.unchanged.length} unchanged.\n`);
    }
  } finally {
    release();
  }
  return 0;
}

function reportCheck(io: Io, plan: SyncPlan, c: ReturnType<typeof colors>): number {
  if (!plan.changes.length) {
    io.stdout.write(`Up to date: ${plan.unchanged.length} files.\n`);
    return 0;
  }
  for (const ch of plan.changes) {
    const what = ch.kind === 'create' ? 'missing' : ch.kind === 'delete' ? 'orphaned (its service is gone from the spec)' : 'stale';
    io.stdout.write(`${c.bold(ch.file)}: ${c.red(what)}\n`);
    const diff = unifiedDiff(ch.before ?? '', ch.after ?? '', ch.before !== undefined ? `a/${ch.file}` : '/dev/null', ch.after !== undefined ? `b/${ch.file}` : '/dev/null');
    io.stdout.write(diff.split('\n').map((l) => (l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l)).join('\n') + '\n');
  }
  io.stdout.write(`${plan.changes.length} generated file(s) out of date. Run \`matrix gen\` and commit the result.\n`);
  return 1;
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
