// Stage 5: targets -> the exact bytes of every generated file. Pure: it reads
// the resolved model (file names included) and never changes it. Dockerfiles
// are rendered when read (GeneratedFiles), from resolve's decisions.
import path from 'node:path';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { finishDockerfile } from './header.js';
import { bakeFileParts } from './hcl.js';
import { CONTEXT_PROTO, wrap, type ParsedTemplate } from './template.js';
import { cellValue } from '../expand/matrix.js';
import { spelling } from '../expand/values.js';
import { partsDigest, textDigest } from '../output/digest.js';
import type { Placements, PlacedDockerfile } from '../resolve/dockerfiles.js';

export interface RenderedFiles {
  /** Spec-dir-relative POSIX path -> content, in a stable order (Dockerfiles, then the bake file). */
  files: GeneratedFiles;
  diagnostics: Diagnostic[];
}

/** The spec's path as seen from a generated file (spec-dir-relative), via repo-relative paths only. */
export function specRelFrom(file: string, spec: Pick<ResolvedSpec, 'specRepoPath'>): string {
  if (SPEC_REL.repoPath !== spec.specRepoPath || SPEC_REL.byFile.size >= SPEC_REL_KEPT) {
    const specAbs = path.posix.join('/', spec.specRepoPath);
    SPEC_REL.repoPath = spec.specRepoPath;
    SPEC_REL.specAbs = specAbs;
    SPEC_REL.specDir = path.posix.dirname(specAbs);
    SPEC_REL.byFile.clear();
  }
  let rel = SPEC_REL.byFile.get(file);
  if (rel === undefined) {
    const fileAbs = path.posix.join(SPEC_REL.specDir, file);
    rel = path.posix.relative(path.posix.dirname(fileAbs), SPEC_REL.specAbs);
    SPEC_REL.byFile.set(file, rel);
  }
  return rel;
}

/**
 * specRelFrom's answers for one spec path, by file (a function of the two
 * strings alone), and the spec's absolute path and directory: each cell of a
 * service asks for the same file. Bounded, so a long-lived process does not grow.
 */
const SPEC_REL = { repoPath: '', specAbs: '/', specDir: '/', byFile: new Map<string, string>() };
const SPEC_REL_KEPT = 20_000;

/** The fields of a template's context, in the order `{{#each this}}` lists them. */
const FIELDS = ['service', 'target', 'matrix', 'with', 'args', 'dependencies', 'registry'] as const;
type Field = (typeof FIELDS)[number];

/** A context field as the target gives it, before it is wrapped. */
function fieldValue(f: Field, t: Target, registry: string | undefined, declaredArgs: ReadonlySet<string>): unknown {
  switch (f) {
    case 'service':
      return t.service;
    case 'target':
      return t.name;
    case 'matrix':
      // The combination's own keys in its order, then every other key of the service's matrix as undefined:
      // matrixContext lists only the first (as GitHub's matrix context holds them) and reads the others as ''
      // (GitHub reads a key the combination lacks as empty).
      return Object.fromEntries([...Object.entries(t.cell), ...t.axes.filter((a) => cellValue(t.cell, a) === undefined).map((a) => [a, undefined] as const)]);
    case 'with':
      return t.with;
    case 'args': {
      // The service's own args the template does not declare itself, for `{{#each args}}ARG {{ident this}}{{/each}}`.
      // `defaults.args` serve every service: a Dockerfile gets an ARG for one only when its template declares it.
      // (a Set: a list searched once per arg made 100,000 args take minutes)
      const own = t.ownArgs ? new Set(t.ownArgs) : undefined;
      return Object.keys(t.args).filter((a) => !declaredArgs.has(a) && (own === undefined || own.has(a)));
    }
    case 'dependencies':
      return Object.keys(t.contexts);
    case 'registry':
      return registry ?? '';
  }
}

/**
 * The context a template renders a target with: a wrapped container (as
 * `wrap` makes) whose fields are made when the template first reads one, and
 * `read` hears of each with its value before wrapping. Handlebars reads a
 * field only through the object (its lookupProperty, and `Object.keys` for
 * `{{#each this}}`, which names every field and then reads each), so what
 * `read` heard is everything a render saw of the target. The built-in
 * templates read two or three of the seven, and rarely `matrix`, whose
 * case-insensitive lookup is a Proxy. The getters are own properties (as
 * Handlebars requires of what it reads), listed in FIELDS order.
 */
export function templateContext(t: Target, registry: string | undefined, declaredArgs: ReadonlySet<string> = new Set(), read?: (f: Field, raw: unknown) => void): object {
  const made: Partial<Record<Field, unknown>> = {};
  const field = (f: Field): unknown => {
    if (Object.hasOwn(made, f)) return made[f];
    const raw = fieldValue(f, t, registry, declaredArgs);
    read?.(f, raw);
    const value = wrap(raw);
    return (made[f] = f === 'matrix' ? matrixContext(value as Record<string, unknown>) : value);
  };
  return {
    __proto__: CONTEXT_PROTO,
    get service() {
      return field('service');
    },
    get target() {
      return field('target');
    },
    get matrix() {
      return field('matrix');
    },
    get with() {
      return field('with');
    },
    get args() {
      return field('args');
    },
    get dependencies() {
      return field('dependencies');
    },
    get registry() {
      return field('registry');
    },
  } as object;
}

/**
 * The matrix values as GitHub's matrix context has them. Keys are looked up
 * as GitHub does: `matrix.os` reads axis `OS`, as `${{ matrix.os }}` does in
 * the spec (the runner's expression engine looks keys up with .NET
 * OrdinalIgnoreCase, src/expand/values.ts); a key spelled exactly is found
 * first. A key of the service's matrix that this combination lacks (undefined
 * in `values`) reads as '', as on GitHub, but is not listed: `{{#each matrix}}`
 * gives the combination's own keys, in its order (src/expand/matrix.ts), as
 * the spec spells them, as `toJSON(matrix)` does in a job. Handlebars reads a
 * property only when the object owns it (its lookupProperty), so the
 * descriptor is answered the same way.
 */
