// Reads what a `type=oci,dest=DIR,tar=false` export wrote: index.json, the
// image index it points to, and each platform's manifest and config. Layers
// are never read.
import { readJsonFile } from '../fs/read.js';
import path from 'node:path';
import { imageManifests, isIndex, isManifest, platformString, type Descriptor, type ImageConfig, type PlatformImage } from './manifests.js';

/** An index, manifest or image config larger than this is not one BuildKit wrote. */
const MAX_JSON_BLOB = 4 * 1024 * 1024;

export type BlobReader = (digest: string) => unknown;

export function layoutReader(dir: string): BlobReader {
  return (digest) => {
    const [alg, hex] = digest.split(':');
    if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[a-f0-9]+$/.test(hex)) throw new Error(`not a digest: ${digest}`);
    // Manifests and configs only (never layers): small JSON documents.
    return readJsonFile(path.join(dir, 'blobs', alg, hex), { maxBytes: MAX_JSON_BLOB });
  };
}

/** Every platform image in an OCI layout directory. */
export function readLayout(dir: string): PlatformImage[] {
  const top = readJsonFile(path.join(dir, 'index.json'), { maxBytes: MAX_JSON_BLOB });
  if (!isIndex(top)) throw new Error(`${path.join(dir, 'index.json')} is not an OCI index`);
  return platformImages(top.manifests, layoutReader(dir));
}

/**
 * The image manifests reachable from these descriptors: nested indexes are
 * followed (BuildKit's index.json points to the image's index), attestations
 * skipped. A manifest without a platform in its descriptor takes the one in
 * its config (a single-platform image without attestations).
 */
export function platformImages(descriptors: readonly Descriptor[], read: BlobReader): PlatformImage[] {
  const out: PlatformImage[] = [];
  for (const d of descriptors) {
    const doc = read(d.digest);
    if (isIndex(doc)) {
      out.push(...platformImages([...imageManifests(doc).values()], read));
      continue;
    }
    if (!isManifest(doc)) continue;
    const config = read(doc.config.digest) as ImageConfig;
    const platform = d.platform
      ? platformString(d.platform)
      : config.os && config.architecture
        ? platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })
        : undefined;
    if (!platform || platform === 'unknown/unknown') continue;
    out.push({ platform, digest: d.digest, manifest: doc, config });
  }
  return out;
}
