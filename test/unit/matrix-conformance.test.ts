// GitHub Actions `jobs.<job_id>.strategy.matrix` semantics, from the docs
// (https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idstrategymatrix
// and "Running variations of jobs in a workflow": "Expanding or adding matrix
// configurations", "Excluding matrix configurations"), plus issue 12's bound on
// the number of targets before anything is expanded.
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cellTargetNames, expandMatrix } from '../../src/expand/matrix.js';
import { equalsIgnoreCase, formatNumber, parseNumber, valueEquals, valueText } from '../../src/expand/values.js';
import type { MatrixInput, Scalar } from '../../src/spec.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

// Every call of expandMatrix is recorded, so the bound tests can count the cells
// a compile expanded: the work it did, not the time it took.
vi.mock('../../src/expand/matrix.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/expand/matrix.js')>();
  return { ...m, expandMatrix: vi.fn(m.expandMatrix) };
});

/** Cells expanded by the compiles since the last call. */
function cellsExpanded(): number {
  const calls = vi.mocked(expandMatrix).mock.results.map((r) => (r.type === 'return' ? r.value.cells.length : 0));
  vi.mocked(expandMatrix).mockClear();
  return calls.reduce((a, b) => a + b, 0);
}

const BAKE_NAME = /^[A-Za-z0-9_-]+$/;

describe('axis names as GitHub allows them', () => {
  it('node-version is an axis, read as ${{ matrix.node-version }} in tags and args', () => {
    // docs: `matrix: node-version: [14, 16]` ... `node-version: ${{ matrix.node-version }}`
    const src = [
      'version: 1',
      'registry: r.example',
      'services:',
      '  web:',
      '    context: web',
      '    template: go',
      '    matrix:',
      '      node-version: [18, 20]',
      '      Os_Name: [alpine]',
      '    args: { NODE: "${{ matrix.node-version }}", OS: "${{ matrix.Os_Name }}" }',
      '    tags: ["r.example/web:${{ matrix.node-version }}-${{ matrix.Os_Name }}"]',
    ].join('\n');
    const r = compileSpec(src, goDirs('web'));
    expect(brief(r.diagnostics)).toEqual([]);
    expect(r.spec!.targets.map((t) => [t.name, t.args.NODE, t.tags[0]])).toEqual([
      ['web-18-alpine', '18', 'r.example/web:18-alpine'],
      ['web-20-alpine', '20', 'r.example/web:20-alpine'],
    ]);
  });
});

describe('two combinations never share a target name', () => {
  it('{os: b} and {os: b, arch: arm} from include are two targets with two names', () => {
    // docs: an include entry that fits no original combination becomes a new one; later
    // entries are matched against the original combinations only, so both are added.
    const src = [
      'version: 1',
      'services:',
      '  app:',
      '    context: app',
      '    template: go',
      '    matrix:',
      '      os: [a]',
      '      include:',
      '        - { os: b }',
      '        - { os: b, arch: arm }',
      '    args: { ARCH: "${{ matrix.os }}" }',
      '    labels: { arch: "x${{ matrix.arch }}" }',
    ].join('\n');
    const r = compileSpec(src, goDirs('app'));
    expect(expandMatrix({ os: ['a'], include: [{ os: 'b' }, { os: 'b', arch: 'arm' }] }).cells).toEqual([{ os: 'a' }, { os: 'b' }, { os: 'b', arch: 'arm' }]);
    // `arch` is used (in a label), so this compiles; without the arch label it only warns.
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const names = r.spec!.targets.map((t) => t.name);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    expect(names[0]).toBe('app-a');
    for (const n of names) expect(n).toMatch(BAKE_NAME);
    expect(r.files!.get('docker-bake.hcl')).toContain(`target "${names[2]}" {`);
  });

  it('values that differ only in punctuation or case (1.0 / 1-0, A / a) keep distinct names', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    matrix:\n      v: ["1.0", "1-0", "A", "a"]\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([]);
    const names = r.spec!.targets.map((t) => t.name);
    expect(new Set(names).size).toBe(4);
  });

  it('the same combination added twice by include is a located error naming it', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    matrix:\n      os: [a]\n      include: [{os: z}, {os: z}]\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'name-collision', ...pos(src, 'os: [a]') }]);
  });

  it('property: distinct cells always get distinct, valid bake target names', () => {
    const value = fc.oneof(fc.constantFrom('a', 'A', '1.0', '1-0', '1_0', '', '-', 'x', 'b', 'arm'), fc.string({ maxLength: 4 }));
    const cell = fc.dictionary(fc.constantFrom('os', 'arch', 'v', 'x'), value, { minKeys: 1, maxKeys: 4 });
    fc.assert(
      fc.property(fc.uniqueArray(cell, { selector: (c) => JSON.stringify(Object.entries(c).sort()), maxLength: 12 }), fc.subarray(['os', 'arch', 'v']), (cells, axes) => {
        const { names, clashes } = cellTargetNames('svc', axes, cells);
        expect(clashes).toEqual([]);
        expect(new Set(names).size).toBe(cells.length);
        for (const n of names) expect(n).toMatch(BAKE_NAME);
      }),
      { numRuns: 500 },
    );
  });
});

describe('empty matrices say what is wrong', () => {
  it('matrix: {} has no axes and no include', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    matrix: {}\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'empty-matrix', ...pos(src, '{}') }]);
    expect(r.diagnostics[0]!.message).not.toMatch(/exclude/);
  });

  it('an empty include without axes', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    matrix:\n      include: []\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'empty-matrix', ...pos(src, 'include') }]);
    expect(r.diagnostics[0]!.message).toMatch(/include/);
  });

  // README, "Matrix semantics": beside axes, `include: []` adds nothing (and `exclude: []` drops nothing).
  it('an empty include or exclude beside axes is no error and changes nothing', () => {
    for (const key of ['include', 'exclude']) {
      const src = `version: 1\nservices:\n  api:\n    context: api\n    template: go\n    matrix:\n      go: ["1.22", "1.23"]\n      ${key}: []\n`;
      const r = compileSpec(src, goDirs('api'));
      expect(r.diagnostics, key).toEqual([]);
      expect(
        r.spec!.targets.map((t) => t.name),
        key,
      ).toEqual(['api-1-22', 'api-1-23']);
    }
  });
});

