// Names of generated Dockerfiles. A service's template makes one file,
// `Dockerfile` or `SERVICE.Dockerfile` (when services share a context or a
// hand-written CONTEXT/Dockerfile is there), unless its matrix cells render
// differently: then each target gets `TARGET.Dockerfile` in the same directory.
// Deciding that needs the rendered text, so this renders each cell, once: the
// texts go to render (render/files.ts), which writes them without rendering again.
import path from 'node:path';
import { finishDockerfile } from '../render/header.js';
import { specRelFrom, templateContext } from '../render/files.js';
import { TemplateError, type ParsedTemplate } from '../render/template.js';
import type { Target } from '../spec.js';

export interface Placement {
  registry: string | undefined;
  specRepoPath: string;
  templates: ReadonlyMap<string, ParsedTemplate>;
}

/** The targets of one service with their final Dockerfile names (same order), and the text of each generated file by name. */
export function placeDockerfiles(targets: readonly Target[], where: Placement): { targets: Target[]; texts: [string, string][] } {
  const first = targets[0];
  if (!first || first.source.kind !== 'template') return { targets: [...targets], texts: [] };
  const tpl = where.templates.get(first.source.file);
  const texts = tpl && renderCells(targets, tpl, where);
  if (!texts) return { targets: [...targets], texts: [] };
  if (texts.every((t) => t === texts[0])) return { targets: [...targets], texts: [[first.dockerfile, texts[0]!]] };
  const dir = path.posix.dirname(first.dockerfile);
  // Same directory as the shared name, so each file's header (and text) is unchanged.
  const placed = targets.map((t) => ({ ...t, dockerfile: dir === '.' ? `${t.name}.Dockerfile` : `${dir}/${t.name}.Dockerfile` }));
  return { targets: placed, texts: placed.map((t, i) => [t.dockerfile, texts[i]!]) };
}

/** Each cell's Dockerfile text; undefined on a template error, which is render's to report (the name stays). */
function renderCells(targets: readonly Target[], tpl: ParsedTemplate, where: Placement): string[] | undefined {
  const out: string[] = [];
  for (const t of targets) {
    try {
      out.push(finishDockerfile(tpl.render(templateContext(t, where.registry, tpl.declaredArgs)), specRelFrom(t.dockerfile, where)));
    } catch (e) {
      if (e instanceof TemplateError) return undefined;
      throw e;
    }
  }
  return out;
}
