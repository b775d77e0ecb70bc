// Escaping, proven through the whole pipeline: hostile strings are written
// into matrix.yaml (as YAML text), compiled, and the bake file is read back
// with HashiCorp's HCL parser. Every string field the HCL carries either comes
// back byte for byte, or is refused with a located diagnostic and nothing is
// emitted. Which of the two is decided by an oracle written from the README,
// not from the implementation.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { stringProblem } from '../../src/validate/strings.js';
import { referenceProblem } from '../../src/validate/reference.js';
import { parse } from '@cdktf/hcl2json';
import type { BakeTargetJson } from '../helpers/hcl.js';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';
import { csvFields, hostile, yamlQuote } from './hostile.js';

afterAll(removeTempDirs);

const RUNS = { seed: 20240605, numRuns: 120 };

// Line of each field in the spec below: a refusal must point at it.
const LINE = { context: 4, dockerfile: 5, target: 6, tags: 7, args: 8, labels: 9, secrets: 10 } as const;
type Field = keyof typeof LINE;

interface Fields {
  context: string;
  dockerfile: string;
  target: string;
  tag: string;
  argKey: string;
  argValue: string;
  labelKey: string;
  labelValue: string;
  secretId: string;
  secretSrc: string;
}

const SAFE: Fields = {
  context: '.',
  dockerfile: 'Dockerfile',
  target: 'build',
  tag: 'registry.example/api:1',
  argKey: 'A',
  argValue: 'a',
  labelKey: 'l',
  labelValue: 'v',
  secretId: 'npmrc',
  secretSrc: './npmrc',
};

function specText(f: Fields): string {
  const q = yamlQuote;
  return [
    'version: 1',
    'services:',
    '  api:',
    `    context: ${q(f.context)}`,
    `    dockerfile: ${q(f.dockerfile)}`,
    `    target: ${q(f.target)}`,
    `    tags: [${q(f.tag)}]`,
    `    args: {${q(f.argKey)}: ${q(f.argValue)}}`,
    `    labels: {${q(f.labelKey)}: ${q(f.labelValue)}}`,
    `    secrets: [{id: ${q(f.secretId)}, src: ${q(f.secretSrc)}}]`,
    '',
  ].join('\n');
}

// The README's variables for a service without a matrix or registry.
const VAR = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
const VARS: Record<string, string> = { service: 'api', target: 'api' };
/** The value after `${{ ... }}` substitution, or undefined when it names an unknown variable. */
function substituted(s: string): string | undefined {
  let unknown = false;
  const out = s.replace(VAR, (_m, name: string) => VARS[name] ?? ((unknown = true), ''));
  return unknown ? undefined : out;
}

/** A name the file system can hold as one path component, when the spec would accept the text at all. */
function fsComponent(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\0') && Buffer.byteLength(s) <= 120 && !stringProblem(s, false);
}
const component = hostile.filter(fsComponent);
const relPath = fc.array(component, { minLength: 1, maxLength: 2 }).map((parts) => parts.join('/'));

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^git@/.test(s);
const isWindowsAbsolute = (s: string) => /^[A-Za-z]:[\\/]/.test(s);

/**
 * How HCL's JSON form prints a literal string: every `${` and `%{` doubled.
 * Values are compared in this raw form, never unescaped: an interpolation that
 * escaping missed prints as `${...}` and would be indistinguishable after
 * unescaping (test/helpers/hcl.ts `literal()` cannot tell them apart).
 */
function esc(s: string): string {
  return s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}
const escMap = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [esc(k), esc(v)]));

/** The `api` target as HashiCorp's parser reads it, strings as printed (not unescaped). */
async function rawTarget(text: string): Promise<BakeTargetJson> {
  const json = (await parse('docker-bake.hcl', text)) as { target: Record<string, BakeTargetJson[]> };
  expect(json.target.api).toHaveLength(1);
  return json.target.api![0]!;
}

interface Outcome {
  target?: BakeTargetJson;
  lines: number[];
}

async function run(repo: string, fields: Fields): Promise<Outcome> {
  const source = specText(fields);
  const r = compile({ specPath: path.join(repo, 'matrix.yaml'), displayName: 'matrix.yaml', source, repoRoot: repo, cwd: repo });
  if (r.diagnostics.length) {
    expect(r.files, 'a refused spec must emit nothing').toBeUndefined();
    return { lines: r.diagnostics.map((d) => d.line) };
  }
  return { target: await rawTarget(r.files!.get('docker-bake.hcl')!), lines: [] };
}

