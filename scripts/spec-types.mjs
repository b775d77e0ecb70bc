// The spec's TypeScript types, made from schemas/matrix.schema.json: the
// schema is the one source of the spec's shape, src/spec.generated.ts follows
// it. `node scripts/spec-types.mjs` writes the file (the build does it too);
// `--check` fails when the committed file is not what the schema makes
// (test/unit/spec-types.test.ts runs the same comparison).
//
// Only the keywords that shape a value are read: type, const, enum,
// properties, required, additionalProperties, items, anyOf/oneOf. Constraints
// (pattern, minLength, uniqueItems, a oneOf of `required` only) are the
// validator's, not the type's. A schema object at a path of NAMES becomes an
// exported interface; any other object is written inline. A named object with
// the same members as an earlier one is that one (`defaults` is a service).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(root, 'schemas', 'matrix.schema.json');
export const TYPES_FILE = path.join(root, 'src', 'spec.generated.ts');

const SERVICE = '/properties/services/additionalProperties';
/** JSON pointer of a schema object -> the interface it becomes. */
const NAMES = new Map([
  ['', 'SpecInput'],
  [SERVICE, 'ServiceInput'],
  ['/properties/defaults', 'DefaultsInput'],
  [`${SERVICE}/properties/matrix`, 'MatrixInput'],
  [`${SERVICE}/properties/secrets/items`, 'SecretInput'],
  [`${SERVICE}/properties/cache/anyOf/1`, 'CacheInput'],
  [`${SERVICE}/properties/attest`, 'AttestInput'],
  ['/properties/builders', 'BuildersInput'],
  ['/properties/builders/properties/nodes/items', 'BuilderNodeInput'],
  ['/properties/sign', 'SignInput'],
  [`${SERVICE}/properties/test/items`, 'TestInput'],
  [`${SERVICE}/properties/test/items/properties/files/items`, 'TestFileInput'],
]);

const SCALAR = 'Scalar';

/** The TypeScript source for a schema. */
export function specTypesSource(schema) {
  const named = []; // [name, body] in the order they are met
  const typeOf = (node, at) => {
    if (node.const !== undefined) return literal(node.const);
    if (node.enum) return node.enum.map(literal).join(' | ');
    const branches = [...(node.anyOf ?? []), ...(node.oneOf ?? [])].map((b, i) => [b, `${at}/${node.anyOf ? 'anyOf' : 'oneOf'}/${i}`]).filter(([b]) => shapes(b));
    if (branches.length && !node.type) return union(branches.map(([b, p]) => typeOf(b, p)));
    const types = [node.type ?? []].flat();
    if (types.length > 1) return types.length === 3 && ['string', 'number', 'boolean'].every((t) => types.includes(t)) ? SCALAR : union(types.map((t) => typeOf({ ...node, type: t }, at)));
    switch (types[0]) {
      case 'string':
      case 'number':
      case 'boolean':
        return types[0];
      case 'integer':
        return 'number';
      case 'array':
        return node.items ? arrayOf(typeOf(node.items, `${at}/items`)) : 'unknown[]';
      case 'object':
        return objectType(node, at);
      default:
        return 'unknown';
    }
  };
  const objectType = (node, at) => {
    const props = Object.entries(node.properties ?? {});
    const extra = typeof node.additionalProperties === 'object' ? typeOf(node.additionalProperties, `${at}/additionalProperties`) : node.additionalProperties === false ? undefined : 'unknown';
    if (!props.length && !NAMES.has(at)) return `Record<string, ${extra ?? 'never'}>`;
    const required = new Set(node.required ?? []);
    const members = props.map(([key, p]) => ({ key, optional: !required.has(key), type: typeOf(p, `${at}/properties/${escapePointer(key)}`), doc: p.description }));
    const body = [...members.map(member), ...(extra ? [`[key: string]: ${indexType(extra, members)};`] : [])];
    // An object with the members of a named one is that one (its parts were named first).
    const text = body.join('\n');
    const same = named.find(([, b]) => b === text);
    if (same) return same[0];
    if (!NAMES.has(at)) return `{ ${body.map((l) => l.replace(/^\/\*\*.*\*\/\n/, '').replace(/;$/, '')).join('; ')} }`;
    named.push([NAMES.get(at), text]);
    return NAMES.get(at);
  };
  // Parts before the wholes they are part of, so that a whole is written with their names.
  const depth = (at) => at.split('/').length;
  for (const at of [...NAMES.keys()].sort((a, b) => depth(b) - depth(a))) {
    const node = nodeAt(schema, at);
    if (node) typeOf(node, at);
  }
  named.sort(([a], [b]) => order(a) - order(b));
  const out = [
    '// Generated from schemas/matrix.schema.json by scripts/spec-types.mjs (the build runs it). Do not edit:',
    '// change the schema, then run `node scripts/spec-types.mjs`.',
    '',
    `export type ${SCALAR} = string | number | boolean;`,
  ];
  for (const [name, body] of named) {
    out.push('', `export interface ${name} {`, ...body.split('\n').map((l) => `  ${l}`), '}');
  }
  return `${out.join('\n')}\n`;
}

const order = (name) => [...NAMES.values()].indexOf(name);

/** The schema node at a JSON pointer. */
function nodeAt(schema, pointer) {
  let node = schema;
  for (const part of pointer.split('/').slice(1)) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node;
}

/** Whether a subschema says what a value is (a branch of `required` only does not). */
function shapes(node) {
  return ['type', 'const', 'enum', 'properties', 'items', 'anyOf', 'oneOf'].some((k) => node[k] !== undefined);
}

function member({ key, optional, type, doc }) {
  const name = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : `'${key}'`;
  const comment = doc ? `/** ${doc.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */\n` : '';
  return `${comment}${name}${optional ? '?' : ''}: ${type};`;
}

/** An index signature must admit every named member's type too. */
function indexType(extra, members) {
  const parts = [extra, ...members.map((m) => m.type)];
  if (members.some((m) => m.optional)) parts.push('undefined');
  return union([...new Set(parts)]);
}

function union(parts) {
  return [...new Set(parts)].join(' | ');
}

function arrayOf(t) {
  return /^[A-Za-z0-9_<>, ]+$/.test(t) || t.startsWith('{') ? `${t}[]` : `(${t})[]`;
}

function literal(v) {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v);
}

function escapePointer(key) {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The generated text for the schema on disk. */
export function currentSpecTypes() {
  return specTypesSource(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
}

/** Write src/spec.generated.ts if it differs (by rename: a reader never sees half a file). Returns whether it changed. */
export function writeSpecTypes() {
  const text = currentSpecTypes();
  let old;
  try {
    old = readFileSync(TYPES_FILE, 'utf8');
  } catch {}
  if (old === text) return false;
  writeFileSync(`${TYPES_FILE}.tmp`, text);
  renameSync(`${TYPES_FILE}.tmp`, TYPES_FILE);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(TYPES_FILE, 'utf8');
    } catch {}
    if (old !== currentSpecTypes()) {
      console.error('src/spec.generated.ts is not what schemas/matrix.schema.json makes: run `node scripts/spec-types.mjs`');
      process.exit(1);
    }
  } else if (writeSpecTypes()) console.log('spec-types: wrote src/spec.generated.ts');
}
