// The pipeline, as one pure-ish function: load -> schema -> strings -> resolve
// -> rules -> render. It reads the spec's inputs but never writes; the CLI
// decides what to do with the files it returns.
import path from 'node:path';
import { builderDiagnostics } from './builder/builder.js';
import type { Diagnostic } from './diagnostics.js';
import { withPathMemo } from './fs/path-memo.js';
import { explainIndentation, explainMisplacedKeys } from './load/indentation.js';
import { loadSpec, type LoadedSpec } from './load/load.js';
import { renderFiles } from './render/files.js';
import type { OutputState } from './output/existing.js';
import type { ParsedTemplate } from './render/template.js';
import { resolveSpec } from './resolve/resolve.js';
import type { ResolvedSpec } from './spec.js';
import { cacheDiagnostics } from './validate/cache.js';
import { paramDiagnostics } from './validate/params.js';
import { ruleDiagnostics } from './validate/rules.js';
import { secretDiagnostics } from './validate/secrets.js';
import { checkedExcept, checkShape, type CheckedSpec } from './validate/schema.js';
import { stringDiagnostics } from './validate/strings.js';
import { templatePlatformDiagnostics } from './validate/template-platforms.js';
import { schemaValidator } from './validate/validator.js';

export interface CompileInput {
  /** Absolute path of the spec. */
  specPath: string;
  /** How to name the spec in diagnostics (usually relative to cwd). */
  displayName: string;
  source: string;
  repoRoot: string;
  /** The working directory paths in messages are relative to (the CLI's `Io.cwd`). */
  cwd: string;
  /** Stop after validation (no rendering). */
  validateOnly?: boolean;
  /**
   * For `matrix plan`: a platform the template cannot produce is a warning, not
   * an error, so the plan can show it as "unsupported" beside the others.
   */
  planning?: boolean;
}

interface CompileBase {
  /** The spec as loaded; on success, with its value typed by the schema. */
  loaded: LoadedSpec;
  /** Every diagnostic, sorted by position; on success warnings only. */
  diagnostics: Diagnostic[];
}

/** The spec has errors: nothing resolved is handed on. */
export interface CompileFailed extends CompileBase {
  ok: false;
  spec?: undefined;
  files?: undefined;
  templates?: undefined;
}

/** Checked, not rendered (`validateOnly`). */
export interface CompileValidated extends CompileBase {
  ok: true;
  loaded: CheckedSpec;
  spec: ResolvedSpec;
  /** The parsed templates, by file (what each can produce, for `plan`). */
  templates: ReadonlyMap<string, ParsedTemplate>;
  /** What was on disk at each output path when the spec was resolved (read once; see output/existing.ts). */
  outputs?: ReadonlyMap<string, OutputState>;
  files?: undefined;
}

/** Checked and rendered: the files to write, spec-dir-relative. */
export interface CompileRendered extends Omit<CompileValidated, 'files'> {
  files: ReadonlyMap<string, string>;
}

export type CompileResult = CompileFailed | CompileValidated | CompileRendered;

export function compile(input: CompileInput & { validateOnly: true }): CompileFailed | CompileValidated;
export function compile(input: CompileInput & { validateOnly?: false }): CompileFailed | CompileRendered;
export function compile(input: CompileInput): CompileResult;
export function compile(input: CompileInput): CompileResult {
  // A compile writes nothing: each path is asked once (src/fs/path-memo.ts).
  return withPathMemo(() => compileOnce(input));
}

function compileOnce(input: CompileInput): CompileResult {
  const loaded = loadSpec(input.displayName, input.source);
  if (loaded.diagnostics.length) return failed(loaded, explainIndentation(loaded.source, loaded.file, loaded.diagnostics));

  // Every error of a spec in one run: a stage after shape checks only the
  // services that passed it, so one broken service does not hide the others'.
  const { validate, schema } = schemaValidator();
  const shapeCheck = checkShape(loaded, validate, schema);
  // A platform the schema refuses is explained there (validate/schema.ts platformPatternProblem: "it
  // contains a tab, which containerd refuses"): no second error for its tab or line break. Elsewhere
  // the schema only says "invalid format", and the line-break error is the one that explains.
  const refused = new Set(shapeCheck.diagnostics.filter((d) => d.severity === 'error' && /(?:^|\.)platforms\[\d+\]$/.test(d.path)).map((d) => d.path));
  const strings = stringDiagnostics(loaded).filter((d) => d.code !== 'line-break' || !refused.has(d.path));
  const shape = explainMisplacedKeys(loaded, schema, [...shapeCheck.diagnostics, ...strings]);
  const broken = brokenServices(shape);
  if (!broken) return failed(loaded, sortDiagnostics(shape));
  const checked = shapeCheck.checked ?? checkedExcept(loaded, broken);

  const resolved = resolveSpec(checked, { specPath: input.specPath, repoRoot: input.repoRoot, cwd: input.cwd, skipServices: broken });
  const meaning = resolved.spec
    ? [
        ...ruleDiagnostics(checked, resolved.spec),
        ...paramDiagnostics(checked, resolved.spec, resolved.templates),
        ...secretDiagnostics(checked, resolved.spec, path.dirname(input.specPath)),
        ...cacheDiagnostics(checked, resolved.spec),
        ...templatePlatformDiagnostics(checked, resolved.spec, resolved.templates),
      ]
    : [];
  const found = dedupe(sortDiagnostics([...shape, ...resolved.diagnostics, ...meaning, ...builderDiagnostics(checked)]));
  const all = input.planning ? found.map((d) => (d.code === 'unsupported-platform' ? { ...d, severity: 'warning' as const } : d)) : found;
  if (all.some((d) => d.severity === 'error') || !resolved.spec) return failed(loaded, all);
  const { spec, templates, outputs } = resolved;
  if (input.validateOnly) return { ok: true, loaded: checked, spec, templates, outputs, diagnostics: all };

  const rendered = renderFiles(spec, templates, resolved.dockerfiles);
  if (rendered.diagnostics.length) return failed(loaded, [...all, ...rendered.diagnostics]);
  return { ok: true, loaded: checked, spec, files: rendered.files, templates, outputs, diagnostics: all };
}

function failed(loaded: LoadedSpec, diagnostics: Diagnostic[]): CompileFailed {
  return { ok: false, loaded, diagnostics };
}

/**
 * The services whose shape is wrong, when every shape error lies inside one
 * service (then the others can still be checked); undefined when an error is
 * elsewhere (top level, `defaults`, `groups`), which every service depends on.
 */
function brokenServices(shape: readonly Diagnostic[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const d of shape) {
    const m = /^services(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\[("(?:[^"\\]|\\.)*")\])/.exec(d.path);
    if (!m) return undefined;
    out.add(m[1] ?? (JSON.parse(m[2]!) as string));
  }
  return out;
}

/** One diagnostic per code and position: stages may meet the same problem. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const id = `${d.file}\u0000${d.code}\u0000${d.line}:${d.column}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
}

export function specDirOf(specPath: string): string {
  return path.dirname(specPath);
}
