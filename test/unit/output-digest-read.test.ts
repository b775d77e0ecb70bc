// A large spec's comparison reads what is on disk as a digest, a piece at a
// time (src/output/existing.ts outputDigestState, src/fs/read.ts
// readRegularPieces), and hashes a long text in pieces (src/output/digest.ts):
// each must answer exactly what reading the whole text answered.
import { hash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIGEST_PIECE, textDigest } from '../../src/output/digest.js';
import { outputDigestState, outputState, type OutputState } from '../../src/output/existing.js';
import { withoutText } from '../helpers/output-state.js';
import { digestOf, FileFault, readRegularBytes, readRegularPieces } from '../../src/fs/read.js';
import { recording } from '../../src/fs/recorder.js';
import { planSync } from '../../src/output/sync.js';
import { headerLines } from '../../src/render/header.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const HEADER = headerLines('matrix.yaml').join('\n') + '\n';
const gen = (body: string) => `${HEADER}\n${body}`;
const bakeOf = (generated: string[], blocks = 'group "default" {\n  targets = []\n}\n') => `${HEADER}${generated.map((g) => `# generated: ${g}\n`).join('')}\n${blocks}`;
/** The bytes readRegularPieces reads at a time (src/fs/read.ts PIECE_BYTES). */
const PIECE = 64 * 1024;

/** What outputDigestState must answer: the text read whole, then dropped for its digest (an empty file keeps its text). */
function expected(dir: string, file: string, manifest: boolean): OutputState {
  const where = { specDir: dir, repoRoot: dir, realRoot: dir };
  const state = outputState(where, file);
  return state.kind === 'file' && state.text === '' ? state : withoutText(state, manifest);
}

function both(dir: string, file: string, manifest = false): [OutputState, OutputState] {
  const where = { specDir: dir, repoRoot: dir, realRoot: dir };
  return [outputDigestState(where, file, new Map(), manifest), expected(dir, file, manifest)];
}

