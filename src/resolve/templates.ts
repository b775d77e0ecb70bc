// Templates: which one a service uses (a built-in, or a spec-relative `.hbs`),
// read once each, parsed, and the parameters it declares applied.
import path from 'node:path';
import { FileFault, readRegularText } from '../fs/read.js';
import { closest, diagnostic } from '../diagnostics.js';
import { exists } from '../fs/probe.js';
import { detectPattern } from './detect-pattern.js';
import { packageRoot, realpathOrUndefined } from '../paths.js';
import { DEFAULT_REF, parseTemplate, TemplateError, type ParsedTemplate, type TemplateParam } from '../render/template.js';
import type { DockerfileSource, ServiceInput } from '../spec.js';
import { origin, type Path, type ResolveContext } from './context.js';
import { checkPath, insideNormalized } from './paths.js';
import { sizeText } from '../size-text.js';

export const BUILTIN_TEMPLATES = ['go', 'node', 'python', 'rust', 'static', 'java', 'php'] as const;

/** A template larger than this is refused (the built-ins are a few KiB). */
const MAX_TEMPLATE_BYTES = 1024 * 1024;

/** Parsed templates and their text, by spec-relative path (built-ins by `builtin:NAME`). */
export class TemplateStore {
  readonly parsed = new Map<string, ParsedTemplate>();
  readonly texts = new Map<string, string>();

  // Read through src/fs/read.ts: a FIFO, device or endless file in a template's place is refused, never read.
  load(ctx: ResolveContext, key: string, file: string, display: string, at: Path): ParsedTemplate | undefined {
    if (this.parsed.has(key)) return this.parsed.get(key);
    try {
      const text = readRegularText(file, { maxBytes: MAX_TEMPLATE_BYTES, display });
      const t = parseTemplate(display, text);
      this.parsed.set(key, t);
      this.texts.set(key, text);
      return t;
    } catch (e) {
      if (e instanceof FileFault) {
        ctx.report.err(e.diagnostics[0]!.code, at, e.message, `a template must be a regular file of at most ${sizeText(MAX_TEMPLATE_BYTES, 'bytes')}`);
        return undefined;
      }
      if (!(e instanceof TemplateError)) throw e;
      ctx.report.push(diagnostic({ code: 'template-error', file: display, line: e.line, column: e.column, path: at, message: e.message, hint: e.hint }));
      return undefined;
    }
  }
}

export interface Source {
  source: DockerfileSource;
  /** The parsed template, for a template source. */
  tpl?: ParsedTemplate;
}

/** Where a service's Dockerfile comes from: a template (loaded here) or a hand-written file. */
export function resolveSource(ctx: ResolveContext, store: TemplateStore, name: string, template: string | undefined, dockerfile: string | undefined): Source | undefined {
  if (dockerfile !== undefined) {
    const file = checkPath(ctx, dockerfile, origin(ctx, name, 'dockerfile'), 'dockerfile', 'file');
    return file ? { source: { kind: 'dockerfile', file } } : undefined;
  }
  const at = origin(ctx, name, 'template');
  if ((BUILTIN_TEMPLATES as readonly string[]).includes(template!)) {
    // The file's path only for its first service: store.load answers the rest from what it parsed.
    const key = `builtin:${template}`;
    const file = store.parsed.has(key) ? '' : path.join(packageRoot(), 'templates', `${template}.Dockerfile.hbs`);
    const tpl = store.load(ctx, key, file, `templates/${template}.Dockerfile.hbs`, at);
    return tpl ? { source: { kind: 'template', template: template!, builtin: true, file: `builtin:${template}` }, tpl } : undefined;
  }
  if (template!.endsWith('.hbs')) {
    const file = checkPath(ctx, template!, at, 'template', 'file');
    if (!file) return undefined;
    const tpl = store.load(ctx, file, path.resolve(ctx.specDir, file), file, at);
    return tpl ? { source: { kind: 'template', template: file, builtin: false, file }, tpl } : undefined;
  }
  const guess = closest(template!, BUILTIN_TEMPLATES);
  ctx.report.err(
    'unknown-template',
    at,
    `unknown template \`${template}\``,
    guess ? `did you mean \`${guess}\`?` : `built-ins are ${BUILTIN_TEMPLATES.join(', ')}; your own template is a path ending in .hbs`,
  );
  return undefined;
}

/**
 * Template parameters: declared ones only, defaults applied, required ones present. Undefined (reported) when one is wrong.
 * A key of `defaults.with` that this template does not declare is skipped: defaults serve every
 * service, so `go_image` there is for the go services only (validate/params.ts reports a key no
 * template in the spec declares). A key in the service's own `with` must be declared.
 */
