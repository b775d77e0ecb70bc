// Names of generated Dockerfiles. A service's template makes one file,
// `Dockerfile` or `SERVICE.Dockerfile` (when services share a context or a
// hand-written CONTEXT/Dockerfile is there), unless its matrix cells render
// differently: then each target gets `TARGET.Dockerfile` in the same directory.
// Deciding that needs the rendered text, so this renders each cell once and
// keeps the decision, not the text: for each file the target whose render it
// is (enough to render it again) and the text's digest (enough to compare it
// with the disk). render/files.ts renders a file only when it is read.
import path from 'node:path';
import { textDigest } from '../output/digest.js';
import { renderDockerfile } from '../render/files.js';
import { TemplateError, type ParsedTemplate } from '../render/template.js';
import type { Target } from '../spec.js';

export interface Placement {
  registry: string | undefined;
  specRepoPath: string;
  templates: ReadonlyMap<string, ParsedTemplate>;
}

/** One generated Dockerfile: every target that shares it renders to the same text. */
export interface PlacedDockerfile {
  /** The target whose render is the file's text. */
  readonly target: Target;
  /** textDigest of that text. */
  readonly digest: string;
}

/** A cell whose template failed to render: render reports it (the names stay). */
export interface FailedRender {
  readonly target: Target;
  readonly error: TemplateError;
}

export interface PlacedService {
  /** The service's targets with their final Dockerfile names, in the same order. */
  targets: Target[];
  /** Each generated file by name. */
  files: [string, PlacedDockerfile][];
  failed?: FailedRender;
}

/** What resolve decided about the generated Dockerfiles (Resolution.dockerfiles). */
export interface Placements {
  readonly files: ReadonlyMap<string, PlacedDockerfile>;
  /** The first failing cell of each service whose template failed, in spec order. */
  readonly failed: readonly FailedRender[];
}

export function placeDockerfiles(targets: readonly Target[], where: Placement): PlacedService {
  const first = targets[0];
  if (!first || first.source.kind !== 'template') return { targets: [...targets], files: [] };
  const tpl = where.templates.get(first.source.file);
  const cells = tpl && renderCells(targets, tpl, where);
  if (!cells) return { targets: [...targets], files: [] };
  if ('failed' in cells) return { targets: [...targets], files: [], failed: cells.failed };
  const { texts } = cells;
  if (texts.every((t) => t === texts[0])) return { targets: [...targets], files: [[first.dockerfile, { target: first, digest: textDigest(texts[0]!) }]] };
  const dir = path.posix.dirname(first.dockerfile);
  // Same directory as the shared name, so each file's header (and text) is unchanged.
  const placed = targets.map((t) => ({ ...t, dockerfile: dir === '.' ? `${t.name}.Dockerfile` : `${dir}/${t.name}.Dockerfile` }));
  return { targets: placed, files: placed.map((t, i) => [t.dockerfile, { target: t, digest: textDigest(texts[i]!) }]) };
}

/** Each cell's Dockerfile text (one service's, dropped once placed), or the first cell that fails. */
function renderCells(targets: readonly Target[], tpl: ParsedTemplate, where: Placement): { texts: string[] } | { failed: FailedRender } {
  const texts: string[] = [];
  for (const t of targets) {
    try {
      texts.push(renderDockerfile(t, tpl, where));
    } catch (e) {
      if (e instanceof TemplateError) return { failed: { target: t, error: e } };
      throw e;
    }
  }
  return { texts };
}
