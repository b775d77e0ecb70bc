// Stage 2a: shape. The JSON Schema in schemas/ is the single source of truth
// for what a spec may contain; this file only turns ajv's errors into located,
// friendly diagnostics.
import type { ErrorObject } from 'ajv';
import { closest, diagnostic, pathToString, visible, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import { platformSyntaxProblem } from '../platforms.js';
import { positionOf, withValue, type LoadedSpec } from '../load/load.js';
import type { SpecInput } from '../spec.js';

/** The validator is a type guard: a value it accepts is a SpecInput, the schema's type (src/spec.generated.ts). */
export type ValidateFn = ((data: unknown) => data is SpecInput) & { errors?: ErrorObject[] | null };

/** A loaded spec whose value has the schema's shape: what every stage after this one reads. */
export interface CheckedSpec extends LoadedSpec {
  readonly value: SpecInput;
}

/** The spec, typed by the validator when its shape is right; otherwise the located shape errors. */
export function checkShape(spec: LoadedSpec, validate: ValidateFn, schema: SchemaLike): { checked: CheckedSpec; diagnostics: [] } | { checked?: undefined; diagnostics: Diagnostic[] } {
  const value = spec.value;
  if (validate(value)) return { checked: withValue(spec, value), diagnostics: [] };
  return { diagnostics: schemaDiagnostics(spec, validate, schema) };
}

/**
 * A spec whose shape errors all lie inside `services` that every later stage
 * skips (compile's `brokenServices`): the rest of it has the schema's shape,
 * so one broken service does not hide the others' problems.
 */
export function checkedExcept(spec: LoadedSpec, _broken: ReadonlySet<string>): CheckedSpec {
  return spec as CheckedSpec;
}

export function schemaDiagnostics(spec: LoadedSpec, validate: ValidateFn, schema: SchemaLike): Diagnostic[] {
  if (validate(spec.value)) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const err of pruneErrors(validate.errors ?? [])) {
    const d = toDiagnostic(spec, err, schema);
    const key = `${d.line}:${d.column}:${d.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

export interface SchemaLike {
  properties?: Record<string, SchemaLike>;
  additionalProperties?: SchemaLike | boolean;
  items?: SchemaLike;
  description?: string;
  anyOf?: SchemaLike[];
  type?: string | string[];
  minimum?: number;
  maximum?: number;
}

/**
 * ajv reports every failing branch of `oneOf`/`anyOf` and, for a bad key, both
 * the `propertyNames` summary and the pattern inside it. Keep the summaries.
 */
function pruneErrors(errors: ErrorObject[]): ErrorObject[] {
  const branchy = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  return errors.filter((e) => {
    if (e.keyword === 'if') return false;
    if (e.schemaPath.includes('/propertyNames/')) return false;
    if (branchy.has(e.instancePath) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && /\/(anyOf|oneOf)\//.test(e.schemaPath)) return false;
    return true;
  });
}

function splitPointer(ptr: string): (string | number)[] {
  if (!ptr) return [];
  return ptr
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function toDiagnostic(spec: LoadedSpec, err: ErrorObject, schema: SchemaLike): Diagnostic {
  const path = splitPointer(err.instancePath);
  const params = err.params as Record<string, unknown>;
  const field = path.length ? pathToString(path) : 'the spec';
  const value = path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), spec.value);
  const problem = (Object.hasOwn(PROBLEMS, err.keyword) ? PROBLEMS[err.keyword]! : otherProblem)({ path, field, params, schema, err, value });
  const at = problem.at ?? path;
  return diagnostic({ code: problem.code, file: spec.file, path: at, ...positionOf(spec, at, problem.at !== undefined), message: problem.message, hint: problem.hint });
}

/** What an ajv error means for the user; `at` (a key, pointed at) when not the failing value itself. */
interface SchemaProblem {
  code: DiagnosticCode;
  message: string;
  hint?: string | undefined;
  at?: (string | number)[];
}

interface ErrorContext {
  path: (string | number)[];
  /** The failing value's path as written, or "the spec". */
  field: string;
  params: Record<string, unknown>;
  schema: SchemaLike;
  err: ErrorObject;
  /** The failing value, from the spec's plain value. */
  value: unknown;
}

const otherProblem = ({ field, err }: ErrorContext): SchemaProblem => ({ code: 'invalid-value', message: `${field} ${err.message ?? 'is invalid'}` });

const emptyProblem = ({ field, schema, path }: ErrorContext): SchemaProblem => ({ code: 'empty', message: `${field} must not be empty`, hint: describe(schema, path) });

const valueProblem = ({ field, schema, path, params }: ErrorContext): SchemaProblem => ({
  code: 'invalid-value',
  message: `${field} must be ${JSON.stringify(params.allowedValue ?? params.allowedValues)}`,
  hint: describe(schema, path),
});

/** One entry per ajv keyword the schema uses. */
const PROBLEMS: Record<string, (c: ErrorContext) => SchemaProblem> = {
  additionalProperties: ({ path, field, params, schema }) => {
    const key = String(params.additionalProperty);
    const allowed = Object.keys(schemaAt(schema, path)?.properties ?? {});
    const guess = closest(key, allowed);
    const hint = guess ? `did you mean \`${guess}\`?` : allowed.length ? `allowed keys: ${allowed.join(', ')}` : 'remove it';
    return { code: 'unknown-key', at: [...path, key], message: `unknown key \`${key}\` in ${field}`, hint };
  },
  required: ({ field, params }) => {
    const key = String(params.missingProperty);
    return { code: 'missing-key', message: `${field} needs \`${key}\``, hint: key === 'version' ? 'add `version: 1` at the top' : `add \`${key}:\`` };
  },
  type: ({ field, params, schema, path }) => {
    const type = String(params.type);
    const quote = type.includes('string') ? ' (quote it if YAML reads it as something else)' : '';
    return { code: 'wrong-type', message: `${field} must be ${article(type)}`, hint: describe(schema, path) ?? `write ${article(type)} here${quote}` };
  },
  const: valueProblem,
  enum: valueProblem,
  propertyNames: ({ path, field, params }) => ({
    code: 'invalid-name',
    at: [...path, String(params.propertyName)],
    message: `\`${String(params.propertyName)}\` is not a valid name in ${field}`,
    hint: nameHint(path),
  }),
  pattern: (c) => platformPatternProblem(c) ?? { code: 'invalid-format', message: `${c.field} has an invalid format`, hint: describe(c.schema, c.path) ?? `it must match ${String(c.params.pattern)}` },
  minItems: emptyProblem,
  minProperties: emptyProblem,
  minLength: emptyProblem,
  uniqueItems: ({ field, params }) => ({
    code: 'duplicate-item',
    message: `${field} lists the same value twice (items ${String(params.j)} and ${String(params.i)})`,
    hint: 'remove the repeated entry',
  }),
  oneOf: ({ field }) => ({
    code: 'invalid-value',
    message: `${field} must have exactly one of \`env\` or \`src\``,
    hint: 'a secret comes from an environment variable (`env: NAME`) or a file (`src: path`), not both',
  }),
  anyOf: (c) => rangeProblem(c) ?? { code: 'wrong-type', message: `${c.field} has the wrong type`, hint: describe(c.schema, c.path) },
};