// GitHub builds each include and exclude entry into expressions
// `matrix['KEY'] == VALUE` (actions/runner
// src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs, MatrixFilter) and
// evaluates them with the expression language's `==`: strings ignore case, a
// boolean is 1 or 0, a string meeting a number is read as one, NaN equals
// nothing (docs "Evaluate expressions in workflows and actions", Operators;
// actions/languageservices expressions/src/result.ts `equals`). An axis is
// looked up whatever the key's case (DictionaryExpressionData ignores case).
describe("include and exclude compare values with GitHub's expression ==", () => {
  const names = (m: MatrixInput) => expandMatrix(m).cells;

  it('strings ignore case: an exclude in other case drops the combination', () => {
    expect(names({ os: ['Ubuntu-Latest', 'windows-latest'], exclude: [{ os: 'ubuntu-latest' }] })).toEqual([{ os: 'windows-latest' }]);
  });

  it('an include in other case extends the combination, whose value keeps its spelling', () => {
    expect(names({ os: ['ubuntu-latest', 'windows-latest'], include: [{ os: 'Ubuntu-Latest', extra: 'yes' }] })).toEqual([{ os: 'ubuntu-latest', extra: 'yes' }, { os: 'windows-latest' }]);
  });

  it('a string meets a number as a number: "16.0" is 16', () => {
    expect(names({ version: [16, 18], exclude: [{ version: '16.0' }], include: [{ version: '18.0', npm: '10' }] })).toEqual([{ version: '18', npm: '10' }]);
  });

  it('an empty string is the number 0, and a boolean is 1 or 0', () => {
    expect(names({ v: [0, 1], exclude: [{ v: '' }] })).toEqual([{ v: '1' }]);
    expect(names({ v: [0, 1], exclude: [{ v: true }] })).toEqual([{ v: '0' }]);
    expect(names({ debug: [true, false], exclude: [{ debug: 'true' }] })).toEqual([{ debug: 'true' }, { debug: 'false' }]);
  });

  // This test once expected the new combination as `{os: 'c'}`, in the axis's spelling. The runner builds it from
  // the entry's own key literals (actions/runner src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs,
  // MatrixInclude.GetUnmatchedVectors: `matrix.Add(keyLiteral.Value, ...)`), so its matrix context is `{"OS": "c"}`;
  // `matrix.os` still reads it, as every matrix key is read ignoring case.
  it('an include key names an axis whatever its case', () => {
    expect(names({ os: ['a', 'b'], include: [{ OS: 'a', x: '1' }] })).toEqual([{ os: 'a', x: '1' }, { os: 'b' }]);
    expect(names({ os: ['a', 'b'], include: [{ OS: 'c' }] })).toEqual([{ os: 'a' }, { os: 'b' }, { OS: 'c' }]);
  });

  it('the case-insensitive rule keeps the dotless i apart, as GitHub does', () => {
    expect(valueEquals('\u0131', 'I')).toBe(false);
    expect(valueEquals('i', 'I')).toBe(true);
    expect(valueEquals(Number.NaN, Number.NaN)).toBe(false);
    expect(valueEquals('abc', Number.NaN)).toBe(false);
  });

  it('an exclude key in other case is the axis in a spec, not an unknown one', () => {
    const src = ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    matrix:', '      os: [a, b]', '      exclude:', '        - { OS: A }'].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => t.name)).toEqual(['api-b']);
  });
});

