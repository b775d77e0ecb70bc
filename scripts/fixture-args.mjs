// The build args that point every built-in template's base images at the local
// fixture images (test/engine/fixtures.env): one table for the engine tests
// (test/engine/engine.ts fixtureSets) and the benchmark (scripts/bench.mjs).

/** Build arg -> value, for the fixture toolchain and runtime images. */
export function fixtureArgs(images) {
  const { toolchain, runtime } = images;
  return {
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
    // java: Maven on the jdk image, offline against Debian's local repository
    // (the fixture pom pins Debian's plugin versions).
    ...optional(images, 'jdk', (jdk) => ({ MAVEN_IMAGE: jdk, MAVEN_CLI_OPTS: '-o -Dmaven.repo.local=/usr/share/maven-repo' })),
    // Stages that run as the target platform (native packages: npm, pip, a C compiler), and
    // the JRE and PHP: the platform image (linux/amd64 + linux/arm64).
    ...optional(images, 'platform', (platform) => ({
      NODE_TARGET_IMAGE: platform,
      PYTHON_TARGET_IMAGE: platform,
      JAVA_RUNTIME_IMAGE: platform,
      PHP_IMAGE: platform,
    })),
  };
}

/** The args of an image that an older fixtures.env (or the benchmark) does not have: none (the images are read when a test uses them). */
function optional(images, key, args) {
  let image;
  try {
    image = images[key];
  } catch {
    return {};
  }
  return image === undefined ? {} : args(image);
}

/** The same as `docker buildx bake --set '*.args.NAME=VALUE'` flags (only build args change). */
export function fixtureSetFlags(images) {
  return Object.entries(fixtureArgs(images)).flatMap(([k, v]) => ['--set', `*.args.${k}=${v}`]);
}
