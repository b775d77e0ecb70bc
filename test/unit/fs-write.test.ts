// writeAll encodes a long text a piece at a time (src/fs/write.ts): the file
// must hold exactly the UTF-8 bytes of the whole text, also where a piece
// boundary falls inside a surrogate pair or a multi-byte character.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEXT_CHUNK, writeAll } from '../../src/fs/write.js';

const dir = mkdtempSync(path.join(tmpdir(), 'matrix-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function written(text: string): Buffer {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'wx');
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
  return readFileSync(file);
}

describe('writeAll: a text is written as its UTF-8 bytes, in pieces when long', () => {
  const pad = (n: number) => 'a'.repeat(n);
  it.each([
    ['empty', ''],
    ['short, multi-byte', 'FROM x\n# ü € 😀\n'],
    ['exactly one piece', pad(TEXT_CHUNK)],
    ['a piece and a byte', `${pad(TEXT_CHUNK)}b`],
    ['a surrogate pair across the first boundary', `${pad(TEXT_CHUNK - 1)}😀${pad(10)}`],
    ['a surrogate pair ending the first piece', `${pad(TEXT_CHUNK - 2)}😀${pad(10)}`],
    ['a lone high surrogate at the boundary', `${pad(TEXT_CHUNK - 1)}\ud83dx`],
    ['three-byte characters across boundaries', '€'.repeat(TEXT_CHUNK * 2 + 7)],
    ['a pair at the very end of a long text', `${pad(TEXT_CHUNK * 2 - 1)}😀`],
  ])('%s', (_name, text) => {
    expect(written(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });
});
