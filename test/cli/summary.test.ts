// The summary's digest column: each platform's own manifest, the index once
// per target (src/bake/digests.ts, formatSummary). Engine proof:
// test/engine/bake-behaviour.test.ts.
import { describe, expect, it } from 'vitest';
import { indexPlatforms, indexRef, metadataDigests, targetDigests } from '../../src/bake/digests.js';
import { formatSummary, type SummaryRow } from '../../src/output/format.js';
import { colors } from '../../src/diagnostics.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;

// Shaped like BuildKit's output with provenance attestations
// (https://docs.docker.com/build/metadata/attestations/attestation-storage/).
const INDEX = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('a'), size: 1, platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('b'), size: 1, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('c'), size: 1, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: d('e'),
      size: 1,
      annotations: { 'vnd.docker.reference.digest': d('a'), 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    },
  ],
});

describe('digests', () => {
  it("reads each platform's manifest from an index, leaving attestations out; arm64/v8 is arm64", () => {
    expect(indexPlatforms(INDEX)).toEqual({ 'linux/amd64': d('a'), 'linux/arm64': d('b'), 'linux/arm/v7': d('c') });
    expect(indexPlatforms('not json')).toEqual({});
  });

  // containerd/platforms Normalize (platforms.go) with normalizeArch (database.go): `arm` without a
  // variant is arm/v7, amd64/v1 is amd64, aarch64 is arm64; so an index spelling them so still
  // keys each digest by the platform the spec names.
  it('keys index entries by containerd Normalize: {arm} is linux/arm/v7, {amd64, v1} is linux/amd64', () => {
    const index = JSON.stringify({
      manifests: [
        { digest: d('a'), platform: { os: 'linux', architecture: 'amd64', variant: 'v1' } },
        { digest: d('b'), platform: { os: 'linux', architecture: 'aarch64' } },
        { digest: d('c'), platform: { os: 'linux', architecture: 'arm' } },
        { digest: d('e'), platform: { os: 'linux', architecture: 'arm', variant: '6' } },
      ],
    });
    expect(indexPlatforms(index)).toEqual({ 'linux/amd64': d('a'), 'linux/arm64': d('b'), 'linux/arm/v7': d('c'), 'linux/arm/v6': d('e') });
  });

  it("a single manifest from bake is the one platform's image; an index is the target's", () => {
    const single = { 'containerimage.digest': d('a'), 'containerimage.descriptor': { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('a') } };
    expect(metadataDigests(single, ['linux/amd64'])).toEqual({ platforms: { 'linux/amd64': d('a') } });
    const index = { 'containerimage.digest': d('f'), 'containerimage.descriptor': { mediaType: 'application/vnd.oci.image.index.v1+json', digest: d('f') } };
    expect(metadataDigests(index, ['linux/amd64', 'linux/arm64'])).toEqual({ index: d('f'), platforms: {} });
    expect(metadataDigests(undefined, ['linux/amd64'])).toEqual({ platforms: {} });
  });

  it('reads a pushed index by digest from the first image name', async () => {
    const meta = {
      app: {
        'containerimage.digest': d('f'),
        'containerimage.descriptor': { mediaType: 'application/vnd.oci.image.index.v1+json' },
        'image.name': 'localhost:5000/x/app:v1,localhost:5000/x/app:latest',
      },
    };
    expect(indexRef(meta.app, d('f'))).toBe(`localhost:5000/x/app@${d('f')}`);
    const asked: string[] = [];
    const got = await targetDigests(meta, [{ target: 'app', platforms: ['linux/amd64', 'linux/arm64'] }], async (ref) => (asked.push(ref), INDEX));
    expect(asked).toEqual([`localhost:5000/x/app@${d('f')}`]);
    expect(got.get('app')).toEqual({ index: d('f'), platforms: { 'linux/amd64': d('a'), 'linux/arm64': d('b'), 'linux/arm/v7': d('c') } });
    // Not pushed (or unreadable): the index only, platforms unknown.
    expect((await targetDigests(meta, [{ target: 'app', platforms: ['linux/amd64'] }])).get('app')).toEqual({ index: d('f'), platforms: {} });
    expect((await targetDigests(meta, [{ target: 'app', platforms: ['linux/amd64'] }], async () => undefined)).get('app')).toEqual({ index: d('f'), platforms: {} });
  });
});

describe('formatSummary', () => {
  it("shows each platform's digest on its row and the index once, after the target's platforms", () => {
    const rows: SummaryRow[] = [
      { target: 'api', platform: 'linux/amd64', status: 'done', seconds: 1, image: 'r/api:1', digest: d('a'), indexDigest: d('f') },
      { target: 'api', platform: 'linux/arm64', status: 'done', seconds: 2, image: 'r/api:1', digest: d('b'), indexDigest: d('f') },
      { target: 'web', platform: 'linux/amd64', status: 'done', seconds: 1, image: 'r/web:1', digest: d('c') },
    ];
    const lines = formatSummary(rows, 3, colors(false))
      .split('\n')
      .filter((l) => /^(api|web) /.test(l));
    expect(lines.map((l) => l.split(/\s+/))).toEqual([
      ['api', 'linux/amd64', 'done', '1s', 'r/api:1', 'sha256:aaaaaaaaaaaa'],
      ['api', 'linux/arm64', 'done', '2s', 'r/api:1', 'sha256:bbbbbbbbbbbb'],
      ['api', '(index)', 'r/api:1', 'sha256:ffffffffffff'],
      ['web', 'linux/amd64', 'done', '1s', 'r/web:1', 'sha256:cccccccccccc'],
    ]);
    expect(formatSummary(rows, 3, colors(false))).toContain('3/3 target platforms built');
  });
});
