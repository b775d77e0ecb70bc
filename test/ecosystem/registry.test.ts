// Removing a temporary tag: which requests go to the registry, for the kinds
// of registries there are. The engine test does it against a real one.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deleteTag, parseReference, type Requester } from '../../src/ci/registry.js';

const SHARD = `sha256:${'a'.repeat(64)}`;
const ZERO = `sha256:${'0'.repeat(64)}`;

interface Call {
  method: string;
  url: string;
  body?: string;
}

/** A registry that answers from a table: `METHOD path-suffix` -> status. */
function fakeRegistry(answers: (c: Call) => { status: number; headers?: Record<string, string> }): { request: Requester; calls: Call[] } {
  const calls: Call[] = [];
  const request: Requester = async (method, url, _headers, body) => {
    const call = { method, url, ...(body !== undefined ? { body } : {}) };
    calls.push(call);
    const a = answers(call);
    return { status: a.status, headers: a.headers ?? {}, body: '' };
  };
  return { request, calls };
}

const REF = 'localhost:5000/acme/api:matrix-tmp-7-1-api-linux-amd64';
const BASE = 'http://localhost:5000/v2/acme/api/manifests';

describe('parseReference', () => {
  it.each([
    ['localhost:5000/acme/api:t', { host: 'localhost:5000', name: 'acme/api', tag: 't' }],
    ['ghcr.io/acme/api@sha256:1', { host: 'ghcr.io', name: 'acme/api', digest: 'sha256:1' }],
    ['alpine:3', { host: 'docker.io', name: 'library/alpine', tag: '3' }],
    ['acme/api', { host: 'docker.io', name: 'acme/api' }],
  ])('%s', (ref, want) => expect(parseReference(ref)).toEqual(want));
});

describe('deleteTag', () => {
  it('uses OCI tag deletion where the registry has it', async () => {
    const { request, calls } = fakeRegistry((c) => (c.method === 'HEAD' ? { status: 200, headers: { 'docker-content-digest': SHARD } } : { status: 202 }));
    expect(await deleteTag(REF, SHARD, request)).toMatchObject({ outcome: 'deleted', detail: 'tag deleted (OCI tag deletion)' });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`HEAD ${BASE}/matrix-tmp-7-1-api-linux-amd64`, `DELETE ${BASE}/matrix-tmp-7-1-api-linux-amd64`]);
  });

  it('on distribution 2.x, moves the tag to a unique placeholder and deletes only the placeholder', async () => {
    const { request, calls } = fakeRegistry((c) => {
      if (c.method === 'HEAD') return { status: 200, headers: { 'docker-content-digest': SHARD } };
      if (c.method === 'DELETE' && c.url.endsWith('/matrix-tmp-7-1-api-linux-amd64')) return { status: 400 }; // DIGEST_INVALID: no tag deletion
      if (c.method === 'DELETE' && c.url.endsWith(ZERO)) return { status: 404 }; // deletion enabled
      if (c.method === 'PUT') return { status: 201 };
      return { status: 202 };
    });
    const d = await deleteTag(REF, SHARD, request);
    expect(d.outcome).toBe('deleted');
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.url).toBe(`${BASE}/matrix-tmp-7-1-api-linux-amd64`);
    const placeholder = JSON.parse(put.body!);
    expect(placeholder).toMatchObject({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
    expect(placeholder.annotations['dev.bake-matrix.placeholder']).toMatch(/^matrix-tmp-7-1-api-linux-amd64@[0-9a-f]{32}$/);
    const digest = `sha256:${createHash('sha256').update(put.body!).digest('hex')}`;
    const last = calls[calls.length - 1]!;
    expect(`${last.method} ${last.url}`).toBe(`DELETE ${BASE}/${digest}`);
    // The shard's own digest is never deleted.
    expect(calls.some((c) => c.method === 'DELETE' && c.url.endsWith(SHARD))).toBe(false);
  });

  it('leaves the tag, untouched, when deletion is disabled', async () => {
    const { request, calls } = fakeRegistry((c) => (c.method === 'HEAD' ? { status: 200, headers: { 'docker-content-digest': SHARD } } : c.url.endsWith(ZERO) ? { status: 405 } : { status: 400 }));
    const d = await deleteTag(REF, SHARD, request);
    expect(d.outcome).toBe('left');
    expect(d.detail).toMatch(/does not delete manifests/);
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('leaves the tag when the registry wants credentials (they are never read)', async () => {
    const { request, calls } = fakeRegistry(() => ({ status: 401 }));
    const d = await deleteTag('ghcr.io/acme/api:matrix-tmp-1', SHARD, request);
    expect(d.outcome).toBe('left');
    expect(d.detail).toMatch(/asks for credentials/);
    expect(calls.map((c) => c.method)).toEqual(['HEAD']);
    expect(calls[0]!.url).toBe('https://ghcr.io/v2/acme/api/manifests/matrix-tmp-1');
  });

  it('leaves a tag that now points at another image, and reports a tag already gone', async () => {
    const moved = fakeRegistry(() => ({ status: 200, headers: { 'docker-content-digest': `sha256:${'b'.repeat(64)}` } }));
    expect((await deleteTag(REF, SHARD, moved.request)).outcome).toBe('left');
    expect(moved.calls.map((c) => c.method)).toEqual(['HEAD']);
    const gone = fakeRegistry(() => ({ status: 404 }));
    expect((await deleteTag(REF, SHARD, gone.request)).outcome).toBe('gone');
  });

  it('reports an unreachable registry instead of throwing', async () => {
    const request: Requester = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5999');
    };
    expect(await deleteTag('localhost:5999/a:t', SHARD, request)).toMatchObject({ outcome: 'left', detail: 'registry not reachable: connect ECONNREFUSED 127.0.0.1:5999' });
  });
});
