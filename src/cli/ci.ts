// `matrix ci-matrix` and `matrix merge`: building each platform on its own
// runner, then publishing the final multi-platform tags only when every shard
// delivered.
import path from 'node:path';
import { selectTargets } from '../bake/command.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { planMerge, imagetoolsCreateArgs, indexPlatforms, type MergePlan, type ShardFile } from '../ci/merge.js';
import type { Requester } from '../ci/registry.js';
import { publishTargets, removeTempTags as removeRunTags } from '../release/publish.js';
import { ciMatrix, parseRunnerOverrides, requestedPlatforms } from '../ci/runners.js';
import { planContexts } from '../ci/contexts.js';
import { githubLevelOutputs } from '../ci/github.js';
import { GITLAB_FALLBACK_RUNNER, GITLAB_RUNNERS, gitlabPipeline } from '../ci/gitlab.js';
import { levelJobs } from '../ci/levels.js';
import { ciPlan } from '../ci/plan-json.js';
import { writeFileAtomic } from '../fs/write.js';
import { readShardResult, sanitizeRunId } from '../ci/shard.js';
import { dockerMissing, dockerOf, inspectRaw, type Docker } from '../adapters/docker.js';
import { colors, userError } from '../diagnostics.js';
import { formatAbnormalEnd, type Colors } from '../output/format.js';
import { EndedError, endExit } from '../adapters/exit.js';
import { lastLine, shellQuote } from '../adapters/process.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import type { CommandArgs } from './options.js';

export function runCiMatrix(io: Io, opts: CommandArgs['ci-matrix']): number {
  // Options that do not go together: said before the spec is read.
  if (opts.format === 'github' && !opts.layered && opts.maxLevels !== undefined) throw userError('usage', '--max-levels needs --layered', { hint: 'e.g. `matrix ci-matrix --layered --max-levels 2`' });
  const loc = locateSpec(io, opts.spec);
  const spec = compileOrThrow(loc, true).spec!;
  const targets = opts.target.length ? selectTargets(spec, opts.target).targets.map((t) => t.target) : spec.targets;
  const runners = parseRunnerOverrides(opts.runner);
  if (opts.format === 'github' && !opts.layered) {
    // One line: it goes into $GITHUB_OUTPUT as `matrix=...`.
    io.stdout.write(JSON.stringify(ciMatrix(targets, { by: opts.by, platforms: opts.platform, runners })) + '\n');
    return 0;
  }
  const gitlab = opts.format === 'gitlab';
  for (const p of Object.keys(runners)) {
    if (!targets.some((t) => t.platforms.includes(p))) throw userError('invalid-runner', `--runner ${p}=...: no target builds ${p}`, { hint: 'check the platform against `matrix plan`' });
  }
  const levels = levelJobs(spec.targets, targets, {
    by: opts.by,
    ...(opts.platform.length ? { platforms: opts.platform } : {}),
    runners,
    ...(gitlab ? { defaultRunners: GITLAB_RUNNERS, fallbackRunner: GITLAB_FALLBACK_RUNNER } : {}),
  });
  if (opts.format === 'github') io.stdout.write(githubLevelOutputs(levels, opts.maxLevels, opts.by));
  else if (gitlab) io.stdout.write(gitlabPipeline(spec.specRepoPath, levels));
  else io.stdout.write(JSON.stringify(ciPlan(spec.specRepoPath, levels), null, 2) + '\n');
  return 0;
}

/** `matrix ci-contexts`: pin a level-2+ job's named contexts to the digests the earlier levels pushed. */
export async function runCiContexts(io: Io, opts: CommandArgs['ci-contexts'], color: boolean): Promise<number> {
  const c = colors(color);
  if (!opts.target.length) throw userError('usage', 'each job needs --target: the targets it builds', { hint: 'e.g. --target jobs,admin (the `targets` of the job in the plan)' });
  const loc = locateSpec(io, opts.spec);
  const spec = compileOrThrow(loc, true).spec!;
  const targets = selectTargets(spec, opts.target).targets.map((t) => t.target);
  // A platform none of them builds is refused as ci-matrix refuses it: pinning for it would pin nothing.
  requestedPlatforms(targets, opts.platform);
  const shards: ShardFile[] = opts.files.map((f) => ({ file: f, ...readShardResult(path.resolve(io.cwd, f)) }));
  const env = await buildEnvironment(loc.repoRoot, io.env, false, spec);
  const runId = opts.runId !== undefined ? sanitizeRunId(opts.runId) : undefined;
  const plan = planContexts(spec, targets, opts.platform, shards, env, runId);
  if (plan.problems.length) {
    io.stderr.write(`${c.red('matrix ci-contexts: cannot build on the earlier levels:')}\n`);
    for (const p of plan.problems) io.stderr.write(`  - ${p}\n`);
    return 1;
  }
  const out = path.resolve(io.cwd, opts.out);
  writeFileAtomic(out, JSON.stringify(plan.file, null, 2) + '\n');
  const pinned = Object.entries(plan.file.target).flatMap(([t, v]) => Object.entries(v.contexts).map(([n, ref]) => `${t}.${n}=${ref}`));
  io.stderr.write(`matrix: ${pinned.length} named context(s) pinned in ${opts.out}${pinned.length ? `:\n  ${pinned.join('\n  ')}` : ''}\n`);
  return 0;
}

