// The environment reaches the code only through the CLI's Io: the help text's
// width from Io.columns (not process.stdout), the temp dir from Io.env (not
// the process's TMPDIR). processIo (src/cli/stdio.ts) fills both from the process.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { processIo } from '../../src/cli/stdio.js';
import { tempDirOf } from '../../src/fs/temp.js';

async function help(columns: number | undefined): Promise<string> {
  let stdout = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd: os.tmpdir(), env: { NO_COLOR: '1' }, isTTY: false, columns };
  expect(await main(['--help'], io)).toBe(0);
  return stdout;
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

describe('help width comes from Io.columns', () => {
  it('wraps to the terminal width the Io gives, at most 100 columns, 100 without a terminal', async () => {
    const narrow = await help(60);
    expect(widest(narrow)).toBeLessThanOrEqual(60);
    expect(widest(await help(undefined))).toBeGreaterThan(60);
    expect(widest(await help(300))).toBeLessThanOrEqual(100);
  });

  it('processIo takes the width from the process stdout', () => {
    const proc = { ...process, stdout: Object.assign(Object.create(process.stdout), { columns: 77, isTTY: true }), cwd: () => '/', env: {} } as unknown as NodeJS.Process;
    expect(processIo(proc).columns).toBe(77);
  });
});

describe('tempDirOf: os.tmpdir() from the Io environment', () => {
  // https://nodejs.org/api/os.html#ostmpdir: TMPDIR, then TMP, then TEMP, then /tmp; no trailing slash.
  it.each([
    [{ TMPDIR: '/scratch/' }, '/scratch'],
    [{ TMPDIR: '', TMP: '/t2' }, '/t2'],
    [{ TEMP: '/t3' }, '/t3'],
    [{}, '/tmp'],
    [{ TMPDIR: '/' }, '/'],
  ])('%j -> %s', (env, dir) => {
    expect(tempDirOf(env)).toBe(dir);
  });

  it("agrees with os.tmpdir() for the process's own environment", () => {
    expect(tempDirOf(process.env)).toBe(os.tmpdir());
  });
});
