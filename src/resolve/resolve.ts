// Stage 3: spec as written -> the resolved model. Applies defaults once, checks
// paths against the repository, expands matrices and interpolates variables;
// each step is a module of its own (see service.ts for the order). The model it
// returns is complete and readonly: later stages only read it.
// Reads the filesystem (paths, templates) but never writes.
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { realpathOrUndefined, toPosix } from '../paths.js';
import type { OutputState } from '../output/existing.js';
import type { ParsedTemplate } from '../render/template.js';
import type { ResolvedSpec, SpecInput, Target } from '../spec.js';
import type { CheckedSpec } from '../validate/schema.js';
import { MAX_MATRIX_CELLS, targetBound } from './bound.js';
import { Reporter, type Path, type ResolveContext } from './context.js';
import { analyzeDependencies } from './dependencies.js';
import { placeDockerfiles, type FailedRender, type PlacedDockerfile, type Placement, type Placements } from './dockerfiles.js';
import { keepsTexts } from '../render/files.js';
import { checkOutputs, generatedPlace, placedDockerfile, type GeneratedPlace } from './generated.js';
import { resolveGroups } from './groups.js';
import { dockerfileOf, serviceSource, serviceTargets, type ServiceSource } from './service.js';
import { checkSpecPlatforms } from './platforms.js';
import { TemplateStore } from './templates.js';

export { MAX_MATRIX_CELLS };
export { BUILTIN_TEMPLATES } from './templates.js';
export { DEFAULT_PLATFORMS } from './platforms.js';
export { mergeService } from './context.js';
export { withAllKeys } from './matrix.js';

export interface ResolveOptions {
  /** Absolute path of the spec file. */
  specPath: string;
  /** Repository root (absolute); outputs and inputs must stay inside it. */
  repoRoot: string;
  /** The working directory paths in messages are relative to (the CLI's `Io.cwd`). */
  cwd: string;
  /** Services an earlier stage found invalid: not resolved, and not reported again. */
  skipServices?: ReadonlySet<string>;
}

export interface Resolution {
  /** The targets that resolved; with error diagnostics it is partial (for the rules to check what is valid). */
  spec?: ResolvedSpec;
  /** Parsed templates by spec-relative path (built-ins by `builtin:NAME`). */
  templates: Map<string, ParsedTemplate>;
  /** Generated Dockerfiles by spec-relative name: rendered once here to name them; render renders each again when it is read. */
  dockerfiles: Placements;
  /** What is on disk at each output path now (output/existing.ts), read once: gen compares with it instead of reading again. */
  outputs?: ReadonlyMap<string, OutputState>;
  diagnostics: Diagnostic[];
}

export function resolveSpec(loaded: CheckedSpec, opts: ResolveOptions): Resolution {
  // The schema checked the shape before (compile.ts): this is the one place the value is read as a spec.
  const input = loaded.value;
  const report = new Reporter(loaded);
  const ctx = resolveContext(loaded, opts, report);
  const store = new TemplateStore();
  const skip = opts.skipServices ?? new Set<string>();
  checkVersionTags(ctx);
  checkSpecPlatforms(ctx);
  // Count before expanding anything (a matrix in defaults multiplies across services).
  const bound = targetBound(input, skip);
  for (const p of bound.problems) report.err(p.code, p.at, p.message, p.hint);
  if (bound.stop) return { templates: store.parsed, dockerfiles: { files: new Map(), failed: [] }, diagnostics: report.diagnostics };

  const sources = Object.keys(input.services)
    .filter((n) => !skip.has(n))
    .flatMap((n) => serviceSource(ctx, store, n) ?? []);
  const { names, places } = dockerfileNames(ctx, sources);
  const targets: Target[] = [];
  const byService = new Map<string, string[]>();
  for (const [s, dockerfile] of names) {
    const own = serviceTargets(ctx, store, s, dockerfile, bound.tooLarge);
    if (!own) continue;
    targets.push(...own);
    byService.set(
      s.name,
      own.map((t) => t.name),
    );
  }
  const specRepoPath = toPosix(path.relative(opts.repoRoot, opts.specPath));
  const finished = finishTargets(input, targets, byService, { registry: input.registry, specRepoPath, templates: store.parsed });
  return {
    templates: store.parsed,
    dockerfiles: finished.placements,
    outputs: checkOutputs(ctx, finished.targets, places, input.bake_file ?? 'docker-bake.hcl', keepsTexts(finished.targets.length)),
    diagnostics: report.diagnostics,
    spec: {
      file: loaded.file,
      specName: toPosix(path.basename(opts.specPath)),
      specRepoPath,
      bakeFile: input.bake_file ?? 'docker-bake.hcl',
      ...(input.registry !== undefined ? { registry: input.registry } : {}),
      targets: finished.targets,
      services: byService,
      groups: resolveGroups(ctx, targets, byService, skip),
      ociLabels: input.oci_labels !== false,
      ...(ctx.versionTags ? { versionTags: ctx.versionTags } : {}),
      ...(input.reproducible?.source_date_epoch !== undefined ? { sourceDateEpoch: input.reproducible.source_date_epoch } : {}),
    },
  };
}

