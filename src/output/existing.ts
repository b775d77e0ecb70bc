// What is at an output path now, and whether `gen` may replace it. One check,
// used by `gen` (sync.ts, just before writing) and by resolve (so `validate`
// fails on exactly the outputs `gen` would refuse, at the spec line that named
// them: resolve/generated.ts).
import path from 'node:path';
import type { DiagnosticCode } from '../diagnostics.js';
import { assumeKind, statKind } from '../fs/probe.js';
import { isUtf8 } from 'node:buffer';
import { assumeRead, readRegularPieces, readRegularText } from '../fs/read.js';
import { isInside, nearestReal } from '../paths.js';
import { isGenerated } from '../render/header.js';
import { textDigest } from './digest.js';

/** The spec dir, and the repository root as given and as its real path. */
export interface OutputWhere {
  specDir: string;
  repoRoot: string;
  realRoot: string;
}

export type OutputState =
  | { kind: 'outside' }
  | { kind: 'missing' }
  /** A regular file: `ours` when it carries the generated header (or is empty: a write cut short leaves one; claimEmpty). */
  | { kind: 'file'; text: string; ours: boolean; digest?: undefined }
  /** The same, kept as its content's digest (output/digest.ts) when many are held at once (resolve's `outputs`); a bake file with its manifest. */
  | { kind: 'file'; digest: string; ours: boolean; text?: undefined; manifest?: readonly string[] }
  | { kind: 'dir' | 'symlink' | 'other' };

/** Larger files at an output path are read no further (nothing matrix generates comes near). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** How outputState reads a regular file at an output path: not through a link, up to the limit. */
const OUTPUT_READ = { followSymlinks: false, maxBytes: MAX_OUTPUT_BYTES } as const;

/** What is at spec-relative `file`. `realDirs` caches directory lookups across calls. */
export function outputState(where: OutputWhere, file: string, realDirs = new Map<string, string | undefined>()): OutputState {
  const abs = path.resolve(where.specDir, file);
  const found = notAFile(where, abs, realDirs);
  if (found) return found;
  const text = readRegularText(abs, OUTPUT_READ);
  return { kind: 'file', text, ours: text === '' || isGenerated(text) };
}

/**
 * outputState(where, file, realDirs) with its text replaced by its digest
 * (and, for a bake file, `manifest`: the files its header lists), without making
 * the text: the file is read a piece at a time (fs/read.ts
 * readRegularPieces), digested, and looked at only as far as its header.
 * For a comparison that has only digests to compare with (a large spec's,
 * render/files.ts keepsTexts): the text was a second copy of each file, and
 * at 10,000 services the old bake file's 8 MB, as bytes, as text and as the
 * UTF-8 copy that hashing a string makes, were alive at once under the lock
 * of a `gen` that rewrote every file. An empty file keeps its text (''):
 * claimEmpty and refusal tell it apart by that.
 */
export function outputDigestState(where: OutputWhere, file: string, realDirs = new Map<string, string | undefined>(), manifest = false): OutputState {
  const abs = path.resolve(where.specDir, file);
  const found = notAFile(where, abs, realDirs);
  if (found) return found;
  const look = new LookAtBytes(manifest);
  const bytesDigest = readRegularPieces(abs, OUTPUT_READ, (piece) => look.take(piece));
  const { bytes, head, header, valid } = look.end();
  if (bytes === 0) return { kind: 'file', text: '', ours: true };
  const ours = isGenerated(head);
  // Valid UTF-8 is its own encoding again: the text's digest is the bytes'. Other bytes compare as the text they read as (U+FFFD for each fault).
  const digest = valid ? bytesDigest : textDigest(readRegularText(abs, OUTPUT_READ));
  return { kind: 'file', digest, ours, ...(manifest ? { manifest: ours ? manifestIn(header!) : [] } : {}) };
}

/**
 * Enough of the start of a file for isGenerated (render/header.ts), which
 * looks at its first 2,048 characters: a character of one UTF-16 unit takes
 * at most 3 bytes of UTF-8 (an invalid byte becomes one U+FFFD), so the
 * first 6,144 bytes give them all, and a character cut at the end of these
 * bytes lies after them.
 */
const HEAD_BYTES = 8192;

