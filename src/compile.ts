// The pipeline, as one pure-ish function: load -> schema -> strings -> resolve
// -> rules -> render. It reads the spec's inputs but never writes; the CLI
// decides what to do with the files it returns.
import path from 'node:path';
import { builderDiagnostics } from './builder/builder.js';
import type { Diagnostic } from './diagnostics.js';
import { loadSpec, type LoadedSpec } from './load/load.js';
import { renderFiles } from './render/files.js';
import { resolveSpec } from './resolve/resolve.js';
import type { ResolvedSpec } from './spec.js';
import { cacheDiagnostics } from './validate/cache.js';
import { paramDiagnostics } from './validate/params.js';
import { ruleDiagnostics } from './validate/rules.js';
import { secretDiagnostics } from './validate/secrets.js';
import { schemaDiagnostics } from './validate/schema.js';
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
  /** Stop after validation (no rendering). */
  validateOnly?: boolean;
}

export interface CompileResult {
  loaded: LoadedSpec;
  spec?: ResolvedSpec;
  files?: Map<string, string>;
  diagnostics: Diagnostic[];
}

export function compile(input: CompileInput): CompileResult {
  const loaded = loadSpec(input.displayName, input.source);
  if (loaded.diagnostics.length) return { loaded, diagnostics: loaded.diagnostics };

  const { validate, schema } = schemaValidator();
  const shape = [...schemaDiagnostics(loaded, validate, schema), ...stringDiagnostics(loaded)];
  if (shape.length) return { loaded, diagnostics: sortDiagnostics(shape) };

  const resolved = resolveSpec(loaded, { specPath: input.specPath, repoRoot: input.repoRoot });
  if (!resolved.spec) return { loaded, diagnostics: sortDiagnostics(resolved.diagnostics) };

  const meaning = [...ruleDiagnostics(loaded, resolved.spec), ...paramDiagnostics(loaded, resolved.spec, resolved.templates), ...secretDiagnostics(loaded, resolved.spec, path.dirname(input.specPath)), ...cacheDiagnostics(loaded, resolved.spec), ...templatePlatformDiagnostics(loaded, resolved.spec, resolved.templates), ...builderDiagnostics(loaded)];
  if (meaning.length) return { loaded, diagnostics: sortDiagnostics(meaning) };
  if (input.validateOnly) return { loaded, spec: resolved.spec, diagnostics: [] };

  const rendered = renderFiles(resolved.spec, resolved.templates);
  if (rendered.diagnostics.length) return { loaded, diagnostics: rendered.diagnostics };
  return { loaded, spec: resolved.spec, files: rendered.files, diagnostics: [] };
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
}

export function specDirOf(specPath: string): string {
  return path.dirname(specPath);
}
