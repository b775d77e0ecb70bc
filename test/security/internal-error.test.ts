// An internal error (a bug, not a bad spec) is reported as one: a short request
// to report it, the stack, exit 70. Driven through main() with an Io whose
// stdout throws, and with a command module mocked to throw a plain Error.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';
import { STACK_FRAME } from './run.js';

afterAll(removeTempDirs);

vi.mock('../../src/cli/plan.js', () => ({
  runPlan: () => {
    throw new Error('simulated bug in plan');
  },
}));

function io(cwd: string, stdoutWrite: (s: string) => unknown): Io & { err: () => string } {
  let err = '';
  return {
    stdout: { write: stdoutWrite },
    stderr: { write: (s: string) => (err += s) },
    cwd,
    env: { NO_COLOR: '1' },
    isTTY: false,
    err: () => err,
  };
}

function expectInternal(code: number, stderr: string, message: string): void {
  expect(code).toBe(70);
  const lines = stderr.split('\n');
  expect(lines[0]).toBe(`matrix: internal error: ${message}`);
  expect(lines[1]).toMatch(/^This is a bug in matrix\. Please report it/);
  expect(stderr).toMatch(STACK_FRAME);
}

describe('internal errors', () => {
  it('a plain Error thrown while writing output: report request, stack, exit 70', async () => {
    const x = io(tempRepo(), () => {
      throw new Error('stdout exploded');
    });
    expectInternal(await main(['templates'], x), x.err(), 'stdout exploded');
  });

  it('a plain Error thrown inside a command: report request, stack, exit 70', async () => {
    const repo = tempRepo({ 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n', Dockerfile: 'FROM scratch\n' });
    const x = io(repo, () => true);
    expectInternal(await main(['plan'], x), x.err(), 'simulated bug in plan');
  });

  it('a user error is not an internal error: exit 2, no stack', async () => {
    const x = io(tempRepo(), () => true);
    expect(await main(['gen'], x)).toBe(2);
    expect(x.err()).toContain('[spec-not-found]');
    expect(x.err()).not.toMatch(STACK_FRAME);
  });
});
