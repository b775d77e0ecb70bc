// The engine suite's images: every test tags what it builds under an `e2e`
// repository (localhost:5000/e2e/..., 127.0.0.1:PORT/e2e-.../...) with a tag
// of its own run, and `--load`, the docker driver and the release tests leave
// those tags in the engine's image store. Nothing reads them after the run,
// and they added up: about 2,400 tags and 12.6 GB on one machine after a few
// dozen runs, each `docker image ls` and image export slower for it. Before
// the suite, the e2e tags already there are noted; after it, the e2e tags
// this run added are removed (and only those: the fixture images, the
// samples' tags and anything of an earlier or a concurrent run stay).
// The run's temporary files (repositories, build contexts, logs) go to a
// directory of its own, removed at the end (test/helpers/run-temp.ts).
import { spawnSync } from 'node:child_process';
import { useRunTempDir } from '../helpers/run-temp.js';

/** A `REPOSITORY:TAG` whose repository's first path component starts with `e2e`, on any registry host. */
export function isE2eTag(ref: string): boolean {
  return /^[^/\s]+\/e2e[^/\s]*\/\S+:[^/\s]+$/.test(ref);
}

/** The e2e `REPOSITORY:TAG`s in the engine's image store; undefined when docker does not answer. */
export function e2eTags(): Set<string> | undefined {
  const r = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 || r.error) return undefined;
  return new Set(r.stdout.split('\n').filter(isE2eTag));
}

/**
 * Remove `tags` from the store. `docker image rm` waits for each image's
 * layers to be deleted, which took seconds an image on this machine's disk (a
 * CI run's 136 tags ran out of six minutes); containerd's own client removes
 * the names and leaves the layers to containerd's collector, in the background.
 * The docker engine keeps its images in containerd's `moby` namespace (the
 * engine tests need that image store), so `ctr` is used where it can reach
 * containerd (as root), and `docker image rm`, within a time limit, where not.
 */
export function removeTags(tags: readonly string[]): { removed: number; failed: string } {
  let removed = 0;
  let failed = '';
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < tags.length; i += 200) {
    const batch = tags.slice(i, i + 200);
    const ctr = spawnSync('ctr', ['--namespace', 'moby', 'images', 'rm', ...batch], { encoding: 'utf8', timeout: 60_000 });
    if (ctr.status === 0) {
      removed += (ctr.stdout ?? '').split('\n').filter((line) => batch.includes(line.trim())).length;
      continue;
    }
    if (Date.now() > deadline) {
      failed ||= `out of time with ${tags.length - i} left`;
      break;
    }
    // One tag that cannot go (a container still uses its image) fails the call, not the others.
    const r = spawnSync('docker', ['image', 'rm', ...batch], { encoding: 'utf8', timeout: Math.max(1_000, deadline - Date.now()) });
    removed += (r.stdout ?? '').split('\n').filter((line) => line.startsWith('Untagged: ')).length;
    if (r.status !== 0) failed ||= (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0] ?? '';
  }
  return { removed, failed };
}

export default function setup(): () => void {
  const before = e2eTags();
  const removeRunTemp = useRunTempDir('engine-tests');
  return () => {
    removeRunTemp();
    if (!before) return; // no engine answered: the suite said so itself
    const after = e2eTags();
    if (!after) return;
    const added = [...after].filter((t) => !before.has(t));
    if (!added.length) return;
    const { removed, failed } = removeTags(added);
    console.log(`engine suite: removed ${removed} of the ${added.length} image tags it made${failed ? ` (docker: ${failed})` : ''}`);
  };
}
