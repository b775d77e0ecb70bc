// The JSON Schema validator, once per process, in one form: ajv standalone
// code. The bundle carries the code for the shipped schema, made at build time
// (src/precompiled/precompile.ts): compiling the schema with ajv costs more
// than the rest of `matrix gen`. A schema that is not the one it was made
// from (and the sources, under test) gets the same code made here, with ajv
// loaded only then.
import { createRequire } from 'node:module';
import path from 'node:path';
import { PRECOMPILED_VALIDATOR } from '../precompiled/builtins.js';
import { readRegularText } from '../fs/read.js';
import { packageRoot } from '../paths.js';
import type { ValidateFn } from './schema.js';

let cached: { validate: ValidateFn; schema: object } | undefined;

/** Options of the one ajv instance, at run time or at build time. */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true } as const;

export function schemaPath(): string {
  return path.join(packageRoot(), 'schemas', 'matrix.schema.json');
}

export function loadSchema(): object {
  return JSON.parse(readRegularText(schemaPath()));
}

/** ajv standalone code (CommonJS: it `require`s ajv's small runtime helpers) for a schema. */
export function standaloneValidatorCode(schema: object): string {
  const req = createRequire(import.meta.url);
  const { Ajv } = req('ajv') as typeof import('ajv');
  const standalone = (req('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  return standalone(ajv, ajv.compile(schema));
}

/** The validator of a schema: its standalone code, as the build makes it, run here. */
export function compileValidator(schema: object): ValidateFn {
  const mod = { exports: {} as unknown };
  new Function('module', 'exports', 'require', standaloneValidatorCode(schema))(mod, mod.exports, createRequire(import.meta.url));
  return mod.exports as ValidateFn;
}

export function schemaValidator(): { validate: ValidateFn; schema: object } {
  if (cached) return cached;
  const text = readRegularText(schemaPath());
  if (PRECOMPILED_VALIDATOR?.schemaText === text) {
    cached = { validate: PRECOMPILED_VALIDATOR.validate, schema: parsedWhenRead(text) };
  } else {
    const schema = JSON.parse(text) as object;
    cached = { validate: compileValidator(schema), schema };
  }
  return cached;
}

/**
 * The schema object, parsed from `text` when something first reads it. The
 * precompiled validator needs no schema; only a spec with shape errors does
 * (schema.ts describes the fields it names, load/indentation.ts finds
 * misplaced keys), so a valid spec, nearly every run, never parses the 57 KB:
 * about 0.6 ms of CPU, and objects the young generation would carry.
 */
export function parsedWhenRead(text: string): object {
  let parsed: object | undefined;
  const schema = () => (parsed ??= JSON.parse(text) as object);
  return new Proxy(
    {},
    {
      get: (_t, key) => Reflect.get(schema(), key),
      has: (_t, key) => Reflect.has(schema(), key),
      ownKeys: () => Reflect.ownKeys(schema()),
      getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(schema(), key),
      getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
    },
  );
}
