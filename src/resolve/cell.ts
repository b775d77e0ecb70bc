// One matrix cell of a service -> one target: every field interpolated with the
// cell's variables, tags checked, outputs checked.
import { closest, type DiagnosticCode } from '../diagnostics.js';
import { cellValue } from '../expand/matrix.js';
import { dynText, dynVariables, evalDyn, SAMPLE_VALUES, type Dyn } from '../dyn.js';
import type { Cell, Target } from '../spec.js';
import { lowerCaseRepository, referenceProblem, UPPER_CASE_NAME } from '../validate/reference.js';
import { keyOrigin, origin, type Path, type ResolveContext } from './context.js';
import { checkOutput } from './outputs.js';
import { alike, NO_ENTRIES, NO_ITEMS } from './shared.js';
import type { ServicePlan } from './service.js';
import { interpolate, interpolateDyn, varsFor, type Vars } from './vars.js';

/** A bake target name (buildx: `^[a-zA-Z0-9_-]+$`). */
const BAKE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * docker/metadata-action's pattern expressions (README `type=semver`: `raw`,
 * `version`, `major`, `minor`, `patch`; "Global expressions": `branch`,
 * `tag`, `sha`, the commit's short sha) and the spec's variable for each.
 */
const METADATA_ACTION_EXPRESSIONS: Readonly<Record<string, string>> = {
  version: 'semver.version',
  major: 'semver.major',
  minor: 'semver.minor',
  patch: 'semver.patch',
  raw: 'git.tag',
  tag: 'git.tag',
  branch: 'git.branch',
  sha: 'git.short_sha',
};

/** The spec's variable for a name written as metadata-action names it (`version`), when one is available here. */
function metadataActionName(name: string, known: readonly string[]): string | undefined {
  const v = Object.hasOwn(METADATA_ACTION_EXPRESSIONS, name) ? METADATA_ACTION_EXPRESSIONS[name] : undefined;
  return v !== undefined && known.includes(v) ? v : undefined;
}

/** metadata-action's other global expressions (README "Global expressions"): no spec variable gives them. */
const METADATA_ACTION_ONLY = new Set(['date', 'commit_date', 'base_ref', 'is_default_branch', 'is_not_default_branch']);

/** For a tag written with metadata-action's patterns (`{{version}}`): what to write in a spec instead. */
function patternHint(raw: string, known: readonly string[]): string | undefined {
  const found = [...raw.matchAll(/(?<!\$)\{\{\s*([A-Za-z_]+)[^}]*\}\}/g)].filter((m) => Object.hasOwn(METADATA_ACTION_EXPRESSIONS, m[1]!) || METADATA_ACTION_ONLY.has(m[1]!));
  if (!found.length) return undefined;
  const each = found.map(([text, name]) => {
    const v = metadataActionName(name!, known);
    return v ? `\`\${{ ${v} }}\` for \`${text}\`` : `no variable gives \`${text}\``;
  });
  return `\`{{...}}\` is docker/metadata-action's pattern syntax, which a spec does not read (its variables are \`\${{ ... }}\`): ${each.join(', ')}`;
}

/** Interpolation in one cell; a field that fails is reported and sets `ok` false. */
class CellScope {
  ok = true;
  readonly vars: Vars;

  constructor(
    readonly ctx: ResolveContext,
    readonly plan: ServicePlan,
    readonly target: string,
    cell: Cell,
  ) {
    // A key that only some combinations have (from include) reads as empty in the others, as on GitHub.
    // withAllKeys(axes, cell), set straight into the map: the same keys in the same order, no record between.
    // The axes hold every key of every combination once, whatever its case, and a key is read whatever the case
    // this combination spells it in (`OS` from an include entry beside axis `os`).
    const vars = varsFor(plan.name, target, ctx.input.registry, NO_ENTRIES);
    for (const a of plan.matrix.axes) vars.set(`matrix.${a}`, cellValue(cell, a) ?? '');
    this.vars = vars;
  }

  /** A value that may hold build-time (git) variables. */
  dyn(raw: string, where: Path, field: string, scope: 'tag' | 'value' = 'value'): Dyn | undefined {
    const buildTime = scope === 'tag' ? this.plan.tagVars : this.plan.valueVars;
    const r = interpolateDyn(raw, this.vars, buildTime);
    if (!r.unknown.length) return r.value;
    const known = [...this.vars.keys(), ...Object.keys(buildTime)];
    const avail = known.map((k) => '${{ ' + k + ' }}').join(', ');
    // metadata-action's name for a value (`version`) before a spelling guess.
    const guess = metadataActionName(r.unknown[0]!, known) ?? closest(r.unknown[0]!, known);
    this.fail('unknown-variable', where, `unknown variable \`${r.unknown[0]}\` in ${field}`, guess ? `did you mean \`\${{ ${guess} }}\`? available here: ${avail}` : `available here: ${avail}`);
    return undefined;
  }

