import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hclString, relativeToContext, renderBakeFile, secretEntry } from '../../src/render/hcl.js';
import type { Target } from '../../src/spec.js';
import { stringProblem } from '../../src/validate/strings.js';
import { parseBake } from '../helpers/hcl.js';
import { compileSpec } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

function target(over: Partial<Target>): Target {
  return {
    name: 'app',
    service: 'app',
    cell: {},
    axes: [],
    context: '.',
    dockerfile: 'Dockerfile',
    source: { kind: 'dockerfile', file: 'Dockerfile' },
    platforms: ['linux/amd64'],
    tags: [],
    args: {},
    labels: {},
    annotations: {},
    attest: [],
    secrets: [],
    contexts: {},
    with: {},
    outputs: [],
    ...over,
  };
}

async function roundTrip(s: string): Promise<string> {
  const text = renderBakeFile({ specRel: 'matrix.yaml', targets: [target({ tags: [s] })], groups: [['default', ['app']]], generated: [] });
  return (await parseBake(text)).target.app!.tags![0]!;
}

describe('hclString', () => {
  it.each([
    ['plain', '"plain"'],
    ['${HOME}', '"$${HOME}"'],
    ['%{ if x }', '"%%{ if x }"'],
    ['$${x}', '"$$${x}"'],
    ['%%{x}', '"%%%{x}"'],
    ['$ {x} % {y} $x %x', '"$ {x} % {y} $x %x"'],
    ['a\\b\\n', '"a\\\\b\\\\n"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["it's", '"it\'s"'],
    ['a\nb\r\tc', '"a\\nb\\r\\tc"'],
    ['\u0000\u0001\u001f\u007f\u0085', '"\\u0000\\u0001\\u001f\\u007f\\u0085"'],
    ['é日本👋', '"é日本👋"'],
    ['', '""'],
    ['$', '"$"'],
    ['%', '"%"'],
    ['\\${x}', '"\\\\$${x}"'],
  ])('%j -> %s', (input, expected) => {
    expect(hclString(input)).toBe(expected);
  });

  it.each(['${HOME}', '%{ if x }', '$${x}', '$$${x}', '%%{', '\\', '\\"', '"\\n"', 'a\nb', '\t', '\r\n', 'é日本👋', '\u0001', "'", '${', '}', '{', '${{ matrix.x }}'])(
    '%j round-trips through the HCL parser',
    async (s) => {
      expect(await roundTrip(s)).toBe(s);
    },
  );
});

// Strings biased toward what HCL, shells and Dockerfiles treat specially.
const special = fc.constantFrom('$', '{', '}', '%', '\\', '"', "'", '\n', '\t', '\r', '${', '%{', '$${', '%%{', '\\n', '\\u0041', '=', ',', ' ', '#', '//', '/*', '<<EOF');
const nonAscii = fc.constantFrom('é', 'ß', '日本', 'Ω', '\u00a0', '\u2028', '\u2029', '\ufeff', '👋', '𝄞', '\u{10FFFD}', '\u0001', '\u007f', '\u0085');
const hostile = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: special },
      { weight: 2, arbitrary: nonAscii },
      { weight: 3, arbitrary: fc.string({ maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''))
  // Lone surrogates are not text (strings.ts rejects them before rendering), and HCL
  // normalises every string to NFC, which escaping cannot prevent: both are covered by
  // their own tests (strings.test.ts, resolve.test.ts).
  .filter((s) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s) && s === s.normalize('NFC'));

