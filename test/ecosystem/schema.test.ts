// The JSON Schema shipped for editors (yaml-language-server): every field is
// documented with a description and an example, every sample passes it, and
// it rejects each hostile-corpus case that the schema alone can tell is wrong.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXPECTED } from '../security/corpus/expected.js';

const root = path.resolve(__dirname, '../..');
const schema = JSON.parse(readFileSync(path.join(root, 'schemas/matrix.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);

/** Every named field: `properties` entries anywhere in the schema, with their path. */
function fields(node: unknown, at: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (Array.isArray(node)) node.forEach((n, i) => fields(n, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') {
      for (const [k, v] of Object.entries(o.properties as Record<string, unknown>)) out.push([`${at}.${k}`, v as Record<string, unknown>]);
    }
    for (const [k, v] of Object.entries(o)) fields(v, `${at}/${k}`, out);
  }
  return out;
}

describe('the shipped schema', () => {
  it('documents every field with a description and an example', () => {
    const undocumented = fields(schema, '$')
      .filter(([, f]) => typeof f.description !== 'string' || !Array.isArray(f.examples) || !f.examples.length)
      .map(([p]) => p);
    expect(undocumented).toEqual([]);
  });

  it.each(readdirSync(path.join(root, 'samples')))('accepts samples/%s/matrix.yaml', (sample) => {
    const spec = parse(readFileSync(path.join(root, 'samples', sample, 'matrix.yaml'), 'utf8'));
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
  });

  const SHAPE = new Set(['unknown-key', 'wrong-type', 'missing-key', 'invalid-name', 'invalid-format', 'empty', 'duplicate-item']);
  const cases = Object.entries(EXPECTED).filter(([, e]) => SHAPE.has(e.code) && !e.file);
  it('covers the shape errors of the hostile corpus', () => expect(cases.length).toBeGreaterThanOrEqual(10));
  it.each(cases.map(([name]) => name))('rejects corpus case %s', (name) => {
    const text = readFileSync(path.join(root, 'test/security/corpus', `${name}.yaml`), 'utf8');
    let value: unknown;
    try {
      value = parse(text, { uniqueKeys: false });
    } catch {
      return; // not even YAML: an editor flags it before the schema
    }
    expect(validate(value)).toBe(false);
  });
});

describe('the schema and issue 13', () => {
  const spec = (svc: Record<string, unknown>, top: Record<string, unknown> = {}) => ({ version: 1, ...top, services: { api: { context: 'api', template: 'go', ...svc } } });
  const ok = (v: unknown) => expect(validate(v), JSON.stringify(validate.errors)).toBe(true);

  it('accepts axis names as GitHub allows them (node-version), in matrix, include, exclude and latest', () => {
    ok(spec({ matrix: { 'node-version': ['20'], include: [{ 'node-version': '22', 'extra-key': 'x' }], exclude: [{ 'node-version': '20' }] }, latest: { 'node-version': '22' } }));
  });

  it("accepts platform aliases as strings (resolve answers them with containerd's canonical name), not empty components", () => {
    ok(spec({ platforms: ['linux/aarch64', 'x86_64', 'darwin/arm64', 'windows/amd64'] }));
    expect(validate(spec({ platforms: ['linux//amd64'] }))).toBe(false);
  });

  it('metadata_action is true/false or a target name; output a list of strings; version_tags a pattern or a list', () => {
    ok(spec({ metadata_action: true }));
    ok(spec({ metadata_action: 'meta-${{ target }}' }));
    ok(spec({ output: ['type=local,dest=dist/'] }, { version_tags: '{service}/v{version}' }));
    ok(spec({}, { version_tags: ['{service}/v{version}', '{service}@{version}'] }));
    expect(validate(spec({ metadata_action: 3 }))).toBe(false);
    expect(validate(spec({ output: 'type=local,dest=dist/' }))).toBe(false);
    expect(validate(spec({}, { version_tags: [] }))).toBe(false);
  });
});
