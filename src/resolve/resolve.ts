// Stage 3: spec as written -> targets. Applies defaults once, checks paths
// against the repository, expands matrices and interpolates variables.
// Reads the filesystem (paths, templates) but never writes.
import { FileFault, readRegularText } from '../fs/read.js';
import path from 'node:path';
import { closest, pathToString, type Diagnostic } from '../diagnostics.js';
import { positionOf, type LoadedSpec } from '../load/load.js';
import { cellTargetNames, declaredAxes, emptyMatrixProblem, expandMatrix } from '../expand/matrix.js';
import { checkPlatform, KNOWN_PLATFORMS } from '../platforms.js';
import { isInside, kindOf, packageRoot, realpathOrUndefined, toPosix } from '../paths.js';
import { parseTemplate, TemplateError, type ParsedTemplate } from '../render/template.js';
import type { CacheSpec, Cell, DockerfileSource, ResolvedSpec, ServiceInput, SpecInput, Target } from '../spec.js';
import { referenceProblem } from '../validate/reference.js';
import { interpolate, interpolateDyn, varsFor } from './vars.js';
import { METADATA_TARGET } from '../render/hcl.js';
import { GIT_VARIABLES, semverVariables } from '../bake/gitenv.js';
import { dynText, dynVariables, evalDyn, SAMPLE_VALUES, type Dyn } from '../dyn.js';
import { MAX_MATRIX_CELLS, targetBound } from './bound.js';
import { checkOutput } from './outputs.js';
import { unusedMatrixKeys } from './usage.js';
import { analyzeDependencies } from './dependencies.js';
import { placeDockerfiles, type Placement } from './dockerfiles.js';

export { MAX_MATRIX_CELLS };

/** Bake variable -> the name users write, for messages. */
function variableNames(buildTime: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(buildTime).map(([k, v]) => [v, k]));
}

/** Representative values of build-time variables (per-service and stable semver ones included), to check a tag's form. */
function sampleEnv(d: Dyn): Record<string, string> {
  const semver: Record<string, string> = { VERSION: '1.2.3', MAJOR: '1', MINOR: '2', PATCH: '3' };
  return Object.fromEntries(dynVariables(d).map((v) => {
    const m = /^MATRIX_SEMVER_(?:STABLE_)?(VERSION|MAJOR|MINOR|PATCH)(?:__.*)?$/.exec(v);
    return [v, m ? semver[m[1]!]! : SAMPLE_VALUES[v] ?? 'x'];
  }));
}

/** A bake target name (buildx: `^[a-zA-Z0-9_-]+$`). */
const BAKE_NAME = /^[A-Za-z0-9_-]+$/;

/** A template larger than this is refused (the built-ins are a few KiB). */
const MAX_TEMPLATE_BYTES = 1024 * 1024;

export const BUILTIN_TEMPLATES = ['go', 'node', 'python', 'rust', 'static'] as const;
export const DEFAULT_PLATFORMS = ['linux/amd64'];

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
  diagnostics: Diagnostic[];
}

type Path = (string | number)[];