function matrixContext(values: Record<string, unknown>): Record<string, unknown> {
  const keyOf = (p: string | symbol) => (typeof p !== 'string' || Object.hasOwn(values, p) ? p : spelling(p, Object.keys(values)));
  const listed = Object.keys(values).filter((k) => values[k] !== undefined);
  let empty: unknown;
  const absent = () => (empty ??= wrap(''));
  return new Proxy(values, {
    get: (target, p) => {
      const k = keyOf(p);
      const v = Reflect.get(target, k);
      return v === undefined && typeof k === 'string' && Object.hasOwn(target, k) ? absent() : v;
    },
    has: (target, p) => Reflect.has(target, keyOf(p)),
    ownKeys: () => listed,
    getOwnPropertyDescriptor: (target, p) => {
      const d = Reflect.getOwnPropertyDescriptor(target, keyOf(p));
      if (!d || (keyOf(p) === p && d.value !== undefined)) return d;
      // A key found by another spelling, or one the combination lacks, is described as the proxy answers it; a proxy
      // may describe a property otherwise than its target only as configurable.
      return d.value === undefined ? { ...d, value: absent(), enumerable: false, configurable: true } : { ...d, configurable: true };
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
  const body = again ? tpl.renderAgain(templateContext(t, spec.registry, tpl.declaredArgs)) : renderChecked(t, tpl, spec.registry);
  const specRel = specRelFrom(t.dockerfile, spec);
  const last = LAST_FINISHED;
  if (DOCKERFILE_MEMO.enabled && last && last.body === body && last.specRel === specRel) return last.text;
  const text = finishDockerfile(body, specRel);
  LAST_FINISHED = { body, specRel, text };
  return text;
}

/**
 * Whether renderDockerfile remembers its last render of each template (and
 * the last file it finished). Off only in the test that compares remembering
 * with rendering every cell (test/unit/dockerfile-memo.test.ts).
 */
export const DOCKERFILE_MEMO = { enabled: true };

/** A checked render remembered: the context fields it read, with their values, and its text. */
interface Remembered {
  reads: [Field, unknown][];
  text: string;
}
const LAST_RENDER = new WeakMap<ParsedTemplate, Remembered>();
/** finishDockerfile is a function of its two strings: the cells of a service finish the same body with the same path. */
let LAST_FINISHED: { body: string; specRel: string; text: string } | undefined;

/**
 * tpl.render on the target's context, or the text of the template's last
 * render when every field that render read has an equal value for this
 * target. A render is a function of what it reads: the template's code,
 * its helpers and the escape character they print with are the same for
 * every cell, and the context reaches the template only through its fields
 * (templateContext records each one read, in every run the render makes), so
 * equal values read give the same text and the same checks passed. The
 * cells of a matrix service usually differ only in `matrix` and `target`,
 * which most templates never read: one render then serves them all.
 */
function renderChecked(t: Target, tpl: ParsedTemplate, registry: string | undefined): string {
  if (!DOCKERFILE_MEMO.enabled) return tpl.render(templateContext(t, registry, tpl.declaredArgs));
  const last = LAST_RENDER.get(tpl);
  if (last?.reads.every(([f, raw]) => sameValue(raw, fieldValue(f, t, registry, tpl.declaredArgs)))) return last.text;
  const reads: [Field, unknown][] = [];
  const text = tpl.render(templateContext(t, registry, tpl.declaredArgs, (f, raw) => reads.push([f, raw])));
  LAST_RENDER.set(tpl, { reads, text });
  return text;
}

/**
 * Whether two unwrapped context values wrap to contexts no template can tell
 * apart: the same strings, numbers and booleans, lists of the same length,
 * and mappings with the same keys in the same order (`{{#each}}` lists them
 * in it). Anything else (a value already wrapped, which carries its text
 * where a key cannot show it) only when it is the same object.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const proto = Object.getPrototypeOf(a) as unknown;
  if (proto !== Object.getPrototypeOf(b) || (proto !== Object.prototype && proto !== Array.prototype)) return false;
  if (Array.isArray(a) && (a as unknown[]).length !== (b as unknown[]).length) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
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
    /** The bake file as parts to join with `\n` (render/hcl.ts bakeFileParts). */
    private readonly bakeParts: () => Iterable<string>,
    /** A small spec's (keepsTexts): the bake file's text is kept once rendered, and `keptText` answers. */
    private readonly keep = false,
  ) {}

  get size(): number {
    return this.dockerfiles.size + 1;
  }

  has(file: string): boolean {
    return file === this.spec.bakeFile || this.dockerfiles.has(file);
  }

  private renderBake(): string {
    return [...this.bakeParts()].join('\n');
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

  /**
   * textDigest of the file's content: a Dockerfile's is known without
   * rendering it; the bake file's is made once, from its kept text, or else
   * from its parts as they are rendered (no text of the whole file).
   */
  digestOf(file: string): string | undefined {
    if (file === this.spec.bakeFile) return (this.bakeDigest ??= this.keep ? textDigest(this.get(file)!) : partsDigest(this.bakeParts(), '\n'));
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
  const bake = () => bakeFileParts({ specRel: specRelFrom(spec.bakeFile, spec), targets: spec.targets, groups, generated });
  return { files: new GeneratedFiles(diagnostics.length ? new Map() : placed.files, templates, spec, bake, keepsTexts(spec.targets.length)), diagnostics };
}