  /** A value known when files are generated (with:, metadata_action, output): git values are not. */
  fixed(raw: string, where: Path, field: string): string | undefined {
    const r = interpolate(raw, this.vars);
    if (!r.unknown.length) return r.value;
    const name0 = r.unknown[0]!;
    const gitValue = Object.hasOwn(this.plan.valueVars, name0);
    this.fail(
      'unknown-variable',
      where,
      gitValue ? `\`\${{ ${name0} }}\` in ${field} is known only at build time` : `unknown variable \`${name0}\` in ${field}`,
      gitValue ? `${field} is fixed when the files are generated; pass git values through \`args\` instead` : `available here: ${[...this.vars.keys()].map((k) => '${{ ' + k + ' }}').join(', ')}`,
    );
    return undefined;
  }

  fail(code: DiagnosticCode, where: Path, message: string, hint?: string): void {
    this.ok = false;
    this.ctx.report.err(code, where, message, hint);
  }
}

/** The target of cell `index`, or undefined (reported). Parts equal to `prev`'s (the service's previous target) are `prev`'s. */
export function resolveCell(ctx: ResolveContext, plan: ServicePlan, index: number, prev?: Target): Target | undefined {
  const cell = plan.matrix.cells[index]!;
  const name = plan.matrix.names[index]!;
  const scope = new CellScope(ctx, plan, name, cell);
  const withCell = cellWith(scope);
  const metadataAction = cellMetadataAction(scope);
  const outputs = cellOutputs(scope);
  const tags = cellTags(scope, index, metadataAction);
  const args = cellMap(scope, 'args');
  const labels = cellMap(scope, 'labels');
  const annotations = cellMap(scope, 'annotations');
  if (!scope.ok) return undefined;
  const { svc, context, source } = plan;
  return {
    name,
    service: plan.name,
    cell,
    axes: plan.matrix.axes,
    context,
    source,
    dockerfile: plan.dockerfile,
    platforms: plan.platforms,
    tags,
    args: alike(args, prev?.args),
    ownArgs: alike(Object.keys(ctx.input.services[plan.name]?.args ?? {}), prev?.ownArgs),
    labels: alike(labels, prev?.labels),
    annotations: alike(annotations, prev?.annotations),
    ...(svc.target !== undefined ? { stage: svc.target } : {}),
    secrets: svc.secrets ?? NO_ITEMS,
    contexts: NO_ENTRIES,
    with: alike(withCell, prev?.with),
    ...(metadataAction !== undefined ? { metadataAction } : {}),
    outputs: alike(outputs, prev?.outputs),
    ...(plan.cache ? { cache: plan.cache } : {}),
    attest: plan.attest,
  };
}

/** A value with no `${{`: interpolating it gives it back, and nothing can fail, so its place in the spec is not looked up. */
const plain = (s: string) => !s.includes('${{');

/** A service's `with` when no value of it has a variable: every cell's is that one record (the model is readonly). */
const PLAIN_WITH = new WeakMap<ServicePlan, Record<string, string | string[]>>();

function cellWith(scope: CellScope): Record<string, string | string[]> {
  const { ctx, plan } = scope;
  const known = PLAIN_WITH.get(plan);
  if (known) return known;
  const out: Record<string, string | string[]> = {};
  let allPlain = true;
  for (const [key, v] of Object.entries(plan.params)) {
    if (Array.isArray(v) ? v.every(plain) : plain(v)) {
      out[key] = Array.isArray(v) ? [...v] : v;
      continue;
    }
    allPlain = false;
    const at = keyOrigin(ctx, plan.name, 'with', key);
    if (Array.isArray(v)) {
      const list: string[] = [];
      v.forEach((item, i) => {
        const r = scope.fixed(item, [...at, i], `with.${key}`);
        if (r !== undefined) list.push(r);
      });
      out[key] = list;
    } else {
      const r = scope.fixed(v, at, `with.${key}`);
      if (r !== undefined) out[key] = r;
    }
  }
  if (allPlain) PLAIN_WITH.set(plan, out);
  return out;
}

function cellMetadataAction(scope: CellScope): string | undefined {
  const { ctx, plan } = scope;
  if (plan.metadataRaw === undefined) return undefined;
  const where = origin(ctx, plan.name, 'metadata_action');
  const r = scope.fixed(plan.metadataRaw, where, 'metadata_action');
  if (r === undefined) return undefined;
  if (BAKE_NAME.test(r)) return r;
  scope.fail('invalid-name', where, `metadata_action target \`${r}\` is not a valid bake target name`, "a bake target name is letters, digits, `_` and `-` (metadata-action's `bake-target` input)");
  return undefined;
}

