// What the bundle compiles at build time instead of at every run: the
// built-in templates (Handlebars template specs, run by the runtime-only
// Handlebars) and the JSON Schema validator (ajv standalone code).
//
// In src/ (tests, tsc) both are empty and everything compiles at run time.
// scripts/build.mjs replaces this module in the bundle with the forms that
// src/precompiled/precompile.ts generates. Each precompiled form is keyed by the
// exact text it was compiled from, so a template or schema that differs from
// it on disk (edited after the build) is compiled at run time, as before.
import type { ValidateFn } from '../validate/schema.js';

export interface PrecompiledTemplate {
  /** Front matter, as JSON (parsed afresh for each use). */
  metaJson: string;
  bodyLine: number;
  declaredArgs: readonly string[];
  /** Handlebars template spec (the object `Handlebars.precompile` writes as code). */
  spec: object;
}

export interface PrecompiledValidator {
  /** The exact text of schemas/matrix.schema.json it was compiled from. */
  schemaText: string;
  validate: ValidateFn;
}

/** Template source text -> its precompiled form. */
export const PRECOMPILED_TEMPLATES: ReadonlyMap<string, PrecompiledTemplate> = new Map();

export const PRECOMPILED_VALIDATOR: PrecompiledValidator | undefined = undefined;
