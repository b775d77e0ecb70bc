// Engine cases of issue 13, registered by bake-behaviour.test.ts (one engine
// test file, so CI runs them with the other bake cases). The reference for each
// is the real `docker buildx bake`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gitEnvironment, parseSemver } from '../../src/bake/gitenv.js';
import { fixtures, matrixAsync } from './engine.js';

// Every child process runs asynchronously: a long spawnSync starves vitest's own
// messages ("Timeout calling onTaskUpdate"), see matrixAsync in engine.ts.

/** A git repository with `files` and a spec; `matrix gen` run in it. */
export async function genRepo(spec: string, files: Record<string, string>): Promise<{ dir: string; stderr: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-conform-'));
  spawnSync('git', ['init', '-q'], { cwd: dir });
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  writeFileSync(path.join(dir, 'matrix.yaml'), spec);
  const gen = await matrixAsync(dir, ['gen']);
  if (gen.status !== 0) throw new Error(gen.stderr);
  return { dir, stderr: gen.stderr };
}

interface Printed {
  target: Record<string, { tags?: string[]; labels?: Record<string, string>; args?: Record<string, string>; annotations?: string[]; output?: string[] }>;
}

export function bakePrint(dir: string, files: string[], targets: string[], env: Record<string, string> = {}): Promise<Printed> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['buildx', 'bake', ...files.flatMap((f) => ['-f', f]), '--print', '--', ...targets], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(stdout) as Printed) : reject(new Error(stderr))));
  });
}

// docker/metadata-action's bake files, exactly as its own tests expect them
// (__tests__/meta.test.ts, case 'bakeFile02' on __tests__/fixtures/event_push_dev.env:
// `getBakeFile('tags')`, `getBakeFile('labels')`, `getBakeFile('annotations:index,manifest-descriptor')`;
// src/meta.ts `generateBakeFile` writes `{"target": {[bake-target]: ...}}`).
const META_TAGS = (target: string) => ({
  target: { [target]: { tags: ['user/app:dev', 'user/app:my'], args: { DOCKER_META_IMAGES: 'user/app', DOCKER_META_VERSION: 'dev' } } },
});
const META_LABELS = (target: string) => ({
  target: {
    [target]: {
      labels: {
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.description': 'This your first repo!',
        'org.opencontainers.image.licenses': 'MIT',
        'org.opencontainers.image.revision': '860c1904a1ce19322e91ac35af1ab07466440c37',
        'org.opencontainers.image.source': 'https://github.com/octocat/Hello-World',
        'org.opencontainers.image.title': 'Hello-World',
        'org.opencontainers.image.url': 'https://github.com/octocat/Hello-World',
        'org.opencontainers.image.version': 'dev',
      },
    },
  },
});
const META_ANNOTATIONS = (target: string) => ({
  target: {
    [target]: {
      annotations: ['index:org.opencontainers.image.version=dev', 'manifest-descriptor:org.opencontainers.image.version=dev'],
    },
  },
});

