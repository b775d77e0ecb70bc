// Removing a temporary tag without removing what it points at.
//
// The registry API deletes manifests by digest, and deleting a digest deletes
// the image for every tag and index that uses it: deleting a shard's digest
// could break the final image, or an older release with the same
// (reproducible) digest. So:
//   1. OCI distribution 1.1 registries delete a tag alone: DELETE .../manifests/TAG.
//   2. Otherwise (distribution 2.x answers 400 to that), when deletion is enabled,
//      the tag is first pointed at a placeholder that nothing else can use (an
//      empty index with a random annotation), and that placeholder's digest is
//      deleted: the registry drops it and the one tag on it.
//   3. Anything else (credentials asked for, deletion disabled) leaves the tag,
//      and says why. matrix never reads registry credentials.
import { randomBytes, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isLocalRegistry } from '../doctor/doctor.js';

export interface Reference {
  /** host[:port] as written, `docker.io` for Docker Hub. */
  host: string;
  /** Repository path on that host (`library/x` for official images). */
  name: string;
  tag?: string;
  digest?: string;
}

export function parseReference(ref: string): Reference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0]!;
  const hasHost = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let host = hasHost ? first : 'docker.io';
  let name = hasHost ? rest.slice(first.length + 1) : rest;
  if (host === 'docker.io' && !name.includes('/')) name = `library/${name}`;
  if (host === 'index.docker.io') host = 'docker.io';
  return { host, name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Requester = (method: string, url: string, headers: Record<string, string>, body?: string) => Promise<HttpResult>;

const TIMEOUT_MS = 15_000;

export const httpRequest: Requester = (method, url, headers, body) =>
  new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) }, timeout: TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (text.length < 64 * 1024) text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${new URL(url).host} in ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** A digest no content can have: asking to delete it tells whether deletion is enabled, and deletes nothing. */
const NO_SUCH_DIGEST = `sha256:${'0'.repeat(64)}`;

export interface TagDeletion {
  ref: string;
  outcome: 'deleted' | 'gone' | 'left';
  /** How (deleted) or why not (left). */
  detail: string;
}

function baseUrl(host: string): string {
  const h = host === 'docker.io' ? 'registry-1.docker.io' : host;
  return `${isLocalRegistry(host) ? 'http' : 'https'}://${h}`;
}

/**
 * Remove tag `ref` (REPO:TAG) if it still points at `expectDigest`, and
 * nothing but that tag. Never throws: the outcome says what happened.
 */
export async function deleteTag(ref: string, expectDigest: string | undefined, request: Requester = httpRequest): Promise<TagDeletion> {
  const r = parseReference(ref);
  if (!r.tag || r.digest) return { ref, outcome: 'left', detail: 'not a REPO:TAG reference' };
  const manifests = `${baseUrl(r.host)}/v2/${r.name}/manifests`;
  const authNeeded = (status: number) =>
    status === 401 || status === 403
      ? {
          ref,
          outcome: 'left' as const,
          detail: `${r.host} asks for credentials (matrix does not read them): delete it with the registry's own tools, or a retention rule for tags starting with matrix-tmp-`,
        }
      : undefined;
  try {
    const head = await request('HEAD', `${manifests}/${r.tag}`, { Accept: MANIFEST_TYPES });
    if (head.status === 404) return { ref, outcome: 'gone', detail: 'the tag does not exist (any more)' };
    const denied = authNeeded(head.status);
    if (denied) return denied;
    if (head.status !== 200) return { ref, outcome: 'left', detail: `${r.host} answered ${head.status} when asked for the tag` };
    const current = String(head.headers['docker-content-digest'] ?? '');
    if (expectDigest && current && current !== expectDigest) return { ref, outcome: 'left', detail: `it now points at ${current}, not at ${expectDigest} that the shard pushed` };

    // 1. A registry that deletes tags alone.
    const byTag = await request('DELETE', `${manifests}/${r.tag}`, {});
    if (byTag.status === 202 || byTag.status === 200) return { ref, outcome: 'deleted', detail: 'tag deleted (OCI tag deletion)' };
    const deniedTag = authNeeded(byTag.status);
    if (deniedTag) return deniedTag;

    // 2. Is manifest deletion enabled at all? (404 = enabled, nothing there; 405 = disabled.)
    const probe = await request('DELETE', `${manifests}/${NO_SUCH_DIGEST}`, {});
    const deniedProbe = authNeeded(probe.status);
    if (deniedProbe) return deniedProbe;
    if (probe.status !== 404)
      return { ref, outcome: 'left', detail: `${r.host} does not delete manifests (answered ${probe.status}); enable deletion, or let a retention rule remove tags starting with matrix-tmp-` };

    const placeholder = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [],
      annotations: { 'dev.bake-matrix.placeholder': `${r.tag}@${randomBytes(16).toString('hex')}` },
    });
    const digest = `sha256:${createHash('sha256').update(placeholder).digest('hex')}`;
    const put = await request('PUT', `${manifests}/${r.tag}`, { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }, placeholder);
    if (put.status !== 201 && put.status !== 200) return { ref, outcome: 'left', detail: `${r.host} refused the placeholder (answered ${put.status})` };
    const del = await request('DELETE', `${manifests}/${digest}`, {});
    if (del.status === 202 || del.status === 200) return { ref, outcome: 'deleted', detail: 'tag moved to a placeholder and the placeholder deleted (the image itself is kept)' };
    return { ref, outcome: 'left', detail: `the tag now points at an empty placeholder ${digest} that ${r.host} did not delete (answered ${del.status})` };
  } catch (e) {
    return { ref, outcome: 'left', detail: `registry not reachable: ${(e as Error).message}` };
  }
}
