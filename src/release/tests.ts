// The `test:` checks of a service, run in its built image once per platform
// (in the spirit of container-structure-test's command and file tests, and
// dgoss). A command goes to `docker run` as an argument list after `--`,
// never through a shell unless the spec says `shell:`; the image's entrypoint
// is cleared (`--entrypoint=`), so the command is exactly what the spec lists.
// File checks read the file's tar header through `docker cp CONTAINER:PATH -`,
// so they need nothing (no shell, no stat) in the image.
//
// docker run exits with the test command's own status, and 125, 126 and 127
// when the container could not run it (docs.docker.com, `docker run`, "Exit
// status"): those are the test's result, never read as docker's end. Only a
// docker CLI a signal ended, as Node reports it, is (src/adapters/exit.ts);
// `docker create`, `cp` and `rm` run no command of the image, so every end
// src/adapters/exit.ts reads is theirs.
import { dockerEnd, type Docker } from '../adapters/docker.js';
import { EndedError, exitSignal, type AbnormalEnd } from '../adapters/exit.js';
import type { Target, TestInput } from '../spec.js';
import { lastLine } from '../adapters/process.js';
import { sizeText } from '../size-text.js';

export interface TestFailure {
  target: string;
  platform: string;
  test: string;
  /** What was expected and what happened. */
  problem: string;
  /** The command's output (last lines). */
  output: string[];
}

/** The tests of a target's service (its own, else `defaults.test`), from the spec as written. */
export function testsOf(specValue: unknown, target: Pick<Target, 'service'>): TestInput[] {
  const v = specValue as { services?: Record<string, { test?: TestInput[] }>; defaults?: { test?: TestInput[] } } | undefined;
  return v?.services?.[target.service]?.test ?? v?.defaults?.test ?? [];
}

export function testName(t: TestInput, i: number): string {
  return t.name ?? (t.command ? t.command.join(' ') : t.shell ? `sh -c ${t.shell}` : `files #${i + 1}`);
}

/** `docker run` for one test: options first, `--`, then the image and the command as given. */
export function runArgs(image: string, platform: string, t: TestInput): string[] | undefined {
  const cmd = t.command ?? (t.shell !== undefined ? ['/bin/sh', '-c', t.shell] : undefined);
  if (!cmd) return undefined;
  return ['run', '--rm', '--platform', platform, '--entrypoint=', '--', image, ...cmd];
}

/** What is wrong with a command's result, or undefined when it passed. */
export function judge(t: TestInput, r: { code: number; stdout: string; stdoutCut?: true }): string | undefined {
  const want = t.exit_code ?? 0;
  // 128 + n: the command (or docker under a wrapper) was ended by signal n, as a shell says it (POSIX Shell Command Language 2.8.2).
  const signal = r.code !== want ? exitSignal(r.code) : undefined;
  if (signal) return `exited ${r.code} (128 + ${r.code - 128}: the command, or docker running it, was killed by ${signal}), expected ${want}`;
  if (r.code !== want) return `exited ${r.code}, expected ${want}`;
  // Cut: only the first TEST_STDOUT_CHARS were kept, so it is not the expected text, and a pattern not in them is not known to be absent.
  const kept = r.stdoutCut ? ` (it printed more than ${sizeText(TEST_STDOUT_CHARS, 'characters')}; only the first were kept)` : '';
  if (t.stdout !== undefined && (r.stdoutCut || r.stdout.replace(/\n$/, '') !== t.stdout.replace(/\n$/, '')))
    return `stdout was ${JSON.stringify(r.stdout.slice(0, 200))}${kept}, expected ${JSON.stringify(t.stdout)}`;
  if (t.stdout_matches !== undefined && !patternOf(t.stdout_matches)) return `stdout_matches ${JSON.stringify(t.stdout_matches)} is not a valid regular expression`;
  if (t.stdout_matches !== undefined && !patternOf(t.stdout_matches)!.test(r.stdout)) return `stdout ${JSON.stringify(r.stdout.slice(0, 200))}${kept} does not match /${t.stdout_matches}/`;
  return undefined;
}

/**
 * The most of a test command's stdout kept to judge it (capture's
 * partialStdout): the rest is read to the end, so the exit code is the
 * command's own, and dropped. A command printing without end (`yes`) held
 * every byte in one string and ended matrix past V8's longest string.
 */
export const TEST_STDOUT_CHARS = 16 * 1024 * 1024;

function patternOf(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'm');
  } catch {
    return undefined;
  }
}

const BLOCK = 512;
/**
 * Header types that describe the entry after them, not an entry: PAX extended
 * headers (`x`, `g`; POSIX pax, "pax Interchange Format") and GNU's long name
 * and long link (`L`, `K`). The docker CLI writes its archives with Go's
 * archive/tar, which puts an `x` header (mode 0) before a file whose name is
 * not ASCII or longer than ustar holds, or that has extended attributes
 * (security.capability of `setcap`): measured with docker 26 and 28.
 */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

/** A ustar numeric field: octal digits, then NULs or spaces (none of GNU's base-256: no mode or header size needs it). */
function octalField(tar: Buffer, at: number, length: number): number | undefined {
  const text = tar
    .toString('latin1', at, at + length)
    .replace(/^ +/, '')
    .replace(/[\0 ]+$/, '');
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** Whether the 512 bytes at `at` are a tar header: its checksum (the bytes summed, the checksum field read as spaces) agrees. */
function isHeader(tar: Buffer, at: number): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : tar[at + i]!;
  return octalField(tar, at + 148, 8) === sum;
}