export function conformanceCases(hasEngine: boolean): void {
  describe.skipIf(!hasEngine)('docker/metadata-action bake files through the real bake --print', () => {
    const spec = [
      'version: 1',
      'registry: localhost:5000/meta',
      'services:',
      '  api:',
      '    context: api',
      '    template: go',
      '    metadata_action: true',
      '    labels: { org.opencontainers.image.title: "from the spec", spec.only: "yes" }',
      '    args: { SPEC_ARG: "1" }',
      '    annotations: { spec.annotation: "a" }',
      '  web:',
      '    context: web',
      '    template: go',
      '    metadata_action: meta-web',
      '    tags: ["localhost:5000/meta/web:own"]',
      '  worker:',
      '    context: worker',
      '    template: go',
      '    matrix: { go: ["1.22", "1.23"] }',
      '    metadata_action: "meta-${{ target }}"',
      '',
    ].join('\n');
    const files = { 'api/go.mod': 'module a\n', 'web/go.mod': 'module w\n', 'worker/go.mod': 'module k\n' };

    it("metadata_action: true takes metadata-action's tags; labels and args merge key by key, annotations add up", async () => {
      const { dir } = await genRepo(spec, files);
      writeFileSync(path.join(dir, 'meta-tags.json'), JSON.stringify(META_TAGS('docker-metadata-action'), null, 2));
      writeFileSync(path.join(dir, 'meta-labels.json'), JSON.stringify(META_LABELS('docker-metadata-action'), null, 2));
      writeFileSync(path.join(dir, 'meta-annotations.json'), JSON.stringify(META_ANNOTATIONS('docker-metadata-action'), null, 2));
      const printed = await bakePrint(dir, ['docker-bake.hcl', 'meta-tags.json', 'meta-labels.json', 'meta-annotations.json'], ['api']);
      const api = printed.target.api!;
      // No default tag of ours replaces the inherited ones.
      expect(api.tags).toEqual(['user/app:dev', 'user/app:my']);
      // bake: the target's own label wins for its key, every other key comes from metadata-action.
      expect(api.labels!['org.opencontainers.image.title']).toBe('from the spec');
      expect(api.labels!['spec.only']).toBe('yes');
      expect(api.labels!['org.opencontainers.image.version']).toBe('dev');
      expect(api.labels!['org.opencontainers.image.revision']).toBe('860c1904a1ce19322e91ac35af1ab07466440c37');
      expect(api.args).toEqual({ DOCKER_META_IMAGES: 'user/app', DOCKER_META_VERSION: 'dev', SPEC_ARG: '1' });
      expect([...api.annotations!].sort()).toEqual(['index:org.opencontainers.image.version=dev', 'manifest-descriptor:org.opencontainers.image.version=dev', 'spec.annotation=a']);
    });

    it('metadata_action: NAME inherits the bake-target NAME; a cell takes its own; own tags win, with a warning', async () => {
      const { dir, stderr } = await genRepo(spec, files);
      expect(stderr).toMatch(/warning .*web.* sets its own tags.*\[metadata-tags-ignored\]/);
      // One metadata-action step per image, each with its own `bake-target` input (json03 uses bakeTarget "meta").
      writeFileSync(path.join(dir, 'web.json'), JSON.stringify(META_TAGS('meta-web')));
      writeFileSync(path.join(dir, 'w122.json'), JSON.stringify({ target: { 'meta-worker-1-22': { tags: ['user/worker:1.22'] } } }));
      writeFileSync(path.join(dir, 'w123.json'), JSON.stringify({ target: { 'meta-worker-1-23': { tags: ['user/worker:1.23'] } } }));
      const printed = await bakePrint(dir, ['docker-bake.hcl', 'web.json', 'w122.json', 'w123.json'], ['web', 'worker']);
      expect(printed.target.web!.tags).toEqual(['localhost:5000/meta/web:own']);
      expect(printed.target.web!.args).toEqual({ DOCKER_META_IMAGES: 'user/app', DOCKER_META_VERSION: 'dev' });
      expect(printed.target['worker-1-22']!.tags).toEqual(['user/worker:1.22']);
      expect(printed.target['worker-1-23']!.tags).toEqual(['user/worker:1.23']);
      // Without metadata-action's file the generated file still prints (the inherited targets exist, empty).
      const alone = await bakePrint(dir, ['docker-bake.hcl'], ['api']);
      expect(alone.target.api!.tags ?? []).toEqual([]);
    });
  });

  describe.skipIf(!hasEngine)('semver tags and the literal/variable boundary through the real bake --print', () => {
    const gitEnv = (tag: string) =>
      gitEnvironment({
        sha: '0123456789abcdef0123456789abcdef01234567',
        shortSha: '0123456',
        branch: 'main',
        tag,
        epoch: '1700000000',
        created: '2023-11-14T22:13:20Z',
        source: '',
        semver: parseSemver(tag)!,
      });

    it('v1.2.3 moves 1.2 and 1; the pre-release v2.0.0-rc.1 tags only itself (metadata-action type=semver)', async () => {
      const spec = [
        'version: 1',
        'services:',
        '  api:',
        '    context: api',
        '    template: go',
        '    tags: ["r.example/api:${{ semver.version }}", "r.example/api:${{ semver.major }}.${{ semver.minor }}", "r.example/api:${{ semver.major }}"]',
        '    labels: { version: "${{ semver.version }}", major: "${{ semver.major }}", dollar: "$${{ git.short_sha }}" }',
        '',
      ].join('\n');
      const { dir } = await genRepo(spec, { 'api/go.mod': 'module a\n' });
      const release = (await bakePrint(dir, ['docker-bake.hcl'], ['api'], gitEnv('v1.2.3'))).target.api!;
      expect(release.tags).toEqual(['r.example/api:1.2.3', 'r.example/api:1.2', 'r.example/api:1']);
      const rc = (await bakePrint(dir, ['docker-bake.hcl'], ['api'], gitEnv('v2.0.0-rc.1'))).target.api!;
      expect(rc.tags).toEqual(['r.example/api:2.0.0-rc.1']);
      expect(rc.labels).toEqual({ version: '2.0.0-rc.1', major: '2', dollar: '$0123456' });
    });

    it('property: any text of $, {, }, %, quotes and backslashes around variables comes back as written, variables replaced', async () => {
      // A literal piece can never form a variable (its characters include no letter), so the
      // expected value is the pieces joined with each variable's value: the oracle is independent
      // of matrix's own parser.
      const literal = fc.array(fc.constantFrom('$', '$$', '{', '}', '{{', '}}', '%', '%{', '${', '"', '\\', ' ', '1', '.', '-', '\t', '\n'), { maxLength: 6 }).map((a) => a.join(''));
      const variable = fc.constantFrom(['${{ git.short_sha }}', '0123456'], ['${{git.sha}}', '0123456789abcdef0123456789abcdef01234567'], ['${{ service }}', 'api'], ['${{ matrix.v }}', 'x']);
      const value = fc.array(fc.tuple(literal, fc.option(variable, { nil: undefined })), { minLength: 1, maxLength: 4 }).map((parts) => ({
        written: parts.map(([l, v]) => l + (v ? v[0] : '')).join(''),
        expected: parts.map(([l, v]) => l + (v ? v[1] : '')).join(''),
      }));
      await fc.assert(
        fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 40 }), async (values) => {
          const labels = values.map((v, i) => `      l${i}: ${JSON.stringify(v.written)}`);
          const spec = ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '    matrix: { v: [x] }', '    labels:', ...labels, ''].join('\n');
          const { dir } = await genRepo(spec, { 'api/go.mod': 'module a\n' });
          const printed = (await bakePrint(dir, ['docker-bake.hcl'], ['api-x'], gitEnv('v1.0.0'))).target['api-x']!;
          expect(printed.labels).toEqual(Object.fromEntries(values.map((v, i) => [`l${i}`, v.expected])));
        }),
        { numRuns: 8 },
      );
    });
  });

  describe.skipIf(!hasEngine)('output: exporting a cross-compiled binary as files', () => {
    // As buildx builds its own release binaries (docker/buildx docker-bake.hcl, targets
    // "binaries" / "binaries-cross": `output = ["${DESTDIR}/build"]` for darwin, freebsd, linux, windows).
    it("the go template's final stage exported with type=local gives one binary per OS/arch", async () => {
      const spec = [
        'version: 1',
        'services:',
        '  hello:',
        '    context: hello',
        '    template: go',
        '    with: { binary: hello }',
        '    platforms: [linux/amd64, darwin/arm64, windows/amd64]',
        '    output: ["type=local,dest=dist/"]',
        '',
      ].join('\n');
      const { dir } = await genRepo(spec, {
        'hello/go.mod': 'module example.com/hello\n\ngo 1.19\n',
        'hello/main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n',
      });
      expect((await bakePrint(dir, ['docker-bake.hcl'], ['hello'])).target.hello!.output).toEqual(['type=local,dest=dist/']);
      spawnSync('git', ['add', '-A'], { cwd: dir });
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'x'], { cwd: dir });
      const r = await matrixAsync(dir, ['bake', '--set', `*.args.GO_IMAGE=${fixtures().toolchain}`]);
      expect(r.status, r.stderr).toBe(0);
      const magic = (p: string) => readFileSync(path.join(dir, 'dist', p, 'hello')).subarray(0, 4);
      expect(magic('linux_amd64')).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF
      expect(magic('darwin_arm64')).toEqual(Buffer.from([0xcf, 0xfa, 0xed, 0xfe])); // Mach-O 64-bit, little endian
      expect(magic('windows_amd64').subarray(0, 2)).toEqual(Buffer.from('MZ')); // PE
    });
  });
}
