// One service -> its targets, in two passes: `serviceSource` (context and
// Dockerfile source, for every service first, since Dockerfile names depend on
// which contexts are shared), then `serviceTargets` (platforms, parameters,
// matrix, latest, cache, and one target per cell).
import { METADATA_TARGET } from '../render/hcl.js';
import type { CacheSpec, ServiceInput, Target } from '../spec.js';
import { attestEntries, resolveCache } from './cache.js';
import { resolveCell } from './cell.js';
import { buildTimeVars, mergeService, origin, type ResolveContext } from './context.js';
import { latestCell } from './latest.js';
import { resolveMatrix, type ResolvedMatrix } from './matrix.js';
import { checkPath } from './paths.js';
import { checkAnnotationKeys } from './annotations.js';
import { resolvePlatforms } from './platforms.js';
import { BUILTIN_TEMPLATES, resolveSource, templateParams, type Source, type TemplateStore } from './templates.js';
import { interpolate, varsFor } from './vars.js';

/** A service whose context and Dockerfile source resolved. */
export interface ServiceSource extends Source {
  name: string;
  svc: ServiceInput;
  context: string;
}

/** Everything a cell needs from its service. */
export interface ServicePlan extends ServiceSource {
  platforms: string[];
  params: Record<string, string | string[]>;
  matrix: ResolvedMatrix;
  dockerfile: string;
  defaultRepo: string;
  latestCell: number | undefined;
  cache: CacheSpec | undefined;
  attest: string[];
  metadataRaw: string | undefined;
  valueVars: Readonly<Record<string, string>>;
  tagVars: Readonly<Record<string, string>>;
  /** Bake variable -> the name users write, for messages. */
  tagNames: Readonly<Record<string, string>>;
}

export function serviceSource(ctx: ResolveContext, store: TemplateStore, name: string): ServiceSource | undefined {
  const { input, defaults, report } = ctx;
  const own = input.services[name]!;
  const svc = mergeService(defaults, own);
  const at = ['services', name];
  if (name === 'default' || name === 'docker-metadata-action') {
    report.err(
      'reserved-name',
      at,
      `service name \`${name}\` is reserved`,
      name === 'default' ? 'bake uses `default` for the group of all targets; rename the service' : 'matrix uses this target for docker/metadata-action; rename the service',
      true,
    );
    return undefined;
  }
  if (svc.context === undefined) {
    report.err('missing-key', at, `service \`${name}\` needs a \`context\``, 'add `context: path/to/dir`, or `context: services/${{ service }}` under `defaults`');
    return undefined;
  }
  const ctxRaw = interpolate(svc.context, varsFor(name, name, input.registry, {}));
  if (ctxRaw.unknown.length) {
    report.err('unknown-variable', origin(ctx, name, 'context'), `unknown variable \`${ctxRaw.unknown[0]}\` in context`, 'only `${{ service }}` is available in `context`');
    return undefined;
  }
  const context = checkPath(ctx, ctxRaw.value, origin(ctx, name, 'context'), 'context', 'dir');
  const hasOwnSource = own.template !== undefined || own.dockerfile !== undefined;
  const template = hasOwnSource ? own.template : defaults.template;
  const dockerfile = hasOwnSource ? own.dockerfile : defaults.dockerfile;
  if (template !== undefined && dockerfile !== undefined) {
    report.err('conflicting-keys', at, `service \`${name}\` has both \`template\` and \`dockerfile\``, 'use `template` to generate the Dockerfile, or `dockerfile` to build a hand-written one', true);
    return undefined;
  }
  if (template === undefined && dockerfile === undefined) {
    report.err(
      'missing-key',
      at,
      `service \`${name}\` needs a \`template\` or a \`dockerfile\``,
      `add \`template: go\` (built-ins: ${BUILTIN_TEMPLATES.join(', ')}) or \`dockerfile: path/to/Dockerfile\``,
      true,
    );
    return undefined;
  }
  if (context === undefined) return undefined;
  const source = resolveSource(ctx, store, name, template, dockerfile);
  if (!source) return undefined;
  // Named one by one, not spread: src/expand/records.ts.
  const out: ServiceSource = { name, svc, context, source: source.source };
  if (source.tpl !== undefined) out.tpl = source.tpl;
  return out;
}

