// Names of generated Dockerfiles. A service's template makes one file,
// `Dockerfile` or `SERVICE.Dockerfile` (when services share a context or a
// hand-written CONTEXT/Dockerfile is there), unless its matrix cells render
// differently: then each target gets `TARGET.Dockerfile` in the same directory.
// Deciding that needs the rendered text, so this renders each cell once and
// keeps the decision: for each file the target whose render it is (enough to
// render it again) and the text's digest (enough to compare it with the
// disk); for a small spec (render/files.ts keepsTexts) the text itself, and
// the digest only when asked. render/files.ts renders a file when it is read,
// unless kept.
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
  /** The text itself, kept when the spec is small enough (keepTexts): writing it needs no second render. */
  readonly text?: string;
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

export function placeDockerfiles(targets: readonly Target[], where: Placement, keepTexts = false): PlacedService {
  const first = targets[0];
  if (first?.source.kind !== 'template') return { targets: [...targets], files: [] };
  const tpl = where.templates.get(first.source.file);
  const cells = tpl && renderCells(targets, tpl, where);
  if (!cells) return { targets: [...targets], files: [] };
  if ('failed' in cells) return { targets: [...targets], files: [], failed: cells.failed };
  const { texts } = cells;
  const file = (target: Target, text: string): PlacedDockerfile => (keepTexts ? new KeptDockerfile(target, text) : { target, digest: textDigest(text) });
  if (texts.every((t) => t === texts[0])) return { targets: [...targets], files: [[first.dockerfile, file(first, texts[0]!)]] };
  const dir = path.posix.dirname(first.dockerfile);
  // Same directory as the shared name, so each file's header (and text) is unchanged.
  const placed = targets.map((t) => ({ ...t, dockerfile: dir === '.' ? `${t.name}.Dockerfile` : `${dir}/${t.name}.Dockerfile` }));
  return { targets: placed, files: placed.map((t, i) => [t.dockerfile, file(t, texts[i]!)]) };
}

/**
 * A file whose text is kept: its digest is taken only when something compares
 * by digest (a record, or a disk state held as one). A small spec compares
 * texts, so a compile without a record never hashes (nor loads node:crypto).
 */
class KeptDockerfile implements PlacedDockerfile {
  private known: string | undefined;

  constructor(
    readonly target: Target,
    readonly text: string,
  ) {}

  get digest(): string {
    return (this.known ??= textDigest(this.text));
  }
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