describe('include keys that are not axes', () => {
  const spec = (extra: string) =>
    ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    matrix:', '      arch: [x, y]', '      include:', '        - { arch: x, archh: z }', extra].join('\n');

  it('are variables, as on GitHub: added to the matching combination only', () => {
    const src = spec('    args: { A: "${{ matrix.archh }}" }\n');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => t.args.A)).toEqual(['z', '']);
  });

  it('warn, with did-you-mean against the axes, when nothing reads them', () => {
    const src = spec('');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, column: d.column }))).toEqual([{ code: 'unused-matrix-key', severity: 'warning', ...pos(src, 'archh') }]);
    expect(r.diagnostics[0]!.hint).toMatch(/did you mean `arch`/);
    expect(r.files).toBeDefined(); // a warning does not stop gen
  });

  it('a template that reads matrix.KEY counts as a use', () => {
    const tpl = 'FROM scratch\nLABEL x={{word matrix.archh}}\n';
    const src = spec('').replace('template: go', 'template: t.hbs');
    const r = compileSpec(src, { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics).toEqual([]);
  });

  // GitHub looks up matrix keys with OrdinalIgnoreCase wherever they are read (the runner's
  // expression engine, actions/runner src/Sdk/DTExpressions2 ... DictionaryContextData), and
  // `${{ matrix.OS }}` in the spec already reads axis `os`; a template reads them the same way.
  it('a template reads a key whatever its case: values in each cell, and the read counts as a use', () => {
    const tpl = ['FROM scratch', 'LABEL a={{word matrix.ARCH}} b={{word matrix.Archh}} c={{word matrix.[ARCHH]}} d={{word (lookup matrix "archH")}}', ''].join('\n');
    const src = spec('').replace('template: go', 'template: t.hbs');
    const r = compileSpec(src, { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics).toEqual([]);
    const labels = [...r.files!.entries()].filter(([f]) => f.endsWith('Dockerfile')).map(([, text]) => text.split('\n').find((l) => l.startsWith('LABEL')));
    expect(labels).toEqual(['LABEL a="x" b="z" c="z" d="z"', 'LABEL a="y" b="" c="" d=""']);
  });

  it('{{#each matrix}} lists the keys as the spec spells them, once each', () => {
    const tpl = 'FROM scratch\n{{#each matrix}}\nLABEL {{@key}}={{word this}}\n{{/each}}\n';
    const src = spec('').replace('template: go', 'template: t.hbs');
    const r = compileSpec(src, { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics).toEqual([]);
    const first = [...r.files!.entries()].find(([f]) => f.endsWith('Dockerfile'))![1];
    expect(first.split('\n').filter((l) => l.startsWith('LABEL'))).toEqual(['LABEL arch="x"', 'LABEL archh="z"']);
  });

  it('a key no template or spec string reads, in any case, still warns', () => {
    const tpl = 'FROM scratch\n{{#if matrix.archhh}}LABEL x=1{{/if}}{{#if matrix.ARC}}LABEL y=1{{/if}}\n';
    const src = spec('').replace('template: go', 'template: t.hbs');
    const r = compileSpec(src, { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unused-matrix-key']);
  });
});

// The order of a combination's keys, as GitHub's runner builds its matrix context
// (actions/runner src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs): a combination of the
// axes has the axes in declared order, then the values includes add to it, in the order they
// are first added (`Match` collects them in include order, `CreateConfiguration` appends them);
// one an include entry makes (`GetUnmatchedVectors`) has the entry's axis keys, then its other
// keys, each in the entry's order. It shows in `toJSON(matrix)` and in the order a template's
// `{{#each matrix}}` lists them; `plan --json` prints a target's `matrix` so.
describe("a combination's keys are in the runner's order", () => {
  const MATRIX: MatrixInput = { os: ['windows', 'linux'], node: ['20'], include: [{ os: 'linux', b: '1' }, { a: '2' }, { experimental: 'true', os: 'macos' }] };

  it('axes as declared, then added keys as first added; a new combination puts its axis keys first', () => {
    const { cells } = expandMatrix(MATRIX);
    expect(cells.map((c) => Object.entries(c))).toEqual([
      [
        ['os', 'windows'],
        ['node', '20'],
        ['a', '2'],
      ],
      [
        ['os', 'linux'],
        ['node', '20'],
        ['b', '1'],
        ['a', '2'],
      ],
      // The entry lists `experimental` first; the runner's new vector starts with the entry's filter (`os`).
      [
        ['os', 'macos'],
        ['experimental', 'true'],
      ],
    ]);
    // An include-only matrix has no axes: every key is an added value, in the entry's order.
    expect(expandMatrix({ include: [{ b: '1', a: '2' }] }).cells.map((c) => Object.keys(c))).toEqual([['b', 'a']]);
  });

  const spec = (template: string) =>
    [
      'version: 1',
      'services:',
      '  api:',
      '    context: api',
      `    template: ${template}`,
      '    matrix:',
      '      os: [windows, linux]',
      '      node: ["20"]',
      '      include:',
      '        - { os: linux, b: "1" }',
      '        - { a: "2" }',
      '        - { experimental: "true", os: macos }',
      '',
    ].join('\n');

  it("{{#each matrix}} lists each combination's own keys in that order; a key it lacks still reads as empty", () => {
    const tpl = 'FROM scratch\n{{#each matrix}}\nLABEL {{@key}}={{word this}}\n{{/each}}\nLABEL node-read={{word matrix.node}}\n';
    const r = compileSpec(spec('t.hbs'), { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics).toEqual([]);
    const labels = (target: string) =>
      r
        .files!.get(`api/${target}.Dockerfile`)!
        .split('\n')
        .filter((l) => l.startsWith('LABEL'));
    // Before: every key of the service's matrix in one order (a before b), '' for the keys a combination lacks.
    expect(labels('api-windows-20')).toEqual(['LABEL os="windows"', 'LABEL node="20"', 'LABEL a="2"', 'LABEL node-read="20"']);
    expect(labels('api-linux-20')).toEqual(['LABEL os="linux"', 'LABEL node="20"', 'LABEL b="1"', 'LABEL a="2"', 'LABEL node-read="20"']);
    expect(labels('api-macos')).toEqual(['LABEL os="macos"', 'LABEL experimental="true"', 'LABEL node-read=""']);
    // The target's cell, which `plan --json` prints as its `matrix`, in the same order.
    expect(r.spec!.targets.map((t) => Object.keys(t.cell))).toEqual([
      ['os', 'node', 'a'],
      ['os', 'node', 'b', 'a'],
      ['os', 'experimental'],
    ]);
  });

  it('a key a combination lacks and a key whose value is empty are told apart, also when one template serves both', () => {
    // The remembered render (render/files.ts renderChecked) must not answer one with the other.
    const tpl = 'FROM scratch\n{{#each matrix}}\nLABEL {{@key}}={{word this}}\n{{/each}}\n';
    const src = [
      'version: 1',
      'services:',
      '  one:',
      '    context: api',
      '    template: t.hbs',
      '    matrix: { os: [x], node: [""] }',
      '  two:',
      '    context: api',
      '    template: t.hbs',
      '    matrix: { os: [y], node: ["1"], include: [{ os: x }] }',
      '',
    ].join('\n');
    const r = compileSpec(src, { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics).toEqual([]);
    const labels = (file: string) =>
      r
        .files!.get(file)!
        .split('\n')
        .filter((l) => l.startsWith('LABEL'));
    expect(labels('api/one.Dockerfile')).toEqual(['LABEL os="x"', 'LABEL node=""']);
    expect(labels('api/two-x.Dockerfile')).toEqual(['LABEL os="x"']);
  });

  it("target names stay matrix's own: the declared axes in declared order (README, differences from GitHub)", () => {
    // The runner names a job made by an include entry by all its values, the entry's axis keys in the
    // entry's order (`api (20, macos, true)` here); matrix names every combination of a service by its
    // declared axes, so each name has one pattern (api-OS-NODE), and added keys do not rename it.
    const { cells } = expandMatrix({ os: ['linux'], node: ['18'], include: [{ node: '20', os: 'macos', experimental: 'true' }] });
    expect(cellTargetNames('api', ['os', 'node'], cells).names).toEqual(['api-linux-18', 'api-macos-20']);
  });
});

describe('${{ }} in with: is resolved per cell or is a located error', () => {
  it('matrix values reach the template parameter, one Dockerfile per differing cell', () => {
    const src = [
      'version: 1',
      'services:',
      '  api:',
      '    context: api',
      '    template: go',
      '    matrix: { bin: [one, two] }',
      '    with: { binary: "app-${{ matrix.bin }}", main: "./cmd/${{ matrix.bin }}" }',
    ].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => t.with.binary)).toEqual(['app-one', 'app-two']);
    const dockerfiles = [...r.files!.entries()].filter(([f]) => f.endsWith('Dockerfile'));
    expect(dockerfiles).toHaveLength(2);
    for (const [, text] of dockerfiles) expect(text).not.toContain('${{');
    expect(dockerfiles.map(([, t]) => t.includes('app-one'))).toEqual([true, false]);
  });

  it('a git value (known only at build time) and an unknown variable are located errors', () => {
    const src = ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    with: { binary: "app-${{ git.sha }}", main: "./${{ matrix.nope }}" }'].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([
      { code: 'unknown-variable', ...pos(src, '"app-') },
      { code: 'unknown-variable', ...pos(src, '"./') },
    ]);
    expect(r.files).toBeUndefined();
  });
});

// GitHub evaluates expressions in a job's matrix: "Using contexts to create matrices" (github/docs,
// content/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations.md) builds axis values
// and include entries from `${{ github.event... }}` and `${{ fromJSON(...) }}`. matrix has none of those
// contexts, and took such a value as its text: a target `job-a` whose build arg was `${{ 'a' }}`, an exclude
// that matched nothing, an include that added a combination instead of extending one. Each is refused, at it.
describe('${{ }} in a matrix value is refused, where GitHub would evaluate it', () => {
  const svc = (matrix: string[]) =>
    ['version: 1', 'services:', '  job:', '    context: api', '    template: go', '    args: { OS: "${{ matrix.os }}" }', '    matrix:', ...matrix.map((l) => `      ${l}`)].join('\n');

  it.each([
    ['an axis value', ['os: ["${{ \'a\' }}", b]'], '"${{ \'a\' }}"'],
    ['an exclude value', ['os: [a, b]', 'exclude: [{ os: "${{ inputs.os }}" }]'], '"${{ inputs.os }}"'],
    ['an include value', ['os: [a, b]', 'include: [{ os: "${{ \'a\' }}", extra: x }]'], '"${{ \'a\' }}"'],
    ['an include variable', ['os: [a, b]', 'include: [{ os: a, sha: "${{ github.sha }}" }]'], '"${{ github.sha }}"'],
  ])('%s: invalid-value at it, and nothing is generated', (_, matrix, value) => {
    const src = svc(matrix);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-value', ...pos(src, value) }]);
    expect(r.diagnostics[0]!.message).toMatch(/a matrix value is taken as written, and `\$\{\{ \}\}` in it would be neither evaluated nor matched as GitHub evaluates it/);
    expect(r.diagnostics[0]!.hint).toMatch(/^write the value itself/);
    expect(r.files).toBeUndefined();
  });

  it('the same under defaults; a value with `$` or `{` alone is a value like any other', () => {
    const src = ['version: 1', 'defaults:', '  context: api', '  template: go', '  matrix: { os: ["${{ vars.OS }}"] }', 'services:', '  job: {}'].join('\n');
    expect(brief(compileSpec(src, goDirs('api')).diagnostics)).toEqual([{ code: 'invalid-value', ...pos(src, '"${{ vars.OS }}"') }]);
    const ok = compileSpec(svc(['os: ["a$b", "{c}"]']), goDirs('api'));
    expect(ok.diagnostics).toEqual([]);
    expect(ok.spec!.targets.map((t) => t.args.OS)).toEqual(['a$b', '{c}']);
  });
});

describe('the number of targets is bounded before anything is expanded (issue 12)', () => {
  it('a defaults matrix of 10^12 combinations (YAML aliases) is refused without expanding it, once', () => {
    // 12 axes of 10 values through one anchor: a few lines, 10^12 combinations for each service.
    const src = [
      'version: 1',
      'defaults:',
      '  context: api',
      '  template: go',
      '  matrix:',
      '    a0: &ten [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]',
      ...Array.from({ length: 11 }, (_, i) => `    a${i + 1}: *ten`),
      'services:',
      '  a: {}',
      '  b: {}',
    ].join('\n');
    // The count sees expansions: a matrix of 2 x 3 is 6 cells.
    cellsExpanded();
    compileSpec('version: 1\nservices:\n  a:\n    context: api\n    template: go\n    matrix:\n      x: [1, 2]\n      y: [1, 2, 3]\n', goDirs('api'));
    expect(cellsExpanded()).toBe(6);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'matrix-too-large', ...pos(src, 'a0:') }]);
    expect(r.diagnostics[0]!.message).toMatch(/1,000,000,000,000 combinations/);
    // Refused from the axis sizes: not one combination was expanded.
    expect(cellsExpanded()).toBe(0);
  });

  it('a defaults matrix that fits one service but multiplies across many is refused as a whole', () => {
    // 1,000 combinations per service x 60 services = 60,000 targets: over the bound of 50,000.
    const services = Array.from({ length: 60 }, (_, i) => `  s${i}: {}`);
    const src = ['version: 1', 'defaults:', '  context: api', '  template: go', '  matrix:', '    a: &ten [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]', '    b: *ten', '    c: *ten', 'services:', ...services].join(
      '\n',
    );
    cellsExpanded();
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'too-many-targets', ...pos(src, 'a: &ten') }]);
    expect(r.diagnostics[0]!.message).toMatch(/60,000 targets/);
    // Refused from the counts: not one of the 60,000 targets was expanded.
    expect(cellsExpanded()).toBe(0);
  });

  it('with include, the count is said as the bound it is: the axes, then up to one more per entry', () => {
    // 1,024 from the axis, and an include that only extends one of them: 1,024 cells, but counted as 1,025.
    const values = Array.from({ length: 1024 }, (_, i) => i).join(', ');
    const src = ['version: 1', 'services:', '  a:', '    context: api', '    template: go', '    matrix:', `      n: [${values}]`, '      include: [{ n: 1, x: y }]'].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'matrix-too-large', ...pos(src, 'n: [') }]);
    expect(r.diagnostics[0]!.message).toBe(
      'the matrix has 1,024 combinations from its axes and up to 1,025 with its 1 `include` entry (counted before anything is expanded: each entry may add one); at most 1024 are allowed per service',
    );
    const only = [
      'version: 1',
      'services:',
      '  a:',
      '    context: api',
      '    template: go',
      '    matrix:',
      `      include: [${Array.from({ length: 1025 }, (_, i) => `{ n: ${i} }`).join(', ')}]`,
    ].join('\n');
    expect(compileSpec(only, goDirs('api')).diagnostics[0]!.message).toBe('the matrix has up to 1,025 combinations from its 1,025 `include` entries; at most 1024 are allowed per service');
  });
});

