// The spec's shape is written once, in schemas/matrix.schema.json; the types
// the code reads (src/spec.generated.ts) are made from it by
// scripts/spec-types.mjs. This test reads the types back with the compiler:
// every object of the schema and its interface have the same fields, optional
// in both or required in both, and the same string enums.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; additionalProperties?: Schema | boolean; anyOf?: Schema[]; oneOf?: Schema[]; enum?: unknown[] };

const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/matrix.schema.json'), 'utf8')) as Schema;
const specFile = path.join(REPO_ROOT, 'src/spec.ts');
const generatedFile = path.join(REPO_ROOT, 'src/spec.generated.ts');
const program = ts.createProgram([specFile, generatedFile], { strict: true, noEmit: true, skipLibCheck: true });
const checker = program.getTypeChecker();
const source = program.getSourceFile(specFile)!;
const generated = program.getSourceFile(generatedFile)!;

/** Field -> optional, of an interface exported by src/spec.ts. */
function fieldsOf(name: string): Record<string, boolean> {
  const decl = generated.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!decl) throw new Error(`no interface ${name} in src/spec.generated.ts`);
  const type = checker.getTypeAtLocation(decl);
  return Object.fromEntries(type.getProperties().map((p) => [p.name, (p.flags & ts.SymbolFlags.Optional) !== 0]));
}

/** Field -> optional, of an object in the schema (the object branch of an anyOf/oneOf). */
function schemaFields(s: Schema): Record<string, boolean> {
  const obj = s.properties ? s : [...(s.anyOf ?? []), ...(s.oneOf ?? [])].find((b) => b.properties)!;
  return Object.fromEntries(Object.keys(obj.properties!).map((k) => [k, !(obj.required ?? []).includes(k)]));
}

const service = schema.properties!.services!.additionalProperties as Schema;
const pairs: [string, Schema][] = [
  ['SpecInput', schema],
  ['ServiceInput', service],
  // `defaults` is typed ServiceInput while it has the same fields, else DefaultsInput (scripts/spec-types.mjs).
  [generated.statements.some((s) => ts.isInterfaceDeclaration(s) && s.name.text === 'DefaultsInput') ? 'DefaultsInput' : 'ServiceInput', schema.properties!.defaults!],
  ['CacheInput', service.properties!.cache!],
  ['SecretInput', service.properties!.secrets!.items!],
  ['BuildersInput', schema.properties!.builders!],
  ['BuilderNodeInput', schema.properties!.builders!.properties!.nodes!.items!],
];

describe('schemas/matrix.schema.json and the types made from it describe one shape', () => {
  it.each(pairs)('%s has the fields of its schema object, optional where the schema does not require them', (name, s) => {
    expect(fieldsOf(name)).toEqual(schemaFields(s));
  });

  it('the cache types are the schema enum', () => {
    const decl = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'CacheType')!;
    const t = checker.getTypeAtLocation(decl);
    const ours = (t.isUnion() ? t.types : [t]).map((m) => (m as ts.StringLiteralType).value).sort();
    const branch = service.properties!.cache!.anyOf!.find((b) => b.enum)!;
    expect(ours).toEqual([...(branch.enum as string[])].sort());
  });
});
