// Image references as the distribution/reference grammar defines them.
import { MAX_TAG_LENGTH } from '../dyn.js';

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);

/** referenceProblem's answer for a repository name with upper-case letters (`ghcr.io/Acme/api`). */
export const UPPER_CASE_NAME = 'has upper-case letters in the repository name';

/**
 * `ref` with its registry and repository in lower case, its tag as written:
 * the name a registry takes (docker/metadata-action lower-cases its `images`
 * input the same way, src/meta.ts getImageNames).
 */
export function lowerCaseRepository(ref: string): string {
  const slash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', slash + 1);
  const end = colon === -1 ? ref.length : colon;
  return ref.slice(0, end).toLowerCase() + ref.slice(end);
}

export function referenceProblem(ref: string): string | undefined {
  if (ref.length > 255 + 130) return 'is too long';
  if (!REFERENCE.test(ref)) {
    const odd = [...new Set(ref.replace(/[A-Za-z0-9._\-/:@[\]]/g, ''))];
    if (odd.length) return `contains ${odd.map((c) => `\`${c}\``).join(', ')}, which an image reference cannot`;
    // Right once the name is in lower case (a registry host with a port, `localhost:5000/Acme/api`, included).
    if (REFERENCE.test(lowerCaseRepository(ref))) return UPPER_CASE_NAME;
    // A tag is `[\w][\w.-]{0,127}`: say which part of that one breaks, when the rest is right.
    const at = ref.includes('@') ? ref.indexOf('@') : ref.length;
    const tag = /:([\w.-]+)$/.exec(ref.slice(0, at));
    if (tag && REFERENCE.test(`${ref.slice(0, tag.index + 1)}x${ref.slice(at)}`)) {
      if (/^[.-]/.test(tag[1]!)) return `has a tag that starts with \`${tag[1]![0]}\`; a tag starts with a letter, a digit or \`_\``;
      if (tag[1]!.length > MAX_TAG_LENGTH) return `has ${tag[1]!.length} characters after its \`:\`; a registry takes at most ${MAX_TAG_LENGTH}`;
    }
    return 'is not a valid image reference';
  }
  // The name is part of the reference: only a reference longer than the limit can hold a name that is.
  if (ref.length <= 255) return undefined;
  const name = ref.split('@')[0]!.replace(/:[\w][\w.-]*$/, '');
  if (name.length > 255) return 'has a repository name longer than 255 characters';
  return undefined;
}
