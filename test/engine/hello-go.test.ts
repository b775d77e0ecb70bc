// The seed's example, end to end: gen, bake --push for two platforms, run both.
import { beforeAll, describe, expect, it } from 'vitest';
import { copySample, docker, fixtures, matrix, matrixAsync, requireEngine, runId, type RunResult } from './engine.js';

const hasEngine = requireEngine();

describe.skipIf(!hasEngine)('samples/hello-go on a real engine', () => {
  let dir: string;
  let tag: string;
  let bake: RunResult;

  beforeAll(async () => {
    dir = copySample('hello-go');
    tag = `localhost:5000/e2e/hello-go:${runId()}`;
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    bake = await matrixAsync(dir, ['bake', '--push', '--no-cache', '--json', '--set', `*.args.GO_IMAGE=${fixtures().toolchain}`, '--set', `hello.tags=${tag}`]);
  });

  it('builds and pushes both platforms, and the summary says so', () => {
    expect(bake.status, bake.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(bake.stdout);
    expect(summary.targets.map((t: { platform: string; status: string }) => `${t.platform} ${t.status}`).sort()).toEqual(['linux/amd64 done', 'linux/arm64 done']);
    expect(summary.targets[0].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('pushes one index with linux/amd64 and linux/arm64', () => {
    const inspect = docker(['buildx', 'imagetools', 'inspect', '--raw', tag]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const index = JSON.parse(inspect.stdout) as { manifests: { platform: { os: string; architecture: string } }[] };
    const platforms = index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`);
    expect(platforms).toContain('linux/amd64');
    expect(platforms).toContain('linux/arm64');
  });

  it.each(['linux/amd64', 'linux/arm64'])('runs on %s and prints the greeting', (platform) => {
    const run = docker(['run', '--rm', '--platform', platform, tag]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('[Multi Arch] 👋 hello world 🌍\n');
  });

  it('cross-compiled the arm64 binary on the build platform instead of emulating it', () => {
    // BuildKit names a step that runs on the build platform for another target `linux/amd64->arm64`.
    expect(bake.stderr).toMatch(/\[linux\/amd64->arm64 builder \d+\/\d+\] RUN .*go build/);
    expect(bake.stderr).not.toMatch(/\[linux\/arm64 builder \d+\/\d+\] RUN/);
  });

  it('matrix bake --print equals docker buildx bake --print', () => {
    const ours = matrix(dir, ['bake', '--print']);
    const theirs = docker(['buildx', 'bake', '-f', 'docker-bake.hcl', '--print'], dir);
    expect(ours.status, ours.stderr).toBe(0);
    expect(theirs.status, theirs.stderr).toBe(0);
    expect(JSON.parse(ours.stdout)).toEqual(JSON.parse(theirs.stdout));
  });
});
