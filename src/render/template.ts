// Dockerfile templates: Handlebars with a front matter of parameters.
//
// Safety model: every string handed to a template is wrapped in a
// TemplateValue whose toString() throws, so `{{value}}` alone cannot print it.
// A value reaches the Dockerfile only through a helper that escapes (or
// validates) it for its place: `word` (a double-quoted Dockerfile word),
// `sh` (a single-quoted shell word for RUN), `json` (exec-form arrays),
// `ident` (ARG/ENV names), `int` (ports). Handlebars' own HTML escaping is
// off (it is wrong for Dockerfiles) and `strict` makes a missing field an error.
//
// Every template is compiled one way, to a Handlebars template spec run on the
// runtime-only Handlebars: the built-in ones at build time
// (src/precompiled/precompile.ts), any other (a user's own, or one edited
// after the build) when it is loaded, with the compiler loaded only then.
import { createRequire } from 'node:module';
import type HandlebarsCompiler from 'handlebars';
import Handlebars from 'handlebars/runtime';
import { yamlLib } from '../load/yaml-lib.js';
import { PRECOMPILED_TEMPLATES, type PrecompiledTemplate } from '../precompiled/builtins.js';
import { stringProblem } from '../validate/strings.js';
import { readDirectives } from '../dockerfile/directives.js';
import { markOutput, placementProblems, unmark, unmarkPlaced, type Mark, type Placed } from './placement.js';
import { PARAM_SETS, runtimeLines } from './runtime-params.js';
import { PARAM_KINDS, type ParamKind } from '../validate/params.js';
import { platformsDeclarationIssue, type TemplatePlatforms } from '../validate/template-platforms.js';
import { literalRegExp } from '../regexp.js';
import { closest } from '../diagnostics.js';

export interface TemplateParam {
  description?: string;
  default?: string | number | boolean | (string | number | boolean)[];
  /** A parameter without a default must be given in `with`. */
  required?: boolean;
  /** What the value is (see src/validate/params.ts); `text` when not given. */
  kind?: ParamKind;
  /**
   * Where the value is read from the service's context when `with` does not give it: the first
   * capture group of `pattern` (multi-line) in `file`, tried in order; the default when none matches.
   */
  detect?: readonly { file: string; pattern: string }[];
}

export interface TemplateMeta {
  description: string;
  params: Record<string, TemplateParam>;
  /** The platforms it can produce (src/validate/template-platforms.ts); absent: any. */
  platforms?: TemplatePlatforms;
}