// The C# code GitHub runs for a matrix (actions/runner, src/Sdk): MatrixBuilder.cs
// turns every include and exclude leaf into `matrix['KEY'] == VALUE`, evaluated
// by Expressions/EvaluationResult.cs (AbstractEqual, CoerceTypes, ConvertToNumber,
// ConvertToString) with Expressions/Sdk/ExpressionUtility.cs ParseNumber. The
// cases below are read from that code, one reference per test.
describe("GitHub's C# expression engine: OrdinalIgnoreCase, ParseNumber, G15", () => {
  const cells = (m: MatrixInput) => expandMatrix(m).cells;

  // EvaluationResult.cs AbstractEqual: String.Equals(left, right, StringComparison.OrdinalIgnoreCase),
  // which compares lengths first and then each character's simple upper case.
  it('strings compare ordinally ignoring case: same length, one-to-one upper case', () => {
    expect(valueEquals('Ubuntu-Latest', 'ubuntu-latest')).toBe(true);
    expect(valueEquals('straße', 'STRASSE')).toBe(false);
    expect(valueEquals('straße', 'STRAßE')).toBe(true);
    expect(valueEquals('\ufb01le', 'FILE')).toBe(false);
    expect(valueEquals('\u1fb3', '\u1fbc')).toBe(true); // ᾳ's simple upper case is ᾼ (its full one is ΑΙ)
    expect(valueEquals('\u{10428}', '\u{10400}')).toBe(true); // Deseret: a pair of UTF-16 units each
    expect(valueEquals('\u0131', 'i')).toBe(false);
  });

  // MatrixBuilder.cs MatrixExclude + EvaluationResult.cs AbstractEqual (audit cases c10, c11).
  it('an exclude `STRASSE` does not remove `straße`, nor `FILE` remove `ﬁle`', () => {
    expect(cells({ os: ['straße', 'linux'], exclude: [{ os: 'STRASSE' }] })).toEqual([{ os: 'straße' }, { os: 'linux' }]);
    expect(cells({ os: ['\ufb01le', 'linux'], exclude: [{ os: 'FILE' }] })).toEqual([{ os: '\ufb01le' }, { os: 'linux' }]);
    expect(cells({ os: ['Ubuntu-Latest', 'linux'], include: [{ os: 'ubuntu-latest', x: '1' }] })).toEqual([{ os: 'Ubuntu-Latest', x: '1' }, { os: 'linux' }]);
  });

  // ExpressionUtility.cs ParseNumber, reached from EvaluationResult.cs CoerceTypes/ConvertToNumber.
  it('a string meets a number through ParseNumber, not JavaScript Number()', () => {
    expect(parseNumber('')).toBe(0);
    expect(parseNumber('  ')).toBe(0);
    expect(parseNumber('16.0')).toBe(16);
    expect(parseNumber(' 20 ')).toBe(20);
    expect(parseNumber('+1.5e3')).toBe(1500);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('0x10')).toBe(16);
    expect(parseNumber('0xffffffff')).toBe(-1); // Int32.TryParse with AllowHexSpecifier
    expect(parseNumber('0x0000000010')).toBe(16);
    expect(parseNumber('0x100000000')).toBeNaN(); // more than 32 bits
    expect(parseNumber('0o17')).toBe(15);
    expect(parseNumber('0o37777777777')).toBe(-1); // Convert.ToInt32(s, 8)
    expect(parseNumber('0o40000000000')).toBeNaN();
    expect(parseNumber('Infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(parseNumber('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    // Everything JavaScript's Number() also reads, but ParseNumber does not:
    for (const s of ['0b1', '0X10', '0O17', '1_000', '0x', '-0x10', '\ufeff1', '1e', 'one']) expect(parseNumber(s), s).toBeNaN();
    // String.Trim() removes .NET white space, U+0085 included.
    expect(parseNumber('\u00852')).toBe(2);
  });

  // ExpressionUtility.cs ParseNumber via MatrixBuilder.cs MatrixExclude (audit cases c12-c16).
  it('exclude compares prefixed strings with numbers as GitHub does', () => {
    expect(cells({ v: ['0b1', '2'], exclude: [{ v: 1 }] })).toEqual([{ v: '0b1' }, { v: '2' }]);
    expect(cells({ v: ['0X10', '2'], exclude: [{ v: 16 }] })).toEqual([{ v: '0X10' }, { v: '2' }]);
    expect(cells({ v: ['0O17', '2'], exclude: [{ v: 15 }] })).toEqual([{ v: '0O17' }, { v: '2' }]);
    expect(cells({ v: ['0xffffffff', '2'], exclude: [{ v: 4294967295 }] })).toEqual([{ v: '0xffffffff' }, { v: '2' }]);
    expect(cells({ v: ['0xffffffff', '2'], exclude: [{ v: -1 }] })).toEqual([{ v: '2' }]);
    expect(cells({ v: ['0x10', '2'], exclude: [{ v: 16 }] })).toEqual([{ v: '2' }]);
    expect(cells({ v: ['', ' 20 ', '16.0'], exclude: [{ v: 0 }, { v: 20 }, { v: 16 }] })).toEqual([]);
  });

  // EvaluationResult.cs ConvertToString: ToString(ExpressionConstants.NumberFormat), "G15" (ExpressionConstants.cs).
  it('a number is written with 15 significant digits, in scientific form where G15 uses it', () => {
    const cases: [number, string][] = [
      [0.00001, '1E-05'],
      [0.0001, '0.0001'],
      [1e15, '1E+15'],
      [1e14, '100000000000000'],
      [1234567890123456, '1.23456789012346E+15'],
      [0.1234567890123456, '0.123456789012346'],
      [-2.5e-7, '-2.5E-07'],
      [1.5e300, '1.5E+300'],
      [3.1, '3.1'],
      [16, '16'],
      [-0, '0'],
    ];
    for (const [n, text] of cases) expect(formatNumber(n), String(n)).toBe(text);
    expect(cells({ v: [1e-5, 1e15, 2] })).toEqual([{ v: '1E-05' }, { v: '1E+15' }, { v: '2' }]);
  });

  const spec = (matrix: string[], extra: string[] = []) =>
    ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    matrix:', ...matrix.map((l) => `      ${l}`), ...extra].join('\n');

  // EvaluationResult.cs ConvertToString ("G15"): GitHub would build `1E-05` where the spec says 0.00001.
  it('an unquoted matrix number that GitHub writes differently is a located error with a hint to quote it', () => {
    const src = spec(['v: [0.00001, 2]']);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'ambiguous-value', ...pos(src, '0.00001') }]);
    expect(r.diagnostics[0]!.message).toMatch(/1E-05/);
    expect(r.diagnostics[0]!.hint).toBe('quote it to keep it as written: "0.00001"');
    // Quoted it is a string, and stays as written; outside a matrix a number is read as before.
    const quoted = compileSpec(spec(['v: ["0.00001", 2]'], ['    args: { V: "${{ matrix.v }}", W: 0.00001 }']), goDirs('api'));
    expect(quoted.diagnostics).toEqual([]);
    expect(quoted.spec!.targets.map((t) => [t.name, t.args.V, t.args.W])).toEqual([
      ['api-0-00001', '0.00001', '0.00001'],
      ['api-2', '2', '0.00001'],
    ]);
  });

  // EvaluationResult.cs ConvertToString ("G15"): written as GitHub writes it, the value is GitHub's, the target name valid.
  it('a matrix number written in G15 form reaches ${{ matrix.X }} as GitHub writes it', () => {
    const src = spec(['v: [1E-05, 1E+15]'], ['    args: { V: "${{ matrix.v }}" }']);
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => [t.name, t.args.V])).toEqual([
      ['api-1e-05', '1E-05'],
      ['api-1e-15', '1E+15'],
    ]);
    for (const t of r.spec!.targets) expect(t.name).toMatch(BAKE_NAME);
  });

  // ConvertToString ("G15") for a matrix number written under an anchor elsewhere in the spec.
  it('a defaults matrix reached through an alias is checked as a matrix', () => {
    const src = ['version: 1', 'x-versions: &v [0.00001]', 'defaults:', '  context: api', '  template: go', '  matrix:', '    v: *v', 'services:', '  api: {}'].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'ambiguous-value', ...pos(src, '0.00001') }]);
  });

  // WorkflowParser/ObjectTemplating/TemplateReader.cs: mapping keys are checked with
  // StringComparer.OrdinalIgnoreCase, and a second spelling is "'KEY' is already defined".
  it('two axes, or two keys of one include or exclude entry, that differ only in case are located errors', () => {
    const axes = spec(['os: [a]', 'OS: [b]']);
    const r1 = compileSpec(axes, goDirs('api'));
    expect(brief(r1.diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(axes, 'OS:') }]);
    expect(r1.diagnostics[0]!.hint).toMatch(/one spelling/);
    const inc = spec(['os: [a]', 'include:', '  - { os: a, Npm: 6, npm: 7 }'], ['    args: { N: "${{ matrix.npm }}" }']);
    expect(brief(compileSpec(inc, goDirs('api')).diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(inc, 'npm: 7') }]);
    const exc = spec(['os: [a, b]', 'exclude:', '  - { os: a, OS: b }']);
    expect(brief(compileSpec(exc, goDirs('api')).diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(exc, 'OS: b') }]);
  });

  // TemplateReader.cs (HandleMappingWithWellKnownProperties): the set of keys read so far is checked
  // before the key is matched to the schema's properties (workflow-v1.0.json "matrix": `include`,
  // `exclude`, matched ordinally, plus loose keys), so `Include` after `include` is "'Include' is
  // already defined" on GitHub; alone, `Include` is an axis there (WorkflowTemplateConverter.cs
  // switches on the exact key), and it stays one here.
  it('an axis spelt like include or exclude in another case, beside the list itself, is a located error', () => {
    const after = spec(['os: [a]', 'include:', '  - { os: b }', 'Include: [c]']);
    const r1 = compileSpec(after, goDirs('api'));
    expect(brief(r1.diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(after, 'Include:') }]);
    expect(r1.diagnostics[0]!.hint).toMatch(/only `include` in lower case is the include list.*`Include`/);
    const before = spec(['EXCLUDE: [c]', 'os: [a, b]', 'exclude:', '  - { os: a }']);
    const r2 = compileSpec(before, goDirs('api'));
    expect(brief(r2.diagnostics)).toEqual([{ code: 'duplicate-key', ...pos(before, 'exclude:') }]);
    expect(r2.diagnostics[0]!.hint).toMatch(/only `exclude` in lower case is the exclude list.*`EXCLUDE`/);
    const alone = spec(['os: [a]', 'Include: [c]']);
    const r3 = compileSpec(alone, goDirs('api'));
    expect(r3.diagnostics).toEqual([]);
    expect(r3.spec!.targets.map((t) => [t.name, t.cell])).toEqual([['api-a-c', { os: 'a', Include: 'c' }]]);
  });

  // Expressions/Data/DictionaryExpressionData.cs: the matrix context looks keys up with
  // StringComparer.OrdinalIgnoreCase; MatrixBuilder.cs keeps one key per name.
  it('one include key in two spellings is one variable, and ${{ matrix.KEY }} finds a key whatever its case', () => {
    const across = spec(['os: [a, b]', 'include:', '  - { os: a, Npm: 6 }', '  - { os: b, npm: 7 }'], ['    args: { N: "${{ matrix.npm }}", O: "${{ matrix.OS }}" }']);
    const r = compileSpec(across, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => [t.name, t.args.N, t.args.O])).toEqual([
      ['api-a', '6', 'a'],
      ['api-b', '7', 'b'],
    ]);
    const only = spec(['include:', '  - { Site: a }', '  - { site: b }'], ['    args: { S: "${{ matrix.site }}" }']);
    const r2 = compileSpec(only, goDirs('api'));
    expect(r2.diagnostics).toEqual([]);
    expect(r2.spec!.targets.map((t) => t.args.S)).toEqual(['a', 'b']);
  });

  // MatrixBuilder.cs: MatrixInclude.Match collects a combination's added values in a DictionaryExpressionData,
  // whose setter keeps the spelling a key was first given (Expressions/Data/DictionaryExpressionData.cs,
  // "preserve casing"), and GetUnmatchedVectors builds a new combination from the entry's own key literals. So each
  // combination spells a key as the first entry that gave it one does; `toJSON(matrix)` shows that spelling.
  it('each combination spells a key as the runner does: as the first entry that added it to that combination', () => {
    const m: MatrixInput = { os: ['a', 'b'], include: [{ os: 'a', Npm: 6 }, { os: 'b', npm: 7 }, { NPM: 8 }, { OS: 'c', npm: 9 }] };
    expect(expandMatrix(m).cells.map((c) => Object.entries(c))).toEqual([
      [
        ['os', 'a'],
        ['Npm', '8'],
      ],
      [
        ['os', 'b'],
        ['npm', '8'],
      ],
      [
        ['OS', 'c'],
        ['npm', '9'],
      ],
    ]);
    // The matrix's keys (variables, the keys a template reads as empty) are each key once, as first spelt.
    expect(expandMatrix(m).axes).toEqual(['os', 'Npm']);
  });

  it('a combination spelt so is read, named, listed and picked whatever the case', () => {
    const tpl = 'FROM scratch\n{{#each matrix}}\nLABEL {{@key}}={{word this}}\n{{/each}}\nLABEL os-read={{word matrix.os}} npm-read={{word matrix.npm}}\n';
    const src = [
      'version: 1',
      'registry: r',
      'services:',
      '  api:',
      '    context: api',
      '    template: t.hbs',
      '    latest: { os: c }',
      '    args: { O: "${{ matrix.os }}", N: "${{ matrix.NPM }}" }',
      '    matrix:',
      '      os: [a]',
      '      include:',
      '        - { os: a, Npm: "6" }',
      '        - { OS: c, npm: "9" }',
      '',
    ].join('\n');
    const r = compileSpec(src, { 'api/.keep': '', 't.hbs': tpl });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => [t.name, t.cell, t.args.O, t.args.N, t.tags.includes('r/api:latest')])).toEqual([
      ['api-a', { os: 'a', Npm: '6' }, 'a', '6', false],
      ['api-c', { OS: 'c', npm: '9' }, 'c', '9', true],
    ]);
    const labels = (target: string) =>
      r
        .files!.get(`api/${target}.Dockerfile`)!
        .split('\n')
        .filter((l) => l.startsWith('LABEL'));
    expect(labels('api-a')).toEqual(['LABEL os="a"', 'LABEL Npm="6"', 'LABEL os-read="a" npm-read="6"']);
    expect(labels('api-c')).toEqual(['LABEL OS="c"', 'LABEL npm="9"', 'LABEL os-read="c" npm-read="9"']);
  });

  it('`latest` names an include key whatever its case: it picks the combination and counts as a read of the key', () => {
    const src = [
      'version: 1',
      'registry: r',
      'services:',
      '  api:',
      '    context: api',
      '    template: go',
      '    latest: { flavor: x }',
      '    matrix:',
      '      os: [a, b]',
      '      include:',
      '        - { os: b, Flavor: x }',
      '',
    ].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.filter((t) => t.tags.includes('r/api:latest')).map((t) => t.name)).toEqual(['api-b']);
  });

  it('the same combination in two spellings is still the same combination twice', () => {
    const src = spec(['os: [a]', 'include:', '  - { os: z }', '  - { OS: z }']);
    expect(brief(compileSpec(src, goDirs('api')).diagnostics).map((d) => d.code)).toEqual(['name-collision']);
  });
});

