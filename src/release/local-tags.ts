// The engine's own copy of a release on the `docker` driver. Its image
// exporter names the image in the engine's image store before it pushes, so
// every target pushed under a temporary tag (REPO:matrix-tmp-...) also stays
// there under that tag: one more per target and run in `docker image ls`,
// never removed. `docker buildx bake --push` on this driver leaves each image
// in the store under its final tags instead; a published release does the
// same here, and an unpublished one leaves the store's final tags where they
// were.
import { dockerEnd, type Docker } from '../adapters/docker.js';
import type { AbnormalEnd } from '../adapters/exit.js';
import { lastLine } from '../adapters/process.js';

export interface LocalTempTag {
  /** REPO:matrix-tmp-... as the run pushed it. */
  temp: string;
  /** The final tags to give the image in the store: the published target's, none when nothing was published. */
  finals: readonly string[];
}

/** The engine's answer when the store has no image of that name (a target that failed before its export). */
const NO_SUCH_IMAGE = /No such image/i;

/**
 * Give each stored image its final tags, then remove the temporary one. A
 * temporary tag the store does not have is no problem; anything else the
 * engine refuses is returned, one line each, for the run to show. docker
 * killed, or one that could not run the command (src/adapters/exit.ts), is
 * no answer of the engine: it goes to `ends`, said in that tag's line, and
 * the tags after it are left as they are (named in one more line).
 */
export async function settleLocalTempTags(docker: Docker, tags: readonly LocalTempTag[], ends: AbnormalEnd[] = []): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, { temp, finals }] of tags.entries()) {
    // The temporary tag goes once the image has its final tags; with none to give (nothing published) the
    // image goes with it (its layers stay in the build cache). A failed tagging keeps it: its only name.
    let keep = false;
    let end: AbnormalEnd | undefined;
    for (const final of finals) {
      const args = ['image', 'tag', temp, final];
      const r = await docker.capture(args, { timeoutMs: 60_000 });
      if (r.code === 0) continue;
      keep = true;
      end = dockerEnd(docker, args, r);
      if (end || !NO_SUCH_IMAGE.test(r.stderr)) problems.push(`kept the local temporary tag ${temp}: tagging it ${final} failed: ${end ? end.what : lastLine(r)}`);
      break;
    }
    if (!keep) {
      const args = ['image', 'rm', temp];
      const r = await docker.capture(args, { timeoutMs: 60_000 });
      end = dockerEnd(docker, args, r);
      if (r.code !== 0 && (end || !NO_SUCH_IMAGE.test(r.stderr))) problems.push(`left the local temporary tag ${temp}: ${end ? end.what : lastLine(r)}`);
    }
    if (end) {
      ends.push(end);
      const rest = tags.slice(i + 1).map((t) => t.temp);
      if (rest.length) problems.push(`left the local temporary tags ${rest.join(', ')} as they are (stopped)`);
      break;
    }
  }
  return problems;
}
