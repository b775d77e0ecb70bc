// The JSON Schema validator, once per process. The bundle carries one
// compiled at build time (ajv standalone code, see src/fast/precompile.ts):
// compiling the schema with ajv costs more than the rest of `matrix gen`.
// A schema that is not the one it was compiled from is compiled here, with
// ajv loaded only then.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PRECOMPILED_VALIDATOR } from '../fast/builtins.js';
import { packageRoot } from '../paths.js';
import type { ValidateFn } from './schema.js';

let cached: { validate: ValidateFn; schema: object } | undefined;

/** Options of the one ajv instance, at run time or at build time. */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true } as const;

export function schemaPath(): string {
  return path.join(packageRoot(), 'schemas', 'matrix.schema.json');
}

export function loadSchema(): object {
  return JSON.parse(readFileSync(schemaPath(), 'utf8'));
}

/** Compile a schema with ajv at run time. */
export function compileValidator(schema: object): ValidateFn {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv(AJV_OPTIONS).compile(schema) as ValidateFn;
}

export function schemaValidator(): { validate: ValidateFn; schema: object } {
  if (cached) return cached;
  const text = readFileSync(schemaPath(), 'utf8');
  const schema = JSON.parse(text) as object;
  const validate = PRECOMPILED_VALIDATOR?.schemaText === text ? PRECOMPILED_VALIDATOR.validate : compileValidator(schema);
  cached = { validate, schema };
  return cached;
}
