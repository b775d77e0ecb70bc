// samples/monorepo: every service and platform in one `matrix bake`, with the
// shared base built in the same run before the services that use it.
import { beforeAll, describe, expect, it } from 'vitest';
import { copySample, docker, fixtureSets, matrix, matrixAsync, requireEngine, runId, type RunResult } from './engine.js';

const hasEngine = requireEngine();

interface Planned { name: string; platforms: { platform: string }[] }

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
});
