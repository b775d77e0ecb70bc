// capture() and stream() when the program cannot be started: Node reports
// EMFILE/ENFILE with an 'error' event on the next tick and a child with no pid
// and no stdio; ENOMEM it throws. A machine fault rejects (exit 74, hint);
// ENOENT stays a spawnError (the program is not there).
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

let failWith: { code: string; sync: boolean } | undefined;

vi.mock('node:child_process', async (orig) => {
  const real = await orig<typeof import('node:child_process')>();
  return {
    ...real,
    spawn: (...args: Parameters<typeof real.spawn>) => {
      if (!failWith) return real.spawn(...args);
      const err = Object.assign(new Error(`spawn ${String(args[0])} ${failWith.code}`), { code: failWith.code, errno: -24, syscall: `spawn ${String(args[0])}`, path: args[0] });
      if (failWith.sync) throw err;
      // As Node's ChildProcess after a failed EMFILE/ENFILE spawn: no pid, no stdout, the error on the next tick.
      const child = Object.assign(new EventEmitter(), { pid: undefined, stdout: undefined, stderr: undefined, exitCode: null, signalCode: null });
      process.nextTick(() => child.emit('error', err));
      return child;
    },
  };
});

const { capture, stream, SPAWN_FAULT_EXIT } = await import('../../src/adapters/process.js');
const { UserError } = await import('../../src/diagnostics.js');

const cmd = { file: 'git', args: ['--version'], env: { PATH: process.env.PATH } };

beforeEach(() => {
  failWith = undefined;
});

describe('a failed spawn', () => {
  for (const [code, sync] of [
    ['EMFILE', false],
    ['ENFILE', false],
    ['EAGAIN', false],
    ['ENOMEM', true],
  ] as const) {
    it(`${code}: capture and stream reject with a machine fault naming the errno, with a hint`, async () => {
      failWith = { code, sync };
      for (const run of [
        () => capture(cmd),
        () =>
          stream(
            cmd,
            () => {},
            () => {},
          ),
      ]) {
        const e = await run().then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(UserError);
        const u = e as InstanceType<typeof UserError>;
        expect(u.exitCode).toBe(SPAWN_FAULT_EXIT);
        expect(u.diagnostics[0]!.message).toContain(`cannot start \`git\``);
        expect(u.diagnostics[0]!.message).toContain(`(${code})`);
        expect(u.diagnostics[0]!.hint).toBeTruthy();
      }
    });
  }

  it('ENOENT: the program is not there, a spawnError as before', async () => {
    failWith = { code: 'ENOENT', sync: false };
    expect(await capture(cmd)).toMatchObject({ code: 127, spawnError: 'ENOENT' });
    expect(
      await stream(
        cmd,
        () => {},
        () => {},
      ),
    ).toMatchObject({ code: 127, spawnError: 'ENOENT' });
  });

  it('a real missing program still resolves with ENOENT; a real one runs', async () => {
    expect(await capture({ ...cmd, file: 'matrix-no-such-program' })).toMatchObject({ code: 127, spawnError: 'ENOENT' });
    const ok = await capture(cmd);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^git version/);
  });
});