describe('bake file escaping (property)', () => {
  it('strings in args and labels keys and values, tags, platforms and contexts come back byte-exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(hostile, hostile, { maxKeys: 4 }),
        fc.dictionary(hostile, hostile, { maxKeys: 4 }),
        fc.array(hostile, { minLength: 1, maxLength: 3 }),
        hostile,
        hostile,
        async (args, labels, tags, context, stage) => {
          const t = target({ args, labels, tags, platforms: tags, context: context || '.', dockerfile: 'Dockerfile', stage });
          const text = renderBakeFile({ specRel: 'matrix.yaml', targets: [t], groups: [['default', ['app']]], generated: [] });
          const parsed = (await parseBake(text)).target.app!;
          expect(parsed.tags).toEqual(tags);
          expect(parsed.platforms).toEqual(tags);
          expect(parsed.target).toBe(stage);
          expect(parsed.context).toBe(context || '.');
          expect(parsed.args ?? {}).toEqual(args);
          expect(parsed.labels ?? {}).toEqual(labels);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('spec to bake file escaping (property)', () => {
  afterAll(removeTempDirs);

  // What the spec accepts: values may hold line breaks, keys may not; `${{ ... }}` is
  // the spec's own variable syntax and is interpolated, so it is left out here.
  const value = hostile.filter((s) => !stringProblem(s, true) && !s.includes('${{'));
  const key = hostile.filter((s) => s !== '' && !stringProblem(s, false) && !s.includes('${{'));

  it('label keys and values and arg values written in matrix.yaml come back byte-exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 3 }), fc.array(value, { maxLength: 3 }), async (labels, argValues) => {
        const args = Object.fromEntries(argValues.map((v, i) => [`A${i}`, v]));
        const yamlMap = (m: Record<string, string>) =>
          `{${Object.entries(m)
            .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
            .join(', ')}}`;
        const src = `version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n    labels: ${yamlMap(labels)}\n    args: ${yamlMap(args)}\n`;
        const r = compileSpec(src, { Dockerfile: 'FROM scratch\n' });
        expect(r.diagnostics).toEqual([]);
        const api = (await parseBake(r.files!.get('docker-bake.hcl')!)).target.api!;
        expect(api.labels ?? {}).toEqual(labels);
        expect(api.args ?? {}).toEqual(args);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('renderBakeFile', () => {
  it('writes groups, the metadata-action target and one block per target, sorted map keys', async () => {
    const a = target({ name: 'api', service: 'api', tags: ['r/api:1'], args: { Z: '1', A: '2' }, labels: { 'org.x': 'y' }, metadataAction: 'docker-metadata-action' });
    const b = target({ name: 'web', service: 'web', context: 'web', dockerfile: 'web/Dockerfile', contexts: { api: 'api' }, stage: 'runtime', secrets: [{ id: 'tok', env: 'TOKEN' }] });
    const text = renderBakeFile({ specRel: 'matrix.yaml', targets: [a, b], groups: [['default', ['api', 'web']]], generated: ['web/Dockerfile'] });
    expect(text.startsWith('# Code generated by matrix from matrix.yaml; DO NOT EDIT.\n')).toBe(true);
    expect(text).toContain('\n# generated: web/Dockerfile\n');
    expect(text.indexOf('"A"')).toBeLessThan(text.indexOf('"Z"'));
    const bake = await parseBake(text);
    expect(bake.group).toEqual({ default: { targets: ['api', 'web'] } });
    expect(Object.keys(bake.target).sort()).toEqual(['api', 'docker-metadata-action', 'web']);
    expect(text.indexOf('target "api"')).toBeLessThan(text.indexOf('target "web"'));
    expect(bake.target.api).toMatchObject({ inherits: ['docker-metadata-action'], context: '.', dockerfile: 'Dockerfile', args: { A: '2', Z: '1' } });
    expect(bake.target.web).toEqual({
      context: 'web',
      dockerfile: 'Dockerfile',
      target: 'runtime',
      contexts: { api: 'target:api' },
      platforms: ['linux/amd64'],
      tags: [],
      secret: ['id=tok,env=TOKEN'],
    });
  });

  it('is deterministic', () => {
    const input = { specRel: 'm.yaml', targets: [target({ args: { b: '1', a: '2' } })], groups: [['default', ['app']]] as [string, string[]][], generated: [] };
    expect(renderBakeFile(input)).toBe(renderBakeFile(input));
  });
});

describe('relativeToContext', () => {
  it.each([
    ['.', 'Dockerfile', 'Dockerfile'],
    ['.', 'svc/Dockerfile', 'svc/Dockerfile'],
    ['svc', 'svc/Dockerfile', 'Dockerfile'],
    ['svc', 'svc/sub/Dockerfile', 'sub/Dockerfile'],
    ['svc', 'other/Dockerfile', '../other/Dockerfile'],
    ['a/b', 'a/c/Dockerfile', '../c/Dockerfile'],
    ['a/b', 'Dockerfile', '../../Dockerfile'],
  ])('context %s, file %s -> %s', (ctx, file, expected) => {
    expect(relativeToContext(ctx, file)).toBe(expected);
  });
});

describe('secretEntry', () => {
  it('writes buildx CSV, quoting a src with CSV-special characters', () => {
    expect(secretEntry({ id: 'a', env: 'TOKEN' })).toBe('id=a,env=TOKEN');
    expect(secretEntry({ id: 'a', src: 'x.txt' })).toBe('id=a,src=x.txt');
    expect(secretEntry({ id: 'a', src: 'my file,"x"' })).toBe('id=a,"src=my file,""x"""');
  });
});
