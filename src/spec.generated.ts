// Generated from schemas/matrix.schema.json by scripts/spec-types.mjs (the build runs it). Do not edit:
// change the schema, then run `node scripts/spec-types.mjs`.

export type Scalar = string | number | boolean;

export interface SpecInput {
  /** Spec format version. Always 1. */
  version: 1;
  /** Image name prefix for default tags: `REGISTRY/SERVICE`. */
  registry?: string;
  /** Platforms to build, each `os/arch[/variant]`. Every platform of a target is built in the same bake run. */
  platforms?: string[];
  /** Where to write the bake file, relative to the spec. */
  bake_file?: string;
  /** Add OCI labels from git to every image: `org.opencontainers.image.revision`, `.source` and `.created` (the commit time, so builds stay reproducible). Values come from `matrix bake` at build time, so the committed files do not change per commit. Your own `labels` win. */
  oci_labels?: boolean;
  /** Reproducible images: SOURCE_DATE_EPOCH for every build (default: for each target, the time of the last commit that changed its context or Dockerfile; a SOURCE_DATE_EPOCH in the environment of `matrix bake` wins). */
  reproducible?: { source_date_epoch?: number | false };
  /** Git tags that version one service in a monorepo: patterns with `{service}` and `{version}`, e.g. `{service}/v{version}` or `{service}@{version}`. A service whose own tag points at HEAD gets its `${{ semver.* }}` from it; without this key every service uses a `vX.Y.Z` tag on HEAD. */
  version_tags?: string | string[];
  /** Your own bake groups: name -> services (all their matrix cells) or target names. Build one with `matrix bake NAME`. */
  groups?: Record<string, string[]>;
  /** BuildKit nodes per platform, for `matrix builder up`: one buildx builder with a node per platform, so each platform builds natively on its own machine. */
  builders?: BuildersInput;
  /** Service fields applied to every service; a service's own fields win (maps are merged key by key). */
  defaults?: ServiceInput;
  /** The images to build, by name. A name is lower case letters, digits, `-` and `_`; it becomes the bake target and the image name. */
  services: Record<string, ServiceInput>;
  /** Sign each index that `matrix bake --push` publishes with cosign and a key pair (offline: no transparency log). The key is named, never written here: a file path (relative to the spec) or the name of an environment variable that holds it; cosign reads the key's password from COSIGN_PASSWORD. */
  sign?: SignInput;
}

export interface ServiceInput {
  /** Build context directory, relative to the spec file. It must stay inside the repository. May use `${{ service }}`. */
  context?: string;
  /** Generate the Dockerfile from a built-in template (`go`, `node`, `python`, `rust`, `static`, `java`, `php`) or from your own Handlebars file (a path ending in `.hbs`, relative to the spec). Exclusive with `dockerfile`. */
  template?: string;
  /** Build a hand-written Dockerfile instead of generating one (path relative to the spec). matrix never writes it. Exclusive with `template`. */
  dockerfile?: string;
  /** Write this service's generated Dockerfile into this folder (relative to the spec, inside the repository, created by `gen`) as `SERVICE.Dockerfile`, instead of into its context. Set it in `defaults` to keep every generated Dockerfile out of the contexts (and out of the images), e.g. when a context already has a hand-written `Dockerfile`. May use `${{ service }}`. */
  generated_dir?: string;
  /** Write this service's generated Dockerfile to this path (relative to the spec, inside the repository) instead of `CONTEXT/Dockerfile`. When matrix cells render different Dockerfiles, each is `TARGET.Dockerfile` in the same folder. Wins over `generated_dir`. May use `${{ service }}`. */
  generated_file?: string;
  /** Parameters of the template (see `matrix templates`). Values reach the Dockerfile only through escaping helpers. */
  with?: Record<string, Scalar | Scalar[]>;
  /** Platforms to build, each `os/arch[/variant]`. Every platform of a target is built in the same bake run. */
  platforms?: string[];
  /** Build arguments passed by bake (`ARG` in the Dockerfile). Values may use `${{ service }}`, `${{ target }}`, `${{ registry }}` and `${{ matrix.AXIS }}`. */
  args?: Record<string, Scalar>;
  /** Image references to tag each target with. Default: `REGISTRY/SERVICE:latest`; for a matrix cell `REGISTRY/SERVICE:VALUES` (`web:22-slim`), and `latest` picks the cell that is also tagged `latest`. Same variables as `args`. */
  tags?: string[];
  /** Image labels (OCI or your own). Same variables as `args`. */
  labels?: Record<string, Scalar>;
  /** Dockerfile stage to build (`--target`). */
  target?: string;
  /** Build secrets, mounted with `RUN --mount=type=secret,id=ID`. Give where the value comes from, never the value. */
  secrets?: SecretInput[];
  /** Build variants. Each key is an axis with a list of values; every combination becomes its own bake target. `include` and `exclude` behave like GitHub Actions' `strategy.matrix`. */
  matrix?: MatrixInput;
  /** Services whose image this one builds FROM. Each is wired as a bake named context (`contexts = { NAME = "target:NAME" }`), so bake builds it first in the same run; write `FROM NAME` in the Dockerfile. */
  depends_on?: string[];
  /** Take tags (and labels, args, annotations) from docker/metadata-action's bake file: `true` inherits its default target `docker-metadata-action`; a name inherits that target (metadata-action's `bake-target` input), so each service or matrix cell can use its own metadata-action step. May use `${{ service }}`, `${{ target }}` and `${{ matrix.AXIS }}` (`meta-${{ target }}`: one step per matrix cell). The target gets no default tags; tags you set yourself win over metadata-action's. */
  metadata_action?: boolean | string;
  /** Which image gets the `REGISTRY/SERVICE:latest` tag: `true` (the service, when it has no matrix), `false`, or the one matrix combination to tag, e.g. `{python: "3.12"}`. */
  latest?: boolean | Record<string, Scalar>;
  /** OCI annotations, on each image manifest unless the key starts with the levels bake reads (comma-separated, before a `:`): `index`, `index-descriptor`, `manifest`, `manifest-descriptor`, each optionally for one platform, e.g. `index,manifest:org.opencontainers.image.description` or `manifest[linux/arm64]:KEY`. Same variables as `labels`. */
  annotations?: Record<string, Scalar>;
  /** Build cache: `registry` (a cache image next to the service's image), `local` (a directory), `gha` (GitHub Actions cache), `inline` (in the image), or `none`. Each platform set gets its own cache ref, so runs for different platforms never overwrite each other's cache. */
  cache?: 'registry' | 'local' | 'gha' | 'inline' | 'none' | CacheInput;
  /** Attestations attached to pushed images. */
  attest?: AttestInput;
  /** bake `output` entries, in buildx's CSV form (`type=local,dest=dist/`, `type=tar,dest=out/image.tar`, `type=oci,dest=...`, `type=image`, `type=registry`, `type=cacheonly`). A `dest` is relative to the spec and must stay inside the repository. Use it to export a cross-compiled binary as files. */
  output?: string[];
  /** Checks run in the built image before anything is published, once per platform of the target (foreign platforms under QEMU): each runs a command and compares its exit code and stdout, and/or checks files. A failing check blocks `matrix bake --push`; `matrix test` runs them on images already built. */
  test?: TestInput[];
}

