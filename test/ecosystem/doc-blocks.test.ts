// Every fenced block of the README and docs/ is checked against the product, by
// kind. Shell commands are checked in examples.test.ts, workflows and builder
// snippets in docs.test.ts, pre-commit configs in test/network/pre-commit.test.ts;
// this file checks the rest and fails on a block of a kind nobody checks, so a new
// example cannot drift unseen.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../../src/diagnostics.js';
import { logicalLines } from '../../src/dockerfile/directives.js';
import { formatVerify } from '../../src/repro/report.js';
import { matrix } from '../helpers/cli.js';
import { docFiles, type Fence, fencesOfFile } from '../helpers/fences.js';
import { copySample, REPO_ROOT, removeTempDirs, tempRepo } from '../helpers/tree.js';
import { readFileSync, writeFileSync } from 'node:fs';

afterAll(removeTempDirs);

type Block = Fence & { where: string };

// benchmarks.md is written by `npm run bench` and holds tables, not examples.
const BLOCKS: Block[] = docFiles()
  .filter((f) => f !== 'docs/benchmarks.md')
  .flatMap(fencesOfFile)
  .map((f) => ({ ...f, where: `${f.file}:${f.line}` }));

type Kind =
  | 'ci-plan'
  | 'contexts-file'
  | 'gitlab'
  | 'shell'
  | 'spec'
  | 'workflow'
  | 'builders'
  | 'pre-commit'
  | 'template'
  | 'dockerfile'
  | 'lint-staged'
  | 'diagram'
  | 'verify-output'
  | 'digest-table';

function kindOf(b: Block): Kind | undefined {
  if (['sh', 'bash', 'console'].includes(b.lang)) return 'shell';
  if (b.lang === 'hbs') return 'template';
  if (b.lang === 'dockerfile') return 'dockerfile';
  if (b.lang === 'js' && b.body.startsWith('// lint-staged.config.mjs')) return 'lint-staged';
  // The JSON plan and the GitLab pipelines are compared with the CLI's output in test/unit/ci-formats.test.ts.
  if (b.lang === 'json' && b.body.includes('"kind": "matrix-ci-plan"')) return 'ci-plan';
  if (b.lang === 'json' && /"contexts"/.test(b.body)) return 'contexts-file';
  if (b.lang === 'yaml') {
    const doc = parse(b.body) as Record<string, unknown> | null;
    if (doc && 'stages' in doc) return 'gitlab';
    if (doc && 'services' in doc) return 'spec';
    if (doc && 'jobs' in doc) return 'workflow';
    if (doc && 'builders' in doc && !('services' in doc)) return 'builders';
    if (doc && 'repos' in doc) return 'pre-commit';
    return undefined;
  }
  if (b.lang === '') {
    if (b.body.includes('──gen──▶')) return 'diagram';
    if (b.body.startsWith('TARGET  PLATFORM')) return 'verify-output';
    if (/^index\s+sha256:/.test(b.body)) return 'digest-table';
  }
  return undefined;
}

