import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { copySample, hashTree, listTree, removeTempDirs, REPO_ROOT, tempDir, tempRepo } from '../helpers/tree.js';
import { BUILTIN_TEMPLATES } from '../../src/resolve/templates.js';

afterAll(removeTempDirs);

describe('matrix validate', () => {
  it('accepts a valid spec', async () => {
    const r = await matrix(['validate'], copySample('hello-go'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('matrix.yaml is valid');
  });

  it('reports several errors at once, each with its position', async () => {
    const spec = [
      'version: 1',
      'services:',
      '  api:',
      '    context: .',
      '    template: go',
      '    platfroms: [linux/amd64]',
      '  Bad_Name:',
      '    context: .',
      '  web:',
      '    context: .',
      '    template: go',
      '    tags: "not-a-list"',
      '',
    ].join('\n');
    const dir = tempRepo({ 'matrix.yaml': spec });
    const r = await matrix(['validate'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('matrix.yaml:6:5: error');
    expect(r.stderr).toContain('[unknown-key]');
    expect(r.stderr).toContain('matrix.yaml:7:3: error');
    expect(r.stderr).toContain('[invalid-name]');
    expect(r.stderr).toContain('matrix.yaml:12:11: error');
    expect(r.stderr).toContain('[wrong-type]');
    expect(r.stderr).toMatch(/^3 errors$/m);
  });

  it('reports a missing spec', async () => {
    const r = await matrix(['validate'], tempDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[spec-not-found]');
  });

  it('reports absurdly deep nesting as yaml-too-deep, without crashing', async () => {
    const depth = 1000;
    const dir = tempRepo({ 'matrix.yaml': `version: 1\nservices: ${'['.repeat(depth)}${']'.repeat(depth)}\n` });
    const r = await matrix(['validate'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[yaml-too-deep]');
    expect(r.stderr).not.toContain('internal error');
  });
});

describe('matrix plan --json', () => {
  it('has the documented shape', async () => {
    const dir = copySample('hello-go');
    const before = listTree(dir);
    const r = await matrix(['plan', '--json', '--build-platform', 'linux/amd64'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      spec: 'matrix.yaml',
      bakeFile: 'docker-bake.hcl',
      buildPlatform: 'linux/amd64',
      targets: [
        {
          name: 'hello',
          service: 'hello',
          matrix: {},
          context: '.',
          dockerfile: 'Dockerfile',
          generated: true,
          platforms: [
            { platform: 'linux/amd64', mode: 'native' },
            { platform: 'linux/arm64', mode: 'cross' },
          ],
          tags: ['localhost:5000/samples/hello-go:multiarch'],
          args: {},
          labels: {},
          contexts: {},
        },
      ],
    });
    // Nothing written but plan's own record in the git directory (src/cache/plan.ts, test/cli/plan-cache.test.ts).
    expect([...listTree(dir)].filter(([name]) => !/^\.git\/matrix-plan-[0-9a-f]{16}\.json$/.test(name))).toEqual([...before]);
  });

  // bake drops a repeated tag (docker/buildx bake/bake.go Target.normalize); plan lists what bake builds.
  it('lists a tag that two tag templates give once', async () => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'matrix.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'tags: ["localhost:5000/samples/hello-go:multiarch"]',
        'tags: ["localhost:5000/samples/hello-go:multiarch", "localhost:5000/samples/hello-go:${{ git.branch }}"]',
      ),
    );
    const r = await matrix(['plan', '--json', '--build-platform', 'linux/amd64'], dir, { MATRIX_GIT_BRANCH: 'multiarch' });
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { targets: { tags: string[] }[] }).targets[0]!.tags).toEqual(['localhost:5000/samples/hello-go:multiarch']);
  });

  it('lists matrix cells, dependencies and modes for every target of every sample', async () => {
    for (const sample of ['hello-go', 'monorepo']) {
      const r = await matrix(['plan', '--json', '--build-platform', 'linux/amd64'], copySample(sample));
      expect(r.status, `${sample}: ${r.stderr}`).toBe(0);
      const plan = JSON.parse(r.stdout) as { targets: { name: string; matrix: object; platforms: { platform: string; mode: string }[]; contexts: Record<string, string> }[] };
      for (const t of plan.targets) {
        expect(t.name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
        for (const p of t.platforms) expect(['native', 'cross', 'emulated', 'no-run']).toContain(p.mode);
        for (const v of Object.values(t.contexts)) expect(v).toMatch(/^target:/);
      }
    }
  });

  it('prints a human plan without --json', async () => {
    const r = await matrix(['plan', '--build-platform', 'linux/amd64'], copySample('hello-go'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('1 targets from matrix.yaml -> docker-bake.hcl');
    expect(r.stdout).toContain('linux/arm64 cross');
  });
});

describe('other commands', () => {
  it('schema prints the JSON Schema', async () => {
    const r = await matrix(['schema'], tempDir());
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema).toEqual(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'matrix.schema.json'), 'utf8')));
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'services']));
  });

  it('templates lists every built-in template', async () => {
    const r = await matrix(['templates'], tempDir());
    expect(r.status, r.stderr).toBe(0);
    for (const t of BUILTIN_TEMPLATES) expect(r.stdout).toMatch(new RegExp(`^${t}  `, 'm'));
  });

  // `matrix init` tells the user to run `matrix templates java` (README, Commands: `matrix templates [NAME...]`).
  it('templates NAME... lists only those; an unknown name is a usage error with a did-you-mean', async () => {
    const r = await matrix(['templates', 'java', 'php'], tempDir());
    expect(r.status, r.stderr).toBe(0);
    expect([...r.stdout.matchAll(/^([a-z]+) {2}/gm)].map((m) => m[1])).toEqual(['java', 'php']);
    expect(r.stdout).toContain('with.java_version');
    const typo = await matrix(['templates', 'jav'], tempDir());
    expect(typo.status).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toContain('unknown template `jav`');
    expect(typo.stderr).toContain('did you mean `java`?');
  });

  it.each([[[]], [['gen']], [['validate']], [['plan']], [['schema']], [['templates']]])('%j --help exits 0 and writes nothing', async (cmd) => {
    const dir = tempDir();
    const before = hashTree(dir);
    const r = await matrix([...cmd, '--help'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(cmd.length ? `matrix ${cmd[0]}` : 'matrix <command>');
    expect(r.stderr).toBe('');
    expect(hashTree(dir)).toBe(before);
  });

  it('--version prints the package version', async () => {
    const r = await matrix(['--version'], tempDir());
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  });

  it('an unknown command exits 2', async () => {
    const r = await matrix(['frobnicate'], tempDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('frobnicate');
  });

  it('an unknown option exits 2', async () => {
    const r = await matrix(['gen', '--chek'], tempDir());
    expect(r.status).toBe(2);
  });

  it('no command exits 2 with a hint', async () => {
    const r = await matrix([], tempDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('matrix gen');
  });
});
