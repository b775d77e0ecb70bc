// Template parameters by kind. Each parameter of a template declares in its
// front matter what its value is (`kind:`); one validator per kind checks the
// value a service gives (`with:`) before anything is rendered, so a value
// that lands on a command line (a package path, a binary name, a file) can
// never become an option or a second command. No value of any kind may start
// with `-`. The escaping helpers still quote every value for its place; this
// is what makes the quoted word the thing the tool expects.
import type { CheckedSpec } from './schema.js';
import { closest, diagnostic, type Diagnostic } from '../diagnostics.js';
import { specDiagnostic, type LoadedSpec } from '../load/load.js';
import { DEFAULT_REF, type ParsedTemplate } from '../render/template.js';
import type { ResolvedSpec, SpecInput } from '../spec.js';
import { USER } from '../render/runtime-params.js';
import { referenceProblem } from './reference.js';
import { templatedTargets, type TemplatedTarget } from './templated.js';

export const PARAM_KINDS = [
  'go-package',
  'go-ldflags',
  'binary-name',
  'relative-path',
  'relative-paths',
  'port',
  'ports',
  'env',
  'user',
  'identifier',
  'image',
  'version',
  'command',
  'debian-packages',
  'text',
] as const;
export type ParamKind = (typeof PARAM_KINDS)[number];

interface KindSpec {
  /** For `matrix templates` and the README. */
  description: string;
  /** Whether a list is accepted (each element checked). */
  list?: boolean;
  /** What is wrong with one value (a string), or undefined. */
  check: (v: string, index: number) => string | undefined;
  hint: string;
}

// Go import path elements: letters, digits and `-._~+` (cmd/go/internal/module CheckImportPath).
const GO_ELEM = '[A-Za-z0-9_~+-][A-Za-z0-9._~+-]*';
const GO_PACKAGE = new RegExp(`^(?:\\.|\\./${GO_ELEM}(?:/${GO_ELEM})*|${GO_ELEM}(?:/${GO_ELEM})*)(?:/\\.\\.\\.)?$`);

/** Linker flags a Go build may take from a spec: stripping and `-X` variables, nothing that runs a program. */
function ldflagsProblem(v: string): string | undefined {
  if (/['"\\]/.test(v)) return 'contains a quote or backslash (Go splits -ldflags with its own quoting)';
  const fields = v.split(/[ \t]+/).filter(Boolean);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const flag = /^--?([A-Za-z]+)(?:=(.*))?$/.exec(f);
    if (!flag) return `has \`${f}\` where a linker flag (-s, -w, -X pkg.name=value) was expected`;
    const [, name, inline] = flag;
    if (name === 's' || name === 'w') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') return `has \`${f}\`, a boolean flag with a value`;
      continue;
    }
    if (name === 'X') {
      const arg = inline ?? fields[++i];
      if (arg === undefined || !/^[A-Za-z0-9_.~+/-]+\.[A-Za-z_][A-Za-z0-9_]*=[^\s]*$/.test(arg) || arg.startsWith('-')) {
        return `has \`-X ${arg ?? ''}\`; -X takes importpath.name=value`;
      }
      continue;
    }
    return `has the linker flag \`${f}\`, which matrix does not pass from a spec (only -s, -w and -X)`;
  }
  return undefined;
}

function relativePathProblem(v: string): string | undefined {
  if (v === '') return 'is empty';
  if (v.startsWith('/') || /^[A-Za-z]:/.test(v)) return 'is an absolute path';
  if (v.includes('\\')) return 'contains a backslash (write / between directories)';
  if (v.split('/').includes('..')) return 'leaves the build context (`..`)';
  if (/[*?[\]]/.test(v)) return 'contains a wildcard (`*`, `?`, `[`)';
  return undefined;
}

