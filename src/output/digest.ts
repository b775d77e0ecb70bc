// A file's content as a digest: resolve keeps one per generated Dockerfile and
// per file it read at an output path instead of the text, so an up-to-date
// check compares digests and nothing is rendered or held twice (issue 18).
import { createHash } from 'node:crypto';

/** SHA-256 of the text's UTF-8 bytes (base64): equal digests, equal bytes. */
export function textDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}
