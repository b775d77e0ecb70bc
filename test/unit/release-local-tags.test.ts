// The engine's own copy of a release on the docker driver (src/release/local-tags.ts):
// each stored image gets the final tags bake --push would have given it there, and the
// run's temporary tag goes. Recorded against an engine that answers as dockerd does.
import { describe, expect, it } from 'vitest';
import type { Captured } from '../../src/adapters/process.js';
import type { Docker } from '../../src/adapters/docker.js';
import { settleLocalTempTags } from '../../src/release/local-tags.js';

/** An image store of `names` (REPOSITORY:TAG -> image), answering `image tag` and `image rm` as dockerd does. */
function engine(names: Record<string, string>, refuse?: { args: string; stderr: string }) {
  const store = new Map(Object.entries(names));
  const calls: string[] = [];
  const answer = (code: number, stderr = ''): Captured => ({ code, stdout: '', stderr });
  const docker = {
    bin: 'docker',
    env: {},
    capture: async (args: string[]) => {
      calls.push(args.join(' '));
      if (refuse && args.join(' ') === refuse.args) return answer(1, refuse.stderr);
      const [verb, sub, a, b] = args;
      if (verb !== 'image') return answer(1, 'unexpected');
      if (!store.has(a!)) return answer(1, `Error response from daemon: No such image: ${a}`);
      if (sub === 'tag') store.set(b!, store.get(a!)!);
      else if (sub === 'rm') store.delete(a!);
      return answer(0);
    },
    stream: async () => {
      throw new Error('not used');
    },
  } as unknown as Docker;
  return { docker, store, calls };
}

const TEMP = 'localhost:5000/acme/api:matrix-tmp-run1-api-linux-amd64_linux-arm64';

describe('the local copy of a release on the docker driver', () => {
  it('published: the image gets every final tag, then the temporary tag goes', async () => {
    const e = engine({ [TEMP]: 'img1', 'localhost:5000/acme/api:old': 'img0' });
    const problems = await settleLocalTempTags(e.docker, [{ temp: TEMP, finals: ['localhost:5000/acme/api:1.2.3', 'localhost:5000/acme/api:latest'] }]);
    expect(problems).toEqual([]);
    expect(e.calls).toEqual([`image tag ${TEMP} localhost:5000/acme/api:1.2.3`, `image tag ${TEMP} localhost:5000/acme/api:latest`, `image rm ${TEMP}`]);
    expect(Object.fromEntries(e.store)).toEqual({ 'localhost:5000/acme/api:old': 'img0', 'localhost:5000/acme/api:1.2.3': 'img1', 'localhost:5000/acme/api:latest': 'img1' });
  });

  it('nothing published: only the temporary tag goes; the final tags stay where they were', async () => {
    const e = engine({ [TEMP]: 'img1', 'localhost:5000/acme/api:latest': 'img0' });
    expect(await settleLocalTempTags(e.docker, [{ temp: TEMP, finals: [] }])).toEqual([]);
    expect(e.calls).toEqual([`image rm ${TEMP}`]);
    expect(Object.fromEntries(e.store)).toEqual({ 'localhost:5000/acme/api:latest': 'img0' });
  });

  it('a target the store has no image of (it failed before its export) is no problem', async () => {
    const e = engine({});
    expect(
      await settleLocalTempTags(e.docker, [
        { temp: TEMP, finals: ['localhost:5000/acme/api:1'] },
        { temp: `${TEMP}x`, finals: [] },
      ]),
    ).toEqual([]);
    expect(e.calls).toEqual([`image tag ${TEMP} localhost:5000/acme/api:1`, `image rm ${TEMP}x`]);
  });

  it("a tagging the engine refuses keeps the temporary tag (the image's only name) and says why", async () => {
    const e = engine({ [TEMP]: 'img1' }, { args: `image tag ${TEMP} localhost:5000/acme/api:2`, stderr: 'Error response from daemon: write /var/lib/docker: no space left on device\n' });
    const problems = await settleLocalTempTags(e.docker, [{ temp: TEMP, finals: ['localhost:5000/acme/api:1', 'localhost:5000/acme/api:2', 'localhost:5000/acme/api:3'] }]);
    expect(problems).toEqual([`kept the local temporary tag ${TEMP}: tagging it localhost:5000/acme/api:2 failed: Error response from daemon: write /var/lib/docker: no space left on device`]);
    expect(e.calls).toEqual([`image tag ${TEMP} localhost:5000/acme/api:1`, `image tag ${TEMP} localhost:5000/acme/api:2`]);
    expect(e.store.has(TEMP)).toBe(true);
  });

  it('a removal the engine refuses is said, and the next target still settles', async () => {
    const other = 'localhost:5000/acme/db:matrix-tmp-run1-db-linux-amd64';
    const e = engine(
      { [TEMP]: 'img1', [other]: 'img2' },
      { args: `image rm ${TEMP}`, stderr: 'Error response from daemon: conflict: unable to remove repository reference (must force) - container 0a1b is using its referenced image\n' },
    );
    const problems = await settleLocalTempTags(e.docker, [
      { temp: TEMP, finals: [] },
      { temp: other, finals: ['localhost:5000/acme/db:1'] },
    ]);
    expect(problems).toEqual([
      `left the local temporary tag ${TEMP}: Error response from daemon: conflict: unable to remove repository reference (must force) - container 0a1b is using its referenced image`,
    ]);
    expect(Object.fromEntries(e.store)).toEqual({ [TEMP]: 'img1', 'localhost:5000/acme/db:1': 'img2' });
  });
});