export const KINDS: Record<ParamKind, KindSpec> = {
  'go-package': {
    description: 'a Go package path: `.`, `./cmd/api`, `./...` or an import path',
    check: (v) => (GO_PACKAGE.test(v) && !v.split('/').includes('..') ? undefined : 'is not a Go package path'),
    hint: 'give the package relative to the context, e.g. `./cmd/api`',
  },
  'go-ldflags': {
    description: 'Go linker flags: -s, -w and -X importpath.name=value',
    check: ldflagsProblem,
    hint: 'e.g. `-s -w -X main.version=1.2.3`; other linker flags (-extld, -linkmode, ...) would let a spec choose what runs',
  },
  'binary-name': {
    description: 'a program name: letters, digits, `_`, `-`, `.` and `+`, no `/`',
    check: (v) => (/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/.test(v) ? undefined : 'is not a program name'),
    hint: 'e.g. `api` or `my-tool`',
  },
  'relative-path': {
    description: 'a file or directory inside the build context, relative to it',
    check: relativePathProblem,
    hint: 'give a path relative to the context, e.g. `requirements.txt` or `public`',
  },
  'relative-paths': {
    description: 'a list of files or directories inside the build context, relative to it',
    list: true,
    check: relativePathProblem,
    hint: 'e.g. `[templates, static]`',
  },
  port: {
    description: 'a TCP port, 1 to 65535',
    check: (v) => (/^[1-9][0-9]{0,4}$/.test(v) && Number(v) <= 65535 ? undefined : 'is not a port (1-65535)'),
    hint: 'e.g. `8080`',
  },
  ports: {
    description: 'a list of ports (1-65535), each optionally `/tcp` or `/udp`',
    list: true,
    check: (v) => (/^[1-9][0-9]{0,4}(\/(tcp|udp))?$/.test(v) && Number(v.split('/')[0]) <= 65535 ? undefined : 'is not a port (1-65535, optionally /tcp or /udp)'),
    hint: 'e.g. `[8080]` or `["8080", "9090/udp"]`',
  },
  env: {
    description: 'a list of `NAME=value` environment variables',
    list: true,
    check: (v) => (/^[A-Za-z_][A-Za-z0-9_]*=/.test(v) ? undefined : 'is not NAME=value'),
    hint: 'e.g. `["APP_ENV=production", "PORT=8080"]`',
  },
  user: {
    description: 'a user name or uid, optionally `:group` or `:gid`',
    check: (v) => (USER.test(v) ? undefined : 'is not a user (name or uid, optionally :group)'),
    hint: 'e.g. `65532:65532`, `node` or `app:app`',
  },
  identifier: {
    description: 'a name: letters, digits and `_`, not starting with a digit',
    check: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'is not a name'),
    hint: 'e.g. `APP_ENV`',
  },
  image: {
    description: 'an image reference, e.g. `golang:1.22` or `registry.example/team/node:20@sha256:...`',
    check: (v) => {
      const p = referenceProblem(v);
      return p ? (p.startsWith('is ') || p.startsWith('has ') || p.startsWith('contains ') ? p : `is not an image reference: ${p}`) : undefined;
    },
    hint: 'an image reference is [registry/]name[:tag][@digest], with the name in lower case',
  },
  version: {
    description: 'a version number: digits separated by dots, e.g. `3.12`',
    check: (v) => (/^[0-9]+(?:\.[0-9]+){0,3}$/.test(v) ? undefined : 'is not a version number'),
    hint: 'e.g. `3.12`',
  },
  command: {
    description: 'the image command in exec form: a list of words (a string is one program)',
    list: true,
    check: (v, i) => (i === 0 && v === '' ? 'has an empty program name' : undefined),
    hint: 'e.g. `["node", "server.js"]`; the first word is the program',
  },
  // Debian Policy 5.6.1 (www.debian.org/doc/debian-policy/ch-controlfields.html#s-f-source): lower case
  // letters, digits, `+`, `-` and `.`, at least two characters, starting with a letter or digit.
  'debian-packages': {
    description: 'a list of Debian package names (lower case letters, digits, `+`, `-`, `.`; no versions, no options)',
    list: true,
    check: (v) => (/^[a-z0-9][a-z0-9+.-]+$/.test(v) ? undefined : 'is not a Debian package name'),
    hint: 'e.g. `[curl, libpq5]`; a name has at least two characters: lower case letters, digits, `+`, `-`, `.`',
  },
  text: {
    description: 'free text (or a list of it), printed only as quoted words',
    list: true,
    check: () => undefined,
    hint: 'a value may not start with `-`',
  },
};

/** Lists whose later words are arguments of the first (a command line); in any other list every element is a value. */
const LATER_WORDS_MAY_BE_OPTIONS: ReadonlySet<ParamKind> = new Set(['command', 'text']);

/** What is wrong with a parameter value for its kind (undefined: fine). */
export function paramProblem(kind: ParamKind | undefined, value: string | number | boolean | readonly (string | number | boolean)[]): { message: string; hint: string } | undefined {
  const k = KINDS[kind ?? 'text'];
  const values = Array.isArray(value) ? value.map(String) : [String(value)];
  if (Array.isArray(value) && !k.list) return { message: `is a list, and ${kind ?? 'text'} is one value`, hint: k.hint };
  for (const [i, v] of values.entries()) {
    // The first word of a command is the program; later words are its arguments and may be options.
    if (v.startsWith('-') && !(LATER_WORDS_MAY_BE_OPTIONS.has(kind ?? 'text') && i > 0) && kind !== 'go-ldflags') {
      return { message: `\`${v}\` starts with \`-\`, so a program would read it as an option`, hint: k.hint };
    }
    const p = k.check(v, i);
    if (p) return { message: `\`${v}\` ${p}`, hint: k.hint };
  }
  return undefined;
}

/**
 * An image parameter may name another service of the spec: the template's
 * `FROM ${ARG}` then resolves to that service's image through the named
 * context that `depends_on` adds (bake `contexts = { base = "target:base" }`).
 * Without `depends_on`, BuildKit would pull an image of that name instead.
 */
