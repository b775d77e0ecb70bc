// Which images the engine suite removes when it ends (test/engine/global-setup.ts):
// the e2e tags its tests make, never the fixtures, the samples' tags or other images.
import { describe, expect, it } from 'vitest';
import { isE2eTag } from '../engine/global-setup.js';

describe("the engine suite's own image tags", () => {
  it('are the e2e repositories on any registry host', () => {
    for (const ref of [
      'localhost:5000/e2e/hello-go:k2x9mzab',
      'localhost:5000/e2e-monorepo/api:k2x9mzab',
      'localhost:5000/e2e-repro/hello-go:k2x9-1',
      '127.0.0.1:43085/e2e/release-flaky:matrix-tmp-local-mx9dxpae-e9b18a-flaky-linux-amd64_linux-arm64',
    ])
      expect(isE2eTag(ref), ref).toBe(true);
  });

  it('leave the fixtures, the samples, other repositories and untagged images alone', () => {
    for (const ref of [
      'localhost:5000/matrix-fixture/toolchain:22bc3c8f2ef4',
      'localhost:5000/matrix-fixture-cold/runtime:1',
      'localhost:5000/monorepo/api:latest',
      'localhost:5000/samples/hello-go:multiarch',
      'ghcr.io/acme/api:latest',
      'app:latest',
      'e2e:latest',
      'localhost:5000/team/e2e/api:1',
      'localhost:5000/e2e/hello-go:<none>x/y',
      '<none>:<none>',
      '',
    ])
      expect(isE2eTag(ref), ref).toBe(false);
  });
});