/**
 * The permission bits of the first entry of a tar stream (`docker cp
 * CONTAINER:PATH -`), read from its bytes: the ustar header's mode (octal at
 * byte 100), after any extended headers before it. Undefined when the bytes
 * are no tar archive or end before that header.
 */
export function tarMode(tar: Buffer): number | undefined {
  for (let at = 0; at + BLOCK <= tar.length; ) {
    if (!isHeader(tar, at)) return undefined;
    if (!META_TYPES.has(String.fromCharCode(tar[at + 156]!))) {
      const mode = octalField(tar, at + 100, 8);
      return mode === undefined ? undefined : mode & 0o7777;
    }
    const size = octalField(tar, at + 124, 12);
    if (size === undefined) return undefined;
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}

/** How much of `docker cp`'s archive is read: its first header and the extended headers before it, never the file (of any size). */
const ARCHIVE_HEAD_BYTES = 64 * 1024;

/** A test command's time limit. */
const RUN_LIMIT_MS = 10 * 60_000;

/**
 * Run every test of one image (one platform); the failures. EndedError when
 * docker did not end on its own terms (src/adapters/exit.ts): the docker CLI
 * of `docker run` killed, or `docker create`, `cp` or `rm` killed or not run.
 * That says nothing of the image.
 */
export async function runImageTests(docker: Docker, target: string, platform: string, image: string, tests: readonly TestInput[]): Promise<TestFailure[]> {
  const failures: TestFailure[] = [];
  for (const [i, t] of tests.entries()) {
    const name = testName(t, i);
    const fail = (problem: string, output: string[] = []) => failures.push({ target, platform, test: name, problem, output });
    const args = runArgs(image, platform, t);
    if (args) {
      const r = await docker.capture(args, { timeoutMs: RUN_LIMIT_MS, stdoutChars: TEST_STDOUT_CHARS, partialStdout: true });
      // Node saw the signal: it ended the docker CLI itself, not the command in the container (whose end docker passes on as an exit code).
      const end = r.signal ? dockerEnd(docker, args, r) : undefined;
      if (end) throw new EndedError(end);
      const problem = r.spawnError ? `cannot run docker: ${r.spawnError}` : r.timedOut ? `did not finish within ${RUN_LIMIT_MS / 60_000} minutes; matrix stopped it` : judge(t, r);
      if (problem) fail(problem, `${r.stdout}${r.stderr}`.trimEnd().split('\n').slice(-10));
    }
    if (t.files?.length) for (const p of await fileProblems(docker, platform, image, t)) fail(p);
  }
  return failures;
}

async function fileProblems(docker: Docker, platform: string, image: string, t: TestInput): Promise<string[]> {
  const createArgs = ['create', '--platform', platform, '--', image];
  const created = await docker.capture(createArgs, { timeoutMs: 120_000 });
  const createEnd = dockerEnd(docker, createArgs, created);
  if (createEnd) throw new EndedError(createEnd);
  if (created.code !== 0) return [`cannot create a container to read files: ${lastLine({ stderr: created.stderr })}`];
  const id = created.stdout.trim();
  const problems: string[] = [];
  let end: AbnormalEnd | undefined;
  try {
    for (const f of t.files ?? []) {
      const args = ['cp', `${id}:${f.path}`, '-'];
      const r = await docker.capture(args, { timeoutMs: 120_000, headBytes: f.mode === undefined ? 0 : ARCHIVE_HEAD_BYTES });
      // Killed, or a docker that could not run it: nothing is known of the file (it was "does not exist").
      end = dockerEnd(docker, args, r);
      if (end) break;
      const exists = r.code === 0;
      if (exists !== (f.exists ?? true)) problems.push(`${f.path} ${exists ? 'exists' : 'does not exist'}, expected it ${f.exists === false ? 'not to' : 'to'}`);
      if (!exists || f.mode === undefined) continue;
      const mode = tarMode(r.head ?? Buffer.alloc(0));
      if (mode === undefined) problems.push(`${f.path}: its mode cannot be read from what \`${docker.bin} cp\` printed (no tar archive), expected ${f.mode}`);
      else if (mode !== parseInt(f.mode, 8)) problems.push(`${f.path} has mode ${mode.toString(8).padStart(4, '0')}, expected ${f.mode}`);
    }
  } finally {
    const rmArgs = ['rm', '-f', id];
    const left = dockerEnd(docker, rmArgs, await docker.capture(rmArgs));
    // Its removal killed: the container stays, named for the user to remove.
    end ??= left && { ...left, what: `${left.what}, so container ${id} was left (remove it with \`docker rm -f ${id}\`)` };
  }
  if (end) throw new EndedError(end);
  return problems;
}

/** The summary lines of failed tests: target, platform, test, the problem and the output. */
export function formatTestFailures(failures: readonly TestFailure[]): string {
  return failures.map((f) => `test failed: ${f.target} (${f.platform}) \`${f.test}\`: ${f.problem}\n${f.output.map((l) => `  | ${l}\n`).join('')}`).join('');
}
