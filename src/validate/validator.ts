// The compiled JSON Schema validator. Compiled once per process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { packageRoot } from '../paths.js';
import type { ValidateFn } from './schema.js';

let cached: { validate: ValidateFn; schema: object } | undefined;

export function loadSchema(): object {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'matrix.schema.json'), 'utf8'));
}

export function schemaValidator(): { validate: ValidateFn; schema: object } {
  if (cached) return cached;
  const schema = loadSchema();
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  cached = { validate: ajv.compile(schema) as ValidateFn, schema };
  return cached;
}