/**
 * What outputDigestState needs of a file's bytes, taken a piece at a time:
 * their count, whether they are valid UTF-8 (a character cut between two
 * pieces is checked whole with the next), the first HEAD_BYTES, and, for a
 * bake file, its header: up to the first line that starts a `group` or
 * `target` block, as previousManifest finds it in the text (a line ends at
 * the same newline byte either way, and no byte of a multi-byte character
 * is a newline).
 */
class LookAtBytes {
  #bytes = 0;
  #valid = true;
  /** The bytes of a character the last piece ended inside. */
  #carry: Buffer | undefined;
  /** Copies of the first pieces, while the head or the header needs them. */
  readonly #kept: Buffer[] = [];
  #keptBytes = 0;
  /** Where the header ends in the kept bytes, once found; the line to look at next until then. */
  #headerEnd: number | undefined;
  #lineAt = 0;

  constructor(private readonly header: boolean) {}

  take(piece: Buffer): void {
    this.#bytes += piece.length;
    this.#checkUtf8(piece);
    if (this.#keptBytes < HEAD_BYTES || (this.header && this.#headerEnd === undefined)) {
      this.#kept.push(Buffer.from(piece));
      this.#keptBytes += piece.length;
      if (this.header) this.#findHeaderEnd(false);
    }
  }

