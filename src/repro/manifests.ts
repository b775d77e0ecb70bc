// OCI indexes, manifests and image configs, and how two builds of one
// platform differ. Pure: callers read the JSON (registry or OCI layout).
//
// Which digests can be compared: each platform's image manifest (config and
// layers, all derived from the sources and SOURCE_DATE_EPOCH). Not the index:
// it also lists the attestation manifests, and provenance records when and
// how long the build ran, so the index digest changes with every build.

import { normalizedPlatform } from '../platforms.js';

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  created?: string;
  os?: string;
  architecture?: string;
  variant?: string;
  config?: Record<string, unknown>;
  rootfs?: { diff_ids?: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
  [key: string]: unknown;
}

/** One platform's image as built or as pushed; manifest and config when they could be read. */
export interface PlatformImage {
  platform: string;
  digest: string;
  manifest?: Manifest;
  config?: ImageConfig;
}

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

export function isIndex(doc: unknown): doc is Index {
  const d = doc as Partial<Index> & { mediaType?: string };
  return Boolean(d && Array.isArray(d.manifests) && (d.mediaType === undefined || INDEX_TYPES.includes(d.mediaType)));
}

/** An image manifest: a config descriptor and layers, each an object with a string digest (what the differences read). */
export function isManifest(doc: unknown): doc is Manifest {
  const d = doc as Partial<Manifest> | null;
  const described = (x: unknown) => isObject(x) && typeof x.digest === 'string';
  return Boolean(d && typeof d === 'object' && described(d.config) && Array.isArray(d.layers) && d.layers.every(described));
}

/**
 * `os/arch[/variant]` as BuildKit names platforms: containerd's Normalize
 * (platforms.go Normalize, database.go normalizeArch) via src/platforms.ts, so
 * arm64's default variant v8 and amd64's v1 are dropped and `arm` without a
 * variant is arm/v7.
 */
export function platformString(p: { os: string; architecture: string; variant?: string | undefined }): string {
  return normalizedPlatform(p);
}

/** Attestation manifests (provenance, SBOM) sit in the index as unknown/unknown. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown');
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The descriptors of an index's `manifests` list as the registry or imagetools
 * printed it (`--raw`: the OCI image index or Docker manifest list;
 * `{{json .Manifest}}`: the same list under the index's own digest, docker/buildx
 * util/imagetools/printers.go), each with a string digest, and a platform only
 * when its os and architecture are strings; entries of another shape (null, a
 * number, a digest that is no string) are left out, never read as a
 * descriptor. undefined when `doc` is no object with a `manifests` list.
 */
export function descriptorsOf(doc: unknown): Descriptor[] | undefined {
  if (!isObject(doc) || !Array.isArray(doc.manifests)) return undefined;
  const out: Descriptor[] = [];
  for (const m of doc.manifests as unknown[]) {
    if (!isObject(m) || typeof m.digest !== 'string') continue;
    const platform = platformOf(m);
    const annotations = isObject(m.annotations) ? (Object.fromEntries(Object.entries(m.annotations).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : undefined;
    out.push({
      ...(str(m.mediaType) ? { mediaType: m.mediaType as string } : {}),
      digest: m.digest,
      ...(platform ? { platform } : {}),
      ...(annotations ? { annotations } : {}),
    });
  }
  return out;
}

/** The platform of one entry of a `manifests` list, when it is an object whose os and architecture are strings (a variant that is no string is left out). */
export function platformOf(entry: unknown): { os: string; architecture: string; variant?: string } | undefined {
  const p = isObject(entry) && isObject(entry.platform) ? entry.platform : undefined;
  const [os, architecture, variant] = [str(p?.os), str(p?.architecture), str(p?.variant)];
  return os && architecture ? { os, architecture, ...(variant ? { variant } : {}) } : undefined;
}

/** The image manifests of an index by platform, attestations left out. */
export function imageManifests(index: Index): Map<string, Descriptor> {
  const out = new Map<string, Descriptor>();
  for (const d of descriptorsOf(index) ?? []) {
    if (isAttestation(d) || !d.platform) continue;
    out.set(platformString(d.platform), d);
  }
  return out;
}

export type Difference =
  /** The first layer (0-based, bottom first) whose digest differs; undefined side: that image has fewer layers. */
  | { kind: 'layer'; index: number; expected?: LayerInfo; actual?: LayerInfo }
  /** Same layers, different config: the top-level config fields (and `config.X` keys) that differ. */
  | { kind: 'config'; fields: string[] }
  /** Same config and layers: the manifest itself differs (media types, annotations). */
  | { kind: 'manifest'; fields: string[] }
  /** Not enough was readable to say more. */
  | { kind: 'unknown'; reason: string };

export interface LayerInfo {
  digest: string;
  diffId?: string;
  /** The Dockerfile step that made the layer (history `created_by`), when known. */
  step?: string;
}

/** Why two images of one platform have different manifest digests. */
export function explainDifference(expected: PlatformImage, actual: PlatformImage): Difference {
  const em = expected.manifest;
  const am = actual.manifest;
  if (!em || !am) return { kind: 'unknown', reason: `the ${!em ? 'expected' : 'rebuilt'} manifest could not be read` };
  const n = Math.max(em.layers.length, am.layers.length);
  for (let i = 0; i < n; i++) {
    const e = em.layers[i];
    const a = am.layers[i];
    if (e && a && e.digest === a.digest) continue;
    const diff: Difference = { kind: 'layer', index: i };
    if (e) diff.expected = layerInfo(e, i, expected.config);
    if (a) diff.actual = layerInfo(a, i, actual.config);
    return diff;
  }
  if (em.config.digest !== am.config.digest) {
    if (!expected.config || !actual.config) return { kind: 'config', fields: [] };
    return { kind: 'config', fields: differingFields(expected.config, actual.config) };
  }
  const fields = differingFields(em as unknown as Record<string, unknown>, am as unknown as Record<string, unknown>).filter((f) => f !== 'layers' && f !== 'config');
  return { kind: 'manifest', fields };
}

function layerInfo(d: Descriptor, index: number, config: ImageConfig | undefined): LayerInfo {
  const info: LayerInfo = { digest: d.digest };
  const diffId = config?.rootfs?.diff_ids?.[index];
  if (diffId) info.diffId = diffId;
  const step = layerSteps(config)[index];
  if (step) info.step = step;
  return info;
}

/** History entries that made a layer, in layer order (empty_layer entries made none). */
export function layerSteps(config: ImageConfig | undefined): string[] {
  return (config?.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created_by ?? h.created ?? '');
}

/** Top-level keys whose values differ, and one level into `config` (Env, Labels, Cmd, ...). */
export function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (stable(a[key]) === stable(b[key])) continue;
    const av = a[key];
    const bv = b[key];
    if (key === 'config' && isObject(av) && isObject(bv)) {
      for (const k of [...new Set([...Object.keys(av), ...Object.keys(bv)])].sort()) {
        if (stable(av[k]) !== stable(bv[k])) out.push(`config.${k}`);
      }
    } else out.push(key);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with sorted keys: two configs serialised in different key orders compare equal. */
function stable(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      isObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, x[k]]),
          )
        : x,
    ) ?? 'undefined'
  );
}