/** How many cases each field accepted: a property that refuses everything proves nothing about escaping. */
const accepted = new Map<Field, number>();

/** Either accepted and read back by `check`, or refused with every diagnostic on the field's line. */
async function expectOutcome(repo: string, field: Field, fields: Fields, accept: boolean, check: (t: BakeTargetJson) => void): Promise<void> {
  const out = await run(repo, fields);
  if (accept) {
    accepted.set(field, (accepted.get(field) ?? 0) + 1);
    expect(out.lines, `${field}: ${JSON.stringify(fields)} should be accepted`).toEqual([]);
    check(out.target!);
  } else {
    expect(out.lines.length, `${field}: ${JSON.stringify(fields)} should be refused`).toBeGreaterThan(0);
    expect(
      out.lines.every((l) => l === LINE[field]),
      `${field}: diagnostics at lines ${out.lines}`,
    ).toBe(true);
  }
}

function baseRepo(): string {
  // The secret sources live in the context `.`: its .dockerignore excludes them, or
  // `secret-in-context` (issue 12) would refuse every case.
  return tempRepo({ Dockerfile: 'FROM scratch\n', '.dockerignore': '*\n' });
}

describe('escaping through the pipeline (property, fixed seed)', () => {
  it('args: values come back byte-exact (after ${{ }} substitution); names are refused unless they are names', async () => {
    const repo = baseRepo();
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (key, value) => {
        const sub = substituted(value);
        await expectOutcome(repo, 'args', { ...SAFE, argValue: value }, !stringProblem(value, true) && sub !== undefined, (t) => {
          expect(t.args).toEqual({ A: esc(sub!) });
        });
        await expectOutcome(repo, 'args', { ...SAFE, argKey: key }, /^[A-Za-z_][A-Za-z0-9_]*$/.test(key), (t) => {
          expect(t.args).toEqual({ [esc(key)]: 'a' });
        });
      }),
      RUNS,
    );
  });

  it('labels: keys (never interpolated) and values come back byte-exact', async () => {
    const repo = baseRepo();
    // Labels matrix adds by itself (e.g. the source repository), as emitted for a plain spec.
    const own = (await run(repo, SAFE)).target!.labels!;
    const added = Object.fromEntries(Object.entries(own).filter(([k]) => k !== 'l'));
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (key, value) => {
        fc.pre(!Object.hasOwn(added, esc(key)));
        const sub = substituted(value);
        await expectOutcome(repo, 'labels', { ...SAFE, labelValue: value }, !stringProblem(value, true) && sub !== undefined, (t) => {
          expect(t.labels).toEqual({ ...added, l: esc(sub!) });
        });
        await expectOutcome(repo, 'labels', { ...SAFE, labelKey: key }, key !== '' && !stringProblem(key, false), (t) => {
          expect(t.labels).toEqual({ ...added, [esc(key)]: 'v' });
        });
      }),
      RUNS,
    );
  });

  it('tags: valid references come back byte-exact, anything else is refused', async () => {
    const repo = baseRepo();
    // Near-misses of the reference grammar as well as plain noise.
    const name = fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*){0,2}$/);
    const tagPart = fc.oneof(fc.stringMatching(/^\w[\w.-]{0,20}$/), fc.constant('${{ target }}'), hostile);
    const host = fc.constantFrom('', 'registry.example/', 'localhost:5000/', '[::1]:5000/', 'Reg.Example/', 'r_x.io/');
    const tag = fc.oneof(
      hostile,
      fc.tuple(host, name, tagPart).map(([h, n, t]) => `${h}${n}:${t}`),
      fc.tuple(host, name).map(([h, n]) => `${h}${n}`),
    );
    await fc.assert(
      fc.asyncProperty(tag, async (value) => {
        const sub = substituted(value);
        const ok = !stringProblem(value, false) && sub !== undefined && referenceProblem(sub) === undefined;
        await expectOutcome(repo, 'tags', { ...SAFE, tag: value }, ok, (t) => expect(t.tags).toEqual([esc(sub!)]));
      }),
      RUNS,
    );
  });

  it("secrets: ids are refused unless plain; sources with commas and quotes survive buildx's CSV split", async () => {
    const repo = baseRepo();
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (id, src) => {
        const fieldsOf = (t: BakeTargetJson) => csvFields(t.secret![0]!);
        // (ids cannot hold `${`; a source can, and must come back escaped for HCL and whole for CSV)
        await expectOutcome(repo, 'secrets', { ...SAFE, secretId: id }, /^[A-Za-z0-9_.-]+$/.test(id), (t) => {
          expect(fieldsOf(t)).toEqual([`id=${id}`, 'src=./npmrc']);
        });
        // (`~` and `~/...` are refused: buildx expands no `~`, test/security/leaks.test.ts)
        const tilde = src === '~' || src.startsWith('~/');
        await expectOutcome(repo, 'secrets', { ...SAFE, secretSrc: src }, src !== '' && !tilde && !stringProblem(src, false), (t) => {
          expect(fieldsOf(t)).toEqual(['id=npmrc', `src=${esc(src)}`]);
        });
      }),
      RUNS,
    );
  });

  it('target stage: refused unless a stage name, else byte-exact', async () => {
    const repo = baseRepo();
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostile, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,12}$/)), async (stage) => {
        await expectOutcome(repo, 'target', { ...SAFE, target: stage }, /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(stage), (t) => expect(t.target).toBe(esc(stage)));
      }),
      RUNS,
    );
  });

  // Paths: the oracle resolves them as the README says (relative to the spec, inside the
  // repository, existing, of the right kind) on a fresh repository per case.
  const kind = (abs: string) => (existsSync(abs) ? (statSync(abs).isDirectory() ? 'dir' : 'file') : 'missing');
  const inside = (repo: string, abs: string) => abs === repo || abs.startsWith(repo + path.sep);

  it('context: a hostile but existing directory comes back byte-exact; `..`, absolute paths and URLs are refused', async () => {
    const context = fc.oneof({ weight: 4, arbitrary: relPath }, { weight: 1, arbitrary: hostile });
    await fc.assert(
      fc.asyncProperty(context, async (ctx) => {
        const repo = baseRepo();
        const sub = substituted(ctx);
        const clean = ctx !== '' && !stringProblem(ctx, false) && sub !== undefined && !isUrl(sub) && !isWindowsAbsolute(sub) && !path.isAbsolute(sub);
        const abs = path.resolve(repo, sub ?? '');
        if (clean && sub!.split('/').every(fsComponent)) {
          try {
            mkdirSync(abs, { recursive: true });
          } catch {
            return; // a component names the Dockerfile: not a directory we can make
          }
        }
        const accept = clean && inside(repo, abs) && kind(abs) === 'dir';
        const rel = path.relative(repo, abs);
        await expectOutcome(repo, 'context', { ...SAFE, context: ctx }, accept, (t) => {
          expect(t.context).toBe(esc(rel || '.'));
          expect(t.dockerfile).toBe(
            rel
              ? rel
                  .split('/')
                  .map(() => '..')
                  .join('/') + '/Dockerfile'
              : 'Dockerfile',
          );
        });
      }),
      RUNS,
    );
  });

  it('dockerfile: a hostile but existing file path comes back byte-exact (it is never interpolated)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: relPath }, { weight: 1, arbitrary: hostile }), async (file) => {
        const repo = baseRepo();
        const clean = !stringProblem(file, false) && !isUrl(file) && !isWindowsAbsolute(file) && !path.isAbsolute(file);
        const abs = path.resolve(repo, file);
        if (clean && file.split('/').every(fsComponent)) {
          try {
            mkdirSync(path.dirname(abs), { recursive: true });
            writeFileSync(abs, 'FROM scratch\n');
          } catch {
            return; // a component names the Dockerfile, or the file is a directory
          }
        }
        const accept = clean && inside(repo, abs) && kind(abs) === 'file';
        await expectOutcome(repo, 'dockerfile', { ...SAFE, dockerfile: file }, accept, (t) => expect(t.dockerfile).toBe(esc(path.relative(repo, abs))));
      }),
      RUNS,
    );
  });
});

