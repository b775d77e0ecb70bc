import type { Dyn } from './dyn.js';
import type { CacheInput, SecretInput } from './spec.generated.js';

// Two views of a spec: as written (every field optional, straight from YAML)
// and as resolved (defaults applied once, paths checked, matrix expanded).
// The resolved model is readonly: resolve computes everything later stages
// read, and no later stage changes it.

// The spec as written is generated from schemas/matrix.schema.json (the one
// source of its shape): scripts/spec-types.mjs writes src/spec.generated.ts.
export type {
  AttestInput,
  BuilderNodeInput,
  BuildersInput,
  CacheInput,
  MatrixInput,
  Scalar,
  SecretInput,
  ServiceInput,
  SignInput,
  SpecInput,
  TestFileInput,
  TestInput,
} from './spec.generated.js';

export type CacheType = CacheInput['type'];

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
