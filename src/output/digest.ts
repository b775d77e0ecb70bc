// A file's content as a digest: resolve keeps one per generated Dockerfile and
// per file it read at an output path instead of the text, so an up-to-date
// check compares digests and nothing is rendered or held twice (issue 18).
import { createHash, hash, type Hash } from 'node:crypto';

/**
 * Characters hashed at a time in a longer text. Hashing a string encodes it
 * to UTF-8 first, into a copy of the whole: for the bake file of 10,000
 * services that was 8 MB more at once, outside V8's heap, beside the text.
 * A piece is at most 48 KB as UTF-8, below the size from which malloc maps
 * a block of its own.
 */
export const DIGEST_PIECE = 16 * 1024;

/** SHA-256 of the text's UTF-8 bytes (base64): equal digests, equal bytes. */
export function textDigest(text: string): string {
  // A string is hashed as its UTF-8 bytes, in one call (Node 20.12 and later).
  if (text.length <= DIGEST_PIECE) return hash('sha256', text, 'base64');
  const h = createHash('sha256');
  update(h, text);
  return h.digest('base64');
}

/**
 * textDigest(parts.join(sep)), without the joined text: each part is hashed
 * as it comes (the bake file of a large spec, render/hcl.ts bakeFileParts,
 * whose 8 MB text at 10,000 services was made only to be hashed). The same
 * bytes either way: a part is a whole string, and `sep` stands between two
 * parts, so no surrogate pair is split or made.
 */
export function partsDigest(parts: Iterable<string>, sep: string): string {
  const h = createHash('sha256');
  let first = true;
  for (const part of parts) {
    if (!first) h.update(sep, 'utf8');
    first = false;
    update(h, part);
  }
  return h.digest('base64');
}

/** Hash `text`'s UTF-8 bytes into `h`, DIGEST_PIECE characters at a time. */
function update(h: Hash, text: string): void {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + DIGEST_PIECE, text.length);
    // Never between the two halves of a surrogate pair: each half alone would be encoded as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    h.update(text.slice(start, end), 'utf8');
    start = end;
  }
}
