// HCL output for docker buildx bake. Every user value and map key goes
// through `hclString`: bake evaluates `${...}` and `%{...}` in quoted strings
// and keys, and accepts only a few backslash escapes.
import type { Target } from '../spec.js';
import { headerLines } from './header.js';

export function hclString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const next = s[i + 1];
    switch (c) {
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '$': out += next === '{' ? '$$' : '$'; break;
      case '%': out += next === '{' ? '%%' : '%'; break;
      default: {
        const code = c.charCodeAt(0);
        out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out + '"';
}

function list(items: readonly string[]): string {
  return `[${items.map(hclString).join(', ')}]`;
}

function map(entries: Record<string, string>, indent: string): string {
  const keys = Object.keys(entries).sort();
  if (!keys.length) return '{}';
  const width = Math.max(...keys.map((k) => hclString(k).length));
  const rows = keys.map((k) => `${indent}  ${hclString(k).padEnd(width)} = ${hclString(entries[k]!)}`);
  return `{\n${rows.join('\n')}\n${indent}}`;
}

/** One `secret` entry in buildx's CSV form; only `src` can hold CSV-special characters. */
export function secretEntry(s: { id: string; env?: string; src?: string }): string {
  const source = s.env !== undefined ? `env=${s.env}` : `src=${s.src ?? ''}`;
  const field = /[",\s]/.test(source) ? `"${source.replace(/"/g, '""')}"` : source;
  return `id=${s.id},${field}`;
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
  const out: string[] = [...headerLines(input.specRel)];
  for (const f of input.generated) out.push(`# generated: ${f}`);
  out.push('');
  for (const [name, members] of input.groups) {
    out.push(`group ${hclString(name)} {`, `  targets = ${list(members)}`, '}', '');
  }
  out.push(`# Inherited by targets with \`metadata_action: true\`; docker/metadata-action's bake file fills it in.`);
  out.push(`target ${hclString(METADATA_TARGET)} {}`, '');
  for (const t of input.targets) out.push(...renderTarget(t), '');
  return out.join('\n');
}

function renderTarget(t: Target): string[] {
  const rows: [string, string][] = [];
  if (t.metadataAction) rows.push(['inherits', list([METADATA_TARGET])]);
  rows.push(['context', hclString(t.context)]);
  rows.push(['dockerfile', hclString(relativeToContext(t.context, t.dockerfile))]);
  if (t.stage !== undefined) rows.push(['target', hclString(t.stage)]);
  if (Object.keys(t.contexts).length) {
    rows.push(['contexts', map(Object.fromEntries(Object.entries(t.contexts).map(([k, v]) => [k, `target:${v}`])), '  ')]);
  }
  rows.push(['platforms', list(t.platforms)]);
  rows.push(['tags', list(t.tags)]);
  if (Object.keys(t.args).length) rows.push(['args', map(t.args, '  ')]);
  if (Object.keys(t.labels).length) rows.push(['labels', map(t.labels, '  ')]);
  if (t.secrets.length) rows.push(['secret', list(t.secrets.map(secretEntry))]);
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
