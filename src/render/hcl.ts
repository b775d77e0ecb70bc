// HCL output for docker buildx bake. Every user value and map key goes
// through `hclString`: bake evaluates `${...}` and `%{...}` in quoted strings
// and keys, and accepts only a few backslash escapes.
import { annotationKeys } from '../annotations.js';
import { dynVariables, isStatic, type Dyn, type DynPart } from '../dyn.js';
import type { Target } from '../spec.js';
import { cacheEntries } from './cache.js';
import { csvField } from './csv.js';
import { headerLines } from './header.js';

export function hclString(s: string): string {
  return `"${hclInner(s)}"`;
}

// Everything hclInner may rewrite; most strings contain none of it.
const HCL_SPECIAL = /[\\"\n\r\t$%\u0000-\u001f\u007f-\u009f]/;

/** The escaped inside of an HCL quoted string. */
function hclInner(s: string): string {
  if (!HCL_SPECIAL.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const next = s[i + 1];
    switch (c) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '$':
        out += next === '{' ? '$$' : '$';
        break;
      case '%':
        out += next === '{' ? '%%' : '%';
        break;
      default: {
        const code = c.charCodeAt(0);
        out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out;
}

/**
 * A Dyn as an HCL string: literal parts escaped, variable parts as `${NAME}`
 * (names are ours). A literal `$` right before a variable cannot be written
 * as `$` (it would make `$${`, HCL's escape for a literal `${`): the trailing
 * `$`s of a literal are written as the interpolation of the string "$...".
 */
export function hclDyn(d: Dyn): string {
  if (isStatic(d)) return hclString(d);
  const out = d.parts.map((p, i) => {
    if (typeof p !== 'string') return `\${${p.variable}}`;
    const next = d.parts[i + 1];
    if (next !== undefined && typeof next !== 'string' && p.endsWith('$')) {
      // Every trailing `$` goes into the interpolation: one left outside would meet it as `$${`.
      const dollars = /\$+$/.exec(p)![0];
      return `${hclInner(p.slice(0, -dollars.length))}\${"${dollars}"}`;
    }
    return hclInner(p);
  });
  return `"${out.join('')}"`;
}

/** Tags: a tag built from git values is left out (compact) when any of them is empty. */
function tagList(tags: readonly Dyn[]): string {
  if (tags.every(isStatic)) return list(tags as string[]);
  const items = tags.map((t) => {
    const vars = [...new Set(dynVariables(t))];
    return vars.length ? `${vars.map((v) => `${v} != ""`).join(' && ')} ? ${hclDyn(t)} : ""` : hclDyn(t);
  });
  return `compact([${items.join(', ')}])`;
}

function list(items: readonly string[]): string {
  return `[${items.map(hclString).join(', ')}]`;
}

function map(entries: Record<string, Dyn>, indent: string): string {
  const keys = Object.keys(entries).sort();
  if (!keys.length) return '{}';
  const width = Math.max(...keys.map((k) => hclString(k).length));
  const rows = keys.map((k) => `${indent}  ${hclString(k).padEnd(width)} = ${hclDyn(entries[k]!)}`);
  return `{\n${rows.join('\n')}\n${indent}}`;
}

/** One `secret` entry in buildx's CSV form; only `src` can hold CSV-special characters. */
export function secretEntry(s: { id: string; env?: string; src?: string }): string {
  return `id=${s.id},${csvField(s.env !== undefined ? `env=${s.env}` : `src=${s.src ?? ''}`)}`;
}

export const METADATA_TARGET = 'docker-metadata-action';

export interface BakeFileInput {
  specRel: string;
  targets: readonly Target[];
  /** Groups in order: name -> member target names. `default` comes first. */
  groups: ReadonlyArray<readonly [string, readonly string[]]>;
  /** Generated Dockerfiles, relative to the spec dir: recorded so a later run can remove orphans. */
  generated: readonly string[];
}

export function renderBakeFile(input: BakeFileInput): string {
  return [...bakeFileParts(input)].join('\n');
}

/**
 * The bake file as parts to join with `\n`: its header and fixed blocks line
 * by line, then each target's block. A large spec's digest is made from the
 * parts as they come (output/digest.ts partsDigest), with no text of the
 * whole file.
 */
export function* bakeFileParts(input: BakeFileInput): Generator<string> {
  const out: string[] = [...headerLines(input.specRel)];
  for (const f of input.generated) out.push(`# generated: ${f}`);
  out.push('');
  const variables = new Set<string>();
  for (const t of input.targets) {
    for (const d of [...t.tags, ...Object.values(t.args), ...Object.values(t.labels), ...Object.values(t.annotations)]) {
      for (const v of dynVariables(d)) variables.add(v);
    }
  }
  if (variables.size) {
    out.push('# Set by `matrix bake` from git at build time (empty otherwise), so this file does not change per commit.');
    for (const v of [...variables].sort()) out.push(`variable ${hclString(v)} {`, '  default = ""', '}');
    out.push('');
  }
  for (const [name, members] of input.groups) {
    out.push(`group ${hclString(name)} {`, `  targets = ${list(members)}`, '}', '');
  }
  // Empty targets for metadata-action's bake file to fill in (bake merges same-name
  // targets of later -f files field by field); inherited by `metadata_action` targets.
  const metadataTargets = [...new Set([METADATA_TARGET, ...input.targets.flatMap((t) => (t.metadataAction !== undefined ? [t.metadataAction] : []))])];
  out.push(`# Inherited by targets with \`metadata_action: true\`; docker/metadata-action's bake file fills it in.`);
  for (const name of metadataTargets) out.push(`target ${hclString(name)} {}`);
  out.push('');
  yield* out;
  // Joined per target: a few thousand strings wait for the final join, not every row of every target.
  for (const t of input.targets) {
    yield renderTarget(t).join('\n');
    yield '';
  }
}

function renderTarget(t: Target): string[] {
  const rows: [string, string][] = [];
  if (t.metadataAction !== undefined) rows.push(['inherits', list([t.metadataAction])]);
  rows.push(['context', hclString(t.context)]);
  rows.push(['dockerfile', hclString(relativeToContext(t.context, t.dockerfile))]);
  if (t.stage !== undefined) rows.push(['target', hclString(t.stage)]);
  if (Object.keys(t.contexts).length) {
    rows.push(['contexts', map(Object.fromEntries(Object.entries(t.contexts).map(([k, v]) => [k, `target:${v}`])), '  ')]);
  }
  rows.push(['platforms', list(t.platforms)]);
  // With metadata-action and no tags of its own, a `tags` row (even `[]`) would replace the inherited tags.
  if (t.tags.length || t.metadataAction === undefined) rows.push(['tags', tagList(t.tags)]);
  if (Object.keys(t.args).length) rows.push(['args', map(t.args, '  ')]);
  if (Object.keys(t.labels).length) rows.push(['labels', map(t.labels, '  ')]);
  // One entry per level: `index,manifest:K` is written `index:K`, `manifest:K` (src/annotations.ts).
  const annotations = Object.keys(t.annotations)
    .sort()
    .flatMap((k) => annotationKeys(k).map((entry) => [entry, t.annotations[k]!] as const));
  if (annotations.length) {
    rows.push(['annotations', `[${annotations.map(([k, v]) => hclDyn(isStatic(v) ? `${k}=${v}` : { parts: [`${k}=`, ...(v as { parts: DynPart[] }).parts] })).join(', ')}]`]);
  }
  if (t.secrets.length) rows.push(['secret', list(t.secrets.map(secretEntry))]);
  const cache = cacheEntries(t);
  if (cache.from.length) rows.push(['cache-from', list(cache.from)]);
  if (cache.to.length) rows.push(['cache-to', list(cache.to)]);
  if (t.attest.length) rows.push(['attest', list(t.attest)]);
  if (t.outputs.length) rows.push(['output', list(t.outputs)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`target ${hclString(t.name)} {`, ...rows.map(([k, v]) => `  ${k.padEnd(width)} = ${v}`), '}'];
}

/** bake resolves `dockerfile` against `context`. */
export function relativeToContext(context: string, file: string): string {
  const c = context === '.' ? [] : context.split('/');
  const f = file.split('/');
  let i = 0;
  while (i < c.length && i < f.length - 1 && c[i] === f[i]) i++;
  return [...Array(c.length - i).fill('..'), ...f.slice(i)].join('/');
}
