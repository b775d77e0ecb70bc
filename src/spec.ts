import type { Dyn } from './dyn.js';

// Two views of a spec: as written (every field optional, straight from YAML)
// and as resolved (defaults applied once, paths checked, matrix expanded).
// The resolved model is readonly: resolve computes everything later stages
// read, and no later stage changes it.

export type Scalar = string | number | boolean;

export interface SecretInput {
  id: string;
  env?: string;
  src?: string;
}

export interface MatrixInput {
  include?: Record<string, Scalar>[];
  exclude?: Record<string, Scalar>[];
  [axis: string]: Scalar[] | Record<string, Scalar>[] | undefined;
}

export interface ServiceInput {
  context?: string;
  template?: string;
  dockerfile?: string;
  with?: Record<string, Scalar | Scalar[]>;
  platforms?: string[];
  args?: Record<string, Scalar>;
  tags?: string[];
  labels?: Record<string, Scalar>;
  target?: string;
  secrets?: SecretInput[];
  matrix?: MatrixInput;
  depends_on?: string[];
  /** `true`: inherit `docker-metadata-action`; a name: inherit that target (metadata-action's `bake-target`). */
  metadata_action?: boolean | string;
  /** bake `output` entries (CSV strings). */
  output?: string[];
  latest?: boolean | Record<string, Scalar>;
  annotations?: Record<string, Scalar>;
  cache?: CacheType | CacheInput;
  attest?: { sbom?: boolean; provenance?: 'min' | 'max' | false };
}

export type CacheType = 'registry' | 'local' | 'gha' | 'inline' | 'none';

export interface CacheInput {
  type: CacheType;
  ref?: string;
  dir?: string;
  mode?: 'min' | 'max';
}

export interface BuilderNodeInput {
  name?: string;
  platforms: string[];
  driver?: 'remote' | 'docker-container' | 'kubernetes';
  endpoint?: string;
  driver_opts?: Record<string, string>;
}

export interface BuildersInput {
  name?: string;
  nodes: BuilderNodeInput[];
}

export interface SpecInput {
  version: 1;
  registry?: string;
  platforms?: string[];
  bake_file?: string;
  oci_labels?: boolean;
  reproducible?: { source_date_epoch?: number | false };
  groups?: Record<string, string[]>;
  /** Git tag patterns that version one service: `{service}/v{version}`. */
  version_tags?: string | string[];
  builders?: BuildersInput;
  defaults?: ServiceInput;
  services: Record<string, ServiceInput>;
}

/** Where a target's Dockerfile comes from. Paths are relative to the spec dir, POSIX. */
export type DockerfileSource = { readonly kind: 'template'; readonly template: string; readonly builtin: boolean; readonly file: string } | { readonly kind: 'dockerfile'; readonly file: string };

export type Cell = Readonly<Record<string, string>>;

export interface Target {
  /** Bake target name: the service name, or service + cell values for matrix cells. */
  readonly name: string;
  readonly service: string;
  readonly cell: Cell;
  /** Axis names of the service's matrix in declaration order (for names and plan). */
  readonly axes: readonly string[];
  readonly context: string;
  readonly source: DockerfileSource;
  /** Dockerfile path relative to the spec dir (generated or hand-written). */
  readonly dockerfile: string;
  readonly platforms: readonly string[];
  /** Tags; a Dyn tag (from git) is dropped at build time when its variables are empty. */
  readonly tags: readonly Dyn[];
  readonly args: Readonly<Record<string, Dyn>>;
  /** Names of the args the service sets itself (not from `defaults.args`): a template's `{{#each args}}` declares only these. */
  readonly ownArgs?: readonly string[];
  readonly labels: Readonly<Record<string, Dyn>>;
  readonly annotations: Readonly<Record<string, Dyn>>;
  readonly stage?: string;
  readonly secrets: readonly Readonly<SecretInput>[];
  /** Named contexts: dependency service name -> bake target it resolves to. */
  readonly contexts: Readonly<Record<string, string>>;
  readonly with: Readonly<Record<string, string | readonly string[]>>;
  /** The bake target this one inherits from docker/metadata-action's bake file, if any. */
  readonly metadataAction?: string;
  /** bake `output` entries, CSV, validated (dest paths are spec-relative, inside the repository). */
  readonly outputs: readonly string[];
  readonly cache?: Readonly<CacheSpec>;
  /** bake `attest` entries. */
  readonly attest: readonly string[];
}

export interface CacheSpec {
  readonly type: Exclude<CacheType, 'none'>;
  readonly mode: 'min' | 'max';
  readonly ref?: string;
  readonly dir?: string;
}

export interface ResolvedSpec {
  readonly file: string;
  /** Spec file name relative to the spec dir (for headers). */
  readonly specName: string;
  /** The spec's path relative to the repository root, POSIX (machine-independent headers). */
  readonly specRepoPath: string;
  readonly bakeFile: string;
  readonly registry?: string;
  readonly targets: readonly Target[];
  /** Service name -> its target names, in spec order. */
  readonly services: ReadonlyMap<string, readonly string[]>;
  /** User-defined groups: name -> target names. */
  readonly groups: readonly (readonly [string, readonly string[]])[];
  /** Add OCI revision/created/source labels from git (`oci_labels`, default true). */
  readonly ociLabels: boolean;
  /** `version_tags` patterns; when set, each service's semver variables come from its own git tags. */
  readonly versionTags?: readonly string[];
  /** `reproducible.source_date_epoch`: a fixed value, false for none, undefined for the commit time. */
  readonly sourceDateEpoch?: number | false;
}