/** What every step of the resolution reads: the spec, where it is, and where problems are reported. */
function resolveContext(loaded: CheckedSpec, opts: ResolveOptions, report: Reporter): ResolveContext {
  const input = loaded.value;
  return {
    input,
    loaded,
    report,
    specDir: path.dirname(opts.specPath),
    repoRoot: opts.repoRoot,
    realRoot: realpathOrUndefined(opts.repoRoot) ?? opts.repoRoot,
    cwd: opts.cwd,
    defaults: input.defaults ?? {},
    versionTags: input.version_tags === undefined ? undefined : typeof input.version_tags === 'string' ? [input.version_tags] : input.version_tags,
  };
}

function checkVersionTags(ctx: ResolveContext): void {
  (ctx.versionTags ?? []).forEach((p, i) => {
    const at: Path = typeof ctx.input.version_tags === 'string' ? ['version_tags'] : ['version_tags', i];
    const count = (t: string) => p.split(t).length - 1;
    if (count('{version}') !== 1 || count('{service}') !== 1) {
      ctx.report.err(
        'invalid-value',
        at,
        `version_tags pattern \`${p}\` must hold \`{service}\` and \`{version}\` once each`,
        'e.g. `{service}/v{version}` matches the git tag `api/v1.2.3` for service api',
      );
    }
  });
}

/**
 * Each service's generated Dockerfile: where it chose (generated.ts), else in
 * its context, where the number of generated Dockerfiles decides their names;
 * a hand-written CONTEXT/Dockerfile keeps its name. Services whose choice is
 * wrong (reported) have none.
 */
function dockerfileNames(ctx: ResolveContext, sources: readonly ServiceSource[]): { names: Map<ServiceSource, string>; places: Map<string, GeneratedPlace> } {
  const places = new Map<string, GeneratedPlace>();
  const wrong = new Set<ServiceSource>();
  for (const s of sources) {
    const place = generatedPlace(ctx, s.name, s.svc, s.source.kind === 'template');
    if (place === false) wrong.add(s);
    else if (place) places.set(s.name, place);
  }
  const generatedPerContext = new Map<string, number>();
  for (const s of sources) if (s.source.kind === 'template' && !places.has(s.name)) generatedPerContext.set(s.context, (generatedPerContext.get(s.context) ?? 0) + 1);
  const handWritten = new Set(sources.flatMap((s) => (s.source.kind === 'dockerfile' ? [s.source.file] : [])));
  const names = new Map<ServiceSource, string>();
  for (const s of sources) {
    const place = places.get(s.name);
    if (!wrong.has(s)) names.set(s, place ? placedDockerfile(place, s.name) : dockerfileOf(s, generatedPerContext, handWritten));
  }
  return { names, places };
}

/**
 * The last facts later stages read: each target's named contexts (its sound
 * depends_on edges), then its Dockerfile's final name (which needs the contexts,
 * as templates may read `dependencies`).
 */
function finishTargets(input: SpecInput, targets: readonly Target[], byService: ReadonlyMap<string, readonly string[]>, where: Placement): { targets: Target[]; placements: Placements } {
  const { contexts } = analyzeDependencies(input, byService, targets);
  const linked = targets.map((t) => {
    const named = contexts.get(t.name);
    return named && Object.keys(named).length ? { ...t, contexts: { ...named } } : t;
  });
  // Targets come service by service, in spec order: place each service's run.
  const out: Target[] = [];
  const files = new Map<string, PlacedDockerfile>();
  const failed: FailedRender[] = [];
  const keepTexts = keepsTexts(linked.length);
  for (let i = 0; i < linked.length; ) {
    let j = i + 1;
    while (j < linked.length && linked[j]!.service === linked[i]!.service) j++;
    const placed = placeDockerfiles(linked.slice(i, j), where, keepTexts);
    out.push(...placed.targets);
    for (const [file, one] of placed.files) files.set(file, one);
    if (placed.failed) failed.push(placed.failed);
    i = j;
  }
  return { targets: out, placements: { files, failed } };
}
