// `matrix test` reads a single-manifest image's platform from
// `docker buildx imagetools inspect --format '{{json .Image}}'`: the image's
// config, whose `os`, `architecture` and `variant` are strings (OCI image-spec
// config.md). A docker wrapper that exits 0 with other text, or an image
// without a config (`null`), crashed it with JSON.parse (found by reading;
// a crash hunt flagged src/cli/test.ts).
import { describe, expect, it } from 'vitest';
import { imageConfig } from '../../src/cli/test.js';

describe('the image config matrix test reads a platform from', () => {
  it('reads the platform fields of an OCI image config', () => {
    expect(imageConfig('{"architecture":"arm","os":"linux","variant":"v7","rootfs":{}}\n')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(imageConfig('{"architecture":"amd64","os":"linux"}')).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('gives no platform, and never throws, for output that is no config', () => {
    for (const text of ['', 'not json', 'null', '[]', '"linux"', '42', '{"os":1,"architecture":["x"]}', '{"os":"","architecture":""}']) {
      expect(imageConfig(text), text).toEqual({});
    }
  });
});
