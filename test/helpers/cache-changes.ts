// The changes of the cache property tests (test/unit/cache-property.test.ts,
// test/unit/hook-property.test.ts): a small project, and random sequences of
// changes to it (the spec, a template, a service file a template reads, a
// generated file, an unrelated file, the environment, matrix's own build) from
// fast-check (https://fast-check.dev/docs/core-blocks/arbitraries/combiners/array/).
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { setIdentityForTests } from '../../src/cache/record.js';
import { matrix } from './cli.js';
import { tempRepo } from './tree.js';

export const SPEC = `version: 1
platforms: [linux/amd64, linux/arm64]
services:
  api:
    context: services/api
    template: go
    matrix:
      variant: [a, b]
    args:
      VARIANT: \${{ matrix.variant }}
  web:
    context: services/web
    template: tpl/web.Dockerfile.hbs
    secrets: [{id: token, src: ./services/web/token.txt}]
  jobs:
    context: services/jobs
    dockerfile: services/jobs/Dockerfile
`;

export function project(): string {
  return tempRepo({
    'matrix.yaml': SPEC,
    'tpl/web.Dockerfile.hbs': 'FROM scratch\nCOPY . /\n',
    'services/api/go.mod': 'module api\n\ngo 1.22\n',
    'services/api/main.go': 'package main\nfunc main() {}\n',
    'services/web/index.html': '<p>hi</p>\n',
    'services/web/token.txt': 'secret\n',
    'services/web/.dockerignore': 'token.txt\n',
    'services/jobs/Dockerfile': 'FROM scratch\n',
    'README.md': 'a project\n',
  });
}

export type Change =
  | { k: 'spec-comment' | 'spec-value' | 'spec-break' | 'spec-delete' | 'spec-yml' | 'tpl-edit' | 'tpl-delete' | 'go-version' | 'go-mod-delete' }
  | { k: 'gen-edit' | 'gen-delete' | 'gen-symlink' | 'bake-edit' | 'bake-delete' | 'unrelated' | 'unrelated-dir' | 'ignore-delete' | 'handwritten-edit' | 'handwritten-run' | 'tpl-run' }
  | { k: 'env'; name: string; value: string | undefined }
  | { k: 'version'; id: string }
  | { k: 'gen' | 'gen-nocache' };

export const SIMPLE = [
  'spec-comment',
  'spec-value',
  'spec-break',
  'spec-delete',
  'spec-yml',
  'tpl-edit',
  'tpl-delete',
  'go-version',
  'go-mod-delete',
  'gen-edit',
  'gen-delete',
  'gen-symlink',
  'bake-edit',
  'bake-delete',
  'unrelated',
  'unrelated-dir',
  'ignore-delete',
  'handwritten-edit',
  'handwritten-run',
  'tpl-run',
  'gen',
  'gen-nocache',
] as const;

export const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SIMPLE).map((k) => ({ k }) as Change) },
  // A gen between changes, more often than one draw in SIMPLE would give: a record, then changes after it, is what the cache must get right.
  { weight: 2, arbitrary: fc.constant({ k: 'gen' } as Change) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('env' as const),
      name: fc.constantFrom('MATRIX_CACHE', 'SOME_VAR', 'TMPDIR', 'FORCE_COLOR'),
      value: fc.option(fc.constantFrom('0', '1', 'x', ''), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('version' as const), id: fc.constantFrom('v1', 'v2', 'v3') }) },
);

const edit = (file: string, f: (s: string) => string) => existsSync(file) && writeFileSync(file, f(readFileSync(file, 'utf8')));

/** Apply one change to `dir` (and to the environment `env`). */
export async function apply(dir: string, env: Record<string, string>, c: Change): Promise<void> {
  const p = (rel: string) => path.join(dir, rel);
  const first = (...rels: string[]) => rels.map(p).find((f) => existsSync(f));
  switch (c.k) {
    case 'spec-comment':
      return void edit(p('matrix.yaml'), (s) => `${s}# note\n`);
    case 'spec-value':
      return void edit(p('matrix.yaml'), (s) => s.replace('[a, b]', '[a, c]'));
    case 'spec-break':
      return void edit(p('matrix.yaml'), (s) => `${s}  bad: [\n`);
    case 'spec-delete':
      return rmSync(p('matrix.yaml'), { force: true });
    case 'spec-yml':
      return writeFileSync(p('matrix.yml'), SPEC.replace('[a, b]', '[b]'));
    case 'tpl-edit':
      return void edit(p('tpl/web.Dockerfile.hbs'), (s) => `${s}EXPOSE 80\n`);
    case 'tpl-delete':
      return rmSync(p('tpl/web.Dockerfile.hbs'), { force: true });
    case 'go-version':
      return void edit(p('services/api/go.mod'), (s) => s.replace(/go 1\.\d+/, (m) => (m === 'go 1.22' ? 'go 1.23' : 'go 1.22')));
    case 'go-mod-delete':
      return rmSync(p('services/api/go.mod'), { force: true });
    case 'gen-edit':
      return void edit(first('services/web/Dockerfile', 'services/api/Dockerfile') ?? p('none'), (s) => `${s}# edited\n`);
    case 'gen-delete':
      return rmSync(first('services/api/Dockerfile', 'services/web/Dockerfile') ?? p('none'), { force: true });
    case 'gen-symlink': {
      const f = first('services/web/Dockerfile');
      if (!f || !lstatSync(f).isFile()) return;
      cpSync(f, p('copy.Dockerfile'));
      rmSync(f);
      return symlinkSync(p('copy.Dockerfile'), f);
    }
    case 'bake-edit':
      return void edit(p('docker-bake.hcl'), (s) => s.replace('target "', 'target  "'));
    case 'bake-delete':
      return rmSync(p('docker-bake.hcl'), { force: true });
    case 'unrelated':
      return writeFileSync(p('README.md'), `changed ${Math.random()}\n`);
    case 'unrelated-dir':
      return void mkdirSync(p(`services/api/new-${Math.random().toString(36).slice(2)}`), { recursive: true });
    case 'ignore-delete':
      return rmSync(p('services/web/.dockerignore'), { force: true });
    case 'handwritten-edit':
      return void edit(p('services/jobs/Dockerfile'), (s) => `${s}ENV X=1\n`);
    // A RUN in the final stage: plan shows the platform as emulated (src/plan/stages.ts).
    case 'handwritten-run':
      return void edit(p('services/jobs/Dockerfile'), (s) => `${s}RUN true\n`);
    case 'tpl-run':
      return void edit(p('tpl/web.Dockerfile.hbs'), (s) => `${s}RUN true\n`);
    case 'env':
      if (c.value === undefined) delete env[c.name];
      else env[c.name] = c.value;
      return;
    case 'version':
      return setIdentityForTests(c.id);
    case 'gen':
      return void (await matrix(['gen'], dir, env));
    case 'gen-nocache':
      return void (await matrix(['gen', '--no-cache'], dir, env));
  }
}
