// samples/monorepo: every service and platform in one `matrix bake`, with the
// shared base built in the same run before the services that use it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { copySample, docker, dockerAsync, fixtureSets, matrix, matrixAsync, requireEngine, ROOT, runId, type RunResult } from './engine.js';
import { blockUnder, blocks } from '../helpers/fences.js';

const hasEngine = requireEngine();

interface Planned {
  name: string;
  platforms: { platform: string }[];
}

describe.skipIf(!hasEngine)('samples/monorepo on a real engine', () => {
  let dir: string;
  let planned: Planned[];
  let bake: RunResult;
  const id = runId();
  const tagOf = (t: string) => `localhost:5000/e2e-monorepo/${t}:${id}`;

  beforeAll(async () => {
    dir = copySample('monorepo');
    expect(matrix(dir, ['gen', '--check']).status).toBe(0);
    planned = JSON.parse(matrix(dir, ['plan', '--json']).stdout).targets;
    const tagSets = planned.flatMap((t) => ['--set', `${t.name}.tags=${tagOf(t.name)}`]);
    bake = await matrixAsync(dir, ['bake', '--json', ...fixtureSets(), ...tagSets]);
  });

  it('builds every target for every platform in one bake run', () => {
    expect(bake.status, bake.stderr.slice(-4000)).toBe(0);
    const rows = JSON.parse(bake.stdout).targets as { target: string; platform: string; status: string }[];
    const expected = planned.flatMap((t) => t.platforms.map((p) => `${t.name} ${p.platform} done`)).sort();
    expect(rows.map((r) => `${r.target} ${r.platform} ${r.status}`).sort()).toEqual(expected);
    expect(planned.length).toBeGreaterThanOrEqual(8);
    // One docker buildx bake process built all of them: the log has one bake definition load.
    expect(bake.stderr.match(/load local bake definitions/g)).toHaveLength(1);
  });

  it('built base before the services that are FROM base, in the same run', () => {
    const lines = bake.stderr.split('\n');
    const baseDone = lines.findIndex((l) => /^#\d+ \[base /.test(l));
    const jobsOnBase = lines.findIndex((l) => /^#\d+ \[(jobs|admin) .*\] (COPY|ENV|ENTRYPOINT|CMD)/.test(l));
    expect(baseDone).toBeGreaterThanOrEqual(0);
    expect(jobsOnBase).toBeGreaterThan(baseDone);
    // And the images really sit on the base: its banner and release file are there, on both platforms.
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const run = docker(['run', '--rm', '--platform', platform, tagOf('jobs')]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout + run.stderr).toMatch(/monorepo/i);
    }
  });

  it('no RUN step of any target executed as linux/arm64 (nothing was emulated)', () => {
    expect(bake.stderr).toMatch(/\[api linux\/amd64->arm64 builder \d+\/\d+\] RUN .*go build/);
    expect(bake.stderr).not.toMatch(/^#\d+ \[\S+ linux\/arm64 [^\]]*\] RUN/m);
  });

  it.each(['worker', 'hasher', 'admin'])('%s runs on linux/arm64 (cross-compiled, not emulated)', (name) => {
    const run = docker(['run', '--rm', '--platform', 'linux/arm64', tagOf(name)]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/arm64|aarch64/);
    expect(bake.stderr).toMatch(new RegExp(`\\[${name} linux/amd64->arm64 `));
  });

  it('matrix bake --print equals docker buildx bake --print', () => {
    const ours = matrix(dir, ['bake', '--print']);
    const theirs = docker(['buildx', 'bake', '-f', 'docker-bake.hcl', '--print'], dir);
    expect(ours.status, ours.stderr).toBe(0);
    expect(JSON.parse(ours.stdout)).toEqual(JSON.parse(theirs.stdout));
  });

  // A retry after the engine lost a cached layer builds the targets it failed without the cache
  // (src/bake/rounds.ts): the real bake reads the --set that bakeArgs gives it as that target's no-cache alone.
  it("a retry's targets without the cache: bake --print has no-cache on those targets only", async () => {
    const { bakeArgs } = await import('../../src/bake/command.js');
    const args = bakeArgs('docker-bake.hcl', { targets: [], names: ['api', 'worker'], noCache: ['api'] }, { print: true });
    expect(args).toContain('api.no-cache=true');
    const r = docker(args, dir);
    expect(r.status, r.stderr).toBe(0);
    const target = (JSON.parse(r.stdout) as { target: Record<string, { 'no-cache'?: boolean }> }).target;
    expect(target.api!['no-cache']).toBe(true);
    expect(target.worker!['no-cache']).toBeUndefined();
  });
});

// The README's example spec, exactly as the README prints it, built on the
// engine: base (hand-written), api (go, FROM base) and the four web cells, for
// both platforms, in one bake. The files its services need are this test's own.
describe.skipIf(!hasEngine)("the README's example spec on a real engine", () => {
  let dir: string;
  let planned: Planned[];
  let bake: RunResult;
  const id = runId();
  const tagOf = (t: string) => `localhost:5000/e2e-readme/${t}:${id}`;

  beforeAll(async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const spec = blockUnder(readme, 'A spec', 'yaml');
    dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-readme-'));
    const files: Record<string, string> = {
      'matrix.yaml': spec,
      // The README's base is "your base image": here the fixture runtime, with a banner.
      'services/base/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo "acme base" > /etc/acme-release\n',
      'services/api/go.mod': 'module example.com/api\n\ngo 1.19\n',
      'services/api/cmd/api/main.go':
        'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"runtime"\n)\n\nfunc main() {\n\tb, _ := os.ReadFile("/etc/acme-release")\n\tfmt.Printf("api %s/%s on %s", runtime.GOOS, runtime.GOARCH, b)\n}\n',
      'services/web/package.json': '{ "name": "web", "version": "1.0.0" }\n',
      'services/web/index.js': 'console.log(`web ${process.arch}`)\n',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    spawnSync('git', ['init', '-q'], { cwd: dir });
    expect(matrix(dir, ['gen']).status).toBe(0);
    planned = JSON.parse(matrix(dir, ['plan', '--json']).stdout).targets;
    const tagSets = planned.flatMap((t) => ['--set', `${t.name}.tags=${tagOf(t.name)}`]);
    bake = await matrixAsync(dir, ['bake', '--push', '--json', ...fixtureSets(), ...tagSets]);
  });

  it('builds base, api and the four web cells for both platforms in one bake', () => {
    expect(bake.status, bake.stderr.slice(-4000)).toBe(0);
    expect(planned.map((t) => t.name)).toEqual(['base', 'api', 'web-20-slim', 'web-22-slim', 'web-22-bookworm', 'web-24-slim']);
    const rows = JSON.parse(bake.stdout).targets as { target: string; platform: string; status: string }[];
    const expected = planned.flatMap((t) => t.platforms.map((p) => `${t.name} ${p.platform} done`)).sort();
    expect(rows.map((r) => `${r.target} ${r.platform} ${r.status}`).sort()).toEqual(expected);
    expect(expected).toHaveLength(12);
  });

  it.each(['linux/amd64', 'linux/arm64'])('on %s, api runs FROM base (cross-compiled) and every web cell runs', async (platform) => {
    const arch = platform.split('/')[1]!;
    const api = await dockerAsync(['run', '--rm', '--platform', platform, tagOf('api')]);
    expect(api.status, api.stderr).toBe(0);
    expect(api.stdout).toBe(`api linux/${arch} on acme base\n`);
    for (const t of planned.filter((p) => p.name.startsWith('web-'))) {
      const web = await dockerAsync(['run', '--rm', '--platform', platform, tagOf(t.name)]);
      expect(web.status, web.stderr).toBe(0);
      expect(web.stdout).toBe(`web ${arch === 'amd64' ? 'x64' : arch}\n`);
    }
    expect(bake.stderr).toMatch(/\[api linux\/amd64->arm64 builder \d+\/\d+\] RUN .*go build/);
  });
});

// The other specs the docs show (docs/*.md), built as written on this engine: the
// README's is built above. A service gets the smallest source its template builds;
// a `metadata_action` target gets a bake file like docker/metadata-action's `bake-file`
// output (https://github.com/docker/metadata-action#bake-definition).
describe.skipIf(!hasEngine)('the specs in docs/ on a real engine', () => {
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  const specs = docs.flatMap((f) =>
    blocks(readFileSync(path.join(ROOT, 'docs', f), 'utf8'), 'yaml')
      .filter((b) => /^services:/m.test(b) && /^version:/m.test(b))
      .map((b) => ({ doc: f, spec: b })),
  );

  it('finds the specs of docs/github-actions.md and docs/multi-node.md', () => {
    expect(specs.map((s) => s.doc).sort()).toEqual(['github-actions.md', 'multi-node.md']);
  });

  for (const { doc, spec } of specs) {
    it(`${doc}: generates and builds every target for every platform`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-docs-'));
      const parsed = parseYaml(spec) as { services: Record<string, { context: string; template: string; metadata_action?: string }> };
      const meta: Record<string, { tags: string[] }> = {};
      for (const [name, s] of Object.entries(parsed.services)) {
        const files: Record<string, string> =
          s.template === 'go'
            ? { 'go.mod': 'module example.com/svc\n\ngo 1.19\n', 'main.go': 'package main\n\nfunc main() { println("ok") }\n' }
            : { 'package.json': '{ "name": "svc", "version": "1.0.0", "main": "index.js" }\n', 'index.js': 'console.log("ok")\n' };
        for (const [f, text] of Object.entries(files)) {
          mkdirSync(path.join(dir, s.context), { recursive: true });
          writeFileSync(path.join(dir, s.context, f), text);
        }
        if (s.metadata_action) meta[s.metadata_action] = { tags: [`localhost:5000/e2e-docs/${name}:${runId()}`] };
      }
      writeFileSync(path.join(dir, 'matrix.yaml'), spec);
      writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ target: meta }));
      spawnSync('git', ['init', '-q'], { cwd: dir });
      const gen = matrix(dir, ['gen']);
      expect(gen.status, gen.stderr).toBe(0);
      const bake = await matrixAsync(dir, ['bake', '--json', ...(Object.keys(meta).length ? ['-f', 'meta.json'] : []), ...fixtureSets()]);
      expect(bake.status, bake.stderr.slice(-3000)).toBe(0);
      const rows = JSON.parse(bake.stdout).targets as { status: string }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.status === 'done')).toBe(true);
    });
  }
});