/**
 * A number where one branch of `anyOf` takes an integer in a range
 * (`source_date_epoch`: an integer from 0, or `false`): its type is right,
 * so say what is wrong with the number.
 */
function rangeProblem({ field, schema, path, value }: ErrorContext): SchemaProblem | undefined {
  if (typeof value !== 'number') return undefined;
  const numeric = schemaAt(schema, path)?.anyOf?.find((b) => b.type === 'integer' || b.type === 'number');
  if (!numeric) return undefined;
  const lo = numeric.minimum;
  const hi = numeric.maximum;
  const range = lo !== undefined && hi !== undefined ? `from ${lo} to ${hi}` : lo !== undefined ? `${lo} or more` : hi !== undefined ? `${hi} or less` : '';
  const kind = numeric.type === 'integer' ? 'a whole number' : 'a number';
  if (numeric.type === 'integer' && !Number.isInteger(value))
    return { code: 'invalid-value', message: `${field} is ${value}: it must be ${kind}${range ? ` ${range}` : ''}`, hint: describe(schema, path) };
  if ((lo !== undefined && value < lo) || (hi !== undefined && value > hi))
    return { code: 'invalid-value', message: `${field} is ${value}: it must be ${kind} ${range}`, hint: describe(schema, path) };
  return undefined;
}