function serviceImageProblem(kind: ParamKind | undefined, value: string | readonly string[], service: string, spec: ResolvedSpec, input: SpecInput): { message: string; hint: string } | undefined {
  if (kind !== 'image' || typeof value !== 'string' || value === service || !spec.services.has(value)) return undefined;
  const deps = input.services[service]?.depends_on ?? input.defaults?.depends_on ?? [];
  if (deps.includes(value)) return undefined;
  return {
    message: `\`${value}\` names the service \`${value}\`, which \`${service}\` does not depend on: BuildKit would pull an image called \`${value}\` instead of building it`,
    hint: `add \`depends_on: [${value}]\` to \`${service}\`, so bake builds ${value} first and feeds it as the named context \`${value}\``,
  };
}

/**
 * paramProblem of one value, asked once per kind and value in one check of a
 * spec: the services of a large spec share most values (a version, `-s -w`,
 * `scratch`). Lists are asked each time.
 */
class ProblemCache {
  private readonly byKind = new Map<ParamKind | undefined, Map<string, ReturnType<typeof paramProblem> | null>>();

  of(kind: ParamKind | undefined, value: string | readonly string[]): ReturnType<typeof paramProblem> {
    if (typeof value !== 'string') return paramProblem(kind, value);
    let known = this.byKind.get(kind);
    if (!known) this.byKind.set(kind, (known = new Map()));
    let p = known.get(value);
    if (p === undefined) known.set(value, (p = paramProblem(kind, value) ?? null));
    return p ?? undefined;
  }
}

/**
 * Every target's template parameters checked by kind, at the `with:` value
 * that set it (or, for a default of the template itself, at its front matter).
 * One diagnostic per place.
 */
export function paramDiagnostics(loaded: CheckedSpec, spec: ResolvedSpec, templates: ReadonlyMap<string, ParsedTemplate>): Diagnostic[] {
  const input = loaded.value;
  const out: Diagnostic[] = defaultsWithDiagnostics(loaded, input, templates);
  const seen = new Set<string>();
  const problems = new ProblemCache();
  let prev: TemplatedTarget | undefined;
  for (const [t, tpl] of templatedTargets(spec, templates)) {
    // A cell whose service, template and `with` (one record when equal: src/resolve/shared.ts alike) are the
    // previous target's finds the same problems at the same places, all of them seen already.
    const repeats = prev !== undefined && t.with === prev.with && t.service === prev.service && t.source.file === prev.source.file;
    prev = t;
    if (repeats) continue;
    for (const [name, param] of Object.entries(tpl.meta.params)) {
      const value = t.with[name];
      if (value === undefined) continue;
      const p = problems.of(param.kind, value) ?? serviceImageProblem(param.kind, value, t.service, spec, input);
      if (!p) continue;
      const own = input.services[t.service]?.with;
      const at = own && Object.hasOwn(own, name) ? ['services', t.service, 'with', name] : input.defaults?.with && Object.hasOwn(input.defaults.with, name) ? ['defaults', 'with', name] : undefined;
      // A default made from a parameter that is itself wrong (`node:{node_version}-...`): that one is reported.
      if (!at && derivedFromBadParam(param, tpl, t.with)) continue;
      const kind = param.kind ?? 'text';
      const d: Diagnostic = at
        ? specDiagnostic(loaded, 'invalid-param', at, `\`with.${name}\` (${kind}: ${KINDS[kind].description}) ${p.message}`, p.hint)
        : diagnostic({
            code: 'invalid-param',
            file: tpl.file,
            line: tpl.bodyLine > 1 ? 2 : 1,
            column: 1,
            path: ['services', t.service, 'template'],
            message: `the default of \`${name}\` (${kind}) ${p.message}`,
            hint: p.hint,
          });
      const id = `${d.file}:${d.line}:${d.column}:${d.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(d);
    }
  }
  return out;
}

function derivedFromBadParam(param: ParsedTemplate['meta']['params'][string], tpl: ParsedTemplate, values: Readonly<Record<string, string | readonly string[]>>): boolean {
  if (typeof param.default !== 'string') return false;
  return [...param.default.matchAll(new RegExp(DEFAULT_REF.source, 'g'))].some((m) => {
    const v = values[m[1]!];
    return v !== undefined && paramProblem(tpl.meta.params[m[1]!]?.kind, v) !== undefined;
  });
}

/**
 * `defaults.with` serves every templated service, and each takes the keys its
 * template declares (resolve/templates.ts). A key that no template of the spec
 * declares is a mistake (a typo, or a parameter of a template nobody uses).
 */
function defaultsWithDiagnostics(loaded: LoadedSpec, input: SpecInput, templates: ReadonlyMap<string, ParsedTemplate>): Diagnostic[] {
  const given = input.defaults?.with;
  if (!given || typeof given !== 'object') return [];
  const known = [...new Set([...templates.values()].flatMap((t) => Object.keys(t.meta.params)))];
  return Object.keys(given)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const guess = closest(key, known);
      return specDiagnostic(
        loaded,
        'unknown-param',
        ['defaults', 'with', key],
        known.length ? `no template used in this spec has a parameter \`${key}\`` : `\`defaults.with.${key}\` is used by nothing: no service uses a template`,
        guess ? `did you mean \`${guess}\`?` : known.length ? `their parameters: ${known.join(', ')}` : 'remove it, or give a service a `template`',
        { onKey: true },
      );
    });
}
