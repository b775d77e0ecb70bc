// The images a registry holds, read with `docker buildx imagetools inspect`
// (it uses docker's credentials and speaks every registry buildx pushes to).
import { dockerEnd, type Docker } from '../adapters/docker.js';
import { EndedError } from '../adapters/exit.js';
import { imageManifests, isIndex, isManifest, platformString, type Descriptor, type ImageConfig, type PlatformImage } from './manifests.js';
import { lastLine } from '../adapters/process.js';

/** The registry is read through docker (its credentials). */
export type RegistryReader = Docker;

export class RegistryError extends Error {}

/**
 * `imagetools inspect ARGS`, its JSON. RegistryError when the registry or the
 * reference is at fault; EndedError when imagetools did not end on its own
 * terms (killed, or a docker that could not run it: src/adapters/exit.ts),
 * which says nothing of the registry.
 */
async function imagetools(r: RegistryReader, args: string[]): Promise<unknown> {
  const full = ['buildx', 'imagetools', 'inspect', ...args];
  const res = await r.capture(full, { timeoutMs: 60_000 });
  if (res.spawnError) throw new RegistryError(`cannot run ${r.bin}: ${res.spawnError}`);
  const end = dockerEnd(r, full, res);
  if (end) throw new EndedError(end);
  if (res.code !== 0) throw new RegistryError(lastLine(res).replace(/^ERROR:\s*/, '') || `imagetools inspect failed (exit ${res.code})`);
  try {
    return JSON.parse(res.stdout);
  } catch {
    throw new RegistryError(`unexpected output from imagetools inspect ${args.join(' ')}`);
  }
}

/** `host/path/name` of a reference, without its tag or digest. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** Replace the tag (or digest) of a reference. */
export function withTag(ref: string, tag: string): string {
  return `${repositoryOf(ref)}:${tag}`;
}

/**
 * Per-platform image manifests of a pushed reference (a tag or `repo@digest`).
 * A single-platform image without an index is one entry; its platform comes
 * from its config.
 */
export async function pushedImages(r: RegistryReader, ref: string): Promise<PlatformImage[]> {
  // An index (its manifests), or a single manifest's descriptor; `null` for a media type imagetools does not print (docker/buildx util/imagetools/printers.go).
  const top = await imagetools(r, [ref, '--format', '{{json .Manifest}}']);
  if (isIndex(top)) return [...imageManifests(top)].map(([platform, d]) => ({ platform, digest: d.digest }));
  const digest = (top as Partial<Descriptor> | null)?.digest;
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new RegistryError(`imagetools inspect ${ref} --format '{{json .Manifest}}' printed no index and no manifest digest`);
  const config = configOf(await imagetools(r, [`${repositoryOf(ref)}@${digest}`, '--format', '{{json .Image}}']), ref);
  const platform = config.os && config.architecture ? platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }) : 'unknown';
  return [{ platform, digest, config }];
}

/** `{{json .Image}}` of one image: its OCI image config, an object (os, architecture: strings when given). */
function configOf(v: unknown, ref: string): ImageConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RegistryError(`imagetools inspect ${ref} --format '{{json .Image}}' printed no image config`);
  const c = v as ImageConfig;
  const s = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return { ...c, os: s(c.os), architecture: s(c.architecture), variant: s(c.variant) };
}

/** Manifest and config of one pushed platform image, to say where it differs. */
export async function imageDetails(r: RegistryReader, repository: string, image: PlatformImage): Promise<PlatformImage> {
  const ref = `${repository}@${image.digest}`;
  const [manifest, config] = await Promise.all([
    imagetools(r, ['--raw', ref]),
    image.config ? Promise.resolve(image.config) : imagetools(r, [ref, '--format', '{{json .Image}}']).then((v) => configOf(v, ref)),
  ]);
  if (!isManifest(manifest)) throw new RegistryError(`imagetools inspect --raw ${ref} printed no image manifest`);
  return { ...image, manifest, config };
}