/**
 * A platform (an item of any `platforms` list) that fails the schema's
 * pattern: what containerd's Parse would say of it (src/platforms.ts
 * platformSyntaxProblem), not only that it has an invalid format.
 */
function platformPatternProblem({ field, path, value }: ErrorContext): SchemaProblem | undefined {
  if (path.at(-2) !== 'platforms' || typeof path.at(-1) !== 'number' || typeof value !== 'string') return undefined;
  const p = platformSyntaxProblem(value);
  return p && { code: 'invalid-format', message: `${field} \`${visible(value)}\` is no platform: ${p.why}`, hint: p.hint };
}

/** What the `propertyNames` pattern of the map at `path` allows (schemas/matrix.schema.json), in words. */
function nameHint(path: (string | number)[]): string {
  const last = path.findLast((p) => typeof p === 'string');
  if (last === 'services' || last === 'groups') return `${last === 'services' ? 'service' : 'group'} names are lower case letters, digits, \`-\` and \`_\`, starting with a letter or digit`;
  if (last === 'args') return 'build argument names are letters, digits and `_`, not starting with a digit';
  if (last === 'annotations') {
    // The levels and their form as docker/buildx util/buildflags/export.go ParseAnnotations reads them.
    return 'annotation keys are letters, digits, `.`, `_`, `/` and `-`, starting with a letter or digit; a prefix before `:` names the levels, comma-separated, each `index`, `index-descriptor`, `manifest` or `manifest-descriptor`, optionally with a platform in brackets: `index,manifest:org.opencontainers.image.title`, `manifest[linux/arm64]:KEY`';
  }
  if (last === 'matrix' || last === 'include' || last === 'exclude' || last === 'latest') return 'matrix axis names are letters, digits, `-` and `_`, not starting with a digit or `-`';
  if (last === 'labels') return 'a label key cannot be empty';
  if (last === 'driver_opts') return 'driver option names are lower case letters, digits, `-` and `_`, starting with a letter';
  return 'names are lower case letters, digits and `_`, starting with a letter';
}

function article(t: string): string {
  const words = t.split(',').map((w) => (w === 'object' ? 'a mapping' : w === 'array' ? 'a list' : `a ${w}`));
  return words.join(' or ');
}

/** The schema node describing an instance path (follows properties/items/additionalProperties). */
export function schemaAt(schema: SchemaLike, path: (string | number)[]): SchemaLike | undefined {
  let node: SchemaLike | undefined = schema;
  for (const part of path) {
    if (!node) return undefined;
    const named = typeof part === 'string' ? propertySchema(node, part) : undefined;
    if (typeof part === 'number') node = node.items;
    else if (named) node = named;
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties;
    else return undefined;
  }
  return node;
}

/**
 * The schema of key `key` that `node` names in its `properties`, else
 * undefined. Own keys only: `properties` is a plain object, and a spec key
 * such as `constructor` or `toString` (a service or argument name) would
 * otherwise find Object.prototype's member there.
 */
export function propertySchema(node: SchemaLike | undefined, key: string): SchemaLike | undefined {
  const props = node?.properties;
  return props && Object.hasOwn(props, key) ? props[key] : undefined;
}

function describe(schema: SchemaLike, path: (string | number)[]): string | undefined {
  const d = schemaAt(schema, path)?.description;
  return d ? d.split('. ')[0]!.replace(/\.$/, '') : undefined;
}
