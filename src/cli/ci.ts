// `matrix ci-matrix` and `matrix merge`: building each platform on its own
// runner, then publishing the final multi-platform tags only when every shard
// delivered.
import path from 'node:path';
import { selectTargets } from '../bake/command.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { planMerge, imagetoolsCreateArgs, indexPlatforms, type MergePlan, type ShardFile } from '../ci/merge.js';
import { deleteTag, type Requester } from '../ci/registry.js';
import { ciMatrix, parseRunnerOverrides } from '../ci/runners.js';
import { readShardResult, sanitizeRunId } from '../ci/shard.js';
import { dockerMissing, dockerOf, inspectRaw, type Docker } from '../adapters/docker.js';
import { colors } from '../diagnostics.js';
import type { Colors } from '../output/format.js';
import { shellQuote } from '../adapters/process.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import type { CommandArgs } from './options.js';

export function runCiMatrix(io: Io, opts: CommandArgs['ci-matrix']): number {
  const loc = locateSpec(io, opts.spec);
  const spec = compileOrThrow(loc, true).spec!;
  const targets = opts.target.length ? selectTargets(spec, opts.target).targets.map((t) => t.target) : spec.targets;
  const m = ciMatrix(targets, { by: opts.by, platforms: opts.platform, runners: parseRunnerOverrides(opts.runner) });
  // One line: it goes into $GITHUB_OUTPUT as `matrix=...`.
  io.stdout.write(JSON.stringify(m) + '\n');
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
  const checks = await checkSources(docker, plan);
  if (checks.length) return refuse(checks);
  const published = await publish(io, docker, plan, c);
  if (published === undefined) return 1;
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
  return checks;
}

/** `docker buildx imagetools create` per target; the number published, or undefined when one failed (said). */
async function publish(io: Io, docker: Docker, plan: MergePlan, c: Colors): Promise<number | undefined> {
  let published = 0;
  for (const t of plan.targets) {
    const args = imagetoolsCreateArgs(t);
    io.stderr.write(`+ ${shellQuote([docker.bin, ...args])}\n`);
    const r = await docker.capture(args, { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) {
      io.stderr.write(r.stderr);
      io.stderr.write(
        `${c.red(`matrix merge: publishing ${t.target} failed.`)} ${
          published
            ? `Already published: ${plan.targets
                .slice(0, published)
                .map((x) => x.target)
                .join(', ')}.`
            : 'Nothing was published.'
        }\n`,
      );
      return undefined;
    }
    published++;
    io.stdout.write(`${c.green('published')} ${t.target} (${Object.keys(t.platforms).join(', ')}): ${t.tags.join(', ')}\n`);
  }
  return published;
}

/** The temporary tags of docker-driver shards: kept with --keep-temp-tags, else deleted from the registry. */
async function removeTempTags(io: Io, plan: MergePlan, keep: boolean, c: Colors, request?: Requester): Promise<void> {
  if (keep) {
    io.stdout.write(`Kept ${plan.tempTags.length} temporary tag(s): ${plan.tempTags.map((t) => t.ref).join(', ')}\n`);
    return;
  }
  for (const t of plan.tempTags) {
    const d = await deleteTag(t.ref, t.digest, request);
    io.stdout.write(`${d.outcome === 'left' ? c.yellow('left') : d.outcome === 'gone' ? 'already gone:' : 'removed'} temporary tag ${t.ref}: ${d.detail}\n`);
  }
}
