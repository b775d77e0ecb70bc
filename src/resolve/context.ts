// What every resolution step shares: the spec as written, where it lives, and
// one reporter. A step reads this and returns its part of the model.
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { specDiagnostic, type LoadedSpec } from '../load/load.js';
import { GIT_VARIABLES, semverVariables } from '../bake/gitenv.js';
import type { ServiceInput, SpecInput } from '../spec.js';
import { copyInto } from '../expand/records.js';

export type Path = (string | number)[];

export interface ResolveContext {
  readonly input: SpecInput;
  readonly loaded: LoadedSpec;
  /** Absolute directory of the spec: spec paths are relative to it. */
  readonly specDir: string;
  readonly repoRoot: string;
  /** The repository root with symbolic links resolved. */
  readonly realRoot: string;
  /** The working directory (from the caller) paths in messages are relative to. */
  readonly cwd: string;
  readonly defaults: ServiceInput;
  /** `version_tags` as a list, if given. */
  readonly versionTags: readonly string[] | undefined;
  readonly report: Reporter;
}

/** Collects resolve's diagnostics, each at its position in the spec. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly reported = new Set<string>();

  constructor(private readonly loaded: LoadedSpec) {}

  err(code: DiagnosticCode, at: Path, message: string, hint?: string, onKey = false): void {
    this.add('error', code, at, message, hint, onKey);
  }

  warn(code: DiagnosticCode, at: Path, message: string, hint?: string, onKey = false): void {
    this.add('warning', code, at, message, hint, onKey);
  }

  /** A diagnostic located elsewhere (in a template file). */
  push(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  private add(severity: 'error' | 'warning', code: DiagnosticCode, at: Path, message: string, hint: string | undefined, onKey: boolean): void {
    const d = specDiagnostic(this.loaded, code, at, message, hint || undefined, { severity, onKey });
    // A problem in a field shared by several matrix cells (or by every service, in
    // `defaults`) is reported once, at that field, not once per cell.
    const id = `${d.code}\u0000${d.line}:${d.column}`;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.diagnostics.push(d);
  }
}

/** Where a merged field was written: the service, else `defaults`. */
export function origin(ctx: ResolveContext, name: string, field: keyof ServiceInput): Path {
  return ctx.input.services[name]![field] !== undefined ? ['services', name, field] : ['defaults', field];
}

/** Where one key of a merged map field was written. */
export function keyOrigin(ctx: ResolveContext, name: string, field: 'args' | 'labels' | 'annotations' | 'with', key: string): Path {
  const own = ctx.input.services[name]![field];
  return own && Object.hasOwn(own, key) ? ['services', name, field, key] : ['defaults', field, key];
}

/** Without `version_tags` every service has the same build-time variables: one record per field kind and resolution. */
const SHARED_VARS = new WeakMap<ResolveContext, Partial<Record<'tag' | 'value', Readonly<Record<string, string>>>>>();

/**
 * Variables known only at build time, per service and per field kind (tags
 * read the stable semver parts). Readonly: without `version_tags` the record
 * is shared by every service.
 */
export function buildTimeVars(ctx: ResolveContext, service: string, scope: 'tag' | 'value'): Readonly<Record<string, string>> {
  if (ctx.versionTags) return { ...GIT_VARIABLES, ...semverVariables(scope, service) };
  let shared = SHARED_VARS.get(ctx);
  if (!shared) SHARED_VARS.set(ctx, (shared = {}));
  return (shared[scope] ??= { ...GIT_VARIABLES, ...semverVariables(scope, undefined) });
}

/** Defaults under a service: scalars and lists are replaced, maps merged key by key (`{ ...defaults, ...own }`, built as src/expand/records.ts says). */
export function mergeService(defaults: ServiceInput, own: ServiceInput): ServiceInput {
  const out: ServiceInput = copyInto(copyInto({}, defaults), own);
  for (const key of ['args', 'labels', 'with'] as const) {
    if (defaults[key] && own[key]) (out as Record<string, unknown>)[key] = copyInto(copyInto({}, defaults[key]), own[key]);
  }
  return out;
}
