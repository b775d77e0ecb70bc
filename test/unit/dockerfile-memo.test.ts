// renderDockerfile remembers each template's last render with the context
// fields it read (src/render/files.ts, DOCKERFILE_MEMO): a cell whose fields
// read are equal gets that text without rendering. That may never change an
// answer: for any sequence of targets, remembering gives the text, or the
// error, that rendering every cell gives.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DOCKERFILE_MEMO, renderDockerfile, sameValue, specRelFrom, templateContext } from '../../src/render/files.js';
import { type ParsedTemplate, parseTemplate, templateValue, wrap } from '../../src/render/template.js';
import type { Target } from '../../src/spec.js';
import { REPO_ROOT } from '../helpers/tree.js';

const FRONT = ['{{!--', 'description: test', 'params:', '  x:', '    default: "v"', '  y:', '    default: "w"', '--}}'].join('\n');

/** Templates that read each field of the context, a few of them, all of them, or by a key the context gives. */
const CUSTOM = [
  `${FRONT}\nFROM {{word with.x}}\nRUN tool {{sh with.y}}\n`,
  `${FRONT}\nFROM x\nRUN echo {{sh matrix.v}} {{sh matrix.V}}\n`,
  `${FRONT}\n{{#if (eq target "s-a")}}FROM a{{else}}FROM b{{/if}}\nRUN {{sh service}}\n`,
  `${FRONT}\nFROM {{word registry}}\n{{#each dependencies}}COPY --from={{word this}} / /\n{{/each}}`,
  `${FRONT}\n{{#each args}}ARG {{ident this}}\n{{/each}}FROM {{word (lookup with matrix.k)}}\n`,
  `${FRONT}\n{{#each this}}# {{@key}}\n{{/each}}FROM x\n`,
  `${FRONT}\n{{#each matrix}}# {{@key}}\n{{/each}}{{#with matrix}}FROM {{word v}}{{/with}}\n`,
  `${FRONT}\n{{#if (eq (word with.x) "\\"v\\"")}}# escape=\`\n{{/if}}FROM x\nRUN a \\\n  {{sh with.y}}\n`,
  `${FRONT}\nFROM x\nRUN {{sh @root.with.x}} {{sh (concat @root.target "-" with.y)}}\n`,
  `${FRONT}\nFROM x\nEXPOSE {{int with.x}}\n`,
  `${FRONT}\nFROM x\nRUN echo "{{sh with.x}}"\n`,
];
const BUILTIN = readdirSync(path.join(REPO_ROOT, 'templates'))
  .filter((n) => n.endsWith('.Dockerfile.hbs'))
  .map((n) => readFileSync(path.join(REPO_ROOT, 'templates', n), 'utf8'));

const value = fc.constantFrom('v', 'app', '-rf', 'a b', "it's", '$(id)', '', '80', 'golang:1.22', 'k');
const cell: fc.Arbitrary<Cell> = fc.record({
  service: fc.constantFrom('s', 't'),
  v: fc.constantFrom('a', 'b'),
  upper: fc.boolean(),
  x: value,
  y: value,
  args: fc.array(fc.constantFrom('A', 'B', 'VARIANT'), { maxLength: 2 }),
  own: fc.option(fc.array(fc.constantFrom('A', 'VARIANT'), { maxLength: 2 }), { nil: undefined }),
  deps: fc.array(fc.constantFrom('db', 'base'), { maxLength: 2 }),
  dir: fc.constantFrom('Dockerfile', 'svc/Dockerfile', 'svc/a/s.Dockerfile'),
});
interface Cell {
  service: string;
  v: string;
  upper: boolean;
  x: string;
  y: string;
  args: string[];
  own: string[] | undefined;
  deps: string[];
  dir: string;
}

/** The template's defaults, its first two string parameters set to x and y (a new object each time, as each cell resolves its own). */
function withValues(t: ParsedTemplate, c: Cell): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, p] of Object.entries(t.meta.params)) out[k] = typeof p.default === 'string' ? p.default.replace(/\{[a-z_]+\}/g, '1') : Array.isArray(p.default) ? p.default.map(String) : [];
  const strings = Object.keys(out).filter((k) => typeof out[k] === 'string');
  if (strings[0]) out[strings[0]] = c.x;
  if (strings[1]) out[strings[1]] = c.y;
  return out;
}

function target(t: ParsedTemplate, c: Cell): Target {
  const axes = c.upper ? ['v', 'V', 'k'] : ['v', 'k'];
  return {
    name: `${c.service}-${c.v}`,
    service: c.service,
    cell: c.upper ? { v: c.v, V: c.v.toUpperCase(), k: c.x } : { v: c.v, k: c.x },
    axes,
    context: '.',
    source: { kind: 'template', file: 't.hbs' },
    dockerfile: c.dir,
    platforms: ['linux/amd64'],
    tags: [],
    args: Object.fromEntries(c.args.map((a) => [a, 'x'])),
    ...(c.own ? { ownArgs: c.own } : {}),
    labels: {},
    annotations: {},
    secrets: [],
    contexts: Object.fromEntries(c.deps.map((d) => [d, `${d}-t`])),
    with: withValues(t, c),
    outputs: [],
    attest: [],
  } as unknown as Target;
}

function outcome(t: ParsedTemplate, c: Cell, registry: string | undefined, again = false): string {
  try {
    return `ok:${renderDockerfile(target(t, c), t, { registry, specRepoPath: 'matrix.yaml' }, again)}`;
  } catch (e) {
    const err = e as { name: string; message: string; line?: number; column?: number };
    return `${err.name}:${err.line}:${err.column}:${err.message}`;
  }
}