// A service whose generated Dockerfile lives outside its context (`generated_dir`),
// beside a hand-written `Dockerfile` in the context that no service builds. bake's
// `dockerfile` is relative to `context` and may leave it
// (https://docs.docker.com/build/bake/reference/#targetdockerfile).
describe.skipIf(!hasEngine)('a generated Dockerfile outside its context on a real engine', () => {
  const id = runId();
  const tag = `localhost:5000/e2e-outside/api:${id}`;

  it('builds it for both platforms from ../../.matrix/api.Dockerfile, and the image runs on each', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-outside-'));
    const files: Record<string, string> = {
      'matrix.yaml': 'version: 1\ndefaults:\n  generated_dir: .matrix\nservices:\n  api:\n    context: services/api\n    template: go\n    platforms: [linux/amd64, linux/arm64]\n',
      'services/api/Dockerfile': 'FROM scratch\nCOPY nothing-here /\n',
      'services/api/go.mod': 'module example.com/api\n\ngo 1.19\n',
      'services/api/main.go': 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Printf("outside %s\\n", runtime.GOARCH) }\n',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8')).toContain('"../../.matrix/api.Dockerfile"');
    const bake = await matrixAsync(dir, ['bake', '--push', '--json', ...fixtureSets(), '--set', `api.tags=${tag}`]);
    expect(bake.status, bake.stderr.slice(-4000)).toBe(0);
    for (const arch of ['amd64', 'arm64']) {
      const run = await dockerAsync(['run', '--rm', '--platform', `linux/${arch}`, tag]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe(`outside ${arch}\n`);
    }
  });
});
