// Stage 5: targets -> the exact bytes of every generated file. Pure: it reads
// the resolved model (file names included) and never changes it. Dockerfiles
// are rendered when read (GeneratedFiles), from resolve's decisions.
import path from 'node:path';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { finishDockerfile } from './header.js';
import { renderBakeFile } from './hcl.js';
import { wrap, type ParsedTemplate } from './template.js';
import { spelling } from '../expand/values.js';
import { textDigest } from '../output/digest.js';
import type { Placements, PlacedDockerfile } from '../resolve/dockerfiles.js';

export interface RenderedFiles {
  /** Spec-dir-relative POSIX path -> content, in a stable order (Dockerfiles, then the bake file). */
  files: GeneratedFiles;
  diagnostics: Diagnostic[];
}

/** The spec's path as seen from a generated file (spec-dir-relative), via repo-relative paths only. */
export function specRelFrom(file: string, spec: Pick<ResolvedSpec, 'specRepoPath'>): string {
  const specAbs = path.posix.join('/', spec.specRepoPath);
  const fileAbs = path.posix.join(path.posix.dirname(specAbs), file);
  return path.posix.relative(path.posix.dirname(fileAbs), specAbs);
}

export function templateContext(t: Target, registry: string | undefined, declaredArgs: ReadonlySet<string> = new Set()): object {
  const own = t.ownArgs ? new Set(t.ownArgs) : undefined;
  const context = wrap({
    service: t.service,
    target: t.name,
    // Every key of the matrix, '' where this combination lacks one (GitHub reads a missing key as empty).
    matrix: Object.fromEntries([...t.axes.map((a) => [a, t.cell[a] ?? ''] as const), ...Object.entries(t.cell)]),
    with: t.with,
    // The service's own args the template does not declare itself, for `{{#each args}}ARG {{ident this}}{{/each}}`.
    // `defaults.args` serve every service: a Dockerfile gets an ARG for one only when its template declares it.
    // (a Set: a list searched once per arg made 100,000 args take minutes)
    args: Object.keys(t.args).filter((a) => !declaredArgs.has(a) && (own === undefined || own.has(a))),
    dependencies: Object.keys(t.contexts),
    registry: registry ?? '',
  }) as Record<string, unknown>;
  context.matrix = keysIgnoringCase(context.matrix as Record<string, unknown>);
  return context;
}

/**
 * The matrix values with GitHub's key lookup: `matrix.os` reads axis `OS`, as
 * `${{ matrix.os }}` does in the spec (the runner's expression engine looks
 * keys up with .NET OrdinalIgnoreCase, src/expand/values.ts). A key spelled
 * exactly is found first; listing the keys (`{{#each matrix}}`) gives them as
 * the spec spells them. Handlebars reads a property only when the object owns
 * it (its lookupProperty), so the descriptor is answered the same way.
 */
function keysIgnoringCase(values: Record<string, unknown>): Record<string, unknown> {
  const keyOf = (p: string | symbol) => (typeof p !== 'string' || Object.hasOwn(values, p) ? p : spelling(p, Object.keys(values)));
  return new Proxy(values, {
    get: (target, p) => Reflect.get(target, keyOf(p)),
    has: (target, p) => Reflect.has(target, keyOf(p)),
    getOwnPropertyDescriptor: (target, p) => {
      const d = Reflect.getOwnPropertyDescriptor(target, keyOf(p));
      // A key found by another spelling is not the target's own: a proxy may only report it as configurable.
      return d && keyOf(p) !== p ? { ...d, configurable: true } : d;
    },
  });
}

/**
 * Up to this many targets the rendered texts are kept (about 4 MB for the
 * 2,000 targets of 1,000 services of scripts/gen-scale-spec.mjs): a fresh
 * `gen` then renders each file once. Above it they are dropped once digested
 * and rendered again when written, so memory does not grow with the spec.
 */
export const KEEP_TEXTS_UP_TO_TARGETS = 4000;

/** Whether a spec of `targets` targets keeps its texts: rendered Dockerfiles, the bake file, and what is on disk at each output. */
export function keepsTexts(targets: number): boolean {
  return targets <= KEEP_TEXTS_UP_TO_TARGETS;
}

/** The text a target's Dockerfile has (throws TemplateError). `again`: rendered before, checks passed (ParsedTemplate.renderAgain). */
export function renderDockerfile(t: Target, tpl: ParsedTemplate, spec: Pick<ResolvedSpec, 'registry' | 'specRepoPath'>, again = false): string {
  const ctx = templateContext(t, spec.registry, tpl.declaredArgs);
  return finishDockerfile(again ? tpl.renderAgain(ctx) : tpl.render(ctx), specRelFrom(t.dockerfile, spec));
}