// Loud divergences, kept on purpose and listed in README's "Where matrix differs from GitHub and bake" table.
describe('where matrix refuses what GitHub accepts', () => {
  const spec = (matrix: string[]) => ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    matrix:', ...matrix.map((l) => `      ${l}`)].join('\n');

  // MatrixBuilder.cs Build: an exclude that removes every combination just yields no configuration there.
  it('an exclude that removes every combination is an error', () => {
    const src = spec(['os: [a]', 'exclude:', '  - { os: a }']);
    expect(brief(compileSpec(src, goDirs('api')).diagnostics)).toEqual([{ code: 'empty-matrix', ...pos(src, 'os: [a]') }]);
  });

  // MatrixBuilder.cs MatrixExclude: `os: null` is `matrix['os'] == null`, which GitHub accepts.
  it('null in an include or exclude entry is an error', () => {
    for (const list of ['include', 'exclude']) {
      const src = spec(['os: [a, b]', `${list}:`, '  - { os: null }']);
      const codes = brief(compileSpec(src, goDirs('api')).diagnostics).map((d) => d.code);
      expect(codes, list).toEqual(['wrong-type']);
    }
  });
});

// The runner's algorithm, restated here from its reading of actions/runner
// src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs (Build, MatrixInclude, MatrixExclude, MatrixFilter) with a
// dictionary that ignores case and keeps a key's first spelling (Expressions/Data/DictionaryExpressionData.cs):
// product vectors, first axis slowest; a vector any exclude filter matches is dropped; every include filter whose
// axis pairs all match a remaining vector adds its other pairs to it; filters that matched none become vectors of
// their own, in entry order. Filters compare with the expression `==` (valueEquals, checked above on its own).
describe('the runner, restated, and expandMatrix agree on random matrices', () => {
  type Pair = [string, Scalar];
  const find = (pairs: Pair[], key: string) => pairs.findIndex(([k]) => equalsIgnoreCase(k, key));
  const set = (pairs: Pair[], key: string, value: Scalar) => {
    const i = find(pairs, key);
    if (i < 0) pairs.push([key, value]);
    else pairs[i] = [pairs[i]![0], value];
  };
  const matches = (vector: Pair[], filter: Pair[]) =>
    filter.every(([k, v]) => {
      const i = find(vector, k);
      return i >= 0 && valueEquals(vector[i]![1], v);
    });

  function runner(m: MatrixInput): [string, string][][] {
    const vectors = Object.keys(m).filter((k) => k !== 'include' && k !== 'exclude');
    const isVector = (k: string) => vectors.some((v) => equalsIgnoreCase(v, k));
    const includes = (m.include ?? []).map((e) => ({
      filter: Object.entries(e).filter(([k]) => isVector(k)),
      extra: Object.entries(e).filter(([k]) => !isVector(k)),
      matched: false,
    }));
    const excludes = (m.exclude ?? []).map((e) => Object.entries(e));
    const size = vectors.length ? vectors.reduce((n, v) => n * (m[v] as Scalar[]).length, 1) : 0;
    const out: Pair[][] = [];
    for (let p = 0; p < size; p++) {
      const vector: Pair[] = [];
      let block = size;
      for (const v of vectors) {
        const values = m[v] as Scalar[];
        block /= values.length;
        vector.push([v, values[Math.floor(p / block) % values.length]!]);
      }
      if (excludes.some((f) => matches(vector, f))) continue;
      let extra: Pair[] | undefined;
      for (const inc of includes) {
        if (!matches(vector, inc.filter)) continue;
        inc.matched = true;
        extra ??= [];
        for (const [k, v] of inc.extra) set(extra, k, v);
      }
      out.push([...vector, ...(extra ?? [])]);
    }
    for (const inc of includes) if (!inc.matched) out.push([...inc.filter, ...inc.extra]);
    return out.map((c) => c.map(([k, v]) => [k, valueText(v)]));
  }

  const key = fc.constantFrom('os', 'OS', 'node', 'Node', 'npm', 'Npm', 'NPM', 'x');
  const value = fc.oneof(fc.constantFrom('a', 'A', 'b', '1', '1.0', '', 'true'), fc.constantFrom(0, 1, 2), fc.boolean());
  // An entry's keys differ beyond case (a second spelling is a duplicate-key error, tested above).
  const entry = fc.dictionary(key, value, { minKeys: 1, maxKeys: 3 }).filter((e) => {
    const keys = Object.keys(e);
    return keys.every((k, i) => keys.slice(0, i).every((j) => !equalsIgnoreCase(j, k)));
  });
  const matrix = fc
    .record({
      axes: fc.uniqueArray(fc.constantFrom('os', 'node'), { maxLength: 2 }),
      values: fc.array(fc.uniqueArray(value, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 2 }),
      include: fc.array(entry, { maxLength: 5 }),
      exclude: fc.array(entry, { maxLength: 2 }),
    })
    .map(({ axes, values, include, exclude }) => {
      const m: Record<string, unknown> = {};
      axes.forEach((a, i) => {
        m[a] = values[i];
      });
      // An exclude key that is no axis is an error on GitHub ("does not match any key within the matrix") and here.
      return { ...m, include, exclude: exclude.filter((e) => Object.keys(e).every((k) => axes.some((a) => equalsIgnoreCase(a, k)))) } as MatrixInput;
    });

  it('the same combinations, in the same order, with the same keys in the same order and spelling', () => {
    fc.assert(
      fc.property(matrix, (m) => {
        expect(expandMatrix(m).cells.map((c) => Object.entries(c))).toEqual(runner(m));
      }),
      { numRuns: 1000 },
    );
  });
});
