import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { readJsonFile } from '../fs/read.js';
import { ownedTempDir, removeOwned } from '../fs/owned.js';
import { toPosix } from '../paths.js';
import { localCacheRoot } from '../render/cache.js';
import os from 'node:os';
import path from 'node:path';
import { bakeArgs, selectTargets, type BakeFlags } from '../bake/command.js';
import { ProgressTracker, type CellProgress } from '../bake/progress.js';
import { colors, userError } from '../diagnostics.js';
import { runDoctor, type Check } from '../doctor/doctor.js';
import { capture, shellQuote, signalNumber, stream } from '../exec.js';
import { normalizePlatform, targetDigests } from '../bake/digests.js';
import { hostPlatform } from '../platforms.js';
import { danglingAt } from './faults.js';
import { compileCommitted, type Io } from './io.js';
import { dynKey } from '../dyn.js';
import { bakeInputs } from '../repro/inputs.js';
import { reproducibleOutputs } from '../repro/output.js';
import { detectDriver, newRunId, runIdFromEnv, shardFileName, shardPlan, writeShardResult, type ShardPlan } from '../ci/shard.js';
import { buildPlan } from './plan.js';

export interface BakeOptions extends BakeFlags {
  spec?: string;
  targets: string[];
  /** Extra bake definition files (`-f`), read after the generated one. */
  files?: string[];
  /** Build only what changed since this git revision (and what depends on it). */
  affected?: string;
  /** CI shard: push without final tags and write a shard result file for `matrix merge`. */
  pushByDigest?: boolean;
  shardFile?: string;
  runId?: string;
  dryRun: boolean;
  json: boolean;
  color: boolean;
  docker?: string;
}

export interface SummaryRow {
  target: string;
  platform: string;
  status: CellProgress['status'];
  seconds?: number;
  image?: string;
  /** This platform's own image manifest. */
  digest?: string;
  /** The target's index (its multi-platform image), the same on each of its rows. */
  indexDigest?: string;
  error?: string[];
}