afterEach(() => {
  DOCKERFILE_MEMO.enabled = true;
});

describe('renderDockerfile that remembers answers as one that renders every cell', () => {
  it.each([...CUSTOM.map((s, i) => [`custom ${i}`, s]), ...BUILTIN.map((s, i) => [`built-in ${i}`, s])])('%s', (_name, source) => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 10 }), fc.constantFrom(undefined, 'r.io/x'), (cells, registry) => {
        const t = parseTemplate('t.hbs', source);
        // Each cell twice in a row, and once with only its matrix value changed, as the cells of a service come.
        const sequence = cells.flatMap((c) => [c, c, { ...c, v: c.v === 'a' ? 'b' : 'a' }]);
        DOCKERFILE_MEMO.enabled = false;
        const plain = sequence.map((c) => outcome(t, c, registry));
        DOCKERFILE_MEMO.enabled = true;
        expect(sequence.map((c) => outcome(t, c, registry))).toEqual(plain);
      }),
      { numRuns: 40 },
    );
  });

  it('one render serves the cells of the built-in go template, which reads no matrix value', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'templates', 'go.Dockerfile.hbs'), 'utf8');
    const t = parseTemplate('go.hbs', source);
    let renders = 0;
    const counting = { ...t, render: (ctx: object) => (renders++, t.render(ctx)) };
    const c: Cell = { service: 's', v: 'a', upper: false, x: 'app', y: '-s -w', args: ['VARIANT'], own: undefined, deps: [], dir: 'Dockerfile' };
    const a = renderDockerfile(target(t, c), counting, { registry: undefined, specRepoPath: 'matrix.yaml' });
    const b = renderDockerfile(target(t, { ...c, v: 'b' }), counting, { registry: undefined, specRepoPath: 'matrix.yaml' });
    expect(b).toBe(a);
    expect(renders).toBe(1);
    // A value it reads changes: rendered again.
    renderDockerfile(target(t, { ...c, v: 'b', x: 'other' }), counting, { registry: undefined, specRepoPath: 'matrix.yaml' });
    expect(renders).toBe(2);
  });
});

describe('the lazy template context', () => {
  it('lists its fields in order and makes each one once', () => {
    const t = parseTemplate('t.hbs', `${FRONT}\n{{#each this}}# {{@key}}\n{{/each}}FROM x\n`);
    const c: Cell = { service: 's', v: 'a', upper: true, x: 'v', y: 'w', args: [], own: undefined, deps: [], dir: 'Dockerfile' };
    const reads: string[] = [];
    const text = t.render(templateContext(target(t, c), undefined, t.declaredArgs, (f) => reads.push(f)));
    expect(text).toBe(['# service', '# target', '# matrix', '# with', '# args', '# dependencies', '# registry', 'FROM x', ''].join('\n'));
    expect(reads).toEqual(['service', 'target', 'matrix', 'with', 'args', 'dependencies', 'registry']);
  });

  it('reads matrix keys ignoring case, the exact spelling first', () => {
    const t = parseTemplate('t.hbs', `${FRONT}\nFROM x\nRUN {{sh matrix.K}} {{sh matrix.v}}\n`);
    const c: Cell = { service: 's', v: 'a', upper: false, x: 'kk', y: 'w', args: [], own: undefined, deps: [], dir: 'Dockerfile' };
    expect(t.render(templateContext(target(t, c), undefined))).toBe("FROM x\nRUN 'kk' 'a'\n");
  });
});

describe('sameValue', () => {
  it('equal values, keys in the same order', () => {
    expect(sameValue({ a: 'x', b: ['1', '2'] }, { a: 'x', b: ['1', '2'] })).toBe(true);
    expect(sameValue('x', 'x')).toBe(true);
    expect(sameValue(1, 1)).toBe(true);
  });

  it('tells apart what a template can tell apart', () => {
    expect(sameValue({ a: 'x', b: 'y' }, { b: 'y', a: 'x' })).toBe(false);
    expect(sameValue(['a'], ['a', 'b'])).toBe(false);
    // biome-ignore lint/suspicious/noSparseArray: a hole is listed by nothing, but counts in the length
    expect(sameValue([, 'a'], [undefined, 'a'])).toBe(false);
    expect(sameValue(['a'], { 0: 'a' })).toBe(false);
    expect(sameValue('1', 1)).toBe(false);
    expect(sameValue({ a: undefined }, {})).toBe(false);
    expect(sameValue(templateValue('a'), templateValue('b'))).toBe(false);
    expect(sameValue(templateValue('a'), templateValue('a'))).toBe(false);
    expect(sameValue(wrap({ a: 'x' }), wrap({ a: 'x' }))).toBe(false);
  });
});

describe('specRelFrom', () => {
  it('answers as the path operations do, whichever spec asked before', () => {
    const plain = (file: string, specRepoPath: string) => {
      const specAbs = path.posix.join('/', specRepoPath);
      return path.posix.relative(path.posix.dirname(path.posix.join(path.posix.dirname(specAbs), file)), specAbs);
    };
    const segment = fc.constantFrom('a', 'b', '..', '.', 'svc-1', 'Dockerfile', 'x.Dockerfile', 'matrix.yaml');
    const rel = fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'));
    fc.assert(
      fc.property(fc.array(fc.tuple(rel, rel), { minLength: 1, maxLength: 20 }), (asks) => {
        for (const [file, spec] of asks) expect(specRelFrom(file, { specRepoPath: spec })).toBe(plain(file, spec));
      }),
      { numRuns: 300 },
    );
  });
});
