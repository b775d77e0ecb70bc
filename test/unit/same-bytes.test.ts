// The up-to-date comparison of an output with the disk (src/output/same.ts):
// byte for byte in reused buffers, without decoding the file into a string.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sameBytes } from '../../src/output/same.js';
import { planSync } from '../../src/output/sync.js';
import { headerLines } from '../../src/render/header.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const size = (s: string) => Buffer.byteLength(s);

describe('sameBytes', () => {
  it('is true only for exactly the same bytes, in UTF-8', () => {
    const dir = tempDir();
    const f = path.join(dir, 'f');
    const text = 'FROM a\n# é ü 中 \u{1F600}\n';
    writeFileSync(f, text);
    expect(sameBytes(f, text, size(text))).toBe(true);
    // Same length in UTF-16, other bytes; same byte count, last byte differs.
    expect(sameBytes(f, text.replace('é', 'e'), size(text))).toBe(false);
    expect(sameBytes(f, text.slice(0, -1) + 'x', size(text))).toBe(false);
    // A size that does not match the text is refused before any read.
    expect(sameBytes(f, text, size(text) + 1)).toBe(false);
  });

  it('sees a file that grew after the caller took its size', () => {
    const dir = tempDir();
    const f = path.join(dir, 'f');
    writeFileSync(f, 'abcd');
    expect(sameBytes(f, 'abc', 3)).toBe(false);
  });

  it('handles outputs of different sizes in turn (buffers are reused and grown)', () => {
    const dir = tempDir();
    const big = 'x'.repeat(3 * 1024 * 1024) + '\n';
    const small = 'y\n';
    writeFileSync(path.join(dir, 'big'), big);
    writeFileSync(path.join(dir, 'small'), small);
    expect(sameBytes(path.join(dir, 'small'), small, 2)).toBe(true);
    expect(sameBytes(path.join(dir, 'big'), big, size(big))).toBe(true);
    expect(sameBytes(path.join(dir, 'small'), small, 2)).toBe(true);
    expect(sameBytes(path.join(dir, 'big'), big.replace(/x\n$/, 'y\n'), size(big))).toBe(false);
    expect(sameBytes(path.join(dir, 'small'), '', 0)).toBe(false);
  });

  it('never follows a symbolic link, and a missing file or a directory is false', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'real'), 'a');
    symlinkSync('real', path.join(dir, 'link'));
    mkdirSync(path.join(dir, 'd'));
    expect(sameBytes(path.join(dir, 'link'), 'a', 1)).toBe(false);
    expect(sameBytes(path.join(dir, 'missing'), 'a', 1)).toBe(false);
    expect(sameBytes(path.join(dir, 'd'), '', 0)).toBe(false);
  });
});

describe('planSync with the byte comparison', () => {
  const HEADER = headerLines('matrix.yaml').join('\n') + '\n';
  it('an up-to-date bake file still names the previous outputs (orphans are found)', () => {
    const bake = (...g: string[]) => `${HEADER}${g.map((x) => `# generated: ${x}\n`).join('')}\ngroup "default" {\n  targets = []\n}\n`;
    const dir = tempRepo({ 'a/Dockerfile': `${HEADER}\nFROM a\n`, 'docker-bake.hcl': bake('a/Dockerfile') });
    // The bake file is byte for byte what is rendered, so it is not read as text; its manifest must still count.
    const files = new Map([['docker-bake.hcl', bake('a/Dockerfile')]]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.unchanged).toEqual(['docker-bake.hcl']);
    expect(plan.changes.map((c) => [c.kind, c.file])).toEqual([['delete', 'a/Dockerfile']]);
  });
});