describe('outputDigestState answers as the text read whole', () => {
  it('a generated file, a hand-written one, an empty one, and what is not a file', () => {
    const dir = tempRepo({ 'a/Dockerfile': gen('FROM a\n'), 'b/Dockerfile': 'FROM mine\n', 'c/Dockerfile': '', 'd/Dockerfile': { x: 'y' }, 'e/real': 'x', 'e/Dockerfile': { symlink: 'real' } });
    for (const f of ['a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile', 'd/Dockerfile', 'e/Dockerfile', 'f/Dockerfile']) {
      const [got, want] = both(dir, f);
      expect(got, f).toEqual(want);
    }
    expect(both(dir, 'a/Dockerfile')[0]).toEqual({ kind: 'file', ours: true, digest: textDigest(gen('FROM a\n')) });
    expect(both(dir, 'b/Dockerfile')[0]).toMatchObject({ kind: 'file', ours: false });
    expect(both(dir, 'c/Dockerfile')[0]).toEqual({ kind: 'file', text: '', ours: true });
    expect(both(dir, 'd/Dockerfile')[0]).toEqual({ kind: 'dir' });
    expect(both(dir, 'e/Dockerfile')[0]).toEqual({ kind: 'symlink' });
    expect(both(dir, 'f/Dockerfile')[0]).toEqual({ kind: 'missing' });
  });

  it('characters of several bytes, cut between two pieces, and invalid bytes', () => {
    const dir = tempRepo({});
    const texts: Record<string, Buffer> = {
      // A 4-byte character across the first piece's end, at each offset.
      ...Object.fromEntries([1, 2, 3].map((k) => [`cut${k}`, Buffer.concat([Buffer.from(gen('#' + 'x'.repeat(PIECE - HEADER.length - 2 - k)), 'utf8'), Buffer.from('😀 é €\n', 'utf8')])])),
      bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(gen('FROM é\n'))]),
      // Invalid: a lone continuation byte, a truncated sequence at the very end, one across the piece's end.
      lone: Buffer.concat([Buffer.from(gen('FROM a\n')), Buffer.from([0x80, 0x0a])]),
      truncated: Buffer.concat([Buffer.from(gen('FROM a\n')), Buffer.from([0xe2, 0x82])]),
      across: Buffer.concat([Buffer.from(gen('#' + 'x'.repeat(PIECE - HEADER.length - 3))), Buffer.from([0xe2, 0x82, 0x41, 0x0a])]),
      surrogate: Buffer.concat([Buffer.from(gen('FROM a\n')), Buffer.from([0xed, 0xa0, 0x80, 0x0a])]),
    };
    for (const [name, bytes] of Object.entries(texts)) writeFileSync(path.join(dir, name), bytes);
    for (const name of Object.keys(texts)) {
      const [got, want] = both(dir, name);
      expect(got, name).toEqual(want);
      // A byte-order mark before the header hides it, from the text as from the bytes.
      expect(got).toMatchObject({ kind: 'file', ours: name !== 'bom' });
    }
    // Valid UTF-8 is digested as its bytes; invalid bytes as the text they read as, so the two differ there.
    expect(both(dir, 'cut2')[0]).toMatchObject({ digest: digestOf(texts.cut2!) });
    expect(both(dir, 'lone')[0]).not.toMatchObject({ digest: digestOf(texts.lone!) });
  });

  it('the mark further down than the first piece is not seen, as in the text (isGenerated looks at 8 lines)', () => {
    const dir = tempRepo({ late: `${'\n'.repeat(PIECE)}${HEADER}`, wide: `${'é'.repeat(3000)}\n${HEADER}` });
    for (const f of ['late', 'wide']) {
      const [got, want] = both(dir, f);
      expect(got, f).toEqual(want);
    }
    expect(both(dir, 'wide')[0]).toMatchObject({ ours: false });
  });

  it("a bake file's manifest, its header longer than a piece", () => {
    const many = Array.from({ length: 3000 }, (_, i) => `services/svc-${String(i).padStart(5, '0')}/Dockerfile`);
    const files: Record<string, string> = {
      'small.hcl': bakeOf(['a/Dockerfile', 'b c/Dockerfile']),
      'many.hcl': bakeOf(many),
      'blockless.hcl': bakeOf(many, ''),
      'nolf.hcl': `${HEADER}# generated: a/Dockerfile`,
      'notours.hcl': '# generated: a/Dockerfile\ntarget "x" {}\n',
      'grouped.hcl': `${HEADER}# generated: a/Dockerfile\ngroup "default" {}\n# generated: later/Dockerfile\n`,
    };
    const dir = tempRepo(files);
    for (const f of Object.keys(files)) {
      const [got, want] = both(dir, f, true);
      expect(got, f).toEqual(want);
    }
    expect(both(dir, 'many.hcl', true)[0]).toMatchObject({ manifest: many });
    expect(both(dir, 'grouped.hcl', true)[0]).toMatchObject({ manifest: ['a/Dockerfile'] });
    expect(both(dir, 'notours.hcl', true)[0]).toMatchObject({ ours: false, manifest: [] });
  });

  it('a line starting a block at every position around the end of the first piece', () => {
    const dir = tempRepo({});
    const names: string[] = [];
    for (let k = -9; k <= 9; k++) {
      const lead = `${HEADER}# generated: a/Dockerfile\n`;
      // A comment line that ends so the block's line starts k bytes before (k < 0: after) the piece's end.
      const fill = PIECE - k - lead.length - 1;
      const text = `${lead}#${'z'.repeat(fill - 1)}\ntarget "t" {\n}\n# generated: not/this\n`;
      const name = `at${k}.hcl`;
      writeFileSync(path.join(dir, name), text);
      names.push(name);
    }
    for (const name of names) {
      const [got, want] = both(dir, name, true);
      expect(got, name).toEqual(want);
      expect(got).toMatchObject({ manifest: ['a/Dockerfile'] });
    }
  });
});