export function templateParams(ctx: ResolveContext, name: string, svc: ServiceInput, source: Source & { context?: string }): Record<string, string | string[]> | undefined {
  const { tpl } = source;
  const own = ctx.input.services[name]?.with;
  if (!tpl) {
    if (own === undefined) return {};
    ctx.report.err('unused-key', ['services', name, 'with'], '`with` only applies to templates', 'remove it, or use `args` to pass values to a hand-written Dockerfile', true);
    return undefined;
  }
  const given = svc.with ?? {};
  const declared = tpl.meta.params;
  let ok = true;
  for (const key of Object.keys(own ?? {})) {
    if (Object.hasOwn(declared, key)) continue;
    ok = false;
    const guess = closest(key, Object.keys(declared));
    const shown = source.source.kind === 'template' ? source.source.template : '';
    ctx.report.err(
      'unknown-param',
      ['services', name, 'with', key],
      `template \`${shown}\` has no parameter \`${key}\``,
      guess ? `did you mean \`${guess}\`?` : `its parameters: ${Object.keys(declared).join(', ') || 'none'}`,
      true,
    );
  }
  const values: Record<string, string | string[]> = {};
  const derived: string[] = [];
  for (const [key, param] of Object.entries(declared)) {
    const v = Object.hasOwn(given, key) ? given[key] : (detectValue(ctx, source, param, ['services', name, 'context'], key) ?? param.default);
    if (v === undefined) {
      if (param.required) {
        ok = false;
        ctx.report.err('missing-param', ['services', name], `template parameter \`${key}\` is required`, param.description ? `${key}: ${param.description}` : `add it under \`with:\``, true);
      }
      continue;
    }
    if (!Object.hasOwn(given, key) && (Array.isArray(v) ? v : [v]).some((x) => typeof x === 'string' && DEFAULT_REF.test(x))) derived.push(key);
    values[key] = Array.isArray(v) ? v.map(String) : String(v);
  }
  // A default may name another parameter, `{node_version}`: one version parameter (a matrix axis away) sets every image.
  for (const key of derived) {
    const v = values[key]!;
    values[key] = Array.isArray(v) ? v.map((x) => expandDefault(x, values)) : expandDefault(v, values);
  }
  return ok ? values : undefined;
}

/** Files a template reads its detected values from are small text files (go.mod, .nvmrc, ...). */
const MAX_DETECT_BYTES = 256 * 1024;

/** The value a parameter's `detect` finds in the service's context (go.mod's `go` line, ...), if any. */
function detectValue(ctx: ResolveContext, source: Source & { context?: string }, param: TemplateParam, at: Path, key: string): string | undefined {
  if (!param.detect || source.context === undefined) return undefined;
  for (const { file, pattern } of param.detect) {
    const re = detectPattern(pattern, source.source.kind === 'template' && source.source.builtin);
    if ('problem' in re) {
      ctx.report.err(
        'template-error',
        at,
        `template parameter \`${key}\`: detect pattern \`${pattern}\` is not a regular expression RE2 accepts: ${re.problem}`,
        "a repository's template detects with RE2 (Go's regexp syntax: no lookaround, no backreferences), which takes linear time",
      );
      return undefined;
    }
    const read = detectText(ctx, source.context, file);
    if (read.outside) {
      ctx.report.err(
        'path-outside-repo',
        at,
        `template parameter \`${key}\` detects its value in \`${path.posix.join(source.context, file)}\`, which leads outside the repository through a symbolic link`,
        'point the link at a file inside the repository, or give the value under `with:`',
      );
      return undefined;
    }
    if (read.text === undefined) continue; // absent (or not a small regular file): the next place, then the default
    const m = re.firstGroup(read.text);
    if (m) return m;
  }
  return undefined;
}

interface DetectRead {
  text?: string;
  /** The file is a symbolic link (or under one) whose real path is outside the repository: not read. */
  outside?: true;
}
/**
 * The files `detect` read in one resolution, by context and then by the name
 * the template gives: a file is read once (go.mod serves two patterns), and a
 * place already asked costs two lookups of strings the spec and the template
 * hold, not a path joined anew (four places per go service).
 */
const DETECT_READS = new WeakMap<ResolveContext, Map<string, Map<string, DetectRead>>>();

/**
 * A detect file's text, read by its real path, which must be inside the
 * repository (as every spec path: src/resolve/paths.ts): a link leaving it is
 * not followed, so no file outside ends up in a generated Dockerfile.
 */
function detectText(ctx: ResolveContext, context: string, file: string): DetectRead {
  let byContext = DETECT_READS.get(ctx);
  if (!byContext) DETECT_READS.set(ctx, (byContext = new Map()));
  let reads = byContext.get(context);
  if (!reads) byContext.set(context, (reads = new Map()));
  const known = reads.get(file);
  if (known) return known;
  const rel = path.posix.join(context, file);
  const read: DetectRead = {};
  // Absent first (the usual case: most detect places are not there), as a probe the hook's manifest can check; a real path's ENOENT it cannot.
  const abs = path.resolve(ctx.specDir, rel);
  const real = exists(abs) ? realpathOrUndefined(abs) : undefined;
  if (real !== undefined && !insideNormalized(ctx.realRoot, real)) read.outside = true;
  else if (real !== undefined) {
    try {
      read.text = readRegularText(real, { maxBytes: MAX_DETECT_BYTES, display: rel, followSymlinks: false });
    } catch (e) {
      if (!(e instanceof FileFault)) throw e;
    }
  }
  reads.set(file, read);
  return read;
}

/** Every `{name}` of a default; one global RegExp (replace starts each use at 0), not one made per value. */
const DEFAULT_REFS = new RegExp(DEFAULT_REF.source, 'g');

export function expandDefault(text: string, values: Readonly<Record<string, string | readonly string[]>>): string {
  // Most values name no parameter: nothing to replace.
  if (!text.includes('{')) return text;
  return text.replace(DEFAULT_REFS, (m, ref: string) => {
    const v = values[ref];
    return typeof v === 'string' ? v : m;
  });
}
