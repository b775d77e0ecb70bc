import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizePlatform } from '../../src/platforms.js';
import { differingFields, explainDifference, imageManifests, layerSteps, platformString, type ImageConfig, type Index, type Manifest } from '../../src/repro/manifests.js';
import { platformImages, readLayout } from '../../src/repro/oci.js';
import { repositoryOf, withTag } from '../../src/repro/registry.js';
import { compareTarget, describeDifference, explainRow, formatVerify } from '../../src/repro/report.js';
import { colors } from '../../src/diagnostics.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const d = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** An index as BuildKit pushes it: two platforms and their provenance attestations. */
const INDEX: Index = {
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: d('a'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: OCI_MANIFEST, digest: d('b'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    {
      mediaType: OCI_MANIFEST,
      digest: d('c'),
      size: 1,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d('a') },
    },
    {
      mediaType: OCI_MANIFEST,
      digest: d('e'),
      size: 1,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d('b') },
    },
  ],
};

function manifest(config: string, layers: string[]): Manifest {
  return {
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 1 },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l, size: 1 })),
  };
}

const CONFIG: ImageConfig = {
  created: '2024-01-02T03:04:05Z',
  os: 'linux',
  architecture: 'amd64',
  config: { Env: ['PATH=/bin'], Labels: { a: '1' } },
  rootfs: { diff_ids: [d('1'), d('2'), d('3')] },
  history: [{ created_by: 'base layer' }, { created_by: 'COPY /rootfs/www/ /www/ # buildkit' }, { created_by: 'EXPOSE 8080', empty_layer: true }, { created_by: 'WORKDIR /www/' }],
};

