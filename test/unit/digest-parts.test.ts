// partsDigest (output/digest.ts) stands for textDigest of the joined text: a
// large spec's bake file is hashed from its parts as they are rendered
// (render/files.ts digestOf), and an up-to-date check compares that digest
// with the digest of the file on disk. Any difference would make every large
// spec look stale, or a stale one look current.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIGEST_PIECE, partsDigest, textDigest } from '../../src/output/digest.js';
import { bakeFileParts, renderBakeFile } from '../../src/render/hcl.js';
import { writeScaleRepo } from '../../scripts/gen-scale-spec.mjs';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';
import { compile } from '../../src/compile.js';

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters that differ in their UTF-8 length, and both halves of a surrogate pair alone. */
const UNITS = ['a', '\n', 'é', '€', '😀', '\ud83d', '\ude00', '"', '$'];

function text(next: () => number, length: number): string {
  let s = '';
  while (s.length < length) s += UNITS[Math.floor(next() * UNITS.length)]!;
  return s;
}

afterAll(removeTempDirs);

describe('partsDigest', () => {
  it('is the digest of the parts joined, and of their UTF-8 bytes, for parts short and longer than a piece', () => {
    const next = random(18);
    for (let round = 0; round < 200; round++) {
      const count = Math.floor(next() * 6);
      const parts = Array.from({ length: count }, () => text(next, Math.floor(next() * (next() < 0.1 ? 3 * DIGEST_PIECE : 40))));
      const joined = parts.join('\n');
      const digest = partsDigest(parts, '\n');
      expect(digest).toBe(textDigest(joined));
      expect(digest).toBe(createHash('sha256').update(Buffer.from(joined, 'utf8')).digest('base64'));
    }
  });

  it("of a bake file's parts as they are rendered is the digest of the file as written", () => {
    const dir = tempRepo();
    writeScaleRepo(40, dir);
    const specPath = path.join(dir, 'matrix.yaml');
    const result = compile({ specPath, displayName: 'matrix.yaml', source: readFileSync(specPath, 'utf8'), repoRoot: dir, cwd: dir });
    expect(result.diagnostics).toEqual([]);
    const spec = result.spec!;
    const input = { specRel: 'matrix.yaml', targets: spec.targets, groups: [['default', spec.targets.map((t) => t.name)] as const], generated: ['a/Dockerfile', 'b/Dockerfile'] };
    const written = renderBakeFile(input);
    expect(written.length).toBeGreaterThan(DIGEST_PIECE);
    expect(partsDigest(bakeFileParts(input), '\n')).toBe(textDigest(written));
  });
});
