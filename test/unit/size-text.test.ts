// Sizes in messages (src/size-text.ts): the limits matrix names, in the unit that says them exactly.
import { describe, expect, it } from 'vitest';
import { MAX_SPEC_BYTES } from '../../src/load/load.js';
import { TEST_STDOUT_CHARS } from '../../src/release/tests.js';
import { sizeText } from '../../src/size-text.js';

describe('sizeText', () => {
  it.each([
    [0, 'bytes', '0 bytes'],
    [1023, 'bytes', '1023 bytes'],
    [1024, 'bytes', '1 KiB'],
    [1536, 'bytes', '1536 bytes'],
    [64 * 1024, 'bytes', '64 KiB'],
    [1024 * 1024, 'bytes', '1 MiB'],
    [1024 * 1024 + 1024, 'bytes', '1025 KiB'],
    [1024 * 1024 + 1, 'characters', '1048577 characters'],
    [3 * 1024 * 1024 * 1024, 'bytes', '3072 MiB'],
  ] as const)('%i %s: %s', (n, unit, text) => {
    expect(sizeText(n, unit)).toBe(text);
  });

  it("names matrix's own limits as before", () => {
    expect(sizeText(MAX_SPEC_BYTES, 'bytes')).toBe('32 MiB');
    expect(sizeText(TEST_STDOUT_CHARS, 'characters')).toBe('16 MiB');
  });
});
