// A file's content as a digest: resolve keeps one per generated Dockerfile and
// per file it read at an output path instead of the text, so an up-to-date
// check compares digests and nothing is rendered or held twice (issue 18).
import { hash } from 'node:crypto';

/** SHA-256 of the text's UTF-8 bytes (base64): equal digests, equal bytes. */
export function textDigest(text: string): string {
  // A string is hashed as its UTF-8 bytes, in one call (Node 20.12 and later).
  return hash('sha256', text, 'base64');
}
