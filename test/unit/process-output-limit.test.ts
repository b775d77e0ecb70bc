// What capture() and stream() keep of a program's output is bounded, whatever it prints.
// V8 makes no string longer than buffer.constants.MAX_STRING_LENGTH (2^29 - 24 UTF-16 units
// on 64-bit platforms; Node's docs, "buffer.constants.MAX_STRING_LENGTH"): past it `+=`
// throws RangeError "Invalid string length". Kept whole, a `matrix test` command printing
// without end (`yes`), or a wrapper in docker's place, ended matrix as an internal error.
import { constants } from 'node:buffer';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerAt } from '../../src/adapters/docker.js';
import { UserError } from '../../src/diagnostics.js';
import { capture, STDERR_TAIL_CHARS, STDOUT_CHARS, STREAM_LINE_CHARS, stream } from '../../src/adapters/process.js';
import { judge, runImageTests, TEST_STDOUT_CHARS } from '../../src/release/tests.js';

const env = { PATH: process.env.PATH };
const sh = (script: string) => ({ file: '/bin/sh', args: ['-c', script], env });
const dir = mkdtempSync(path.join(tmpdir(), 'matrix-output-limit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('capture keeps a bounded stdout', () => {
  it('the default limit, with the chunk that crosses it, stays at about half of the longest string V8 makes', () => {
    expect(STDOUT_CHARS + 64 * 1024).toBeLessThan(constants.MAX_STRING_LENGTH * 0.51);
  });

  it('past the limit the program is stopped at once and the error names it, with exit 2, as a file over its limit (not a timeout, not an internal error)', async () => {
    const started = Date.now();
    const e = await capture(sh('exec yes'), 60_000, undefined, false, { stdoutChars: 100_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(UserError);
    const u = e as UserError;
    expect(u.exitCode).toBe(2);
    expect(u.diagnostics[0]!.code).toBe('output-limit');
    expect(u.diagnostics[0]!.message).toContain("`/bin/sh -c 'exec yes'` printed more than 100000 characters on its standard output");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an output exactly at the limit is kept whole', async () => {
    const r = await capture(sh('head -c 5000 /dev/zero | tr "\\0" a'), 10_000, undefined, false, { stdoutChars: 5000 });
    expect(r.stdout).toBe('a'.repeat(5000));
    expect(r.stdoutCut).toBeUndefined();
  });

  it("with partialStdout the first characters are kept and the rest read to the end: the exit code is the program's own", async () => {
    const r = await capture(sh('head -c 3000000 /dev/zero | tr "\\0" a; exit 3'), 60_000, undefined, false, { stdoutChars: 1000, partialStdout: true });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('a'.repeat(1000));
    expect(r.stdoutCut).toBe(true);
  });

  it("keeps the end of a long stderr, where a program's error is", async () => {
    const r = await capture(sh(`head -c ${3 * STDERR_TAIL_CHARS} /dev/zero | tr "\\0" x >&2; echo; echo 'the real error' >&2; exit 2`), 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThanOrEqual(2 * STDERR_TAIL_CHARS);
    expect(r.stderr.endsWith('x\nthe real error\n') || r.stderr.endsWith('xthe real error\n')).toBe(true);
  });
});

describe('stream hands on a line without an end in pieces', () => {
  it('a stderr line of megabytes without a newline reaches onStderrLine in pieces of at most STREAM_LINE_CHARS, nothing lost', async () => {
    const total = 2 * STREAM_LINE_CHARS + 123;
    const pieces: number[] = [];
    let chars = 0;
    const r = await stream(
      sh(`head -c ${total} /dev/zero | tr "\\0" z >&2`),
      (line) => {
        pieces.push(line.length);
        chars += [...line].filter((c) => c === 'z').length;
      },
      () => undefined,
    );
    expect(r.code).toBe(0);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(STREAM_LINE_CHARS);
    expect(chars).toBe(total);
  });
});

describe('a test command that prints more than is kept', () => {
  // A docker in the test's place: `run` prints its output, `-c` of it chosen by the test.
  const fake = path.join(dir, 'docker');
  writeFileSync(fake, '#!/bin/sh\ncase "$1" in run) head -c "$MATRIX_FAKE_BYTES" /dev/zero | tr "\\0" y; exit 0;; esac\nexit 1\n');
  chmodSync(fake, 0o755);
  const docker = (bytes: number) => dockerAt(fake, { ...env, MATRIX_FAKE_BYTES: String(bytes) });

  it('a pattern found in the kept part passes; an exact stdout fails and says the output was cut', async () => {
    const big = TEST_STDOUT_CHARS + 4 * 1024 * 1024;
    const pass = await runImageTests(docker(big), 't', 'linux/amd64', 'img', [{ command: ['x'], stdout_matches: '^y' }]);
    expect(pass).toEqual([]);
    const [f] = await runImageTests(docker(big), 't', 'linux/amd64', 'img', [{ command: ['x'], stdout: 'y' }]);
    expect(f!.problem).toMatch(/^stdout was "y{200}" \(it printed more than 16 MiB; only the first were kept\), expected "y"$/);
    expect(f!.output.join('').length).toBeLessThanOrEqual(TEST_STDOUT_CHARS);
  });

  it('judge: a cut stdout is never the expected text, and a pattern missing from it is said to be missing from the kept part', () => {
    expect(judge({ command: ['x'], stdout: 'yy' }, { code: 0, stdout: 'yy', stdoutCut: true })).toContain('only the first were kept');
    expect(judge({ command: ['x'], stdout_matches: 'done' }, { code: 0, stdout: 'yyy', stdoutCut: true })).toBe(
      'stdout "yyy" (it printed more than 16 MiB; only the first were kept) does not match /done/',
    );
    expect(judge({ command: ['x'], stdout_matches: 'y' }, { code: 0, stdout: 'yyy', stdoutCut: true })).toBeUndefined();
  });
});
