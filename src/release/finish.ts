// The end of an all-or-nothing `matrix bake --push`: publish every target's
// final tags when bake pushed every image, else nothing (and say why); then
// remove the run's temporary tags either way, from the registry and (on the
// `docker` driver) from the engine's image store (src/release/local-tags.ts).
import type { Docker } from '../adapters/docker.js';
import type { AbnormalEnd } from '../adapters/exit.js';
import type { TargetDigests } from '../bake/digests.js';
import type { Colors } from '../output/format.js';
import { releaseOutcome, tempTagsOf, type Release } from './atomic.js';
import { writeReleaseMetadata } from './metadata.js';
import { publishTargets, removeTempTags, type Published } from './publish.js';
import { lastLine, capture } from '../adapters/process.js';
import { repositoryOf } from '../ci/shard.js';
import type { SignInput } from '../spec.js';
import { settleLocalTempTags } from './local-tags.js';
import { cosignEnd, signArgs } from './sign.js';

export interface FinishInput {
  docker: Docker;
  release: Release;
  exitCode: number;
  interrupted: boolean;
  metadata: Record<string, Record<string, unknown>>;
  /** --metadata-file: written only when every target was published. */
  metadataFile: string | undefined;
  /** Problems found after the build (a failed image test ...): they block publishing too. */
  blockers?: string[];
  /** A command of the checks before publishing (the image tests' reads) that did not end on its own terms: it blocks publishing, and is the result's `end`. */
  end?: AbnormalEnd;
  /** --retries: for a transient fault of `imagetools create`. */
  retries: number;
  /** The spec's `sign:`: cosign signs each published index. */
  sign?: { sign: SignInput; specDir: string; env: Readonly<Record<string, string | undefined>> };
}

export interface FinishResult {
  published: boolean;
  problems: string[];
  /** Final digests of the published targets. */
  digests: Map<string, TargetDigests>;
  /** The final tags of each target published. */
  tags: Map<string, readonly string[]>;
  /** imagetools or cosign killed, or a docker or cosign that could not run the command (src/adapters/exit.ts): the release stopped there; exit 74 or 2. */
  end?: AbnormalEnd;
  /** The same for `docker image tag` or `rm` on the engine's own copy (src/release/local-tags.ts), after publishing: exit 74 or 2 too. */
  localEnd?: AbnormalEnd;
}

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };

export async function finishRelease(out: Out, input: FinishInput, c: Colors): Promise<FinishResult> {
  const { result, plan } = releaseOutcome(input.release, input.exitCode, input.metadata);
  const problems = [...plan.problems, ...(input.blockers ?? []), ...(input.end ? [`the checks before publishing did not finish: ${input.end.what}`] : [])];
  let end = input.end;
  const digests = new Map<string, TargetDigests>();
  /** The final tags of each target published (all of them, or those before a failure). */
  const finalTags = new Map<string, readonly string[]>();
  let published = false;
  if (problems.length) {
    out.stderr(`${c.red('matrix bake: nothing was published:')}\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    out.stderr('The final tags are unchanged. Fix the failure and run again: what was built comes from the cache.\n');
  } else {
    const pub = await publishTargets(input.docker, plan, (l) => out.stderr(l + '\n'), { retries: input.retries });
    for (const p of pub.published) {
      digests.set(p.target, p.digests);
      finalTags.set(p.target, p.tags);
      out.stderr(`${c.green('published')} ${p.target}: ${p.tags.join(', ')}\n`);
    }
    end = pub.end;
    const done = pub.published.map((p) => p.target);
    if (pub.failed) {
      problems.push(`publishing ${pub.failed.target} failed: ${pub.failed.error.split('\n').pop() ?? ''}`);
      out.stderr(`${pub.failed.error}\n${c.red(`matrix bake: publishing ${pub.failed.target} failed.`)} ${done.length ? `Already published: ${done.join(', ')}.` : 'Nothing was published.'}\n`);
    } else if (pub.end) {
      // The last target's tags moved, but its digests are unknown: no metadata file, nothing signed.
      const rest = plan.targets.map((t) => t.target).filter((t) => !done.includes(t));
      problems.push(`${done.at(-1)}: published, but its digests could not be read: ${pub.end.what}`, ...rest.map((t) => `${t}: not published`));
      out.stderr(`${c.red(`matrix bake: publishing stopped after ${done.at(-1)}.`)} Already published: ${done.join(', ')}.${rest.length ? ` Not published: ${rest.join(', ')}.` : ''}\n`);
    } else {
      published = true;
      if (input.metadataFile) writeReleaseMetadata(input.metadataFile, pub.published);
      if (input.sign) {
        const signed = await signPublished(out, pub.published, input.sign);
        problems.push(...signed.problems);
        end = signed.end;
      }
    }
  }
  const localEnds: AbnormalEnd[] = [];
  if (!input.interrupted) {
    for (const d of await removeTempTags(tempTagsOf(input.release, result))) {
      if (d.outcome !== 'gone') out.stderr(`${d.outcome === 'left' ? c.yellow('left') : 'removed'} temporary tag ${d.ref}: ${d.detail}\n`);
    }
    // The docker driver also kept each image in the engine's store under its temporary tag.
    const local = input.release.shard.targets.filter((t) => t.tempTag).map((t) => ({ temp: t.tempTag!, finals: finalTags.get(t.target) ?? [] }));
    for (const p of await settleLocalTempTags(input.docker, local, localEnds)) out.stderr(`${c.yellow('matrix:')} ${p}\n`);
  }
  return { published, problems, digests, tags: finalTags, ...(end ? { end } : {}), ...(localEnds[0] ? { localEnd: localEnds[0] } : {}) };
}

/**
 * `cosign sign` on each published index; the problems (a target published but
 * not signed). A cosign that did not end on its own terms (killed, or a
 * wrapper that could not run it: src/adapters/exit.ts) stops the signing: its
 * `end`, and the targets after it are not signed.
 */
async function signPublished(out: Out, published: readonly Published[], s: NonNullable<FinishInput['sign']>): Promise<{ problems: string[]; end?: AbnormalEnd }> {
  const problems: string[] = [];
  for (const [i, p] of published.entries()) {
    if (!p.digests.index) {
      problems.push(`${p.target}: published, but its index digest is unknown, so it is not signed`);
      continue;
    }
    const ref = `${repositoryOf(p.tags[0]!)}@${p.digests.index}`;
    const args = signArgs(s.sign, s.specDir, ref);
    out.stderr(`+ cosign ${args.join(' ')}\n`);
    const r = await capture({ file: 'cosign', args, env: s.env }, 5 * 60_000);
    const end = cosignEnd(args, r);
    if (end) {
      problems.push(`${p.target}: published, but cosign could not sign ${ref}: ${end.what}`, ...published.slice(i + 1).map((q) => `${q.target}: published, not signed (signing stopped)`));
      return { problems, end };
    }
    if (r.code === 0) out.stderr(`signed ${p.target}: ${ref}\n`);
    else problems.push(`${p.target}: published, but cosign could not sign ${ref}: ${lastLine(r)}`);
  }
  return { problems };
}