function cellOutputs(scope: CellScope): string[] {
  const { ctx, plan } = scope;
  const outputs: string[] = [];
  (plan.svc.output ?? []).forEach((raw, i) => {
    const where: Path = [...origin(ctx, plan.name, 'output'), i];
    const r = scope.fixed(raw, where, 'output');
    if (r === undefined) return;
    const checked = checkOutput(r, { specDir: ctx.specDir, repoRoot: ctx.repoRoot, realRoot: ctx.realRoot });
    if ('problem' in checked) scope.fail(checked.problem.code ?? 'invalid-output', where, checked.problem.message, checked.problem.hint);
    else outputs.push(checked.value);
  });
  return outputs;
}

/** The cell's tags: the service's own, else a default one; plus REPO:latest on the latest cell. */
function cellTags(scope: CellScope, index: number, metadataAction: string | undefined): Dyn[] {
  const { ctx, plan } = scope;
  const { svc, name } = plan;
  const multi = svc.matrix !== undefined;
  const tname = scope.plan.matrix.names[index]!;
  const cellSuffix = tname === name ? 'latest' : tname.slice(name.length + 1);
  // A metadata-action target gets its tags from metadata-action: no default tag of ours may replace them.
  const defaultTags = metadataAction === undefined && (multi || svc.latest !== false) ? [`${plan.defaultRepo}:${cellSuffix}`] : [];
  const tags: Dyn[] = [];
  const check = (v: Dyn, where: Path, hint: string) => {
    // A tag without build-time variables is its own sample.
    const problem = referenceProblem(typeof v === 'string' ? v : evalDyn(v, sampleEnv(v))!);
    const written = dynText(v, plan.tagNames);
    if (problem) scope.fail('invalid-tag', where, `tag \`${written}\` ${problem}`, problem === UPPER_CASE_NAME ? lowerCaseHint(written, where) : hint);
    else tags.push(v);
  };
  (svc.tags ?? defaultTags).forEach((t, i) => {
    // A default tag is made of `registry` and the service name: point at `registry`.
    const where: Path = svc.tags ? [...origin(ctx, name, 'tags'), i] : ctx.input.registry !== undefined ? ['registry'] : ['services', name];
    const v = scope.dyn(t, where, 'tags', 'tag');
    const hint = svc.tags
      ? (patternHint(t, [...Object.keys(plan.tagVars)]) ?? 'a tag is [registry/]name[:tag] in lower case, e.g. ghcr.io/acme/api:1.2')
      : '`registry` and the service name must form a valid image name';
    if (v !== undefined) check(v, where, hint);
  });
  // The latest cell of a matrix; or a plain service that says `latest: true` beside tags of its own (without them, its default tag is :latest).
  const latest = plan.latestCell === index || (!multi && svc.latest === true && svc.tags !== undefined);
  if (latest && !tags.includes(`${plan.defaultRepo}:latest`)) check(`${plan.defaultRepo}:latest`, origin(ctx, name, 'latest'), '`registry` and the service name must form a valid image name');
  return tags;
}

/** args, labels or annotations of the cell. Entries, then fromEntries: keys such as `__proto__` stay ordinary keys. */
function cellMap(scope: CellScope, field: 'args' | 'labels' | 'annotations'): Record<string, Dyn> {
  const { ctx, plan } = scope;
  const entries: [string, Dyn][] = [];
  for (const [k, raw] of Object.entries(plan.svc[field] ?? {})) {
    const text = String(raw);
    const v = plain(text) ? text : scope.dyn(text, keyOrigin(ctx, plan.name, field, k), field);
    if (v !== undefined) entries.push([k, v]);
  }
  return Object.fromEntries(entries);
}

/** Representative values of build-time variables (per-service and stable semver ones included), to check a tag's form. */
function sampleEnv(d: Dyn): Record<string, string> {
  const semver: Record<string, string> = { VERSION: '1.2.3', MAJOR: '1', MINOR: '2', PATCH: '3' };
  return Object.fromEntries(
    dynVariables(d).map((v) => {
      const m = /^MATRIX_SEMVER_(?:STABLE_)?(VERSION|MAJOR|MINOR|PATCH)(?:__.*)?$/.exec(v);
      return [v, m ? semver[m[1]!]! : (SAMPLE_VALUES[v] ?? 'x')];
    }),
  );
}

/** The hint for an image name with upper-case letters: the name in lower case, which registries take. */
function lowerCaseHint(written: string, where: Path): string {
  const lower = lowerCaseRepository(written);
  return where[0] === 'registry' ? `write \`registry\` in lower case: the tag is then \`${lower}\`` : `write the name in lower case: \`${lower}\` (registries refuse upper case in a repository name)`;
}
