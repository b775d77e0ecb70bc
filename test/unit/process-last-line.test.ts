// lastLine (src/adapters/process.ts): the one way a failed program's own words reach a message.
import { describe, expect, it } from 'vitest';
import { lastLine } from '../../src/adapters/process.js';

describe('lastLine: why a program failed, in its own last words', () => {
  it.each([
    ['the last line of stderr', { stderr: 'pulling\nERROR: denied: not allowed\n' }, 'ERROR: denied: not allowed'],
    ['trailing blank lines ignored', { stderr: 'one\ntwo\n\n\n' }, 'two'],
    ['a single line', { stderr: 'No such image: x' }, 'No such image: x'],
    ['nothing said', { stderr: '' }, ''],
    ['a program that never started says why', { stderr: 'ignored', spawnError: 'docker was not found on PATH (ENOENT)' }, 'docker was not found on PATH (ENOENT)'],
  ])('%s', (_name, r, expected) => {
    expect(lastLine(r)).toBe(expected);
  });
});