describe('platforms and indexes', () => {
  it('names platforms as BuildKit does, arm64/v8 as arm64', () => {
    expect(platformString({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
    expect(platformString({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(platformString({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64');
    expect(normalizePlatform('linux/arm64/v8')).toBe('linux/arm64');
    expect(normalizePlatform('linux/arm/v6')).toBe('linux/arm/v6');
  });

  // containerd/platforms Normalize (platforms.go; normalizeArch in database.go).
  it('names platforms by containerd Normalize: arm without a variant is arm/v7, amd64/v1 is amd64', () => {
    expect(platformString({ os: 'linux', architecture: 'arm' })).toBe('linux/arm/v7');
    expect(platformString({ os: 'linux', architecture: 'amd64', variant: 'v1' })).toBe('linux/amd64');
    expect(platformString({ os: 'linux', architecture: 'amd64', variant: 'v3' })).toBe('linux/amd64/v3');
    expect(normalizePlatform('linux/arm')).toBe('linux/arm/v7');
    expect(normalizePlatform('linux/amd64/v1')).toBe('linux/amd64');
    const m = imageManifests({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('c'), size: 1, platform: { os: 'linux', architecture: 'arm' } }],
    } as Index);
    expect([...m.keys()]).toEqual(['linux/arm/v7']);
  });

  it('takes the image manifests of an index and leaves the attestations out', () => {
    const m = imageManifests(INDEX);
    expect([...m.keys()]).toEqual(['linux/amd64', 'linux/arm64']);
    expect(m.get('linux/arm64')!.digest).toBe(d('b'));
  });

  it("follows index.json to the image index, and reads a single manifest's platform from its config", () => {
    const blobs = new Map<string, unknown>([
      [d('f'), INDEX],
      [d('a'), manifest(d('9'), [d('4')])],
      [d('b'), manifest(d('8'), [d('5')])],
      [d('9'), CONFIG],
      [d('8'), { ...CONFIG, architecture: 'arm64', variant: 'v8' }],
    ]);
    const read = (x: string) => {
      if (!blobs.has(x)) throw new Error(`read of ${x}`);
      return blobs.get(x);
    };
    const viaIndex = platformImages([{ mediaType: OCI_INDEX, digest: d('f') }], read);
    expect(viaIndex.map((i) => `${i.platform} ${i.digest}`)).toEqual([`linux/amd64 ${d('a')}`, `linux/arm64 ${d('b')}`]);
    expect(viaIndex[0]!.manifest!.layers[0]!.digest).toBe(d('4'));
    // Attestation manifests are never read.
    const single = platformImages([{ mediaType: OCI_MANIFEST, digest: d('b') }], read);
    expect(single.map((i) => i.platform)).toEqual(['linux/arm64']);
  });

  it('reads an OCI layout directory', () => {
    const dir = tempDir();
    const blob = (digest: string, doc: unknown) => {
      mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
      writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), JSON.stringify(doc));
    };
    writeFileSync(
      path.join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_INDEX, digest: d('f'), size: 1, annotations: { 'org.opencontainers.image.ref.name': 'x:y' } }] }),
    );
    blob(d('f'), INDEX);
    blob(d('a'), manifest(d('9'), [d('4')]));
    blob(d('b'), manifest(d('9'), [d('4')]));
    blob(d('9'), CONFIG);
    expect(readLayout(dir).map((i) => i.platform)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('splits references into repository and tag', () => {
    expect(repositoryOf('localhost:5000/a/b:tag')).toBe('localhost:5000/a/b');
    expect(repositoryOf('localhost:5000/a/b')).toBe('localhost:5000/a/b');
    expect(repositoryOf(`ghcr.io/x/y@${d('a')}`)).toBe('ghcr.io/x/y');
    expect(repositoryOf(`ghcr.io/x/y:t@${d('a')}`)).toBe('ghcr.io/x/y');
    expect(withTag('localhost:5000/a/b:latest', 'v1')).toBe('localhost:5000/a/b:v1');
    expect(withTag('busybox', 'v1')).toBe('busybox:v1');
  });
});

describe('explainDifference', () => {
  const img = (m: Manifest, config: ImageConfig) => ({ platform: 'linux/amd64', digest: d('0'), manifest: m, config });

  it('names the first differing layer, with its diff_id and the step that made it', () => {
    const expected = img(manifest(d('9'), [d('4'), d('5'), d('6')]), CONFIG);
    const actual = img(manifest(d('8'), [d('4'), d('7'), d('6')]), { ...CONFIG, rootfs: { diff_ids: [d('1'), d('b'), d('3')] } });
    expect(explainDifference(expected, actual)).toEqual({
      kind: 'layer',
      index: 1,
      expected: { digest: d('5'), diffId: d('2'), step: 'COPY /rootfs/www/ /www/ # buildkit' },
      actual: { digest: d('7'), diffId: d('b'), step: 'COPY /rootfs/www/ /www/ # buildkit' },
    });
  });

  it('a missing layer on one side', () => {
    const diff = explainDifference(img(manifest(d('9'), [d('4')]), CONFIG), img(manifest(d('9'), [d('4'), d('5')]), CONFIG));
    expect(diff).toMatchObject({ kind: 'layer', index: 1, actual: { digest: d('5') } });
    expect(diff.kind === 'layer' && diff.expected).toBeUndefined();
  });

  it('same layers: the config fields that differ', () => {
    const other: ImageConfig = { ...CONFIG, created: '2025-01-01T00:00:00Z', config: { Env: ['PATH=/bin'], Labels: { a: '2' } } };
    expect(explainDifference(img(manifest(d('9'), [d('4')]), CONFIG), img(manifest(d('8'), [d('4')]), other))).toEqual({ kind: 'config', fields: ['config.Labels', 'created'] });
  });

  it('same config and layers: the manifest itself', () => {
    const docker = { ...manifest(d('9'), [d('4')]), mediaType: 'application/vnd.docker.distribution.manifest.v2+json' };
    expect(explainDifference(img(manifest(d('9'), [d('4')]), CONFIG), img(docker, CONFIG))).toMatchObject({ kind: 'manifest', fields: ['mediaType'] });
  });

  it('says so when a side could not be read', () => {
    expect(explainDifference({ platform: 'linux/amd64', digest: d('0') }, img(manifest(d('9'), []), CONFIG)).kind).toBe('unknown');
  });

  it('maps history to layers, skipping empty_layer entries', () => {
    expect(layerSteps(CONFIG)).toEqual(['base layer', 'COPY /rootfs/www/ /www/ # buildkit', 'WORKDIR /www/']);
  });

  it('compares configs whatever their key order', () => {
    expect(differingFields({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } })).toEqual([]);
  });
});

describe('report', () => {
  const plain = colors(false);
  const imgs = (a: string, b: string) => [
    { platform: 'linux/amd64', digest: a },
    { platform: 'linux/arm64', digest: b },
  ];

  it('one row per platform built; a match needs both digests equal', () => {
    const rows = compareTarget('api', ['linux/amd64', 'linux/arm64'], { ref: 'r/api:1', images: imgs(d('a'), d('b')) }, { images: imgs(d('a'), d('c')) });
    expect(rows.map((r) => [r.platform, r.match])).toEqual([
      ['linux/amd64', true],
      ['linux/arm64', false],
    ]);
    expect(rows[1]).toMatchObject({ expected: d('b'), actual: d('c'), against: 'r/api:1' });
    expect(rows[1]!.error).toBeUndefined();
  });

  it('a platform missing on either side, or an unreadable expectation, is an error row, never a match', () => {
    expect(compareTarget('api', ['linux/arm64'], { ref: 'r', images: [{ platform: 'linux/amd64', digest: d('a') }] }, { images: imgs(d('a'), d('b')) })[0]).toMatchObject({
      match: false,
      error: 'r has no linux/arm64 image',
    });
    expect(compareTarget('api', ['linux/amd64'], { ref: 'r', images: imgs(d('a'), d('b')) }, { images: [] })[0]).toMatchObject({ match: false, error: 'the rebuild produced no linux/amd64 image' });
    expect(compareTarget('api', ['linux/amd64'], { ref: 'r', error: 'cannot read r: not found' }, { images: imgs(d('a'), d('b')) })[0]).toMatchObject({
      match: false,
      error: 'cannot read r: not found',
    });
  });

  it('prints the table and, for a mismatch, the layer that differs', () => {
    const rows = compareTarget('web', ['linux/amd64'], { ref: 'r/web:1', images: [{ platform: 'linux/amd64', digest: d('a') }] }, { images: [{ platform: 'linux/amd64', digest: d('b') }] });
    const explained = explainRow(
      rows[0]!,
      { platform: 'linux/amd64', digest: d('a'), manifest: manifest(d('9'), [d('4'), d('5')]), config: CONFIG },
      { platform: 'linux/amd64', digest: d('b'), manifest: manifest(d('9'), [d('4'), d('6')]), config: CONFIG },
    );
    const text = formatVerify([explained], 12.3, plain);
    expect(text).toMatch(/TARGET\s+PLATFORM\s+EXPECTED\s+ACTUAL\s+MATCH/);
    expect(text).toMatch(/web\s+linux\/amd64\s+sha256:aaaaaaaaaaaa\s+sha256:bbbbbbbbbbbb\s+NO/);
    expect(text).toContain('layer 2 differs (COPY /rootfs/www/ /www/ # buildkit)');
    expect(text).toContain(`expected ${d('5')}  diff_id ${d('2')}`);
    expect(text).toContain('0/1 target platforms');
    expect(describeDifference({ kind: 'config', fields: ['created'] })[0]).toContain('created');
  });
});