export function resolveSpec(loaded: LoadedSpec, opts: ResolveOptions): Resolution {
  const input = loaded.value as SpecInput;
  const specDir = path.dirname(opts.specPath);
  const realRoot = realpathOrUndefined(opts.repoRoot) ?? opts.repoRoot;
  const diagnostics: Diagnostic[] = [];
  const templates = new Map<string, ParsedTemplate>();
  const reported = new Set<string>();
  const report = (severity: 'error' | 'warning', code: string, at: Path, message: string, hint?: string, onKey = false) => {
    const d: Diagnostic = { code, severity, file: loaded.file, path: pathToString(at), ...positionOf(loaded, at, onKey), message, ...(hint ? { hint } : {}) };
    // A problem in a field shared by several matrix cells (or by every service, in
    // `defaults`) is reported once, at that field, not once per cell.
    const id = `${d.code}\u0000${d.line}:${d.column}`;
    if (reported.has(id)) return;
    reported.add(id);
    diagnostics.push(d);
  };
  const err = (code: string, at: Path, message: string, hint?: string, onKey = false) => report('error', code, at, message, hint, onKey);
  const warn = (code: string, at: Path, message: string, hint?: string, onKey = false) => report('warning', code, at, message, hint, onKey);
  const skip = opts.skipServices ?? new Set<string>();
  const versionTags = input.version_tags === undefined ? undefined : typeof input.version_tags === 'string' ? [input.version_tags] : input.version_tags;
  /** Variables known only at build time, per service and per field kind (tags read the stable semver parts). */
  const buildTimeVars = (service: string, scope: 'tag' | 'value'): Record<string, string> => ({
    ...GIT_VARIABLES,
    ...semverVariables(scope, versionTags ? service : undefined),
  });

  const defaults = input.defaults ?? {};
  const serviceNames = Object.keys(input.services).filter((n) => !skip.has(n));

  (versionTags ?? []).forEach((p, i) => {
    const at: Path = typeof input.version_tags === 'string' ? ['version_tags'] : ['version_tags', i];
    const count = (t: string) => p.split(t).length - 1;
    if (count('{version}') !== 1 || count('{service}') !== 1) {
      err('invalid-value', at, `version_tags pattern \`${p}\` must hold \`{service}\` and \`{version}\` once each`, 'e.g. `{service}/v{version}` matches the git tag `api/v1.2.3` for service api');
    }
  });

  // Count before expanding anything (a matrix in defaults multiplies across services).
  const bound = targetBound(input, skip);
  for (const p of bound.problems) err(p.code, p.at, p.message, p.hint);
  if (bound.stop) return { templates, diagnostics };
  const templateTexts = new Map<string, string>();
  const targets: Target[] = [];
  const byService = new Map<string, string[]>();

  // Where a merged field was written: the service, else `defaults`.
  const origin = (name: string, field: keyof ServiceInput): Path =>
    input.services[name]![field] !== undefined ? ['services', name, field] : ['defaults', field];

  /** A path from the spec, checked to stay inside the repository. Returns it spec-dir-relative, POSIX. */
  const checkPath = (raw: string, at: Path, what: string, want: 'file' | 'dir'): string | undefined => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || /^git@/.test(raw)) {
      err('remote-path', at, `${what} \`${raw}\` is a URL`, `matrix builds from the repository; give a path relative to the spec`);
      return undefined;
    }
    if (path.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw)) {
      err('absolute-path', at, `${what} \`${raw}\` is an absolute path`, 'give a path relative to the spec file, so the spec works in every clone');
      return undefined;
    }
    const abs = path.resolve(specDir, raw);
    if (!isInside(opts.repoRoot, abs)) {
      err('path-outside-repo', at, `${what} \`${raw}\` is outside the repository`, `paths must stay inside ${toPosix(path.relative(opts.cwd, opts.repoRoot) || '.')}`);
      return undefined;
    }
    const kind = kindOf(abs);
    if (kind === 'missing') {
      err('path-not-found', at, `${what} \`${raw}\` does not exist`, want === 'dir' ? 'create the directory, or fix the path' : 'create the file, or fix the path');
      return undefined;
    }
    const real = realpathOrUndefined(abs);
    if (!real || !isInside(realRoot, real)) {
      err('path-outside-repo', at, `${what} \`${raw}\` leads outside the repository through a symbolic link`, 'point at a real directory inside the repository');
      return undefined;
    }
    if (kind !== want) {
      err('wrong-path-kind', at, `${what} \`${raw}\` is not a ${want === 'dir' ? 'directory' : 'file'}`);
      return undefined;
    }
    const rel = toPosix(path.relative(specDir, abs));
    return rel === '' ? '.' : rel;
  };

  // Read through src/fs/read.ts: a FIFO, device or endless file in a template's place is refused, never read.
  const loadTemplate = (key: string, file: string, display: string, at: Path): ParsedTemplate | undefined => {
    if (templates.has(key)) return templates.get(key);
    try {
      const text = readRegularText(file, { maxBytes: MAX_TEMPLATE_BYTES, display });
      const t = parseTemplate(display, text);
      templates.set(key, t);
      templateTexts.set(key, text);
      return t;
    } catch (e) {
      if (e instanceof FileFault) {
        err(e.diagnostics[0]!.code, at, e.message, 'a template must be a regular file of at most 1 MiB');
        return undefined;
      }
      if (!(e instanceof TemplateError)) throw e;
      diagnostics.push({ code: 'template-error', severity: 'error', file: display, line: e.line, column: e.column, path: pathToString(at), message: e.message, hint: e.hint });
      return undefined;
    }
  };

  // Which context directories hold more than one generated Dockerfile decides their names.
  const generatedPerContext = new Map<string, number>();
  interface Pending { name: string; svc: ServiceInput; context: string; source: DockerfileSource; tpl?: ParsedTemplate }
  const pending: Pending[] = [];

  for (const name of serviceNames) {
    const own = input.services[name]!;
    const svc = mergeService(defaults, own);
    const at: Path = ['services', name];

    if (name === 'default' || name === 'docker-metadata-action') {
      err('reserved-name', at, `service name \`${name}\` is reserved`, name === 'default' ? 'bake uses `default` for the group of all targets; rename the service' : 'matrix uses this target for docker/metadata-action; rename the service', true);
      continue;
    }

    if (svc.context === undefined) {
      err('missing-key', at, `service \`${name}\` needs a \`context\``, 'add `context: path/to/dir`, or `context: services/${{ service }}` under `defaults`');
      continue;
    }
    const ctxRaw = interpolate(svc.context, varsFor(name, name, input.registry, {}));
    if (ctxRaw.unknown.length) {
      err('unknown-variable', origin(name, 'context'), `unknown variable \`${ctxRaw.unknown[0]}\` in context`, 'only `${{ service }}` is available in `context`');
      continue;
    }
    const context = checkPath(ctxRaw.value, origin(name, 'context'), 'context', 'dir');

    const hasOwnSource = own.template !== undefined || own.dockerfile !== undefined;
    const template = hasOwnSource ? own.template : defaults.template;
    const dockerfile = hasOwnSource ? own.dockerfile : defaults.dockerfile;
    if (template !== undefined && dockerfile !== undefined) {
      err('conflicting-keys', at, `service \`${name}\` has both \`template\` and \`dockerfile\``, 'use `template` to generate the Dockerfile, or `dockerfile` to build a hand-written one', true);
      continue;
    }
    if (template === undefined && dockerfile === undefined) {
      err('missing-key', at, `service \`${name}\` needs a \`template\` or a \`dockerfile\``, `add \`template: go\` (built-ins: ${BUILTIN_TEMPLATES.join(', ')}) or \`dockerfile: path/to/Dockerfile\``, true);
      continue;
    }
    if (context === undefined) continue;

    let source: DockerfileSource | undefined;
    let tpl: ParsedTemplate | undefined;
    if (dockerfile !== undefined) {
      const file = checkPath(dockerfile, origin(name, 'dockerfile'), 'dockerfile', 'file');
      if (file) source = { kind: 'dockerfile', file };
    } else if ((BUILTIN_TEMPLATES as readonly string[]).includes(template!)) {
      const file = path.join(packageRoot(), 'templates', `${template}.Dockerfile.hbs`);
      tpl = loadTemplate(`builtin:${template}`, file, `templates/${template}.Dockerfile.hbs`, origin(name, 'template'));
      source = { kind: 'template', template: template!, builtin: true, file: `builtin:${template}` };
    } else if (template!.endsWith('.hbs')) {
      const file = checkPath(template!, origin(name, 'template'), 'template', 'file');
      if (file) {
        tpl = loadTemplate(file, path.resolve(specDir, file), file, origin(name, 'template'));
        source = { kind: 'template', template: file, builtin: false, file };
      }
    } else {
      const guess = closest(template!, BUILTIN_TEMPLATES);
      err('unknown-template', origin(name, 'template'), `unknown template \`${template}\``, guess ? `did you mean \`${guess}\`?` : `built-ins are ${BUILTIN_TEMPLATES.join(', ')}; your own template is a path ending in .hbs`);
    }
    if (!source) continue;
    if (source.kind === 'template' && !tpl) continue;
    if (source.kind === 'template') generatedPerContext.set(context, (generatedPerContext.get(context) ?? 0) + 1);
    pending.push({ name, svc, context, source, tpl });
  }

  // A hand-written Dockerfile at CONTEXT/Dockerfile keeps its name; generated ones move aside.
  const handWritten = new Set(pending.flatMap((p) => (p.source.kind === 'dockerfile' ? [p.source.file] : [])));
  for (const { name, svc, context, source, tpl } of pending) {
    const at: Path = ['services', name];
    const platforms = svc.platforms ?? input.platforms ?? DEFAULT_PLATFORMS;
    const platformsAt: Path = input.services[name]!.platforms ? origin(name, 'platforms') : defaults.platforms ? ['defaults', 'platforms'] : ['platforms'];
    let platformsOk = true;
    platforms.forEach((p, i) => {
      const c = checkPlatform(p);
      if (c.ok) return;
      platformsOk = false;
      if (c.reason === 'alias') {
        err('unknown-platform', [...platformsAt, i], `\`${p}\` is not a canonical platform name: containerd reads it as \`${c.canonical}\``, `did you mean \`${c.canonical}\`? (one spelling per platform keeps target names, caches and plans in agreement)`);
        return;
      }
      const guess = closest(p, KNOWN_PLATFORMS);
      const osOnly = c.reason === 'invalid' && !p.includes('/') && /^[a-z]+$/i.test(p);
      err('unknown-platform', [...platformsAt, i], `unknown platform \`${p}\``,
        osOnly ? `give the architecture too, e.g. \`${p.toLowerCase()}/amd64\`` : guess ? `did you mean \`${guess}\`?` : `a platform is os/arch[/variant], e.g. ${KNOWN_PLATFORMS.slice(0, 6).join(', ')}`);
    });
    if (!platformsOk) continue;

    // Template parameters: declared ones only, defaults applied, required ones present.
    let withValues: Record<string, string | string[]> = {};
    if (tpl) {
      const given = svc.with ?? {};
      const declared = tpl.meta.params;
      let ok = true;
      for (const key of Object.keys(given)) {
        if (!Object.hasOwn(declared, key)) {
          ok = false;
          const guess = closest(key, Object.keys(declared));
          err('unknown-param', [...origin(name, 'with'), key], `template \`${source.kind === 'template' ? source.template : ''}\` has no parameter \`${key}\``, guess ? `did you mean \`${guess}\`?` : `its parameters: ${Object.keys(declared).join(', ') || 'none'}`, true);
        }
      }
      for (const [key, param] of Object.entries(declared)) {
        const v = given[key] ?? param.default;
        if (v === undefined) {
          if (param.required) {
            ok = false;
            err('missing-param', at, `template parameter \`${key}\` is required`, param.description ? `${key}: ${param.description}` : `add it under \`with:\``, true);
          }
          continue;
        }
        withValues[key] = Array.isArray(v) ? v.map(String) : String(v);
      }
      if (!ok) continue;
    } else if (svc.with !== undefined) {
      err('unused-key', origin(name, 'with'), '`with` only applies to templates', 'remove it, or use `args` to pass values to a hand-written Dockerfile', true);
      continue;
    }

    if (bound.tooLarge.has(name)) continue; // reported before anything was expanded
    if (svc.matrix) {
      const empty = emptyMatrixProblem(svc.matrix);
      if (empty) {
        err('empty-matrix', origin(name, 'matrix'), empty.message, empty.hint);
        continue;
      }
    }
    const { axes, cells } = expandMatrix(svc.matrix);
    const declared = declaredAxes(svc.matrix);
    if (svc.matrix) {
      let ok = true;
      (svc.matrix.exclude ?? []).forEach((ex, i) => {
        for (const k of Object.keys(ex)) {
          if (!declared.includes(k)) {
            ok = false;
            const guess = closest(k, declared);
            err('unknown-axis', [...origin(name, 'matrix'), 'exclude', i, k], `exclude names \`${k}\`, which is not an axis of this matrix`, guess ? `did you mean \`${guess}\`?` : `axes: ${declared.join(', ') || 'none'}`, true);
          }
        }
      });
      if (!ok) continue;
      if (cells.length === 0) {
        err('empty-matrix', origin(name, 'matrix'), 'the matrix excludes every combination', 'remove an `exclude` entry, or the service');
        continue;
      }
      // An include key that is no axis is a variable (as on GitHub); one nothing reads is probably a typo.
      const tplText = source.kind === 'template' ? templateTexts.get(source.file) : undefined;
      for (const u of unusedMatrixKeys(svc, declared, tplText)) {
        const guess = closest(u.key, declared);
        warn('unused-matrix-key', [...origin(name, 'matrix'), 'include', u.include, u.key], `include key \`${u.key}\` is not an axis, and no tag, arg, label, annotation, parameter or template reads \`\${{ matrix.${u.key} }}\``,
          guess ? `did you mean \`${guess}\`? (an include key that names an axis selects combinations; any other key only adds a variable)` : `axes: ${declared.join(', ') || 'none'}; use \`\${{ matrix.${u.key} }}\` somewhere, or remove it`, true);
      }
    }
    const naming = cellTargetNames(name, declared, cells);
    if (svc.matrix && naming.clashes.length) {
      for (const [a, b] of naming.clashes) {
        err('name-collision', origin(name, 'matrix'), `the matrix gives two combinations one target name \`${naming.names[a]}\`: ${cellText(cells[a]!)} and ${cellText(cells[b]!)}`, 'each include entry must add a combination of its own; remove the repeated one');
      }
      continue;
    }

    const names: string[] = [];
    const multi = svc.matrix !== undefined;
    // One generated Dockerfile per service: `Dockerfile`, or `SERVICE.Dockerfile` when
    // services share a context. (Rendering may split it per cell, see render/files.ts.)
    const plain = context === '.' ? 'Dockerfile' : `${context}/Dockerfile`;
    const generatedName = (generatedPerContext.get(context) ?? 0) > 1 || handWritten.has(plain) ? `${name}.Dockerfile` : 'Dockerfile';

    // `latest`: which single cell (if any) also gets REPO:latest.
    const defaultRepo = `${input.registry ? `${input.registry}/` : ''}${name}`;
    let latestCell: number | undefined;
    if (multi && svc.latest !== undefined && svc.latest !== false) {
      const latestAt = origin(name, 'latest');
      if (svc.latest === true) {
        err('ambiguous-latest', latestAt, '`latest: true` on a service with a matrix does not say which image is latest', 'name the combination, e.g. `latest: { python: "3.12" }`');
        continue;
      }
      const pairs = Object.entries(svc.latest).map(([k, v]) => [k, String(v)] as const);
      const matches = cells.flatMap((c, i) => (pairs.every(([k, v]) => c[k] === v) ? [i] : []));
      if (matches.length !== 1) {
        err('ambiguous-latest', latestAt, `\`latest\` matches ${matches.length} matrix combinations; it must match exactly one`, 'add axis values until one combination is left');
        continue;
      }
      latestCell = matches[0];
    }
    const cache = normalizeCache(svc.cache);
    if (cache?.dir !== undefined) {
      const dir = path.posix.normalize(cache.dir);
      if (path.isAbsolute(cache.dir) || dir.startsWith('../')) {
        err('path-outside-repo', [...origin(name, 'cache'), 'dir'], `cache dir \`${cache.dir}\` is not inside the repository`, 'leave `dir` out to keep the cache in a machine-local directory outside the repository');
        continue;
      }
      if (context === '.' || dir === context || dir.startsWith(`${context}/`)) {
        err('cache-in-context', [...origin(name, 'cache'), 'dir'], `cache dir \`${cache.dir}\` is inside the build context \`${context}\`: every export would change the context and miss the cache`, 'leave `dir` out (matrix then keeps the cache outside the repository), or put it outside the context');
        continue;
      }
    }
    const attest = attestEntries(svc.attest);

    const valueVars = buildTimeVars(name, 'value');
    const tagVars = buildTimeVars(name, 'tag');
    const tagNames = variableNames(tagVars);
    const metadataRaw = svc.metadata_action === true ? METADATA_TARGET : svc.metadata_action === false ? undefined : svc.metadata_action;
    if (metadataRaw !== undefined && (svc.tags !== undefined || (svc.latest !== undefined && svc.latest !== false))) {
      // bake: a target's own attribute wins over what it inherits, so these tags replace metadata-action's.
      const own = svc.tags !== undefined ? origin(name, 'tags') : origin(name, 'latest');
      warn('metadata-tags-ignored', own, `\`${name}\` sets its own tags, so the tags from docker/metadata-action are ignored`,
        'bake lets a target\'s own `tags` win over the inherited ones (its labels and args still merge key by key); remove `tags`/`latest` to use metadata-action\'s', true);
    }

    cells.forEach((cell, cellIndex) => {
      const tname = multi ? naming.names[cellIndex]! : name;
      // A key that only some combinations have (from include) reads as empty in the others, as on GitHub.
      const vars = varsFor(name, tname, input.registry, withAllKeys(axes, cell));
      const sub = (raw: string, where: Path, field: string, scope: 'tag' | 'value' = 'value'): Dyn | undefined => {
        const buildTime = scope === 'tag' ? tagVars : valueVars;
        const r = interpolateDyn(raw, vars, buildTime);
        if (r.unknown.length) {
          const avail = [...vars.keys(), ...Object.keys(buildTime)].map((k) => '${{ ' + k + ' }}').join(', ');
          const guess = closest(r.unknown[0]!, [...vars.keys(), ...Object.keys(buildTime)]);
          err('unknown-variable', where, `unknown variable \`${r.unknown[0]}\` in ${field}`, guess ? `did you mean \`\${{ ${guess} }}\`? available here: ${avail}` : `available here: ${avail}`);
          return undefined;
        }
        return r.value;
      };
      /** Values known when files are generated (with:, metadata_action, output): git values are not. */
      const subStatic = (raw: string, where: Path, field: string): string | undefined => {
        const r = interpolate(raw, vars);
        if (!r.unknown.length) return r.value;
        const name0 = r.unknown[0]!;
        const gitValue = Object.hasOwn(valueVars, name0);
        err('unknown-variable', where, gitValue ? `\`\${{ ${name0} }}\` in ${field} is known only at build time` : `unknown variable \`${name0}\` in ${field}`,
          gitValue ? `${field} is fixed when the files are generated; pass git values through \`args\` instead` : `available here: ${[...vars.keys()].map((k) => '${{ ' + k + ' }}').join(', ')}`);
        return undefined;
      };
      let ok = true;
      const withCell: Record<string, string | string[]> = {};
      const withOrigin = (key: string): Path => (input.services[name]!.with && Object.hasOwn(input.services[name]!.with!, key) ? ['services', name, 'with', key] : ['defaults', 'with', key]);
      for (const [key, v] of Object.entries(withValues)) {
        if (Array.isArray(v)) {
          const out: string[] = [];
          v.forEach((item, i) => {
            const r = subStatic(item, [...withOrigin(key), i], `with.${key}`);
            if (r === undefined) ok = false;
            else out.push(r);
          });
          withCell[key] = out;
        } else {
          const r = subStatic(v, withOrigin(key), `with.${key}`);
          if (r === undefined) ok = false;
          else withCell[key] = r;
        }
      }
      let metadataAction: string | undefined;
      if (metadataRaw !== undefined) {
        const where = origin(name, 'metadata_action');
        const r = subStatic(metadataRaw, where, 'metadata_action');
        if (r === undefined) ok = false;
        else if (!BAKE_NAME.test(r)) {
          ok = false;
          err('invalid-name', where, `metadata_action target \`${r}\` is not a valid bake target name`, 'a bake target name is letters, digits, `_` and `-` (metadata-action\'s `bake-target` input)');
        } else metadataAction = r;
      }
      const outputs: string[] = [];
      (svc.output ?? []).forEach((raw, i) => {
        const where: Path = [...origin(name, 'output'), i];
        const r = subStatic(raw, where, 'output');
        if (r === undefined) return void (ok = false);
        const checked = checkOutput(r, { specDir, repoRoot: opts.repoRoot, realRoot });
        if ('problem' in checked) {
          ok = false;
          err('invalid-output', where, checked.problem.message, checked.problem.hint);
        } else outputs.push(checked.value);
      });
      const cellSuffix = tname === name ? 'latest' : tname.slice(name.length + 1);
      // A metadata-action target gets its tags from metadata-action: no default tag of ours may replace them.
      const defaultTags = metadataAction === undefined && (multi || svc.latest !== false) ? [`${defaultRepo}:${cellSuffix}`] : [];
      const tagsRaw = svc.tags ?? defaultTags;
      const tags: Dyn[] = [];
      const checkTag = (v: Dyn, where: Path, hint: string) => {
        const text = evalDyn(v, sampleEnv(v))!;
        const problem = referenceProblem(text);
        if (problem) {
          ok = false;
          err('invalid-tag', where, `tag \`${dynText(v, tagNames)}\` ${problem}`, hint);
          return;
        }
        tags.push(v);
      };
      tagsRaw.forEach((t, i) => {
        // A default tag is made of `registry` and the service name: point at `registry`.
        const where: Path = svc.tags ? [...origin(name, 'tags'), i] : input.registry !== undefined ? ['registry'] : at;
        const v = sub(t, where, 'tags', 'tag');
        if (v === undefined) return void (ok = false);
        checkTag(v, where, svc.tags ? 'a tag is [registry/]name[:tag] in lower case, e.g. ghcr.io/acme/api:1.2' : '`registry` and the service name must form a valid image name');
      });
      if (latestCell === cellIndex) checkTag(`${defaultRepo}:latest`, origin(name, 'latest'), '`registry` and the service name must form a valid image name');
      const mapField = (field: 'args' | 'labels' | 'annotations'): Record<string, Dyn> => {
        // Entries, then fromEntries: keys such as `__proto__` stay ordinary keys.
        const entries: [string, Dyn][] = [];
        const own = input.services[name]![field];
        for (const [k, raw] of Object.entries(svc[field] ?? {})) {
          const where: Path = own && Object.hasOwn(own, k) ? ['services', name, field, k] : ['defaults', field, k];
          const v = sub(String(raw), where, field);
          if (v === undefined) ok = false;
          else entries.push([k, v]);
        }
        return Object.fromEntries(entries);
      };
      const args = mapField('args');
      const labels = mapField('labels');
      const annotations = mapField('annotations');
      if (!ok) return;
      const dockerfile =
        source.kind === 'dockerfile' ? source.file : context === '.' ? generatedName : `${context}/${generatedName}`;
      targets.push({
        name: tname, service: name, cell, axes, context, source, dockerfile, platforms, tags, args, labels, annotations,
        ...(svc.target !== undefined ? { stage: svc.target } : {}),
        secrets: svc.secrets ?? [],
        contexts: {},
        with: withCell,
        ...(metadataAction !== undefined ? { metadataAction } : {}),
        outputs,
        ...(cache ? { cache } : {}),
        attest,
      });
      names.push(tname);
    });
    byService.set(name, names);
  }

  // User groups: members are services (all their cells) or target names.
  function resolveGroups(): [string, string[]][] {
    const out: [string, string[]][] = [];
    const targetNames = new Set(targets.map((t) => t.name));
    for (const [group, members] of Object.entries(input.groups ?? {})) {
      const at: Path = ['groups', group];
      if (group === 'default' || byService.has(group) || targetNames.has(group)) {
        err('name-collision', at, `group \`${group}\` has the name of ${group === 'default' ? 'the built-in group of all targets' : 'a service or target'}`, 'bake has one namespace for targets and groups; rename the group', true);
        continue;
      }
      const list: string[] = [];
      members.forEach((m, i) => {
        if (byService.has(m)) list.push(...byService.get(m)!);
        else if (!byService.has(m) && (skip.has(m) || Object.hasOwn(input.services, m))) return; // that service is invalid: reported already
        else if (targetNames.has(m)) list.push(m);
        else {
          const guess = closest(m, [...byService.keys(), ...targetNames]);
          err('unknown-group-member', [...at, i], `group member \`${m}\` is not a service or target`, guess ? `did you mean \`${guess}\`?` : 'run `matrix plan` to list targets');
        }
      });
      out.push([group, [...new Set(list)]]);
    }
    return out;
  }
  const groups = resolveGroups();
  const bakeFile = input.bake_file ?? 'docker-bake.hcl';
  const specRepoPath = toPosix(path.relative(opts.repoRoot, opts.specPath));
  return {
    templates,
    diagnostics,
    spec: {
      file: loaded.file,
      specName: toPosix(path.basename(opts.specPath)),
      specRepoPath,
      bakeFile,
      ...(input.registry !== undefined ? { registry: input.registry } : {}),
      targets: finishTargets(input, targets, byService, { registry: input.registry, specRepoPath, templates }),
      services: byService,
      groups,
      ociLabels: input.oci_labels !== false,
      ...(versionTags ? { versionTags } : {}),
      ...(input.reproducible?.source_date_epoch !== undefined ? { sourceDateEpoch: input.reproducible.source_date_epoch } : {}),
    },
  };
}

