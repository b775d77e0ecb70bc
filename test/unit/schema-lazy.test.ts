// src/validate/validator.ts parsedWhenRead: the schema beside the precompiled
// validator is parsed when first read, and reads as the parsed schema does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaAt, schemaDiagnostics } from '../../src/validate/schema.js';
import { parsedWhenRead, schemaPath, schemaValidator } from '../../src/validate/validator.js';
import { loadSpec } from '../../src/load/load.js';
import { REPO_ROOT } from '../helpers/tree.js';

const text = readFileSync(schemaPath(), 'utf8');

describe('parsedWhenRead', () => {
  it('parses nothing until the schema is read (a text that is not JSON fails only then)', () => {
    const lazy = parsedWhenRead('{ not json') as Record<string, unknown>;
    expect(() => lazy.properties).toThrow(SyntaxError);
  });

  it('reads as the parsed schema: properties, keys, `in`, equality, a schema node by path', () => {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const lazy = parsedWhenRead(text) as Record<string, unknown>;
    expect(lazy).toEqual(parsed);
    expect(Object.keys(lazy)).toEqual(Object.keys(parsed));
    expect('properties' in lazy).toBe(true);
    expect(JSON.stringify(lazy)).toBe(JSON.stringify(parsed));
    expect(schemaAt(lazy, ['services', 'api', 'tags'])).toEqual(schemaAt(parsed, ['services', 'api', 'tags']));
  });

  it('gives the same shape diagnostics, with the hints the schema describes, as the schema parsed at once', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'samples', 'monorepo', 'matrix.yaml'), 'utf8').replace('platforms: [linux/amd64, linux/arm64]', 'platforms: linux/amd64');
    const spec = loadSpec('matrix.yaml', source);
    const { validate } = schemaValidator();
    const eager = schemaDiagnostics(spec, validate, JSON.parse(text) as object);
    expect(eager.length).toBeGreaterThan(0);
    expect(eager[0]!.hint).toBeTruthy();
    expect(schemaDiagnostics(spec, validate, parsedWhenRead(text))).toEqual(eager);
  });
});