export interface ParsedTemplate {
  file: string;
  meta: TemplateMeta;
  /** Line of the template body's first line in the file (front matter is skipped). */
  bodyLine: number;
  /** Build args the template declares itself (`ARG NAME`); `args` in the context leaves them out. */
  declaredArgs: ReadonlySet<string>;
  render: (ctx: object) => string;
  /**
   * The text `render` returned for this context before, rendered again without
   * its checks (a large spec renders each file again to write it, render/files.ts,
   * which compares the bytes with the digest of the checked text).
   */
  renderAgain: (ctx: object) => string;
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line = 0,
    readonly column = 0,
    readonly hint?: string,
    /** Line counts from the template body, not the file (set by helpers). */
    readonly inBody = false,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * Printing a wrapped value or container yields this marker instead of text;
 * `render` refuses output that contains it. (Throwing from the conversion
 * would also break Handlebars' own "x not defined in <object>" message, which
 * carries the position of a missing field.)
 */
const UNESCAPED = '\u0000matrix:unescaped\u0000';

/**
 * The prototypes of wrapped values and of wrapped containers: no prototype of
 * their own and no string-keyed property, only the conversion that prints
 * UNESCAPED. So for Handlebars `{{x.value}}`, `{{x.length}}` or
 * `{{x.constructor}}` are missing fields (an error in strict mode). Shared:
 * wrapping a value makes one small object, not a property definition per value.
 */
function opaqueProto(): object {
  const proto = Object.create(null) as object;
  Object.defineProperty(proto, Symbol.toPrimitive, { value: () => UNESCAPED });
  return Object.freeze(proto);
}
const VALUE_PROTO = opaqueProto();
const CONTAINER_PROTO = opaqueProto();

/** Where a wrapped value keeps its text: a symbol, which no template path can name. */
const RAW = Symbol('matrix:raw');

/** A spec value inside a template: only the helpers read its text. */
export type TemplateValue = { readonly [Symbol.toPrimitive]: () => string };

export function templateValue(value: string): TemplateValue {
  return new Wrapped(value) as unknown as TemplateValue;
}

type WrappedValue = new (value: string) => object;
/** Makes the objects templateValue returns: one shape for all of them, which an object literal with a computed key and `__proto__` is not. */
const Wrapped = function (this: { [RAW]: string }, value: string) {
  this[RAW] = value;
} as unknown as WrappedValue;
Wrapped.prototype = VALUE_PROTO;

export function isTemplateValue(v: unknown): v is TemplateValue {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === VALUE_PROTO;
}

function rawText(v: TemplateValue): string {
  return (v as TemplateValue & { [RAW]: string })[RAW];
}

const ESCAPE_HINT = 'write {{word x}} for Dockerfile words, {{sh x}} inside RUN, {{json x}} for exec form, {{ident x}} for names';

/** `{name}` in a parameter's default: the value of the template's parameter `name`. */
export const DEFAULT_REF = /\{([a-z_][a-z0-9_]*)\}/;

/** Parameters of the sets a front matter names in `uses:` (render/runtime-params.ts). */
function usedParams(uses: unknown): Record<string, TemplateParam> {
  if (uses === undefined) return {};
  const names = Array.isArray(uses) ? uses : [uses];
  const out: Record<string, TemplateParam> = {};
  for (const n of names) {
    const set = typeof n === 'string' && Object.hasOwn(PARAM_SETS, n) ? PARAM_SETS[n] : undefined;
    if (!set) throw new TemplateError(`front matter: \`uses\` names ${JSON.stringify(n)}, which is not a parameter set`, 2, 1, `sets: ${Object.keys(PARAM_SETS).join(', ')}`);
    Object.assign(out, structuredClone(set));
  }
  return out;
}

/** A `detect` list: files inside the context, patterns that compile and capture. */
function detectProblem(params: Record<string, TemplateParam>): string | undefined {
  for (const [name, p] of Object.entries(params)) {
    const d = (p as { detect?: unknown } | null)?.detect;
    if (d === undefined) continue;
    if (!Array.isArray(d)) return `\`${name}.detect\` must be a list of { file, pattern }`;
    for (const e of d as { file?: unknown; pattern?: unknown }[]) {
      if (typeof e?.file !== 'string' || typeof e.pattern !== 'string') return `\`${name}.detect\` entries need \`file\` and \`pattern\` (strings)`;
      if (e.file.startsWith('/') || e.file.split('/').includes('..')) return `\`${name}.detect\`: \`${e.file}\` is not a path inside the context`;
      // A group: `(x)`, or named, `(?P<n>x)` or `(?<n>x)` (not a lookbehind). Whether the pattern compiles is asked
      // where it runs (resolve/detect-pattern.ts): on RE2 for a repository's template, as a RegExp for a built-in one.
      if (!/\((?!\?)|\(\?P?<(?![=!])/.test(e.pattern)) return `\`${name}.detect\`: pattern \`${e.pattern}\` has no capture group`;
    }
  }
  return undefined;
}

/** A default that names a parameter: it must be declared, and its own default names none (one level). */
function defaultRefProblem(params: Record<string, TemplateParam>): string | undefined {
  for (const [name, p] of Object.entries(params)) {
    const texts = Array.isArray(p?.default) ? p.default.filter((x): x is string => typeof x === 'string') : typeof p?.default === 'string' ? [p.default] : [];
    for (const m of texts.flatMap((t) => [...t.matchAll(new RegExp(DEFAULT_REF.source, 'g'))])) {
      const ref = params[m[1]!];
      if (!ref) return `the default of \`${name}\` names \`{${m[1]}}\`, which is not a parameter`;
      if (typeof ref.default === 'string' && DEFAULT_REF.test(ref.default)) return `the default of \`${name}\` names \`{${m[1]}}\`, whose own default names another parameter`;
    }
  }
  return undefined;
}

const FRONT = /^\{\{!--\s*\n([\s\S]*?)\n\s*--\}\}\n?/;

/**
 * The template context: strings become TemplateValues; objects and arrays lose
 * their prototype, so `{{with.constructor}}` is a missing field, not a function
 * Handlebars silently prints as "".
 */
export function wrap(v: unknown): unknown {
  if (typeof v === 'string') return templateValue(v);
  if (Array.isArray(v)) {
    // Still an array to Handlebars (`#each`, `#if` on an empty list) without Array.prototype.
    const a = v.map(wrap);
    Object.setPrototypeOf(a, CONTAINER_PROTO);
    return a;
  }
  if (v && typeof v === 'object' && !isTemplateValue(v)) {
    const o = Object.create(CONTAINER_PROTO) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) o[k] = wrap(x);
    return o;
  }
  return v;
}

/**
 * The prototype of a wrapped container, for a context made by other means than
 * `wrap` (render/files.ts templateContext): nothing to inherit, and printed as
 * UNESCAPED.
 */
export const CONTEXT_PROTO: object = CONTAINER_PROTO;

function text(v: unknown, helper: string): string {
  const s = isTemplateValue(v) ? rawText(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  if (s === undefined)
    throw new TemplateError(
      `{{${helper}}} got nothing: the variable it is given is not defined`,
      0,
      0,
      'define it with a default in the template front matter `params`, or pass it in the service `with`',
    );
  if (typeof s !== 'string') throw new TemplateError(`{{${helper}}} expects a string, got ${describe(v)}`);
  // stringProblem answers a printable-ASCII value (nearly every one) with one RegExp test.
  const p = stringProblem(s, false);
  if (p) throw new TemplateError(`{{${helper}}}: value ${p.message}`, 0, 0, p.hint);
  return s;
}

function describe(v: unknown): string {
  if (isTemplateValue(v)) return 'one value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'a mapping';
  if (v === undefined || v === null) return 'nothing';
  return typeof v;
}

interface HelperOptions {
  loc?: { start: { line: number; column: number } };
}

let compilerModule: typeof HandlebarsCompiler | undefined;

/** The full Handlebars (parser and compiler), loaded on first use. */
export function handlebarsCompiler(): typeof HandlebarsCompiler {
  return (compilerModule ??= createRequire(import.meta.url)('handlebars') as typeof HandlebarsCompiler);
}

/** Options every template is compiled with, at run time or at build time. */
export const COMPILE_OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: false } as const;

/** The characters `{{word}}` escapes inside double quotes: the escape character, `"` and `$`. */
function quotedBy(esc: string): RegExp {
  return new RegExp(`[${esc === '\\' ? '\\\\' : esc}"$]`, 'g');
}
/** For the usual escape character, made once (String.replace resets a global pattern's lastIndex). */
const QUOTED_BACKSLASH = quotedBy('\\');

/** What one render records: the escape character in use and every value a helper printed. */
interface RenderState {
  esc: string;
  marks: Mark[];
}

/**
 * A fresh Handlebars environment: user templates cannot register global state.
 * `base` is the runtime-only Handlebars (enough to run precompiled templates)
 * unless a template is compiled here. Helpers read the escape character from
 * `state` and record what they print there (see render/placement.ts).
 */
export function createEnv(base: Pick<typeof HandlebarsCompiler, 'create'> = Handlebars) {
  const hb = base.create();
  const state: RenderState = { esc: '\\', marks: [] };
  const quoteWord = (s: string) => {
    const esc = state.esc;
    return '"' + s.replace(esc === '\\' ? QUOTED_BACKSLASH : quotedBy(esc), (c) => esc + c) + '"';
  };
  // Every helper reports errors at its own {{...}} (body-relative; parseTemplate adds the offset).
  const register = (name: string, run: (args: unknown[], options: HelperOptions) => unknown) => {
    hb.registerHelper(name, (...args: unknown[]) => {
      const options = args.pop() as HelperOptions;
      try {
        return run(args, options);
      } catch (e) {
        if (e instanceof TemplateError && e.line === 0 && options?.loc) {
          throw new TemplateError(e.message, options.loc.start.line, options.loc.start.column + 1, e.hint, true);
        }
        throw e;
      }
    });
  };
  const helper = (name: string, fn: (...args: unknown[]) => unknown) => register(name, (args) => fn(...args));
  // A helper that prints values: `values` reads (and checks) them from its first argument, once, and `print`
  // makes its output from them; the output is marked with the values, for the placement checks.
  const printing = (name: string, values: (v: unknown) => string[], print: (values: string[]) => string) =>
    register(name, (args, options) => {
      const vs = values(args[0]);
      const out = print(vs);
      const loc = options?.loc?.start;
      state.marks.push({ helper: name, values: vs, line: loc?.line ?? 0, column: (loc?.column ?? 0) + 1 });
      return markOutput(state.marks.length - 1, out);
    });
  const one = (helperName: string) => (v: unknown) => [text(v, helperName)];
  const list = (v: unknown) => (Array.isArray(v) ? Array.from(v as ArrayLike<unknown>) : [v]).map((x) => text(x, 'json'));
  printing('word', one('word'), ([s]) => quoteWord(s!));
  // Single quotes: the shell takes everything literally; a trailing escape
  // character can't occur because the word ends with a quote.
  printing('sh', one('sh'), ([s]) => `'${s!.replace(/'/g, `'"'"'`)}'`);
  // Array.from: wrapped lists have no prototype (no `.map`).
  printing('json', list, (vs) => JSON.stringify(vs));
  printing('ident', one('ident'), ([s]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s!)) throw new TemplateError(`{{ident}}: ${JSON.stringify(s)} is not a name`, 0, 0, 'names are letters, digits and _');
    return s!;
  });
  printing('int', one('int'), ([s]) => {
    if (!/^[0-9]{1,9}$/.test(s!)) throw new TemplateError(`{{int}}: ${JSON.stringify(s)} is not a whole number`);
    return s!;
  });
  // Joins values into one (still wrapped) value, to hand to another helper.
  helper('concat', (...parts) => templateValue(parts.map((p) => text(p, 'concat')).join('')));
  // Collects values (still wrapped) into a list, to hand to {{json}}: `{{json (list "sh" "-c" with.x)}}`.
  helper('list', listOf);
  helper('eq', (a, b) => unwrap(a) === unwrap(b));
  // The shared run-time settings (render/runtime-params.ts): whole instructions, each value checked or quoted inside.
  helper('runtime', runtimeHelper(quoteWord));
  handlebarsHelpers(hb);
  return { hb, state };
}

/** `{{list a b}}`: its arguments, each defined. */
function listOf(...parts: unknown[]): unknown[] {
  const missing = parts.findIndex((p) => p === undefined || p === null);
  if (missing >= 0)
    throw new TemplateError(`{{list}}: argument ${missing + 1} is not defined`, 0, 0, 'define it with a default in the template front matter `params`, or pass it in the service `with`');
  return parts;
}

/** Handlebars' own helpers, as templates have them. */
function handlebarsHelpers(hb: Pick<typeof HandlebarsCompiler, 'helpers' | 'registerHelper' | 'unregisterHelper'>): void {
  // `log` writes to the console (stdout, where `--json` output goes); precompileBody refuses it as an unknown helper.
  hb.unregisterHelper('log');
  // `{{#each}}` over one value runs its block once with it, as over a list of that one value: a parameter whose
  // kind is a list takes one value too (`files: static`, `packages: curl`), and Handlebars' `each` ran no block
  // for it (handlebars/helpers/each.js iterates arrays, iterables and object keys; a wrapped value has none).
  const each = hb.helpers.each as (this: unknown, context: unknown, options: unknown) => unknown;
  hb.registerHelper('each', function (this: unknown, context: unknown, options: unknown) {
    return each.call(this, isTemplateValue(context) ? [context] : context, options);
  });
}

/** `{{runtime with}}`: the EXPOSE/ENV/HEALTHCHECK/USER lines from `with`. */
function runtimeHelper(quoteWord: (s: string) => string): (w: unknown) => string {
  return (w) => {
    if (typeof w !== 'object' || w === null || Array.isArray(w) || isTemplateValue(w))
      throw new TemplateError(`{{runtime}} takes the template's \`with\`, got ${describe(w)}`, 0, 0, 'write {{runtime with}} on a line of its own');
    const get = (name: string) => {
      const v = (w as Record<string, unknown> | undefined)?.[name];
      if (v === undefined) return undefined;
      return Array.isArray(v) ? Array.from(v as ArrayLike<unknown>).map((x) => text(x, 'runtime')) : text(v, 'runtime');
    };
    try {
      return runtimeLines(get, quoteWord);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError((e as Error).message, 0, 0, 'check the values of ports, env, user and healthcheck');
    }
  };
}

function unwrap(v: unknown): unknown {
  return isTemplateValue(v) ? rawText(v) : v;
}

/** A template's source split into front matter and body, before compiling. */
export interface TemplateSource {
  meta: TemplateMeta;
  body: string;
  bodyLine: number;
  declaredArgs: string[];
}

/** Front matter, body and what the body declares; throws a TemplateError for bad front matter. */
export function splitTemplate(source: string): TemplateSource {
  const m = FRONT.exec(source);
  let meta: TemplateMeta = { description: '', params: {} };
  let body = source;
  let bodyLine = 1;
  if (m) {
    let raw: unknown;
    try {
      raw = yamlLib().parse(m[1]!);
    } catch (err) {
      throw new TemplateError(`front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 2, 1);
    }
    const fm = (raw ?? {}) as { description?: unknown; params?: unknown; platforms?: unknown; uses?: unknown };
    const own = (fm.params ?? {}) as Record<string, TemplateParam>;
    if (typeof own !== 'object' || Array.isArray(own)) throw new TemplateError('front matter `params` must be a mapping', 2, 1);
    // The template's own parameters first (and winning), then those of the sets it uses.
    const params: Record<string, TemplateParam> = { ...own };
    for (const [k, v] of Object.entries(usedParams(fm.uses))) if (!Object.hasOwn(params, k)) params[k] = v;
    for (const [name, p] of Object.entries(params)) {
      const kind = (p as { kind?: unknown } | null)?.kind;
      if (kind !== undefined && !(PARAM_KINDS as readonly unknown[]).includes(kind)) {
        throw new TemplateError(`front matter: parameter \`${name}\` has unknown kind ${JSON.stringify(kind)}`, 2, 1, `kinds: ${PARAM_KINDS.join(', ')}`);
      }
    }
    const badRef = defaultRefProblem(params) ?? detectProblem(params);
    if (badRef) throw new TemplateError(`front matter: ${badRef}`, 2, 1, 'a default may use `{name}` of a parameter whose default is a plain value');
    const badPlatforms = platformsDeclarationIssue(fm.platforms);
    if (badPlatforms) {
      // At the entry when there is one: its first occurrence in the front matter (which starts on the file's second line or later).
      const start = source.indexOf(m[1]!);
      const at = badPlatforms.value === undefined ? -1 : m[1]!.search(new RegExp(`(^|[\\s\\[,'"])${literalRegExp(badPlatforms.value)}($|[\\s\\],'"])`, 'm'));
      const offset = at < 0 ? -1 : start + at + (/[\s[,'"]/.test(m[1]![at]!) ? 1 : 0);
      const line = offset < 0 ? 2 : source.slice(0, offset).split('\n').length;
      const column = offset < 0 ? 1 : offset - source.lastIndexOf('\n', offset - 1);
      throw new TemplateError(`front matter: ${badPlatforms.problem}`, line, column, badPlatforms.hint);
    }
    meta = { description: typeof fm.description === 'string' ? fm.description : '', params, ...(fm.platforms !== undefined ? { platforms: fm.platforms as TemplatePlatforms } : {}) };
    body = source.slice(m[0].length);
    bodyLine = (m[0].match(/\n/g)?.length ?? 0) + (m[0].endsWith('\n') ? 1 : 2);
  }
  const ctl = /[\u0001-\u0003]/.exec(body);
  if (ctl) {
    const before = body.slice(0, ctl.index);
    throw new TemplateError(
      'the template contains a control character (U+0001 to U+0003)',
      bodyLine + (before.match(/\n/g)?.length ?? 0),
      ctl.index - before.lastIndexOf('\n'),
      'remove it; a Dockerfile has no use for it',
    );
  }
  const declaredArgs = [...body.matchAll(/^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]!);
  return { meta, body, bodyLine, declaredArgs };
}

/**
 * Check a body and compile it to a Handlebars template spec (JavaScript
 * source), as the build does for the built-in templates.
 */
export function precompileBody(t: TemplateSource): string {
  const hb = handlebarsCompiler().create();
  const compiler = hb as unknown as { JavaScriptCompiler: JsCompilerClass };
  compiler.JavaScriptCompiler = pathCheckingCompiler(compiler.JavaScriptCompiler);
  try {
    checkUnescaped(hb.parse(t.body) as unknown as HbNode, t.bodyLine);
    return hb.precompile(t.body, { ...COMPILE_OPTIONS }) as unknown as string;
  } catch (err) {
    throw locate(err, t.bodyLine);
  }
}

export function parseTemplate(file: string, source: string): ParsedTemplate {
  const pre = PRECOMPILED_TEMPLATES.get(source);
  if (pre) return fromPrecompiled(file, pre);
  const t = splitTemplate(source);
  // The build's checks and compilation, so errors surface at load, not at the first render.
  const spec = new Function(`return (${precompileBody(t)});`)() as object;
  return fromSpec(file, t.meta, t.bodyLine, t.declaredArgs, spec);
}

/** A template compiled at build time: the same checks passed then, on the same text. */
export function fromPrecompiled(file: string, pre: PrecompiledTemplate): ParsedTemplate {
  return fromSpec(file, JSON.parse(pre.metaJson) as TemplateMeta, pre.bodyLine, pre.declaredArgs, pre.spec);
}

function fromSpec(file: string, meta: TemplateMeta, bodyLine: number, declaredArgs: readonly string[], spec: object): ParsedTemplate {
  const env = createEnv();
  const compiled = setUpOnce(env.hb.template(spec as Parameters<typeof env.hb.template>[0]) as HandlebarsTemplateDelegate);
  const { render, renderAgain } = renderer(compiled, env.state, bodyLine);
  return { file, meta, bodyLine, declaredArgs: new Set(declaredArgs), render, renderAgain };
}

/**
 * Whether a renderer remembers its last few checked renders (RECENT). Off only
 * in the test that compares a remembering renderer with one that is not.
 */
export const RENDER_MEMO = { enabled: true };
/** The cells of one service are rendered one after the other, and usually to the same text. */
const RECENT = 4;

/**
 * Renders, then reads the parser directives of the RENDERED text the way
 * BuildKit does: values are quoted with the escape character BuildKit will
 * use, even when a directive comes from a block (`{{#if}}`) or is absent
 * from the template's first lines. Then checks where each value landed.
 * Everything after the first render is a function of its marked text and
 * marks alone: the last few are remembered by them, and a cell that renders
 * as another did skips the checks (not when an escape directive asks for a
 * second render, which depends on the context).
 */
function renderer(compiled: HandlebarsTemplateDelegate, state: RenderState, bodyLine: number): Pick<ParsedTemplate, 'render' | 'renderAgain'> {
  const run = (ctx: object, esc: string): string => {
    state.esc = esc;
    state.marks = [];
    try {
      return compiled(ctx);
    } catch (err) {
      throw locate(err, bodyLine);
    }
  };
  const recent: Rendered[] | undefined = RENDER_MEMO.enabled ? [] : undefined;
  const renderAgain = (ctx: object): string => {
    const text = unmark(run(ctx, '\\'));
    const esc = directivesIn(text, bodyLine).escapeChar;
    return esc === '\\' ? text : unmark(run(ctx, esc));
  };
  const render = (ctx: object): string => {
    let marked = run(ctx, '\\');
    const marks = state.marks;
    const hit = recent?.find((r) => r.marked === marked && sameMarks(r.marks, marks));
    if (hit) return hit.text;
    let { text, placed } = unmarkPlaced(marked, marks);
    let directives = directivesIn(text, bodyLine);
    const esc = directives.escapeChar;
    if (esc !== '\\') {
      marked = run(ctx, esc);
      ({ text, placed } = unmarkPlaced(marked, state.marks));
      directives = directivesIn(text, bodyLine);
      if (directives.escapeChar !== esc) throw new TemplateError('the escape directive changes with the escape character it selects', bodyLine, 1);
      return checked(text, placed, esc, bodyLine, directives.lineCount);
    }
    checked(text, placed, esc, bodyLine, directives.lineCount);
    if (recent) {
      recent.push({ marked, marks, text });
      if (recent.length > RECENT) recent.shift();
    }
    return text;
  };
  return { render, renderAgain };
}

/** A render remembered: its marked text and marks, and the checked text they gave. */
interface Rendered {
  marked: string;
  marks: readonly Mark[];
  text: string;
}

/** The same values printed by the same `{{...}}` (compared only when the marked texts are equal). */
function sameMarks(a: readonly Mark[], b: readonly Mark[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.helper !== y.helper || x.line !== y.line || x.column !== y.column || x.values.length !== y.values.length) return false;
    for (let j = 0; j < x.values.length; j++) if (x.values[j] !== y.values[j]) return false;
  }
  return true;
}

/** The directives of a rendered text (markers removed); a TemplateError where BuildKit refuses them. */
function directivesIn(text: string, bodyLine: number): ReturnType<typeof readDirectives> {
  const d = readDirectives(text);
  if (d.error)
    throw new TemplateError(`the rendered Dockerfile: ${d.error.message}`, d.error.line + bodyLine - 1, 1, 'BuildKit refuses this file; keep one directive of each kind, and `# escape=` with \\ or `');
  return d;
}

/** The text (markers removed), once every value is where its helper may print it. */
function checked(text: string, placed: readonly Placed[], esc: string, bodyLine: number, directiveLines: number): string {
  const p = placementProblems(text, placed, esc, directiveLines)[0];
  if (p) throw new TemplateError(p.message, p.mark.line ? p.mark.line + bodyLine - 1 : 0, p.mark.line ? p.mark.column : 0, p.hint);
  // A backstop for prints checkUnescaped cannot see (e.g. `{{lookup with "x"}}`).
  if (text.includes(UNESCAPED)) throw new TemplateError('a value was printed without an escaping helper', 0, 0, ESCAPE_HINT);
  return text;
}

type HandlebarsTemplateDelegate = (ctx: object) => string;

/**
 * Handlebars sets a template up on every call (handlebars/runtime.js,
 * `ret._setup`): it copies and wraps every helper and builds the prototype
 * access rules again, about a tenth of a render's allocations. Here every
 * call passes the same (no) options to the same environment, whose helpers
 * are registered once when it is made (createEnv), so the first setup holds
 * for every later call: it runs once.
 */
function setUpOnce(compiled: HandlebarsTemplateDelegate): HandlebarsTemplateDelegate {
  const t = compiled as HandlebarsTemplateDelegate & { _setup?: (options: object) => void };
  const setup = t._setup;
  if (typeof setup !== 'function') return compiled;
  let done = false;
  t._setup = (options: object) => {
    if (done) return;
    setup.call(t, options);
    done = true;
  };
  return compiled;
}

/** Handlebars' code generator (handlebars/compiler/javascript-compiler.js): the parts pathCheckingCompiler uses. */
interface JsCompiler {
  options: { strict?: boolean };
  source: { currentLocation?: { start: { line: number; column: number }; end?: { line: number; column: number } } };
  popStack(): unknown;
  push(expr: unknown): void;
  nameLookup(parent: unknown, name: string, type: string): unknown;
  quotedString(s: string): string;
  resolvePath(type: string, parts: string[], startPartIndex: number, falsy?: boolean, strict?: boolean): void;
}
interface JsCompilerClass {
  prototype: JsCompiler & { compiler: JsCompilerClass };
}

/**
 * Handlebars' code generator, except that a path of several steps checks each
 * step it reads through. Handlebars compiles `with.nope.x` to
 * `lookupProperty(lookupProperty(lookupProperty(depth0, "with"), "nope"), "x")`
 * (javascript-compiler.js strictLookup, which checks only the last step, and
 * only where strict mode asks for it), so a missing `with.nope` was a
 * TypeError "Cannot read properties of undefined (reading 'x')" raised by the
 * compiled code itself, with no position: a typo such as `{{#if wiht.x}}`
 * came out so. Here every step after the first reads from
 * `(PARENT ?? container.strict(null, "with.nope", LOC))`: one null test when
 * nothing is missing, and when something is, Handlebars' own "not defined"
 * exception (runtime.js `container.strict`) at the path's line and column,
 * naming the part that is missing. The last step is left as Handlebars leaves
 * it: `{{#if matrix.extra}}` is false in a cell that has no `extra`.
 */
function pathCheckingCompiler(base: JsCompilerClass): JsCompilerClass {
  const PathChecking = function PathChecking() {} as unknown as JsCompilerClass;
  PathChecking.prototype = Object.create(base.prototype) as JsCompilerClass['prototype'];
  // Handlebars makes the compiler of each block (`{{#each}}`'s body) with `new this.compiler()`.
  PathChecking.prototype.compiler = PathChecking;
  PathChecking.prototype.resolvePath = function (this: JsCompiler, type, parts, start, falsy, strict) {
    if (!this.options.strict || parts.length === 0) return base.prototype.resolvePath.call(this, type, parts, start, falsy, strict);
    const loc = this.source.currentLocation;
    const at = loc ? JSON.stringify({ start: loc.start, end: loc.end }) : 'undefined';
    // The path up to step i, as the template spells it (a block parameter's name is parts[0], with start 1).
    const checked = (parent: unknown, i: number) => ['(', parent, ' ?? container.strict(null, ', this.quotedString(`${type === 'data' ? '@' : ''}${parts.slice(0, i).join('.')}`), ', ', at, '))'];
    let stack = this.popStack();
    const last = strict ? parts.length - 1 : parts.length;
    // The first step reads from the context, the data frame or a block parameter: only the last can be missing.
    for (let i = start; i < last; i++) stack = this.nameLookup(i > start || start > 0 ? checked(stack, i) : stack, parts[i]!, type);
    this.push(strict ? ['container.strict(', last > start || start > 0 ? checked(stack, last) : stack, ', ', this.quotedString(parts[last]!), ', ', at, ' )'] : stack);
  };
  return PathChecking;
}

interface HbNode {
  type: string;
  body?: HbNode[];
  program?: HbNode;
  inverse?: HbNode;
  path?: HbNode & { original?: unknown; data?: boolean; parts?: string[] };
  params?: HbNode[];
  hash?: { pairs?: { key: string; value: HbNode }[] };
  loc?: { start: { line: number; column: number } };
}

/**
 * Every helper a template can call, how (a block `{{#if}}...{{/if}}` or not),
 * with how many arguments, which named ones, and how it is written. A call
 * outside this table would fail only when the render reached it, some with
 * no position (Handlebars' own helpers throw "#if requires exactly one
 * argument", "Must pass iterator to #each", or a TypeError, without one:
 * handlebars/helpers/*.js), some not at all (an extra argument is ignored,
 * `{{#word x}}` drops its block): so each call is checked here, on the syntax
 * tree, where every error has its line and column.
 */
const HELPERS: Readonly<Record<string, { block: boolean; min: number; max: number; hash?: readonly string[]; usage: string }>> = {
  word: { block: false, min: 1, max: 1, usage: '{{word with.x}}' },
  sh: { block: false, min: 1, max: 1, usage: '{{sh with.x}}' },
  json: { block: false, min: 1, max: 1, usage: '{{json with.cmd}}' },
  ident: { block: false, min: 1, max: 1, usage: '{{ident this}}' },
  int: { block: false, min: 1, max: 1, usage: '{{int with.port}}' },
  runtime: { block: false, min: 1, max: 1, usage: '{{runtime with}}' },
  concat: { block: false, min: 1, max: Number.POSITIVE_INFINITY, usage: '{{word (concat "/app/" with.x)}}' },
  list: { block: false, min: 0, max: Number.POSITIVE_INFINITY, usage: '{{json (list "sh" "-c" with.x)}}' },
  eq: { block: false, min: 2, max: 2, usage: '{{#if (eq with.x "y")}}' },
  lookup: { block: false, min: 2, max: 2, usage: '{{word (lookup with "x")}}' },
  if: { block: true, min: 1, max: 1, hash: ['includeZero'], usage: '{{#if with.x}}...{{else}}...{{/if}}' },
  unless: { block: true, min: 1, max: 1, hash: ['includeZero'], usage: '{{#unless with.x}}...{{/unless}}' },
  each: { block: true, min: 1, max: 1, usage: '{{#each with.x}}...{{this}}...{{/each}}' },
  with: { block: true, min: 1, max: 1, usage: '{{#with with.x}}...{{/with}}' },
};
const HELPER_HINT = `helpers: ${Object.keys(HELPERS)
  .filter((n) => !HELPERS[n]!.block)
  .join(', ')}; blocks: ${Object.keys(HELPERS)
  .filter((n) => HELPERS[n]!.block)
  .map((n) => `#${n}`)
  .join(', ')}`;

function countArgs(n: number): string {
  return n === 0 ? 'none' : n === 1 ? 'one' : String(n);
}

/**
 * A call (`{{name ...}}`, `{{#name ...}}`, `(name ...)`) of a helper in HELPERS, as that
 * helper is called; the subexpressions in its arguments too. A path without arguments
 * that names no helper is a value (`{{#with.x}}` is a section), not a call.
 */
function checkCall(node: HbNode, form: 'block' | 'mustache' | 'subexpression', bodyLine: number): void {
  const params = node.params ?? [];
  const pairs = node.hash?.pairs ?? [];
  for (const n of [...params, ...pairs.map((p) => p.value)]) checkUnescaped(n, bodyLine);
  const p = node.path!;
  const original = typeof p.original === 'string' ? p.original : '';
  const name = p.type === 'PathExpression' && !p.data && p.parts?.length === 1 && original === p.parts[0] ? original : undefined;
  const spec = name !== undefined && Object.hasOwn(HELPERS, name) ? HELPERS[name] : undefined;
  const open = form === 'block' ? '{{#' : form === 'subexpression' ? '(' : '{{';
  const close = form === 'subexpression' ? ')' : '}}';
  const at = (message: string, hint: string): TemplateError => {
    const loc = node.loc?.start;
    return new TemplateError(message, loc ? loc.line + bodyLine - 1 : 0, loc ? loc.column + 1 : 0, hint);
  };
  if (!spec) {
    if (params.length === 0 && pairs.length === 0 && form !== 'subexpression') return;
    const guess = name === undefined ? undefined : closest(name, Object.keys(HELPERS));
    throw at(`\`${open}${original || '...'} ...${close}\`: \`${original || '...'}\` is not a helper`, guess ? `did you mean \`${guess}\` (${HELPERS[guess]!.usage})?` : HELPER_HINT);
  }
  if (spec.block && form !== 'block') throw at(`\`${name}\` is a block helper: \`${open}${name} ...${close}\` cannot use it`, `write ${spec.usage}`);
  if (!spec.block && form === 'block') throw at(`\`{{#${name}}}\` is not a block: \`${name}\` prints a value and would drop the block`, `write ${spec.usage}`);
  if (params.length < spec.min || params.length > spec.max) {
    const wants = spec.min === spec.max ? `exactly ${countArgs(spec.min)}` : `at least ${countArgs(spec.min)}`;
    throw at(`\`${open}${name}${close}\` takes ${wants} argument${spec.min === 1 ? '' : 's'}, got ${countArgs(params.length)}`, `write ${spec.usage}`);
  }
  const badKey = pairs.find((x) => !spec.hash?.includes(x.key));
  if (badKey) throw at(`\`${open}${name}${close}\` takes no named argument \`${badKey.key}=\``, spec.hash ? `its named arguments: ${spec.hash.join(', ')}` : `write ${spec.usage}`);
}

/** Helpers whose output is escaped or validated for its place in a Dockerfile. */
const ESCAPING = new Set(['word', 'sh', 'json', 'ident', 'int', 'runtime']);
const DATA_VARS = new Set(['index', 'key', 'first', 'last']);

/**
 * Every `{{...}}` that prints must go through an escaping helper; found on the
 * syntax tree so the error can say where. Partials and decorators are refused:
 * there are none to call, and they would print unchecked text.
 */
function checkUnescaped(node: HbNode | undefined, bodyLine: number): void {
  if (!node) return;
  const fail = (n: HbNode, message: string): TemplateError => {
    const loc = n.loc?.start;
    return new TemplateError(message, loc ? loc.line + bodyLine - 1 : 0, loc ? loc.column + 1 : 0, ESCAPE_HINT);
  };
  switch (node.type) {
    case 'Program':
      for (const n of node.body ?? []) checkUnescaped(n, bodyLine);
      return;
    case 'BlockStatement':
      checkCall(node, 'block', bodyLine);
      checkUnescaped(node.program, bodyLine);
      checkUnescaped(node.inverse, bodyLine);
      return;
    case 'SubExpression':
      checkCall(node, 'subexpression', bodyLine);
      return;
    case 'MustacheStatement': {
      checkCall(node, 'mustache', bodyLine);
      const p = node.path!;
      const name = typeof p.original === 'string' ? p.original : '';
      if (p.type === 'PathExpression' && ESCAPING.has(name) && (node.params?.length ?? 0) > 0) return;
      if (p.type === 'PathExpression' && p.data && p.parts?.length === 1 && DATA_VARS.has(p.parts[0]!)) return;
      throw fail(node, `\`{{${name || '...'}${node.params?.length ? ' ...' : ''}}}\` prints without an escaping helper`);
    }
    case 'PartialStatement':
    case 'PartialBlockStatement':
      throw fail(node, 'partials are not supported in Dockerfile templates');
    case 'Decorator':
    case 'DecoratorBlock':
      throw fail(node, 'decorators are not supported in Dockerfile templates');
    default:
      return;
  }
}

function locate(err: unknown, bodyLine: number): TemplateError {
  if (err instanceof TemplateError) {
    return err.inBody ? new TemplateError(err.message, err.line + bodyLine - 1, err.column, err.hint) : err;
  }
  const e = err as Error & { lineNumber?: number; column?: number };
  const msg = (e.message.split('\n')[0] ?? String(err)).split(UNESCAPED).join('a value');
  // Handlebars reports "... - LINE:COL" for strict lookups, "Parse error on line N" for syntax.
  const strict = / - (\d+):(\d+)$/.exec(msg);
  const parse = /on line (\d+)/.exec(e.message);
  const line = e.lineNumber ?? (strict ? Number(strict[1]) : parse ? Number(parse[1]) : 0);
  const column = (e.column ?? (strict ? Number(strict[2]) : 0)) + 1;
  const missing = /^"([^"]+)" not defined in/.exec(msg);
  return new TemplateError(
    missing ? `template uses \`${missing[1]}\`, which is not defined` : msg.replace(/ - \d+:\d+$/, ''),
    line ? line + bodyLine - 1 : 0,
    line ? column : 0,
    missing ? missingHint(missing[1]!) : undefined,
  );
}

/** The fields of every template's context (render/files.ts templateContext). */
const CONTEXT_FIELDS = ['service', 'target', 'matrix', 'with', 'args', 'dependencies', 'registry'];

/** What to do about a missing `name`: a parameter of `with`, or (a name no parameter path starts with) a misspelt field. */
function missingHint(name: string): string {
  const head = name.split('.')[0]!;
  if (head === 'with') return 'define it with a default in the template front matter `params`, or pass it in the service `with`';
  const field = name.includes('.') ? undefined : closest(head, CONTEXT_FIELDS);
  const fields = `the context has ${CONTEXT_FIELDS.join(', ')}; a parameter is \`with.NAME\``;
  return field ? `did you mean \`${field}\`? ${fields}` : fields;
}

/** Parser directives at the top of a Dockerfile, as BuildKit reads them (src/dockerfile/directives.ts). */
export { leadingDirectives } from '../dockerfile/directives.js';
