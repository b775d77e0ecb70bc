// src/spec.generated.ts is made from schemas/matrix.schema.json by
// scripts/spec-types.mjs: the committed file must be what the schema makes
// now, and a property added to the schema reaches the types with no other edit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { currentSpecTypes, SCHEMA_FILE, specTypesSource, TYPES_FILE } from '../../scripts/spec-types.mjs';

type Gen = (schema: object) => string;
const schemaText = () => JSON.parse(readFileSync(SCHEMA_FILE as string, 'utf8'));

describe('the spec types follow the schema', () => {
  it('the committed src/spec.generated.ts is what the schema makes (run `node scripts/spec-types.mjs` after editing the schema)', () => {
    expect(readFileSync(TYPES_FILE as string, 'utf8')).toBe((currentSpecTypes as () => string)());
  });

  it('a property added to a service reaches ServiceInput, and `defaults` stays the same interface only while it has the same fields', () => {
    const schema = schemaText();
    const service = schema.properties.services.additionalProperties;
    service.properties.test = {
      description: 'Run after the build.',
      type: 'object',
      additionalProperties: false,
      required: ['cmd'],
      properties: { cmd: { type: 'array', items: { type: 'string' } } },
    };
    const text = (specTypesSource as Gen)(schema);
    expect(text).toContain('  /** Run after the build. */\n  test?: { cmd: string[] };\n');
    // `defaults` lacks `test` now: its own interface, still assignable where a service is read.
    expect(text).toContain('  defaults?: DefaultsInput;\n');
    const defaults = text.slice(text.indexOf('export interface DefaultsInput {'));
    expect(defaults.slice(0, defaults.indexOf('\n}\n'))).toContain('  secrets?: SecretInput[];\n');
    schema.properties.defaults.properties.test = service.properties.test;
    expect((specTypesSource as Gen)(schema)).toContain('  defaults?: ServiceInput;\n');
  });

  it('maps, unions, constants and index signatures as the schema writes them', () => {
    const text = (specTypesSource as Gen)(schemaText());
    expect(text).toContain('  version: 1;\n');
    expect(text).toContain('  services: Record<string, ServiceInput>;\n');
    expect(text).toContain("  cache?: 'registry' | 'local' | 'gha' | 'inline' | 'none' | CacheInput;\n");
    expect(text).toContain('  [key: string]: Scalar[] | Record<string, Scalar>[] | undefined;\n');
    expect(text).toContain('  reproducible?: { source_date_epoch?: number | false };\n');
  });
});
