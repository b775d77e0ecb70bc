// The tests of an atomic `--push`, after bake pushed every image and before
// any final tag moves: each platform's own image, by digest, in the
// repository it was pushed to. A failure is a reason not to publish.
import { inspectRaw, type Docker } from '../adapters/docker.js';
import { EndedError, type AbnormalEnd } from '../adapters/exit.js';
import { targetDigests } from '../bake/digests.js';
import type { Release } from './atomic.js';
import { runImageTests, testsOf, type TestFailure } from './tests.js';

/**
 * The failed tests; `end` when reading an index, or running a test, did not
 * end on its own terms (imagetools or docker killed, or a docker that could
 * not run it: src/adapters/exit.ts): the tests did not finish then (the
 * failures so far), and nothing may be published.
 */
export async function releaseTests(docker: Docker, release: Release, specValue: unknown, metadata: Record<string, Record<string, unknown>>): Promise<{ failures: TestFailure[]; end?: AbnormalEnd }> {
  const withTests = release.expected.filter((t) => testsOf(specValue, t).length);
  if (!withTests.length) return { failures: [] };
  let end: AbnormalEnd | undefined;
  const inspect = async (ref: string) => {
    const r = await inspectRaw(docker, ref);
    end ??= r.end;
    return r.code === 0 ? r.stdout : undefined;
  };
  const digests = await targetDigests(
    metadata,
    withTests.map((t) => ({ target: t.name, platforms: t.platforms })),
    inspect,
  );
  if (end) return { failures: [], end };
  const failures: TestFailure[] = [];
  try {
    for (const t of withTests) {
      const repository = release.shard.targets.find((s) => s.target === t.name)!.repository;
      for (const p of t.platforms) {
        const digest = digests.get(t.name)?.platforms[p];
        if (!digest) {
          failures.push({ target: t.name, platform: p, test: '(all)', problem: 'no image of this platform to test', output: [] });
          continue;
        }
        failures.push(...(await runImageTests(docker, t.name, p, `${repository}@${digest}`, testsOf(specValue, t))));
      }
    }
  } catch (e) {
    // docker killed running a test, or one that could not create or read a container (src/release/tests.ts): the tests did not finish.
    if (!(e instanceof EndedError)) throw e;
    return { failures, end: e.end };
  }
  return { failures };
}
