// Names of generated Dockerfiles. A service's template makes one file,
// `Dockerfile` or `SERVICE.Dockerfile` (when services share a context or a
// hand-written CONTEXT/Dockerfile is there), unless its matrix cells render
// differently: then each target gets `TARGET.Dockerfile` in the same directory.
// Deciding that needs the rendered text, so this renders each cell once; render
// (render/files.ts) then only writes what the names say.
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

/** The targets of one service with their final Dockerfile names (same order). */
export function placeDockerfiles(targets: readonly Target[], where: Placement): Target[] {
  const first = targets[0];
  if (!first || first.source.kind !== 'template') return [...targets];
  const tpl = where.templates.get(first.source.file);
  if (!tpl || !cellsDiffer(targets, tpl, where)) return [...targets];
  const dir = path.posix.dirname(first.dockerfile);
  // Same directory as the shared name, so each file's header (and text) is unchanged.
  return targets.map((t) => ({ ...t, dockerfile: dir === '.' ? `${t.name}.Dockerfile` : `${dir}/${t.name}.Dockerfile` }));
}

/** True when two cells render to different files. A template error is render's to report: the name stays. */
function cellsDiffer(targets: readonly Target[], tpl: ParsedTemplate, where: Placement): boolean {
  let first: string | undefined;
  for (const t of targets) {
    let text: string;
    try {
      text = finishDockerfile(tpl.render(templateContext(t, where.registry, tpl.declaredArgs)), specRelFrom(t.dockerfile, where));
    } catch (e) {
      if (e instanceof TemplateError) return false;
      throw e;
    }
    if (first === undefined) first = text;
    else if (text !== first) return true;
  }
  return false;
}