describe('readRegularPieces', () => {
  it('gives every byte, a piece at a time, and the digest of them all', () => {
    const big = Buffer.alloc(3 * PIECE + 17, 'ab');
    const dir = tempRepo({ big: big.toString('latin1'), empty: '', exact: 'x'.repeat(PIECE) });
    for (const name of ['big', 'empty', 'exact']) {
      const file = path.join(dir, name);
      const got: Buffer[] = [];
      const digest = readRegularPieces(file, {}, (piece) => got.push(Buffer.from(piece)));
      const whole = readRegularBytes(file);
      expect(Buffer.concat(got).equals(whole), name).toBe(true);
      expect(digest).toBe(digestOf(whole));
    }
  });

  it('refuses what readRegularBytes refuses, with the same fault', () => {
    const dir = tempRepo({ real: 'x'.repeat(100), link: { symlink: 'real' }, d: {} });
    const cases: [string, Parameters<typeof readRegularBytes>[1]][] = [
      ['missing', {}],
      ['link', { followSymlinks: false }],
      ['d', {}],
      ['real', { maxBytes: 10 }],
    ];
    for (const [name, opts] of cases) {
      const file = path.join(dir, name);
      const fault = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          expect(e).toBeInstanceOf(FileFault);
          return { reason: (e as FileFault).reason, message: (e as Error).message, diagnostics: (e as FileFault).diagnostics };
        }
        throw new Error(`${name}: no fault`);
      };
      expect(
        fault(() => readRegularPieces(file, opts!, () => {})),
        name,
      ).toEqual(fault(() => readRegularBytes(file, opts)));
    }
  });

  it('a recording notes the call and answer readRegularBytes notes, a fault too', async () => {
    const dir = tempRepo({ a: 'hello\n' });
    const opts = { followSymlinks: false, maxBytes: 1024 };
    const whole = await recording(async () => {
      readRegularBytes(path.join(dir, 'a'), opts);
      expect(() => readRegularBytes(path.join(dir, 'gone'), opts)).toThrow(FileFault);
    });
    const pieces = await recording(async () => {
      readRegularPieces(path.join(dir, 'a'), opts, () => {});
      expect(() => readRegularPieces(path.join(dir, 'gone'), opts, () => {})).toThrow(FileFault);
    });
    expect(pieces.complete).toBe(true);
    expect([...pieces.observations]).toEqual([...whole.observations]);
    expect(pieces.observations.size).toBe(2);
  });
});

describe('textDigest of a long text, hashed in pieces', () => {
  it('is the digest of its UTF-8 bytes, a surrogate pair cut at a piece boundary included', () => {
    const texts = [
      'x'.repeat(DIGEST_PIECE + 1),
      `${'x'.repeat(DIGEST_PIECE - 1)}😀${'y'.repeat(10)}`,
      `${'é'.repeat(DIGEST_PIECE * 2)}😀`,
      '😀'.repeat(DIGEST_PIECE),
      // A lone surrogate (encoded as U+FFFD) at the boundary.
      `${'x'.repeat(DIGEST_PIECE - 1)}\ud83dz`,
      'x'.repeat(3 * DIGEST_PIECE),
    ];
    for (const t of texts) expect(textDigest(t)).toBe(hash('sha256', Buffer.from(t, 'utf8'), 'base64'));
  });
});

describe('planSync reads the disk as digests where no new text is kept', () => {
  it('the same plan as with the texts read whole', () => {
    const tree = {
      'a/Dockerfile': gen('FROM a\n'),
      'b/Dockerfile': gen('FROM old\n'),
      'e/Dockerfile': '',
      'h/Dockerfile': 'FROM mine\n',
      'docker-bake.hcl': bakeOf(['a/Dockerfile', 'b/Dockerfile', 'e/Dockerfile', 'gone/Dockerfile']),
      'gone/Dockerfile': gen('FROM g\n'),
    };
    const texts: Record<string, string> = {
      'a/Dockerfile': gen('FROM a\n'),
      'b/Dockerfile': gen('FROM new\n'),
      'e/Dockerfile': gen('FROM e\n'),
      'h/Dockerfile': gen('FROM h\n'),
      'docker-bake.hcl': bakeOf(['a/Dockerfile', 'b/Dockerfile', 'e/Dockerfile', 'h/Dockerfile']),
    };
    const dir = tempRepo(tree);
    // As a large spec's files (render/files.ts GeneratedFiles): digests known, no text kept.
    const digests = Object.assign(new Map(Object.entries(texts)), { digestOf: (f: string) => textDigest(texts[f]!), keptText: () => undefined });
    const plain = new Map(Object.entries(texts));
    const a = planSync(dir, dir, digests, 'docker-bake.hcl');
    const b = planSync(dir, dir, plain, 'docker-bake.hcl');
    const shape = (p: typeof a) => ({ changes: p.changes.map((c) => [c.kind, c.file]), unchanged: p.unchanged, diagnostics: p.diagnostics.map((d) => [d.code, d.file, d.message]) });
    expect(shape(a)).toEqual(shape(b));
    expect(shape(a)).toEqual({
      changes: [
        ['update', 'b/Dockerfile'],
        ['update', 'e/Dockerfile'],
        ['update', 'docker-bake.hcl'],
        ['delete', 'gone/Dockerfile'],
      ],
      unchanged: ['a/Dockerfile'],
      diagnostics: [['not-generated', 'h/Dockerfile', 'h/Dockerfile exists and was not generated by matrix; it will not be overwritten']],
    });
  });
});
