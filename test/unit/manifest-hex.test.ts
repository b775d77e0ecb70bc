// The hook's manifest writes each read's digest in hex, as sha256sum prints it
// (src/cache/manifest.ts hexOf, a table conversion of Node's base64): it must
// equal Buffer's conversion for every digest, and refuse anything that is not one.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexOf } from '../../src/cache/manifest.js';

describe('hexOf', () => {
  it('equals Buffer.from(digest, "base64").toString("hex") for any sha256 digest', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b64 = createHash('sha256').update(bytes).digest('base64');
        expect(hexOf(b64)).toBe(Buffer.from(b64, 'base64').toString('hex'));
        expect(hexOf(b64)).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('covers every value of the last character and the extremes', () => {
    for (const raw of [Buffer.alloc(32, 0), Buffer.alloc(32, 0xff), Buffer.from(Array.from({ length: 32 }, (_, i) => i * 8))]) {
      expect(hexOf(raw.toString('base64'))).toBe(raw.toString('hex'));
    }
  });

  it('refuses what is not a sha256 digest in base64', () => {
    const good = createHash('sha256').update('x').digest('base64');
    for (const bad of ['', good.slice(0, -1), `${good}=`, `${good.slice(0, 42)}B=`, `${good.slice(0, 10)}-${good.slice(11)}`, good.replace('=', '.')]) {
      expect(() => hexOf(bad)).toThrow();
    }
  });
});
