// A PATH entry too long for execve (Linux PATH_MAX, 4096 bytes with the NUL):
// Node 20's spawn then returned a child whose exit it never reported (a pid,
// no 'exit', no 'close'), or an error naming no real cause (ENOTTY, EINVAL),
// and `matrix doctor` waited forever (found by a crash hunt: PATH of 5,000
// characters). Such an entry can start no program (execve: ENAMETOOLONG), so
// it is left out of the child's PATH; the others keep their order (execvp's
// search, POSIX exec).
import { describe, expect, it } from 'vitest';
import { capture, searchableEnv } from '../../src/adapters/process.js';

const long = 'a'.repeat(5000);

describe('spawning with a PATH entry too long to be searched', () => {
  it('leaves out only the entries a path through them cannot fit, in order; none left is not found', () => {
    expect(searchableEnv('docker', { PATH: `/usr/bin:${long}:/bin`, HOME: '/h' })).toEqual({ PATH: '/usr/bin:/bin', HOME: '/h' });
    const env = { PATH: '/usr/bin:/bin' };
    expect(searchableEnv('docker', env)).toBe(env);
    // A path with `/` is not searched; an entry that just fits stays.
    expect(searchableEnv('./docker', { PATH: long })).toEqual({ PATH: long });
    const fits = 'b'.repeat(4096 - 1 - 'git'.length - 1);
    expect(searchableEnv('git', { PATH: fits })?.PATH).toBe(fits);
    expect(searchableEnv('git', { PATH: `${fits}b` })).toBeUndefined();
  });

  it('capture ends, with the program not found or found through the other entries', async () => {
    const started = Date.now();
    const none = await capture({ file: 'docker', args: ['version'], env: { PATH: long } });
    expect(none).toMatchObject({ code: 127, spawnError: 'ENOENT' });
    const found = await capture({ file: 'sh', args: ['-c', 'echo ok'], env: { PATH: `${long}:/usr/bin:/bin` } });
    expect(found).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
