// Publishing a release: `docker buildx imagetools create` per target (the
// final tags, as `matrix merge` does), the digests the final tags now point
// at, and the removal of this run's temporary tags (src/ci/registry.ts).
import { createHash } from 'node:crypto';
import { dockerEnd, inspectRaw, type Docker } from '../adapters/docker.js';
import type { AbnormalEnd } from '../adapters/exit.js';
import { indexPlatforms, type TargetDigests } from '../bake/digests.js';
import { imagetoolsCreateArgs, type MergePlan, type MergeTarget } from '../ci/merge.js';
import { deleteTag, type Requester, type TagDeletion } from '../ci/registry.js';
import { quoted, shellQuote, type Captured } from '../adapters/process.js';
import { backoffSeconds, classifyFailure } from './classify.js';

export interface Published {
  target: string;
  tags: string[];
  /** What the first final tag points at, read back from the registry. */
  digests: TargetDigests;
}

export interface PublishOutcome {
  published: Published[];
  /** The target whose tags could not be created, with the error; the later targets were not tried. */
  failed?: { target: string; error: string };
  /**
   * A command that did not end on its own terms (killed, or a docker that
   * could not run it: src/adapters/exit.ts), where publishing stopped: with
   * `failed`, that target's `imagetools create`; without, the read of the
   * digests of the last target published (its tags were created). The later
   * targets were not tried.
   */
  end?: AbnormalEnd;
}

type Log = (line: string) => void;
type Create = (args: string[]) => Promise<Pick<Captured, 'code' | 'stderr'> & Partial<Pick<Captured, 'signal' | 'spawnError' | 'timedOut'>>>;

export interface Retry {
  retries: number;
  sleep?: (seconds: number) => Promise<void>;
}

const sleepFor = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));

/** Create the final tags, target by target (a transient registry fault retried); stop at the first failure. */
export async function publishTargets(docker: Docker, plan: MergePlan, log: Log, retry: Retry = { retries: 0 }, create?: Create): Promise<PublishOutcome> {
  const once: Create = create ?? ((args) => docker.capture(args, { timeoutMs: 10 * 60_000 }));
  const run: Create = async (args) => {
    for (let attempt = 1; ; attempt++) {
      const r = await once(args);
      // Killed, or a docker that could not run it: no registry fault, never retried.
      if (r.code === 0 || dockerEnd(docker, args, { stdout: '', ...r })) return r;
      const why = classifyFailure(r.stderr.split('\n'));
      if (!why?.transient || attempt > retry.retries) return r;
      log(`matrix: retry ${attempt} of ${retry.retries} in ${backoffSeconds(attempt)}s: a transient registry or network error: ${why.cause}`);
      await (retry.sleep ?? sleepFor)(backoffSeconds(attempt));
    }
  };
  const published: Published[] = [];
  for (const t of plan.targets) {
    const args = imagetoolsCreateArgs(t);
    log(`+ ${shellQuote([docker.bin, ...args])}`);
    const r = await run(args);
    if (r.code !== 0) {
      const end = dockerEnd(docker, args, { stdout: '', ...r });
      return {
        published,
        failed: { target: t.target, error: end ? end.what : said(r.stderr) || `\`${docker.bin} ${args.slice(0, 3).join(' ')}\` exited ${r.code} and said nothing` },
        ...(end ? { end } : {}),
      };
    }
    const read = await finalDigests(docker, t);
    published.push({ target: t.target, tags: t.tags, digests: read.digests });
    if (read.end) return { published, end: read.end };
  }
  return { published };
}

/** What imagetools said, as the failure shows it: its last 10 lines, each quoted (process.ts `quoted`: no control characters, no megabyte line). */
function said(stderr: string): string {
  return stderr.trim() ? stderr.trim().split('\n').slice(-10).map(quoted).join('\n') : '';
}

/** The index digest of the first final tag (sha256 of the bytes the registry serves) and its platforms' manifests. */
async function finalDigests(docker: Docker, t: MergeTarget): Promise<{ digests: TargetDigests; end?: AbnormalEnd }> {
  const r = await inspectRaw(docker, t.tags[0]!);
  if (r.code !== 0) return { digests: { platforms: {} }, ...(r.end ? { end: r.end } : {}) };
  const raw = r.stdout.replace(/\n$/, '');
  return { digests: { index: `sha256:${createHash('sha256').update(raw).digest('hex')}`, platforms: indexPlatforms(raw) } };
}

/** Remove the run's temporary tags (only while each still points at what this run pushed, when that is known). */
export async function removeTempTags(tags: readonly { ref: string; digest?: string }[], request?: Requester): Promise<TagDeletion[]> {
  const out: TagDeletion[] = [];
  for (const t of tags) out.push(await deleteTag(t.ref, t.digest, request));
  return out;
}
