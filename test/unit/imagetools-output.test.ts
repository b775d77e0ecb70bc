// What `docker buildx imagetools inspect` prints, read without trusting its shape. `--raw` is the
// registry's bytes (an OCI image index or Docker manifest list, or a single manifest); with
// `--format '{{json .Manifest}}'` buildx prints the index's list under its own digest, the single
// manifest's descriptor, or `null` for a media type it has no case for; `{{json .Image}}` is one
// OCI image config (docker/buildx util/imagetools/printers.go, Printer.Print: `mfst` stays nil
// outside its two media-type cases). Whatever a wrapper, a proxy or another buildx prints instead
// (null, a number, a list of nulls, numbers for strings) is said as unreadable, never a crash:
// each case below was exit 70, "internal error", before.
import { describe, expect, it } from 'vitest';
import type { Docker } from '../../src/adapters/docker.js';
import type { Captured } from '../../src/adapters/process.js';
import { indexPlatforms as summaryPlatforms } from '../../src/bake/digests.js';
import { indexPlatforms as mergePlatforms } from '../../src/ci/merge.js';
import { descriptorsOf, imageManifests, isManifest, type Index } from '../../src/repro/manifests.js';
import { imageDetails, pushedImages } from '../../src/repro/registry.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const amd64 = { digest: d('a'), platform: { os: 'linux', architecture: 'amd64' } };

/** A docker whose `buildx imagetools inspect` prints `answer(args)`, exit 0; the calls recorded. */
function imagetools(answer: (args: string[]) => string): Docker & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    bin: 'docker',
    env: {},
    buildx: () => ({ direct: false, why: 'a recorded docker' }),
    calls,
    capture: async (args: string[]): Promise<Captured> => {
      calls.push(args);
      return { code: 0, stdout: answer(args), stderr: '' };
    },
    stream: () => Promise.reject(new Error('not used')),
  };
}

const hostile = ['null', '42', '"x"', '[]', 'true', '{"manifests":null}', '{"manifests":{"a":1}}', '{"__proto__":{"manifests":[1]},"constructor":1}'];

describe('an index list of other shapes', () => {
  const odd = {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      null,
      1,
      'x',
      [],
      { platform: null },
      { digest: 1, platform: amd64.platform },
      { digest: d('b'), platform: { os: 1, architecture: 'arm64' } },
      { digest: d('c'), platform: { os: 'linux', architecture: 'arm', variant: ['v7'] } },
      amd64,
    ],
  };

  it('keeps the descriptors with a string digest, and a platform whose os and architecture are strings', () => {
    expect(descriptorsOf(odd)).toEqual([{ digest: d('b') }, { digest: d('c'), platform: { os: 'linux', architecture: 'arm' } }, amd64]);
    for (const h of hostile) expect(descriptorsOf(JSON.parse(h)), h).toBeUndefined();
  });

  it('the summary, test and merge read the platforms they can, and nothing of text that is no index', () => {
    expect(summaryPlatforms(JSON.stringify(odd))).toEqual({ 'linux/arm/v7': d('c'), 'linux/amd64': d('a') });
    // merge reads the platforms only: an entry without a digest still names one.
    expect(mergePlatforms(JSON.stringify(odd))).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/amd64']);
    expect(imageManifests(odd as unknown as Index).size).toBe(2);
    for (const h of hostile) expect(summaryPlatforms(h), h).toEqual({});
    // merge: a single manifest (no list) names no platform; what is no JSON object is no image manifest (said by the caller).
    expect(mergePlatforms('{"mediaType":"application/vnd.oci.image.manifest.v1+json"}')).toBeUndefined();
    for (const h of ['null', '42', '"x"', '[]']) expect(() => mergePlatforms(h), h).toThrow();
  });

  it('a manifest is one with a config and layers that have string digests', () => {
    expect(isManifest({ config: { digest: d('a') }, layers: [{ digest: d('b') }] })).toBe(true);
    for (const m of [null, 1, { config: null, layers: [] }, { config: { digest: 1 }, layers: [] }, { config: { digest: d('a') }, layers: [null] }, { config: { digest: d('a') }, layers: 'x' }]) {
      expect(isManifest(m), JSON.stringify(m)).toBe(false);
    }
  });
});

describe('matrix verify reading the pushed image', () => {
  const ref = 'localhost:5000/x/app:1';

  it('an index: its platforms; a single manifest: its digest and its config platform', async () => {
    const index = imagetools(() => JSON.stringify({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: d('f'), manifests: [amd64, null] }));
    expect(await pushedImages(index, ref)).toEqual([{ platform: 'linux/amd64', digest: d('a') }]);
    const single = imagetools((args) =>
      args.includes('{{json .Manifest}}') ? JSON.stringify({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('e'), size: 1 }) : '{"os":"linux","architecture":"arm64"}',
    );
    expect((await pushedImages(single, ref)).map((i) => [i.platform, i.digest])).toEqual([['linux/arm64', d('e')]]);
  });

  it('no index and no digest, or no image config: a registry error naming the command, never a crash', async () => {
    for (const h of [...hostile, '{"digest":1}', '{"digest":"sha256:short"}']) {
      await expect(
        pushedImages(
          imagetools(() => h),
          ref,
        ),
        h,
      ).rejects.toThrow(`imagetools inspect ${ref} --format '{{json .Manifest}}' printed no index and no manifest digest`);
    }
    for (const h of ['null', '42', '[]']) {
      const docker = imagetools((args) => (args.includes('{{json .Manifest}}') ? JSON.stringify({ digest: d('e') }) : h));
      await expect(pushedImages(docker, ref), h).rejects.toThrow("--format '{{json .Image}}' printed no image config");
    }
    // A config whose platform fields are no strings has no platform.
    const numbers = imagetools((args) => (args.includes('{{json .Manifest}}') ? JSON.stringify({ digest: d('e') }) : '{"os":1,"architecture":["amd64"]}'));
    expect((await pushedImages(numbers, ref))[0]!.platform).toBe('unknown');
  });

  it('the details of a platform image: a manifest of another shape is an error', async () => {
    const docker = imagetools((args) => (args.includes('--raw') ? '{"config":{"digest":1},"layers":[null]}' : '{"os":"linux","architecture":"amd64"}'));
    await expect(imageDetails(docker, 'localhost:5000/x/app', { platform: 'linux/amd64', digest: d('a') })).rejects.toThrow(
      `imagetools inspect --raw localhost:5000/x/app@${d('a')} printed no image manifest`,
    );
  });
});
