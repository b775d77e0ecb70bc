// `matrix ci-matrix` and `matrix merge`: building each platform on its own
// runner, then publishing the final multi-platform tags only when every shard
// delivered.
import path from 'node:path';
import { selectTargets } from '../bake/command.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { planMerge, imagetoolsCreateArgs, indexPlatforms, type ShardFile } from '../ci/merge.js';
import { deleteTag, type Requester } from '../ci/registry.js';
import { ciMatrix, parseRunnerOverrides } from '../ci/runners.js';
import { readShardResult, sanitizeRunId } from '../ci/shard.js';
import { colors, userError } from '../diagnostics.js';
import { capture, shellQuote } from '../exec.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';

export interface CiMatrixCommandOptions {
  spec?: string;
  by: string;
  platforms: string[];
  runners: string[];
  targets: string[];
}

export function runCiMatrix(io: Io, opts: CiMatrixCommandOptions): number {
  if (opts.by !== 'platform' && opts.by !== 'target') throw userError('invalid-option', `--by ${opts.by}: expected platform or target`);
  const loc = locateSpec(io, opts.spec);
  const spec = compileOrThrow(loc, true).spec!;
  const targets = opts.targets.length ? selectTargets(spec, opts.targets).targets.map((t) => t.target) : spec.targets;
  const m = ciMatrix(targets, { by: opts.by, platforms: opts.platforms, runners: parseRunnerOverrides(opts.runners) });
  // One line: it goes into $GITHUB_OUTPUT as `matrix=...`.
  io.stdout.write(JSON.stringify(m) + '\n');
  return 0;
}

export interface MergeOptions {
  spec?: string;
  files: string[];
  /** Only these targets or groups must be complete (default: every target). */
  targets: string[];
  dryRun: boolean;
  keepTempTags: boolean;
  color: boolean;
  docker?: string;
  /** Tests inject the registry client. */
  request?: Requester;
}

export async function runMerge(io: Io, opts: MergeOptions): Promise<number> {
  const c = colors(opts.color);
  const loc = locateSpec(io, opts.spec);
  const spec = compileOrThrow(loc, true).spec!;
  const expected = opts.targets.length ? selectTargets(spec, opts.targets).targets.map((t) => t.target) : spec.targets;
  const shards: ShardFile[] = opts.files.map((f) => ({ file: f, ...readShardResult(path.resolve(io.cwd, f)) }));
  // Tags may use git values: the merge job runs on the commit its shards built.
  const env = await buildEnvironment(loc.repoRoot, io.env, false, spec);
  const plan = planMerge(spec, shards, expected, env, io.env.GITHUB_RUN_ID ? sanitizeRunId(io.env.GITHUB_RUN_ID) : undefined);
  const refuse = (problems: string[]) => {
    io.stderr.write(`${c.red('matrix merge: nothing was published:')}\n`);
    for (const p of problems) io.stderr.write(`  - ${p}\n`);
    io.stderr.write('The final tags are unchanged. Fix the failed or missing shards and run the build again.\n');
    return 1;
  };
  if (plan.problems.length) return refuse(plan.problems);

  const docker = opts.docker ?? io.env.MATRIX_DOCKER ?? 'docker';
  if (opts.dryRun) {
    for (const t of plan.targets) io.stdout.write(shellQuote([docker, ...imagetoolsCreateArgs(t)]) + '\n');
    for (const t of plan.tempTags) io.stdout.write(`# ${opts.keepTempTags ? 'keep' : 'then remove'} temporary tag ${t.ref}\n`);
    return 0;
  }

  // Every source must exist with the platforms its shard claims, before any final tag moves.
  const checks: string[] = [];
  const inspected = new Map<string, string[] | undefined>();
  for (const t of plan.targets) {
    for (const [platform, source] of Object.entries(t.platforms)) {
      if (!inspected.has(source)) {
        const r = await capture({ file: docker, args: ['buildx', 'imagetools', 'inspect', '--raw', source], env: io.env }, 120_000);
        if (r.spawnError) throw userError('docker-missing', `cannot run \`${docker}\`: ${r.spawnError}`, { hint: 'install Docker with the buildx plugin; see `matrix doctor`' });
        if (r.code !== 0) {
          checks.push(`${t.target}: ${source} cannot be read from the registry: ${r.stderr.trim().split('\n').pop() ?? ''}`);
          inspected.set(source, []);
          continue;
        }
        try {
          inspected.set(source, indexPlatforms(r.stdout));
        } catch {
          inspected.set(source, []);
          checks.push(`${t.target}: ${source} is not an image manifest`);
          continue;
        }
      }
      const has = inspected.get(source);
      // A single manifest names no platform in itself; its shard built one platform.
      if (has && has.length && !has.includes(platform)) checks.push(`${t.target}: ${source} has ${has.join(', ')}, not ${platform}`);
    }
  }
  if (checks.length) return refuse(checks);

  let published = 0;
  for (const t of plan.targets) {
    const args = imagetoolsCreateArgs(t);
    io.stderr.write(`+ ${shellQuote([docker, ...args])}\n`);
    const r = await capture({ file: docker, args, env: io.env }, 10 * 60_000);
    if (r.code !== 0) {
      io.stderr.write(r.stderr);
      io.stderr.write(`${c.red(`matrix merge: publishing ${t.target} failed.`)} ${published ? `Already published: ${plan.targets.slice(0, published).map((x) => x.target).join(', ')}.` : 'Nothing was published.'}\n`);
      return 1;
    }
    published++;
    io.stdout.write(`${c.green('published')} ${t.target} (${Object.keys(t.platforms).join(', ')}): ${t.tags.join(', ')}\n`);
  }

  if (plan.tempTags.length) {
    if (opts.keepTempTags) io.stdout.write(`Kept ${plan.tempTags.length} temporary tag(s): ${plan.tempTags.map((t) => t.ref).join(', ')}\n`);
    else {
      for (const t of plan.tempTags) {
        const d = await deleteTag(t.ref, t.digest, opts.request);
        io.stdout.write(`${d.outcome === 'left' ? c.yellow('left') : d.outcome === 'gone' ? 'already gone:' : 'removed'} temporary tag ${t.ref}: ${d.detail}\n`);
      }
    }
  }
  io.stdout.write(`${published} target(s) published from run ${plan.runId}.\n`);
  return 0;
}
