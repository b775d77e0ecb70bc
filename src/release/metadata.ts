// `matrix bake --push --metadata-file FILE`: per target, what was published.
// Keyed by target as bake's own metadata file is, with bake's keys
// (`image.name`, `containerimage.digest`: here the final index) so readers of
// bake's file keep working, and the fields signing and SBOM tools need:
// the final tags, the index digest and each platform's manifest digest.
import { writeFileAtomic } from '../fs/write.js';
import type { Published } from './publish.js';

export interface TargetMetadata {
  'image.name': string;
  'containerimage.digest'?: string;
  tags: string[];
  indexDigest?: string;
  /** Platform (os/arch[/variant]) -> its image manifest digest. */
  platforms: Record<string, string>;
}

export function releaseMetadata(published: readonly Published[]): Record<string, TargetMetadata> {
  const out: Record<string, TargetMetadata> = {};
  for (const p of published) {
    out[p.target] = {
      'image.name': p.tags.join(','),
      ...(p.digests.index ? { 'containerimage.digest': p.digests.index, indexDigest: p.digests.index } : {}),
      tags: [...p.tags],
      platforms: { ...p.digests.platforms },
    };
  }
  return out;
}

/** Temp file + rename: a reader never sees half a file. */
export function writeReleaseMetadata(file: string, published: readonly Published[]): void {
  writeFileAtomic(file, JSON.stringify(releaseMetadata(published), null, 2) + '\n');
}