export async function runBake(io: Io, opts: BakeOptions): Promise<number> {
  const c = colors(opts.color);
  const committed = await compileCommitted(io, opts.spec, 'what is built is what is committed');
  if (committed === 1) return 1;
  const { loc, result } = committed;
  const spec = result.spec!;

  let requested = opts.targets;
  if (opts.affected !== undefined) {
    const { computeAffected } = await import('../affected/affected.js');
    const aff = await computeAffected({ repoRoot: loc.repoRoot, specPath: loc.specPath, ref: opts.affected, current: { spec, files: result.files! } });
    const wanted = requested.length ? new Set(selectTargets(spec, requested).targets.map((t) => t.target.name)) : undefined;
    const picked = aff.targets.filter((t) => !wanted || wanted.has(t.name));
    if (!picked.length) {
      io.stdout.write(`Nothing affected since ${opts.affected}: ${spec.targets.length} targets unchanged, nothing to build.\n`);
      return 0;
    }
    io.stderr.write(`Affected since ${opts.affected}: ${picked.map((t) => `${t.name} (${t.reasons[0] ?? 'changed'})`).join(', ')}\n`);
    requested = picked.map((t) => t.name);
  }
  const sel = selectTargets(spec, requested, opts.platforms);
  const files = extraFiles(io, loc.specDir, opts.files ?? []);
  if (opts.pushByDigest && (opts.load || opts.print || opts.push)) {
    throw userError('usage', '--push-by-digest cannot be combined with --load, --print or --push', { hint: 'a shard pushes by digest only; `matrix merge` applies the final tags' });
  }
  const docker = opts.docker ?? io.env.MATRIX_DOCKER ?? 'docker';
  const printing = Boolean(opts.print);
  // Given relative to where matrix runs; bake runs in the spec's directory. Checked before the build.
  let metadataFile = opts.metadataFile !== undefined ? writableFile(io, opts.metadataFile) : undefined;
  if (opts.pushByDigest && !opts.dryRun) writableFile(io, opts.shardFile ?? '.', opts.shardFile === undefined ? 'directory' : 'file');
  let tmpDir: string | undefined;
  if (!metadataFile && !printing && (!opts.dryRun || opts.pushByDigest)) {
    tmpDir = ownedTempDir('matrix-bake-');
    metadataFile = path.join(tmpDir, 'metadata.json');
  }
  const flags: BakeFlags = {
    ...opts,
    files,
    ...(metadataFile ? { metadataFile } : {}),
    ...(!opts.progress && !printing ? { progress: 'plain' } : {}),
    localCacheRoot: localCacheRoot(io.env, os.homedir(), realpathSync(loc.repoRoot)),
    cacheDirExists: (dir) => existsSync(path.join(dir, 'index.json')),
  };
  // The doctor's checks (docker and buildx calls) run while git is read below.
  let doctor: Promise<Check[]> | undefined;
  if (!opts.dryRun) {
    const plan = buildPlan(spec, result.files!, loc.specDir, hostPlatform());
    const selected = new Set(sel.targets.map((t) => t.target.name));
    const planned = plan.targets.filter((t) => selected.has(t.name));
    doctor = runDoctor({
      docker,
      env: io.env,
      ...(opts.builder ? { builder: opts.builder } : {}),
      platforms: [...new Set(sel.targets.flatMap((t) => t.platforms))],
      emulatedPlatforms: printing ? [] : [...new Set(planned.flatMap((t) => t.platforms.filter((p) => p.mode === 'emulated').map((p) => p.platform)))],
      registries: opts.push || opts.pushByDigest ? [...new Set(sel.targets.flatMap((t) => t.target.tags.map((tag) => registryOf(dynKey(tag)))))] : [],
      multiPlatform: !printing && sel.targets.some((t) => t.platforms.length > 1) && Boolean(opts.push || opts.load || opts.pushByDigest),
    });
    // Awaited before the build; until then an early return or error must not leave it unhandled.
    doctor.catch(() => undefined);
  }
  // Git values for the bake variables, and per target the commit that last
  // changed its inputs: SOURCE_DATE_EPOCH and OCI revision labels (src/repro/inputs.ts).
  // Warnings (e.g. no git) are said once the build is about to start, after the engine checks.
  const warnings: string[] = [];
  const warn = () => warnings.forEach((m) => io.stderr.write(`matrix: warning: ${m}\n`));
  const { env: buildEnv, args: revisionArgs } = await bakeInputs(loc, spec, sel, io.env, (m) => warnings.push(m));
  let shard: ShardPlan | undefined;
  if (opts.pushByDigest) {
    const runId = opts.runId ?? runIdFromEnv(io.env) ?? newRunId();
    shard = shardPlan(sel, await detectDriver(docker, opts.builder, io.env), runId, { ...buildEnv, ...io.env });
    // Ours last, so they win over the user's --set for tags and output.
    flags.set = [...(opts.set ?? []), ...shard.set];
    if (!opts.runId && !runIdFromEnv(io.env)) io.stderr.write(`matrix: run id ${shard.runId} (give every shard of this run --run-id ${shard.runId})\n`);
  }
  // Where the builder can rewrite layer timestamps (not the docker driver), ask for it.
  // (No driver known, e.g. no daemon: nothing to add; the doctor checks below say why.)
  const driver = opts.push || opts.load ? await detectDriver(docker, opts.builder, io.env).catch(() => undefined) : undefined;
  if (driver && !opts.pushByDigest) {
    const out = reproducibleOutputs(driver, flags);
    flags.push = out.push;
    flags.load = out.load;
    flags.set = [...out.set, ...(flags.set ?? [])];
  }
  const args = bakeArgs(spec.bakeFile, sel, flags);
  args.splice(args.indexOf('--'), 0, ...revisionArgs);

  if (opts.dryRun) {
    warn();
    const envText = Object.entries(buildEnv).filter(([, v]) => v !== '').map(([k, v]) => shellQuote([`${k}=${v}`])).join(' ');
    io.stdout.write(`cd ${shellQuote([loc.specDir])} && ${envText ? envText + ' ' : ''}${shellQuote([docker, ...args])}\n`);
    if (tmpDir) removeOwned(tmpDir);
    return 0;
  }

  try {
    // Fail fast with a fix, before buildx prints its own error text.
    const checks = await doctor!;
    const failed = checks.filter((ch) => ch.status === 'fail');
    if (failed.length) {
      for (const ch of failed) io.stderr.write(formatCheck(ch, c) + '\n');
      io.stderr.write('matrix: cannot build until this is fixed (see `matrix doctor`).\n');
      return 2;
    }
    warn();

    const tracker = new ProgressTracker(sel.targets.map((t) => ({ target: t.target.name, platforms: t.platforms })));
    const started = Date.now();
    const res = await stream(
      { file: docker, args, cwd: loc.specDir, env: { ...io.env, ...buildEnv } },
      (line) => {
        tracker.line(line);
        io.stderr.write(line + '\n');
      },
      (chunk) => io.stdout.write(chunk),
    );
    if (res.spawnError) throw userError('docker-missing', `cannot run \`${docker}\`: ${res.spawnError}`, { hint: 'install Docker with the buildx plugin; see `matrix doctor`' });
    if (printing) return res.interruptedBy ? 128 + signalNumber(res.interruptedBy) : res.code;
    if (shard) {
      const file = path.resolve(io.cwd, opts.shardFile ?? shardFileName(shard));
      const written = writeShardResult(file, shard, { exitCode: res.code, ...(metadataFile ? { metadataFile } : {}) });
      io.stderr.write(`matrix: shard result ${written.status}: ${path.relative(io.cwd, file) || file}\n`);
    }

    const cells = tracker.finish(res.code);
    const meta = readMetadata(metadataFile);
    // A pushed index is in the registry: its platforms' own manifests are read from there.
    const inspect = opts.push || opts.pushByDigest ? (ref: string) => inspectRaw(docker, ref, io.env) : undefined;
    const digests = await targetDigests(meta, sel.targets.map((t) => ({ target: t.target.name, platforms: t.platforms })), inspect);
    const rows: SummaryRow[] = cells.map((cell) => {
      const m = meta[cell.target];
      const d = digests.get(cell.target);
      const digest = d?.platforms[normalizePlatform(cell.platform)];
      return {
        target: cell.target,
        platform: cell.platform,
        status: cell.status,
        ...(cell.startedAt && cell.endedAt ? { seconds: Math.round((cell.endedAt - cell.startedAt) / 100) / 10 } : {}),
        ...(m?.['image.name'] ? { image: String(m['image.name']) } : {}),
        ...(digest ? { digest } : {}),
        ...(d?.index ? { indexDigest: d.index } : {}),
        ...(cell.error.length ? { error: cell.error } : {}),
      };
    });
    const elapsed = (Date.now() - started) / 1000;
    if (opts.json) io.stdout.write(JSON.stringify({ exitCode: res.code, seconds: elapsed, interrupted: res.interruptedBy ?? null, targets: rows }, null, 2) + '\n');
    else io.stdout.write(formatSummary(rows, elapsed, c) + '\n');
    if (res.interruptedBy) return 128 + signalNumber(res.interruptedBy);
    return res.code;
  } finally {
    if (tmpDir) removeOwned(tmpDir);
  }
}