  end(): { bytes: number; head: string; header: string | undefined; valid: boolean } {
    if (this.#carry) this.#valid = false;
    if (this.header) this.#findHeaderEnd(true);
    const kept = this.#kept.length === 1 ? this.#kept[0]! : Buffer.concat(this.#kept);
    return {
      bytes: this.#bytes,
      head: kept.toString('utf8', 0, Math.min(kept.length, HEAD_BYTES)),
      header: this.header ? kept.toString('utf8', 0, this.#headerEnd) : undefined,
      valid: this.#valid,
    };
  }

  #checkUtf8(piece: Buffer): void {
    if (!this.#valid) return;
    const bytes = this.#carry ? Buffer.concat([this.#carry, piece]) : piece;
    const cut = lastCharStart(bytes);
    if (!isUtf8(cut === bytes.length ? bytes : bytes.subarray(0, cut))) this.#valid = false;
    this.#carry = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : undefined;
  }

  /** Look for the header's end in the kept bytes, from the line where the last look stopped; `all`: no more bytes come. */
  #findHeaderEnd(all: boolean): void {
    if (this.#headerEnd !== undefined) return;
    const kept = this.#kept.length === 1 ? this.#kept[0]! : Buffer.concat(this.#kept);
    for (let at = this.#lineAt; at < kept.length; ) {
      const end = kept.indexOf(0x0a, at);
      // A line not yet whole may still turn out to start a block: wait for the next piece.
      if (!all && end < 0 && kept.length - at < 'target '.length) break;
      if (startsWithAt(kept, 'group ', at) || startsWithAt(kept, 'target ', at)) {
        this.#headerEnd = at;
        return;
      }
      if (end < 0 && !all) break;
      at = end < 0 ? kept.length : end + 1;
      this.#lineAt = at;
    }
    if (all) this.#headerEnd = kept.length;
  }
}

/**
 * Where the character the bytes end inside begins, or their length when
 * they end with a whole one (or with bytes no character can complete, which
 * the check finds invalid either way).
 */
function lastCharStart(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + length > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}

/** Whether the bytes at `at` are the ASCII `word`. */
function startsWithAt(bytes: Buffer, word: string, at: number): boolean {
  if (at + word.length > bytes.length) return false;
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** outputState's answer where `abs` is not a regular file (or may not be written), else undefined. */
function notAFile(where: OutputWhere, abs: string, realDirs: Map<string, string | undefined>): OutputState | undefined {
  // The directory an output lands in must really be inside the repository
  // (checked on its nearest existing ancestor when it is still to be created).
  const dir = path.dirname(abs);
  if (!realDirs.has(dir)) realDirs.set(dir, nearestReal(dir));
  const parentReal = realDirs.get(dir);
  if (!parentReal || !isInside(where.realRoot, parentReal) || !isInside(path.resolve(where.repoRoot), abs)) return { kind: 'outside' };
  let kind;
  try {
    kind = statKind(abs, false);
  } catch {
    return { kind: 'missing' };
  }
  if (kind === 'symlink' || kind === 'dir') return { kind };
  if (kind !== 'file') return { kind: 'other' };
  return undefined;
}

/**
 * While recording: note the reads outputState makes of a regular file at
 * `abs` whose text has `digest` (output/digest.ts textDigest), without making
 * them. For a file this run has just written (src/cli/gen-run.ts): what an
 * up-to-date run reads there is what was written, and reading every file back
 * was most of the cost of keeping a record after a write. The directory's
 * real path, the one other read outputState makes, the caller asks again.
 */
export function assumeOutputFile(abs: string, digest: string): void {
  assumeKind(abs, false, 'file');
  assumeRead(abs, OUTPUT_READ, digest);
}

/**
 * An empty file at a Dockerfile's output path is matrix's only when the bake
 * file's manifest lists that path (a write cut short by a power failure leaves
 * one: matrix does not fsync, see applySync); any other empty file is
 * someone's (`__init__.py`, a placeholder) and is never taken over.
 */
export function claimEmpty(state: OutputState, listed: boolean): OutputState {
  return state.kind === 'file' && state.text === '' && !listed ? { ...state, ours: false } : state;
}

/**
 * The files a bake file's state lists in its header: from its text, or the
 * manifest read with its digest (outputDigestState); undefined for a digest
 * read without one.
 */
export function manifestOf(state: OutputState): readonly string[] | undefined {
  if (state.kind !== 'file') return [];
  return state.text !== undefined ? previousManifest(state.text) : state.manifest;
}

/** Files a previous `gen` recorded in the bake file's header. */
export function previousManifest(bakeText: string | undefined): string[] {
  if (!bakeText || !isGenerated(bakeText)) return [];
  // The header: line by line up to the first block (the rest of a large file is never split).
  let headerEnd = bakeText.length;
  for (let at = 0; at < bakeText.length; ) {
    const end = bakeText.indexOf('\n', at);
    if (bakeText.startsWith('group ', at) || bakeText.startsWith('target ', at)) {
      headerEnd = at;
      break;
    }
    at = end < 0 ? bakeText.length : end + 1;
  }
  // Its names from a copy of the header alone: a name sliced from the whole
  // text keeps all of it alive (V8's sliced strings hold their parent), the
  // old bake file's 8 MB at 10,000 services for as long as the manifest lives.
  return manifestIn(Buffer.from(bakeText.slice(0, headerEnd), 'utf8').toString('utf8'));
}

/** The names of a bake file's header's `# generated:` lines. */
function manifestIn(header: string): string[] {
  const out: string[] = [];
  for (const line of header.split('\n')) if (line.startsWith('# generated: ')) out.push(line.slice('# generated: '.length));
  return out;
}

export interface Refusal {
  code: DiagnosticCode;
  message: string;
  hint: string;
}

/** Why `gen` will not write `file` over what is there, or undefined when it may. */
export function refusal(file: string, state: OutputState, isBakeFile: boolean): Refusal | undefined {
  if (state.kind === 'missing' || (state.kind === 'file' && state.ours)) return undefined;
  if (state.kind === 'outside') {
    return { code: 'output-outside-repo', message: `output ${file} would be written outside the repository`, hint: 'check for symbolic links in the path of the context' };
  }
  if (state.kind === 'file' && state.text === '') {
    return {
      code: 'not-generated',
      message: `${file} exists (empty) and was not generated by matrix; it will not be overwritten`,
      hint: 'matrix takes over an empty file only where its bake file lists it (a crash can leave one empty); if that is what happened, remove it and run `matrix gen` again',
    };
  }
  if (state.kind === 'file') {
    return {
      code: 'not-generated',
      message: `${file} exists and was not generated by matrix; it will not be overwritten`,
      hint: isBakeFile
        ? 'move it away, or set `bake_file` in the spec to another name'
        : "use it as the service's `dockerfile:` instead of a template, or write the generated one elsewhere: `generated_dir: .matrix` under `defaults` (one folder outside the contexts) or `generated_file:` on the service",
    };
  }
  return {
    code: 'output-not-a-file',
    message: `${file} is a ${state.kind === 'dir' ? 'directory' : state.kind === 'symlink' ? 'symbolic link' : 'special file'}; matrix will not replace it`,
    hint: isBakeFile ? 'remove it, or set `bake_file` in the spec to another name' : 'remove it, or choose another place with `generated_file` or `generated_dir`',
  };
}
