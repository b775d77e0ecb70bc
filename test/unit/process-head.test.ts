// capture() with headBytes: stdout as bytes (an archive: `docker cp CONTAINER:PATH -` prints a
// tar stream, https://docs.docker.com/reference/cli/docker/container/cp/), only its first bytes
// kept. Decoded as UTF-8 text, bytes that are no UTF-8 became U+FFFD and every offset after them
// moved; kept whole, a file of any size was held in memory as one string (V8 refuses a string
// past about 512 MiB: a crash, not a test result).
import { describe, expect, it } from 'vitest';
import { capture } from '../../src/adapters/process.js';

const sh = (script: string) => ({ file: '/bin/sh', args: ['-c', script], env: { PATH: process.env.PATH } });

describe('capture with headBytes', () => {
  it('keeps the first bytes exactly as printed, bytes that are no UTF-8 too', async () => {
    const r = await capture(sh("printf '\\377\\376ab\\303'; printf 'c%.0s' $(seq 1 100)"), 10_000, undefined, false, { headBytes: 6 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect([...r.head!]).toEqual([0xff, 0xfe, 0x61, 0x62, 0xc3, 0x63]);
  });

  it("reads a large output to its end and keeps only the head: the exit code is the program's own", async () => {
    const r = await capture(sh('head -c 200000000 /dev/zero; exit 3'), 60_000, undefined, false, { headBytes: 65_536 });
    expect(r.code).toBe(3);
    expect(r.head!.length).toBe(65_536);
    expect(r.stdout).toBe('');
  });

  it('an output shorter than the head is kept whole; 0 keeps nothing', async () => {
    expect((await capture(sh('printf abc'), 10_000, undefined, false, { headBytes: 65_536 })).head!.toString()).toBe('abc');
    const none = await capture(sh('printf abc'), 10_000, undefined, false, { headBytes: 0 });
    expect(none.head!.length).toBe(0);
    expect(none.code).toBe(0);
  });

  it('without headBytes, stdout is text as before and there is no head', async () => {
    const r = await capture(sh('printf abc'), 10_000);
    expect(r.stdout).toBe('abc');
    expect(r.head).toBeUndefined();
  });
});