/**
 * `-f FILE`: each must be a regular file (a FIFO or device could block bake or
 * feed it without end). Given relative to the working directory; bake runs in
 * the spec's directory, so they are passed relative to that.
 */
function extraFiles(io: Io, specDir: string, given: readonly string[]): string[] {
  return given.map((f) => {
    const abs = path.resolve(io.cwd, f);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw userError('bake-file', `-f ${f}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`, { hint: 'give the path of a bake definition file (HCL or JSON), e.g. the `bake-file` output of docker/metadata-action' });
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

async function inspectRaw(docker: string, ref: string, env: Io['env']): Promise<string | undefined> {
  const r = await capture({ file: docker, args: ['buildx', 'imagetools', 'inspect', '--raw', ref], env }, 60_000);
  return r.code === 0 ? r.stdout : undefined;
}

function readMetadata(file: string | undefined): Record<string, Record<string, unknown>> {
  if (!file) return {};
  try {
    return readJsonFile(file) as Record<string, Record<string, unknown>>;
  } catch {
    return {}; // bake writes no metadata when the run fails
  }
}

export function formatCheck(ch: Check, c: ReturnType<typeof colors>): string {
  const mark = ch.status === 'ok' ? c.green('ok  ') : ch.status === 'warn' ? c.yellow('warn') : ch.status === 'skip' ? c.dim('skip') : c.red('FAIL');
  return `${mark} ${ch.name}: ${ch.detail}${ch.fix ? `\n     fix: ${ch.fix}` : ''}`;
}

export function formatSummary(rows: SummaryRow[], seconds: number, c: ReturnType<typeof colors>): string {
  const statusText = (s: SummaryRow['status']) => (s === 'done' ? c.green('done') : s === 'failed' ? c.red('FAILED') : c.yellow(s === 'cancelled' ? 'not finished' : s));
  // Each platform's own manifest; the index once per target, on a row of its own after its platforms.
  const lastOf = new Map(rows.map((r, i) => [r.target, i]));
  const shown: (SummaryRow & { index?: true })[] = rows.flatMap((r, i) =>
    lastOf.get(r.target) === i && r.indexDigest ? [r, { target: r.target, platform: '(index)', status: r.status, ...(r.image ? { image: r.image } : {}), digest: r.indexDigest, index: true as const }] : [r],
  );
  const table = shown.map((r) => [r.target, r.platform, r.index ? '' : r.status, r.seconds !== undefined ? `${r.seconds}s` : r.index ? '' : '-', r.image ?? '-', r.digest ? r.digest.slice(0, 19) : '-']);
  const head = ['TARGET', 'PLATFORM', 'STATUS', 'TIME', 'IMAGE', 'DIGEST'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const lines = ['', c.bold(head.map((h, i) => h.padEnd(widths[i]!)).join('  ').trimEnd())];
  shown.forEach((r, idx) => {
    const cells = table[idx]!.map((v, i) => (i === 2 && !r.index ? statusText(r.status) + ' '.repeat(Math.max(0, widths[i]! - v.length)) : v.padEnd(widths[i]!)));
    lines.push(cells.join('  ').trimEnd());
  });
  const failed = rows.filter((r) => r.status === 'failed');
  for (const f of failed) {
    lines.push('', c.red(`${f.target} (${f.platform}) failed:`));
    for (const l of (f.error ?? []).slice(-6)) lines.push(`  ${l}`);
  }
  const done = rows.filter((r) => r.status === 'done').length;
  lines.push('', `${done}/${rows.length} target platforms built in ${seconds.toFixed(1)}s${failed.length ? `, ${failed.length} failed` : ''}.`);
  return lines.join('\n');
}
