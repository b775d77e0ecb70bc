import { readFileSync } from 'node:fs';
import path from 'node:path';
import { colors } from '../diagnostics.js';
import { packageRoot } from '../paths.js';
import { parseTemplate } from '../render/template.js';
import { BUILTIN_TEMPLATES } from '../resolve/resolve.js';
import { KINDS, PARAM_KINDS } from '../validate/params.js';
import type { Io } from './io.js';

export function runTemplates(io: Io, color: boolean): number {
  const c = colors(color);
  for (const name of BUILTIN_TEMPLATES) {
    const file = path.join(packageRoot(), 'templates', `${name}.Dockerfile.hbs`);
    const t = parseTemplate(`templates/${name}.Dockerfile.hbs`, readFileSync(file, 'utf8'));
    io.stdout.write(`${c.bold(name)}  ${t.meta.description}\n`);
    const pl = t.meta.platforms;
    if (pl?.image?.length) io.stdout.write(`  platforms  ${pl.image.join(', ')}\n`);
    if (pl?.output?.length) io.stdout.write(`  as files   ${pl.output.join(', ')} ${c.dim('(with `output`, e.g. type=local,dest=dist/)')}\n`);
    for (const [p, def] of Object.entries(t.meta.params)) {
      const dflt = def.default !== undefined ? ` (default: ${JSON.stringify(def.default)})` : def.required ? ' (required)' : '';
      io.stdout.write(`  with.${p} ${c.dim(`[${def.kind ?? 'text'}]`)}${c.dim(dflt)}  ${def.description ?? ''}\n`);
    }
    io.stdout.write('\n');
  }
  io.stdout.write('Parameter kinds (front matter `kind:`; no value may start with `-`):\n');
  for (const k of PARAM_KINDS) io.stdout.write(`  ${k.padEnd(14)} ${KINDS[k].description}\n`);
  io.stdout.write('\nYour own template: `template: path/to/file.hbs` (same helpers: word, sh, json, ident, int; same kinds).\n');
  return 0;
}
