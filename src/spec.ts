import type { Dyn } from './dyn.js';

// Two views of a spec: as written (every field optional, straight from YAML)
// and as resolved (defaults applied once, paths checked, matrix expanded).

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
export type DockerfileSource =
  | { kind: 'template'; template: string; builtin: boolean; file: string }
  | { kind: 'dockerfile'; file: string };

export type Cell = Record<string, string>;

export interface Target {
  /** Bake target name: the service name, or service + cell values for matrix cells. */
  name: string;
  service: string;
  cell: Cell;
  /** Axis names of the service's matrix in declaration order (for names and plan). */
  axes: string[];
  context: string;
  source: DockerfileSource;
  /** Dockerfile path relative to the spec dir (generated or hand-written). */
  dockerfile: string;
  platforms: string[];
  /** Tags; a Dyn tag (from git) is dropped at build time when its variables are empty. */
  tags: Dyn[];
  args: Record<string, Dyn>;
  labels: Record<string, Dyn>;
  annotations: Record<string, Dyn>;
  stage?: string;
  secrets: SecretInput[];
  /** Named contexts: dependency service name -> bake target it resolves to. */
  contexts: Record<string, string>;
  with: Record<string, string | string[]>;
  /** The bake target this one inherits from docker/metadata-action's bake file, if any. */
  metadataAction?: string;
  /** bake `output` entries, CSV, validated (dest paths are spec-relative, inside the repository). */
  outputs: string[];
  cache?: CacheSpec;
  /** bake `attest` entries. */
  attest: string[];
}

export interface CacheSpec {
  type: Exclude<CacheType, 'none'>;
  mode: 'min' | 'max';
  ref?: string;
  dir?: string;
}

export interface ResolvedSpec {
  file: string;
  /** Spec file name relative to the spec dir (for headers). */
  specName: string;
  /** The spec's path relative to the repository root, POSIX (machine-independent headers). */
  specRepoPath: string;
  bakeFile: string;
  registry?: string;
  targets: Target[];
  /** Service name -> its target names, in spec order. */
  services: Map<string, string[]>;
  /** User-defined groups: name -> target names. */
  groups: [string, string[]][];
  /** Add OCI revision/created/source labels from git (`oci_labels`, default true). */
  ociLabels: boolean;
  /** `version_tags` patterns; when set, each service's semver variables come from its own git tags. */
  versionTags?: string[];
  /** `reproducible.source_date_epoch`: a fixed value, false for none, undefined for the commit time. */
  sourceDateEpoch?: number | false;
}
