// The digests of the summary: each platform's own image manifest, and the
// index that ties them together once per target. bake's metadata file gives
// the digest of what it exported (`containerimage.digest`) and, in
// `containerimage.descriptor`, whether that is an index or a single manifest;
// the per-platform manifests are read from the index itself, which for a
// pushed image is in the registry (`docker buildx imagetools inspect --raw`).
// An index lists attestation manifests too (platform unknown/unknown,
// annotation vnd.docker.reference.type=attestation-manifest, see
// https://docs.docker.com/build/metadata/attestations/attestation-storage/):
// those are not a platform's image.

import { normalizedPlatform, normalizePlatform } from '../platforms.js';
import { descriptorsOf } from '../repro/manifests.js';

export interface TargetDigests {
  /** The index (multi-platform image list), when bake exported one. */
  index?: string;
  /** Platform (`os/arch[/variant]`) -> its image manifest digest. */
  platforms: Record<string, string>;
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

interface Descriptor {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

/** The image manifests of an index (JSON text), by platform; attestations left out. Text that is no index (a number, null, a list of other shapes) has none. */
export function indexPlatforms(indexJson: string): Record<string, string> {
  const out: Record<string, string> = {};
  let index: unknown;
  try {
    index = JSON.parse(indexJson);
  } catch {
    return out;
  }
  for (const m of descriptorsOf(index) ?? []) {
    const p = m.platform;
    if (!p || p.os === 'unknown') continue;
    if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    // One key per platform however the index spells it (containerd's Normalize): {arm64, v8} is linux/arm64, {arm} linux/arm/v7.
    out[normalizedPlatform({ os: p.os, architecture: p.architecture, variant: p.variant })] ??= m.digest;
  }
  return out;
}

/** What bake's metadata says of one target built for `platforms`. */
export function metadataDigests(meta: Readonly<Record<string, unknown>> | undefined, platforms: readonly string[]): TargetDigests {
  const digest = typeof meta?.['containerimage.digest'] === 'string' ? meta['containerimage.digest'] : undefined;
  const descriptor = meta?.['containerimage.descriptor'] as Descriptor | undefined;
  if (!digest) return { platforms: {} };
  const mediaType = descriptor?.mediaType;
  // A single manifest is the image of the one platform built.
  if (mediaType && !INDEX_TYPES.has(mediaType) && platforms.length === 1) return { platforms: { [normalizePlatform(platforms[0]!)]: digest } };
  return { index: digest, platforms: {} };
}

/** `NAME[:TAG]@DIGEST` for the first image name bake reports, to read the index from its registry. */
export function indexRef(meta: Readonly<Record<string, unknown>> | undefined, digest: string): string | undefined {
  const names =
    typeof meta?.['image.name'] === 'string'
      ? meta['image.name']
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const first = names[0];
  if (!first) return undefined;
  const slash = first.lastIndexOf('/');
  const colon = first.lastIndexOf(':');
  const repo = colon > slash ? first.slice(0, colon) : first;
  return `${repo.split('@')[0]}@${digest}`;
}

/**
 * Digests of every target: from the metadata, and for a pushed index, its
 * platforms' manifests through `inspect` (undefined when it cannot be read:
 * the platform rows then show none).
 */
export async function targetDigests(
  meta: Readonly<Record<string, Record<string, unknown>>>,
  targets: readonly { target: string; platforms: readonly string[] }[],
  inspect?: (ref: string) => Promise<string | undefined>,
): Promise<Map<string, TargetDigests>> {
  const out = new Map<string, TargetDigests>();
  await Promise.all(
    targets.map(async ({ target, platforms }) => {
      const d = metadataDigests(meta[target], platforms);
      const ref = d.index && inspect ? indexRef(meta[target], d.index) : undefined;
      if (ref) d.platforms = indexPlatforms((await inspect!(ref).catch(() => undefined)) ?? '');
      out.set(target, d);
    }),
  );
  return out;
}