export async function runMerge(io: Io, opts: CommandArgs['merge'], color: boolean, request?: Requester): Promise<number> {
  const c = colors(color);
  const loc = locateSpec(io, opts.spec);
  const spec = compileOrThrow(loc, true).spec!;
  const expected = opts.target.length ? selectTargets(spec, opts.target).targets.map((t) => t.target) : spec.targets;
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

  const docker = dockerOf(io.env);
  if (opts.dryRun) {
    for (const t of plan.targets) io.stdout.write(shellQuote([docker.bin, ...imagetoolsCreateArgs(t)]) + '\n');
    for (const t of plan.tempTags) io.stdout.write(`# ${opts.keepTempTags ? 'keep' : 'then remove'} temporary tag ${t.ref}\n`);
    return 0;
  }

  // Every source must exist with the platforms its shard claims, before any final tag moves.
  let checks: string[];
  try {
    checks = await checkSources(docker, plan);
  } catch (e) {
    if (!(e instanceof EndedError)) throw e;
    io.stderr.write(formatAbnormalEnd(e.end, 'the merge') + `${c.red('matrix merge: nothing was published.')} The final tags are unchanged.\n`);
    return endExit(e.end);
  }
  if (checks.length) return refuse(checks);
  const published = await publish(io, docker, plan, c);
  if (typeof published !== 'number') return published.exit;
  if (plan.tempTags.length) await removeTempTags(io, plan, opts.keepTempTags, c, request);
  io.stdout.write(`${published} target(s) published from run ${plan.runId}.\n`);
  return 0;
}

/** What is wrong with the sources of the final tags: unreadable, not an image, or without the platform their shard built. */
async function checkSources(docker: Docker, plan: MergePlan): Promise<string[]> {
  const checks: string[] = [];
  const inspected = new Map<string, string[] | undefined>();
  for (const t of plan.targets) {
    for (const [platform, source] of Object.entries(t.platforms)) {
      if (!inspected.has(source)) {
        const r = await inspectRaw(docker, source, 120_000);
        if (r.spawnError) throw dockerMissing(docker, r.spawnError);
        // Killed, or a docker that could not run it: nothing is known of the source (src/adapters/exit.ts).
        if (r.end) throw new EndedError(r.end);
        if (r.code !== 0) {
          checks.push(`${t.target}: ${source} cannot be read from the registry: ${lastLine(r)}`);
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
      if (has?.length && !has.includes(platform)) checks.push(`${t.target}: ${source} has ${has.join(', ')}, not ${platform}`);
    }
  }
  return checks;
}

/**
 * `docker buildx imagetools create` per target (src/release/publish.ts); the
 * number published, or the exit code when one failed (1) or a command did not
 * end on its own terms (74 or 2, src/adapters/exit.ts), said.
 */
async function publish(io: Io, docker: Docker, plan: MergePlan, c: Colors): Promise<number | { exit: number }> {
  const out = await publishTargets(docker, plan, (line) => io.stderr.write(`${line}\n`));
  for (const p of out.published) {
    const t = plan.targets.find((x) => x.target === p.target)!;
    io.stdout.write(`${c.green('published')} ${t.target} (${Object.keys(t.platforms).join(', ')}): ${t.tags.join(', ')}\n`);
  }
  if (!out.failed && !out.end) return out.published.length;
  const already = out.published.map((p) => p.target);
  if (out.end) io.stderr.write(formatAbnormalEnd(out.end, 'the merge'));
  else io.stderr.write(`${out.failed!.error}\n`);
  if (out.failed) {
    io.stderr.write(`${c.red(`matrix merge: publishing ${out.failed.target} failed.`)} ${already.length ? `Already published: ${already.join(', ')}.` : 'Nothing was published.'}\n`);
  } else {
    const rest = plan.targets.map((t) => t.target).filter((t) => !already.includes(t));
    io.stderr.write(`${c.red(`matrix merge: stopped after publishing ${already.at(-1)}.`)} Already published: ${already.join(', ')}.${rest.length ? ` Not published: ${rest.join(', ')}.` : ''}\n`);
  }
  return { exit: out.end ? endExit(out.end) : 1 };
}

/** The temporary tags of docker-driver shards: kept with --keep-temp-tags, else deleted from the registry. */
async function removeTempTags(io: Io, plan: MergePlan, keep: boolean, c: Colors, request?: Requester): Promise<void> {
  if (keep) {
    io.stdout.write(`Kept ${plan.tempTags.length} temporary tag(s): ${plan.tempTags.map((t) => t.ref).join(', ')}\n`);
    return;
  }
  const deletions = await removeRunTags(plan.tempTags, request);
  deletions.forEach((d, i) => {
    io.stdout.write(`${d.outcome === 'left' ? c.yellow('left') : d.outcome === 'gone' ? 'already gone:' : 'removed'} temporary tag ${plan.tempTags[i]!.ref}: ${d.detail}\n`);
  });
}
