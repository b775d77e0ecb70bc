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

// `docker image tag` or `docker image rm` that did not end on its own terms (src/adapters/exit.ts: Node's
// `signal`; a shell's 128 + n, 127 and 126, POSIX Shell Command Language 2.8.2; docker's 125, docker/cli
// cmd/docker/docker.go). It was "tagging it ... failed: " and "left the local temporary tag ...: " with
// nothing after the colon, the next tag tried with the same docker, and the run's exit code unchanged.
describe('the local copy when docker did not end on its own terms', () => {
  const OTHER = 'localhost:5000/acme/db:matrix-tmp-run1-db-linux-amd64';
  /** An engine that answers `at` (`image tag` or `image rm`) with `r`, and everything else with success. */
  const dockerAnswering = (at: string, r: Partial<Captured>) => {
    const calls: string[] = [];
    const docker = {
      bin: 'docker',
      env: {},
      capture: async (args: string[]) => (calls.push(args.join(' ')), args.slice(0, 2).join(' ') === at ? { code: 0, stdout: '', stderr: '', ...r } : { code: 0, stdout: '', stderr: '' }),
    } as unknown as Docker;
    return { docker, calls };
  };

  it.each([
    [
      'killed, as Node reports it',
      'image tag',
      { code: 137, signal: 'SIGKILL' as const },
      'signal',
      `kept the local temporary tag ${TEMP}: tagging it localhost:5000/acme/api:1 failed: \`docker image tag\` was killed by SIGKILL`,
    ],
    ['137 from a wrapper shell', 'image tag', { code: 137 }, 'signal', `kept the local temporary tag ${TEMP}: tagging it localhost:5000/acme/api:1 failed: \`docker image tag\` exited 137 (128 + 9)`],
    ['127 from a wrapper', 'image rm', { code: 127 }, 'not-found', `left the local temporary tag ${TEMP}: \`docker image rm\` exited 127: a command it runs was not found`],
    ['126 from a wrapper', 'image rm', { code: 126 }, 'not-executable', `left the local temporary tag ${TEMP}: \`docker image rm\` exited 126`],
    ['125: docker refused the command line', 'image rm', { code: 125, stderr: 'unknown flag: --x' }, 'cli-refused', `left the local temporary tag ${TEMP}: \`docker image rm\` exited 125`],
  ])('%s (%s): the end is said in its line and returned, and the later tags are left as they are', async (_name, at, r, kind, line) => {
    const { docker, calls } = dockerAnswering(at, r);
    const ends: import('../../src/adapters/exit.js').AbnormalEnd[] = [];
    const finals = at === 'image tag' ? ['localhost:5000/acme/api:1'] : [];
    const problems = await settleLocalTempTags(
      docker,
      [
        { temp: TEMP, finals },
        { temp: OTHER, finals: [] },
      ],
      ends,
    );
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ kind });
    expect(problems[0]!.startsWith(line)).toBe(true);
    expect(problems[1]).toBe(`left the local temporary tags ${OTHER} as they are (stopped)`);
    expect(calls.some((c) => c.includes(OTHER))).toBe(false);
  });

  it('a 255 of `docker image` (no plugin) and a store without the tag stay what they were: no end', async () => {
    const { docker } = dockerAnswering('image rm', { code: 255, stderr: '' });
    const ends: import('../../src/adapters/exit.js').AbnormalEnd[] = [];
    const problems = await settleLocalTempTags(docker, [{ temp: TEMP, finals: [] }], ends);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^left the local temporary tag ${TEMP}:`));
    const gone = dockerAnswering('image rm', { code: 1, stderr: `Error response from daemon: No such image: ${TEMP}` });
    expect(
      await settleLocalTempTags(
        gone.docker,
        [
          { temp: TEMP, finals: [] },
          { temp: OTHER, finals: [] },
        ],
        ends,
      ),
    ).toEqual([]);
    expect(gone.calls).toEqual([`image rm ${TEMP}`, `image rm ${OTHER}`]);
    expect(ends).toEqual([]);
  });
});