/** One generated Dockerfile per service: `Dockerfile`, or `SERVICE.Dockerfile` when it would share its place (see dockerfiles.ts for per-cell files). */
export function dockerfileOf(s: ServiceSource, generatedPerContext: ReadonlyMap<string, number>, handWritten: ReadonlySet<string>): string {
  if (s.source.kind === 'dockerfile') return s.source.file;
  const plain = s.context === '.' ? 'Dockerfile' : `${s.context}/Dockerfile`;
  const generatedName = (generatedPerContext.get(s.context) ?? 0) > 1 || handWritten.has(plain) ? `${s.name}.Dockerfile` : 'Dockerfile';
  return s.context === '.' ? generatedName : `${s.context}/${generatedName}`;
}

/** The service's targets, one per cell that resolved; undefined (reported) when the service itself is wrong. */
export function serviceTargets(ctx: ResolveContext, store: TemplateStore, s: ServiceSource, dockerfile: string, tooLarge: ReadonlySet<string>): Target[] | undefined {
  const plan = servicePlan(ctx, store, s, dockerfile, tooLarge);
  if (!plan) return undefined;
  const targets: Target[] = [];
  plan.matrix.cells.forEach((_, i) => {
    const t = resolveCell(ctx, plan, i, targets[targets.length - 1]);
    if (t) targets.push(t);
  });
  return targets;
}

function servicePlan(ctx: ResolveContext, store: TemplateStore, s: ServiceSource, dockerfile: string, tooLarge: ReadonlySet<string>): ServicePlan | undefined {
  const { name, svc } = s;
  const platforms = resolvePlatforms(ctx, name, svc);
  if (!platforms) return undefined;
  if (!checkAnnotationKeys(ctx, name, svc)) return undefined;
  const params = templateParams(ctx, name, svc, s);
  if (!params) return undefined;
  if (tooLarge.has(name)) return undefined; // reported before anything was expanded
  const matrix = resolveMatrix(ctx, name, svc, s.source.kind === 'template' ? store.texts.get(s.source.file) : undefined);
  if (!matrix) return undefined;
  const latest = latestCell(ctx, name, svc, matrix.cells);
  if (latest === false) return undefined;
  const cache = resolveCache(ctx, name, svc, s.context);
  if (cache === false) return undefined;
  const tagVars = buildTimeVars(ctx, name, 'tag');
  const metadataRaw = svc.metadata_action === true ? METADATA_TARGET : svc.metadata_action === false ? undefined : svc.metadata_action;
  if (metadataRaw !== undefined && (svc.tags !== undefined || (svc.latest !== undefined && svc.latest !== false))) {
    // bake: a target's own attribute wins over what it inherits, so these tags replace metadata-action's.
    ctx.report.warn(
      'metadata-tags-ignored',
      svc.tags !== undefined ? origin(ctx, name, 'tags') : origin(ctx, name, 'latest'),
      `\`${name}\` sets its own tags, so the tags from docker/metadata-action are ignored`,
      "bake lets a target's own `tags` win over the inherited ones (its labels and args still merge key by key); remove `tags`/`latest` to use metadata-action's",
      true,
    );
  }
  // Named one by one, not `...s`: src/expand/records.ts.
  const plan: ServicePlan = {
    name: s.name,
    svc: s.svc,
    context: s.context,
    source: s.source,
    platforms,
    params,
    matrix,
    dockerfile,
    latestCell: latest,
    cache,
    metadataRaw,
    tagVars,
    defaultRepo: `${ctx.input.registry ? `${ctx.input.registry}/` : ''}${name}`,
    attest: attestEntries(svc.attest),
    valueVars: buildTimeVars(ctx, name, 'value'),
    tagNames: tagNamesOf(tagVars),
  };
  if (s.tpl !== undefined) plan.tpl = s.tpl;
  return plan;
}

/** Bake variable -> spec name, per record of build-time variables (one for every service without `version_tags`: buildTimeVars). */
const TAG_NAMES = new WeakMap<Readonly<Record<string, string>>, Readonly<Record<string, string>>>();

function tagNamesOf(tagVars: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let names = TAG_NAMES.get(tagVars);
  if (!names) TAG_NAMES.set(tagVars, (names = Object.fromEntries(Object.entries(tagVars).map(([k, v]) => [v, k]))));
  return names;
}