describe('escaping properties were not vacuous', () => {
  it.each(Object.keys(LINE) as Field[])('%s accepted a good share of hostile values', (field) => {
    expect(accepted.get(field) ?? 0).toBeGreaterThanOrEqual(field === 'target' || field === 'secrets' || field === 'args' ? 15 : 30);
  });
});

describe('escaping through `matrix gen` (the written file)', () => {
  it('${...}, %{...}, quotes, backslashes and line breaks in args, labels and label keys are written escaped and read back exact', async () => {
    const values = ['${HOME}', '%{ if true }x%{ endif }', '$${x}', '%%{y}', '\\${z}', 'say "hi"\\', 'a\nb\r\tc', '${{ service }}/${{target}}', '$', '%', '${', '}'];
    const labels = Object.fromEntries(values.map((v, i) => [i % 2 ? `k.${i}` : `\${KEY_${i}}%{x}`, v]));
    const args = Object.fromEntries(values.map((v, i) => [`A${i}`, v]));
    const map = (m: Record<string, string>) =>
      `{${Object.entries(m)
        .map(([k, v]) => `${yamlQuote(k)}: ${yamlQuote(v)}`)
        .join(', ')}}`;
    const spec = `version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n    args: ${map(args)}\n    labels: ${map(labels)}\n    secrets: [{id: npmrc, src: ${yamlQuote('a,b"c d')}}]\n`;
    const repo = tempRepo({ 'matrix.yaml': spec, Dockerfile: 'FROM scratch\n', '.dockerignore': '*\n' });
    const gen = await matrix(['gen'], repo);
    expect(gen.status, gen.stderr).toBe(0);
    const t = await rawTarget(readFileSync(path.join(repo, 'docker-bake.hcl'), 'utf8'));
    const subAll = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.replace(VAR, (_m, n: string) => VARS[n]!)]));
    expect(t.args).toEqual(escMap(subAll(args)));
    expect(t.labels).toMatchObject(escMap(subAll(labels)));
    expect(csvFields(t.secret![0]!)).toEqual(['id=npmrc', 'src=a,b"c d']);
    expect((await matrix(['gen', '--check'], repo)).status).toBe(0);
  });

  it('a user template gets the same escaping helpers: hostile `with` values land in the Dockerfile quoted for their place', async () => {
    const tpl = [
      '{{!--',
      'description: every helper',
      'params:',
      '  word: { required: true }',
      '  sh: { required: true }',
      '  list: { required: true }',
      '  name: { required: true }',
      '  port: { required: true }',
      '  path: { required: true }',
      '--}}',
      'FROM scratch',
      'LABEL w={{word with.word}}',
      'RUN echo {{sh with.sh}}',
      'CMD {{json with.list}}',
      'ARG {{ident with.name}}',
      'EXPOSE {{int with.port}}',
      // COPY's shell form is split at whitespace before quotes are read (BuildKit's parser): its value has none.
      'COPY {{word (concat "/srv/" with.path)}} /',
      '',
    ].join('\n');
    const word = 'a "b" $HOME \\ ${x} `c`';
    const sh = 'it\'s $(id) `id` \\ "q"';
    const list = ['/bin/app', '--flag=a "b"', '\\', 'é👋'];
    const pathWord = 'a"b"$HOME\\${x}`c`';
    const spec = [
      'version: 1',
      'services:',
      '  api:',
      '    context: api',
      '    template: t.hbs',
      '    with:',
      `      word: ${yamlQuote(word)}`,
      `      sh: ${yamlQuote(sh)}`,
      `      list: [${list.map(yamlQuote).join(', ')}]`,
      '      name: GO_VERSION',
      '      port: "8080"',
      `      path: ${yamlQuote(pathWord)}`,
      '',
    ].join('\n');
    const repo = tempRepo({ 'matrix.yaml': spec, 't.hbs': tpl, 'api/README': 'x' });
    const gen = await matrix(['gen'], repo);
    expect(gen.status, gen.stderr).toBe(0);
    const body = readFileSync(path.join(repo, 'api/Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const dq = (x: string) => `"${x.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
    expect(body).toEqual([
      'FROM scratch',
      `LABEL w=${dq(word)}`,
      `RUN echo '${sh.replace(/'/g, `'"'"'`)}'`,
      `CMD ${JSON.stringify(list)}`,
      'ARG GO_VERSION',
      'EXPOSE 8080',
      `COPY ${dq('/srv/' + pathWord)} /`,
    ]);
  });
});