/**
 * The last facts later stages read: each target's named contexts (its sound
 * depends_on edges), then its Dockerfile's final name (which needs the contexts,
 * as templates may read `dependencies`).
 */
function finishTargets(input: SpecInput, targets: readonly Target[], byService: ReadonlyMap<string, readonly string[]>, where: Placement): Target[] {
  const { contexts } = analyzeDependencies(input, byService, targets);
  const linked = targets.map((t) => ({ ...t, contexts: { ...contexts.get(t.name) } }));
  // Targets come service by service, in spec order: place each service's run.
  const out: Target[] = [];
  for (let i = 0; i < linked.length;) {
    let j = i + 1;
    while (j < linked.length && linked[j]!.service === linked[i]!.service) j++;
    out.push(...placeDockerfiles(linked.slice(i, j), where));
    i = j;
  }
  return out;
}

/** The cell with every key of its matrix, '' where this combination lacks one. */
export function withAllKeys(axes: readonly string[], cell: Cell): Cell {
  return Object.fromEntries([...axes.map((a) => [a, cell[a] ?? ''] as const), ...Object.entries(cell)]);
}

function cellText(c: Cell): string {
  return `{${Object.entries(c).map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
}

function normalizeCache(c: ServiceInput['cache']): CacheSpec | undefined {
  if (c === undefined) return undefined;
  const input = typeof c === 'string' ? { type: c } : c;
  if (input.type === 'none') return undefined;
  return {
    type: input.type,
    mode: input.mode ?? 'max',
    ...(input.ref !== undefined ? { ref: input.ref } : {}),
    // Without `dir`, a local cache lives outside the repository (see render/cache.ts).
    ...(input.type === 'local' && input.dir !== undefined ? { dir: input.dir } : {}),
  };
}

function attestEntries(a: ServiceInput['attest']): string[] {
  if (!a) return [];
  const out: string[] = [];
  if (a.sbom) out.push('type=sbom');
  if (a.provenance === false) out.push('type=provenance,disabled=true');
  else if (a.provenance) out.push(`type=provenance,mode=${a.provenance}`);
  return out;
}

/** Defaults under a service: scalars and lists are replaced, maps merged key by key. */
export function mergeService(defaults: ServiceInput, own: ServiceInput): ServiceInput {
  const out: ServiceInput = { ...defaults, ...own };
  for (const key of ['args', 'labels', 'with'] as const) {
    if (defaults[key] && own[key]) (out as Record<string, unknown>)[key] = { ...defaults[key], ...own[key] };
  }
  return out;
}