/**
 * The generated files as a read-only map. On a large spec every file is
 * rendered each time it is read and not kept, so `gen` renders, compares,
 * writes and drops one file at a time (output/sync.ts); a smaller one kept
 * resolve's texts (keepsTexts); `digestOf` answers an up-to-date check without
 * rendering a Dockerfile again (the bake file is rendered once for it).
 */
export class GeneratedFiles implements ReadonlyMap<string, string> {
  private bakeDigest: string | undefined;
  private bakeText: string | undefined;

  constructor(
    private readonly dockerfiles: ReadonlyMap<string, PlacedDockerfile>,
    private readonly templates: ReadonlyMap<string, ParsedTemplate>,
    private readonly spec: Pick<ResolvedSpec, 'registry' | 'specRepoPath' | 'bakeFile'>,
    private readonly renderBake: () => string,
    /** A small spec's (keepsTexts): the bake file's text is kept once rendered, and `keptText` answers. */
    private readonly keep = false,
  ) {}

  get size(): number {
    return this.dockerfiles.size + 1;
  }

  has(file: string): boolean {
    return file === this.spec.bakeFile || this.dockerfiles.has(file);
  }

  get(file: string): string | undefined {
    if (file === this.spec.bakeFile) return this.keep ? (this.bakeText ??= this.renderBake()) : this.renderBake();
    const placed = this.dockerfiles.get(file);
    if (placed?.target.source.kind !== 'template') return undefined;
    if (placed.text !== undefined) return placed.text;
    // Resolve rendered it, checked, and kept its digest: this render skips the checks, so its bytes must be the same.
    const text = renderDockerfile(placed.target, this.templates.get(placed.target.source.file)!, this.spec, true);
    if (textDigest(text) !== placed.digest) throw new Error(`${file} rendered to other bytes than when it was checked`);
    return text;
  }

  /** The file's text where it is at hand without rendering again (a small spec's), so a comparison needs no digest. */
  keptText(file: string): string | undefined {
    if (!this.keep) return undefined;
    return file === this.spec.bakeFile ? this.get(file) : this.dockerfiles.get(file)?.text;
  }

  /** textDigest of the file's content: a Dockerfile's is known without rendering it; the bake file's is rendered once. */
  digestOf(file: string): string | undefined {
    if (file === this.spec.bakeFile) return (this.bakeDigest ??= textDigest(this.renderBake()));
    return this.dockerfiles.get(file)?.digest;
  }

  *keys(): MapIterator<string> {
    yield* this.dockerfiles.keys();
    yield this.spec.bakeFile;
  }

  *values(): MapIterator<string> {
    for (const file of this.keys()) yield this.get(file)!;
  }

  *entries(): MapIterator<[string, string]> {
    for (const file of this.keys()) yield [file, this.get(file)!];
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(f: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (const [file, text] of this.entries()) f.call(thisArg, text, file, this);
  }
}

/** The files of a resolved spec; a template error resolve met becomes a diagnostic (the first failing cell of each service). */
export function renderFiles(spec: ResolvedSpec, templates: ReadonlyMap<string, ParsedTemplate>, placed: Placements): RenderedFiles {
  const diagnostics = placed.failed.map(({ target: t, error: e }) =>
    diagnostic({
      code: 'template-error',
      file: t.source.kind === 'template' ? (templates.get(t.source.file)?.file ?? t.source.file) : spec.file,
      line: e.line,
      column: e.column,
      path: ['services', t.service],
      message: `rendering \`${t.name}\`: ${e.message}`,
      hint: e.hint || undefined,
    }),
  );
  const groups: (readonly [string, readonly string[]])[] = [['default', spec.targets.map((t) => t.name)]];
  for (const [service, names] of spec.services) {
    if (names.length !== 1 || names[0] !== service) groups.push([service, names]);
  }
  groups.push(...spec.groups);
  const generated = [...placed.files.keys()].sort();
  const bake = () => renderBakeFile({ specRel: specRelFrom(spec.bakeFile, spec), targets: spec.targets, groups, generated });
  return { files: new GeneratedFiles(diagnostics.length ? new Map() : placed.files, templates, spec, bake, keepsTexts(spec.targets.length)), diagnostics };
}
