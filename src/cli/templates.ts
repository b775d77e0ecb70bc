import { readFileSync } from 'node:fs';
import path from 'node:path';
import { closest, colors, userError, visible } from '../diagnostics.js';
import { packageRoot } from '../paths.js';
import { parseTemplate, type TemplateMeta, type TemplateParam } from '../render/template.js';
import { BUILTIN_TEMPLATES } from '../resolve/resolve.js';
import { KINDS, PARAM_KINDS } from '../validate/params.js';
import type { Io } from './io.js';

/** The built-in templates' front matter: the one source of `matrix templates` and the README's parameter tables. */
export function builtinMetas(): [string, TemplateMeta][] {
  return BUILTIN_TEMPLATES.map((name) => {
    const file = path.join(packageRoot(), 'templates', `${name}.Dockerfile.hbs`);
    return [name, parseTemplate(`templates/${name}.Dockerfile.hbs`, readFileSync(file, 'utf8')).meta];
  });
}

function defaultText(p: TemplateParam): string {
  const found = p.detect?.length ? `from ${[...new Set(p.detect.map((d) => d.file))].join(', ')}, else ` : '';
  if (p.default !== undefined) return `${found}${JSON.stringify(p.default)}`;
  return p.required ? 'required' : found ? found.replace(/, else $/, '') : '';
}

/** Markdown: one table of parameters per built-in template (README, between the `templates:params` markers). */
export function templatesMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out: string[] = [];
  for (const [name, meta] of builtinMetas()) {
    out.push(`#### \`${name}\``, '', cell(meta.description), '', '| parameter | kind | default | what it is |', '| --- | --- | --- | --- |');
    for (const [p, def] of Object.entries(meta.params))
      out.push(`| \`${p}\` | \`${def.kind ?? 'text'}\` | ${cell(defaultText(def) ? `\`${defaultText(def)}\`` : '')} | ${cell(def.description ?? '')} |`);
    out.push('');
  }
  return out.join('\n');
}

/** `matrix templates [NAME...]`: every built-in template, or the named ones; an unknown name is error `unknown-template`. */
export function runTemplates(io: Io, color: boolean, names: readonly string[] = []): number {
  const c = colors(color);
  const unknown = names.find((n) => !(BUILTIN_TEMPLATES as readonly string[]).includes(n));
  if (unknown !== undefined) {
    const guess = closest(unknown, BUILTIN_TEMPLATES);
    throw userError('unknown-template', `unknown template \`${visible(unknown)}\``, { hint: `${guess ? `did you mean \`${guess}\`? ` : ''}built-ins are ${BUILTIN_TEMPLATES.join(', ')}` });
  }
  for (const [name, t] of builtinMetas().filter(([n]) => !names.length || names.includes(n))) {
    io.stdout.write(`${c.bold(name)}  ${t.description}\n`);
    const pl = t.platforms;
    if (pl?.image?.length) io.stdout.write(`  platforms  ${pl.image.join(', ')}\n`);
    if (pl?.output?.length) io.stdout.write(`  as files   ${pl.output.join(', ')} ${c.dim('(with `output`, e.g. type=local,dest=dist/)')}\n`);
    for (const [p, def] of Object.entries(t.params)) {
      const dflt = defaultText(def) ? ` (default: ${defaultText(def)})` : '';
      io.stdout.write(`  with.${p} ${c.dim(`[${def.kind ?? 'text'}]`)}${c.dim(dflt)}  ${def.description ?? ''}\n`);
    }
    io.stdout.write('\n');
  }
  io.stdout.write('Parameter kinds (front matter `kind:`; no value may start with `-`):\n');
  for (const k of PARAM_KINDS) io.stdout.write(`  ${k.padEnd(14)} ${KINDS[k].description}\n`);
  io.stdout.write('\nYour own template: `template: path/to/file.hbs` (same helpers: word, sh, json, ident, int, runtime; same kinds).\n');
  return 0;
}