export interface MatrixInput {
  /** Extra combinations, or extra keys added to matching combinations. */
  include?: Record<string, Scalar>[];
  /** Combinations to drop; an entry matches every combination that has all of its key/value pairs. */
  exclude?: Record<string, Scalar>[];
  [key: string]: Scalar[] | Record<string, Scalar>[] | undefined;
}

export interface SecretInput {
  /** Secret id, as used in `--mount=type=secret,id=...`. */
  id: string;
  /** Environment variable holding the value at build time. */
  env?: string;
  /** File holding the value at build time. */
  src?: string;
}

export interface CacheInput {
  /** Cache backend. */
  type: 'registry' | 'local' | 'gha' | 'inline' | 'none';
  /** registry: the cache image repository (default: the first tag's repository). */
  ref?: string;
  /** local: the cache directory, relative to the spec, inside the repository and outside every build context. Default: a directory of this repository outside it, under `MATRIX_CACHE_DIR`, else `$XDG_CACHE_HOME/matrix`, else `~/.cache/matrix`. */
  dir?: string;
  /** `max` exports every layer (more hits, bigger cache), `min` only the final image's. */
  mode?: 'min' | 'max';
}

export interface AttestInput {
  /** Attach an SBOM (BuildKit runs its SBOM scanner image). */
  sbom?: boolean;
  /** Provenance attestation: `min`, `max`, or `false` for none. */
  provenance?: 'min' | 'max' | false;
}

export interface BuildersInput {
  /** Name of the buildx builder (default `matrix`). */
  name?: string;
  /** One entry per BuildKit node. */
  nodes: BuilderNodeInput[];
}

export interface BuilderNodeInput {
  /** Node name (default: builder name + platform). */
  name?: string;
  /** Platforms this node builds natively. */
  platforms: string[];
  /** buildx driver: `remote` (an existing buildkitd), `docker-container`, or `kubernetes`. */
  driver?: 'remote' | 'docker-container' | 'kubernetes';
  /** Where the node is: `tcp://HOST:PORT` or `unix://...` for remote, an `ssh://user@host` or docker context for docker-container. */
  endpoint?: string;
  /** Driver options, e.g. `nodeselector: kubernetes.io/arch=arm64` for kubernetes. */
  driver_opts?: Record<string, string>;
}

export interface SignInput {
  /** Path of the private key file, relative to the spec's directory. */
  key?: string;
  /** Name of the environment variable that holds the private key (cosign's env:// reference). */
  key_env?: string;
  /** Path of the public key file, relative to the spec's directory, for `matrix verify --signatures`. */
  public_key?: string;
}

export interface TestInput {
  /** Shown in the summary (default: the command). */
  name?: string;
  /** The command as an argument list, run without a shell in place of the image's entrypoint and command. */
  command?: string[];
  /** A shell command, run as `/bin/sh -c SHELL` (only when written so). */
  shell?: string;
  /** Expected exit code (default 0). */
  exit_code?: number;
  /** Expected standard output, exactly (one trailing newline ignored). */
  stdout?: string;
  /** A regular expression (JavaScript syntax) the standard output must match. */
  stdout_matches?: string;
  /** Files the image must (or must not) have, with their permission bits. */
  files?: TestFileInput[];
}

export interface TestFileInput {
  /** Absolute path in the image. */
  path: string;
  /** Whether the file must exist (default true). */
  exists?: boolean;
  /** Permission bits in octal, e.g. `0755`. */
  mode?: string;
}