describe('fenced blocks of README.md and docs/', () => {
  it('each is of a kind that a test checks', () => {
    expect(BLOCKS.length).toBeGreaterThan(20);
    expect(BLOCKS.filter((b) => !kindOf(b)).map((b) => `${b.where} (${b.lang || 'no language'})`)).toEqual([]);
  });

  it('the contexts file shown is a bake file that pins each dependency to a digest', () => {
    for (const b of BLOCKS.filter((x) => kindOf(x) === 'contexts-file')) {
      const file = JSON.parse(b.body) as { target: Record<string, { contexts: Record<string, string> }> };
      const refs = Object.values(file.target).flatMap((t) => Object.values(t.contexts));
      expect(refs.length, b.where).toBeGreaterThan(0);
      for (const r of refs) expect(r, b.where).toMatch(/^docker-image:\/\/[^@\s]+@sha256:/);
    }
  });

  it('every spec validates and generates as written (with stub files for its contexts)', async () => {
    const specs = BLOCKS.filter((b) => kindOf(b) === 'spec');
    expect(specs.length).toBeGreaterThan(1);
    for (const b of specs) {
      type Service = { context?: string; template?: string; dockerfile?: string };
      const spec = parse(b.body) as { services: Record<string, Service>; defaults?: Service };
      const tree: Record<string, string> = { 'matrix.yaml': b.body };
      for (const [name, own] of Object.entries(spec.services)) {
        const s = { ...spec.defaults, ...own };
        const ctx = (s.context ?? '.').replace(/\$\{\{\s*service\s*\}\}/g, name);
        const template = own.dockerfile ? undefined : s.template;
        if (own.dockerfile) tree[own.dockerfile] = 'FROM scratch\n';
        else tree[`${ctx}/.keep`] = '';
        if (template === 'go') tree[`${ctx}/go.mod`] = 'module example.com/x\n\ngo 1.22\n';
        if (template === 'node') tree[`${ctx}/package.json`] = '{ "name": "x", "version": "1.0.0" }\n';
        if (template === 'python') tree[`${ctx}/requirements.txt`] = '';
        if (template === 'rust') tree[`${ctx}/Cargo.toml`] = '[package]\nname = "x"\nversion = "0.1.0"\n';
      }
      const dir = tempRepo(tree);
      const gen = await matrix(['gen'], dir);
      expect(gen.status, `${b.where}\n${gen.stderr}`).toBe(0);
    }
  });

  it('the template example renders: its parameters reach the Dockerfile through their kinds', async () => {
    const [b, ...more] = BLOCKS.filter((x) => kindOf(x) === 'template');
    expect(more).toEqual([]);
    const template = b!.body.replace(/^\.\.\.\n/m, '');
    const dir = tempRepo({
      'my.hbs': template,
      'matrix.yaml': 'version: 1\nservices:\n  svc:\n    context: svc\n    template: my.hbs\n    with: { port: 9090, main: ./cmd/svc }\n',
      'svc/go.mod': 'module x\n',
    });
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const out = readFileSync(path.join(dir, 'svc', 'Dockerfile'), 'utf8');
    expect(out).toContain('EXPOSE 9090');
    expect(out).toContain("RUN go build -o /app -- './cmd/svc'");
  });

  it("the Dockerfile excerpt is the sample's instructions, which the engine tests build", () => {
    const sample = new Set(logicalLines(readFileSync(path.join(REPO_ROOT, 'samples', 'monorepo', 'base', 'Dockerfile'), 'utf8')).map((l) => l.text.replace(/\s+/g, ' ').trim()));
    for (const b of BLOCKS.filter((x) => kindOf(x) === 'dockerfile')) {
      const lines = logicalLines(b.body).map((l) => l.text.replace(/\s+/g, ' ').trim());
      expect(lines.length, b.where).toBeGreaterThan(3);
      expect(
        lines.filter((l) => !sample.has(l)),
        b.where,
      ).toEqual([]);
    }
  });

  it('the lint-staged config runs a command that passes on an up-to-date sample', async () => {
    const b = BLOCKS.find((x) => kindOf(x) === 'lint-staged')!;
    const dir = copySample('hello-go');
    const file = path.join(dir, 'lint-staged.config.mjs');
    writeFileSync(file, b.body);
    const config = (await import(pathToFileURL(file).href)) as { default: Record<string, () => string> };
    const commands = Object.values(config.default).map((f) => f());
    expect(commands).toEqual(['matrix gen --check']);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const r = await matrix(commands[0]!.split(' ').slice(1), dir);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('the verify output is what `matrix verify` prints for those rows (`...` stands for the rest of a digest)', () => {
    const b = BLOCKS.find((x) => kindOf(x) === 'verify-output')!;
    const hex = (p: string) => `sha256:${p.padEnd(64, '0')}`;
    const rendered = formatVerify(
      [
        { target: 'api', platform: 'linux/amd64', expected: hex('fb7aef1acf9c'), actual: hex('fb7aef1acf9c'), match: true },
        {
          target: 'web',
          platform: 'linux/amd64',
          against: 'localhost:5000/monorepo/web:latest',
          expected: hex('14dca7133c77'),
          actual: hex('f7eda092c754'),
          match: false,
          difference: {
            kind: 'layer',
            index: 1,
            expected: { digest: hex('0dc11c9f'), diffId: hex('6722f1d3'), step: 'COPY --chown=0:0 /rootfs/www/ /www/ # buildkit' },
            actual: { digest: hex('1dda2636'), diffId: hex('2cae143d'), step: 'COPY --chown=0:0 /rootfs/www/ /www/ # buildkit' },
          },
        },
      ],
      1,
      colors(false),
    );
    const pattern = b.body
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\.\\\.\\\./g, '[0-9a-f]*'))
      .join('\n');
    expect(rendered.trim()).toMatch(new RegExp(`^${pattern}\\n`));
  });
});
