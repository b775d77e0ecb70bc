// The build args that point every built-in template's base images at the local
// fixture images (test/engine/fixtures.env): one table for the engine tests
// (test/engine/engine.ts fixtureSets) and the benchmark (scripts/bench.mjs).

/** Build arg -> value, for the fixture toolchain and runtime images. */
export function fixtureArgs(images) {
  const { toolchain, runtime } = images;
  // The multi-arch image for stages that run as the target platform, when fixtures.env names it.
  const platform = optional(images, 'platform');
  return {
    ...(platform ? { NODE_TARGET_IMAGE: platform, PYTHON_TARGET_IMAGE: platform } : {}),
    GO_IMAGE: toolchain,
    NODE_IMAGE: toolchain,
    PYTHON_IMAGE: toolchain,
    RUST_IMAGE: toolchain,
    NODE_RUNTIME_IMAGE: runtime,
    PYTHON_RUNTIME_IMAGE: runtime,
    RUST_RUNTIME_IMAGE: runtime,
    STATIC_IMAGE: runtime,
    BASE_IMAGE: runtime,
    // The fixture runtime's Python; wheels are chosen for it.
    PYTHON_VERSION: '3.13',
  };
}

/** An image of the set, or undefined when fixtures.env does not name it (its getter throws). */
function optional(images, key) {
  try {
    return images[key];
  } catch {
    return undefined;
  }
}

/** The same as `docker buildx bake --set '*.args.NAME=VALUE'` flags (only build args change). */
export function fixtureSetFlags(images) {
  return Object.entries(fixtureArgs(images)).flatMap(([k, v]) => ['--set', `*.args.${k}=${v}`]);
}
