// Does `docker buildx bake` accept what we generate, and read it the way
// `matrix plan` says? Needs only the docker CLI with buildx (`--print` does
// not talk to the daemon). Skipped where buildx is missing, except under CI=true.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { copySample, removeTempDirs, REPO_ROOT } from '../helpers/tree.js';

afterAll(removeTempDirs);

const buildx = spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8', timeout: 20_000 });
const hasBuildx = !buildx.error && buildx.status === 0;
const run = hasBuildx || process.env.CI === 'true';

const samples = readdirSync(path.join(REPO_ROOT, 'samples'))
  .filter((d) => existsSync(path.join(REPO_ROOT, 'samples', d, 'matrix.yaml')))
  .sort();

interface Printed {
  group: Record<string, { targets: string[] }>;
  target: Record<string, { platforms?: string[]; tags?: string[]; args?: Record<string, string>; labels?: Record<string, string>; contexts?: Record<string, string> }>;
}

interface Planned {
  bakeFile: string;
  targets: { name: string; platforms: { platform: string }[]; tags: string[]; args: Record<string, string>; labels: Record<string, string>; contexts: Record<string, string> }[];
}

describe.skipIf(!run)('docker buildx bake --print', () => {
  it('docker buildx is available', () => {
    expect(hasBuildx, `docker buildx version failed: ${buildx.error?.message ?? buildx.stderr}`).toBe(true);
  });

  it.each(samples)('accepts the output for %s and agrees with matrix plan --json', async (sample) => {
    const dir = copySample(sample);
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const planRun = await matrix(['plan', '--json', '--build-platform', 'linux/amd64'], dir);
    expect(planRun.status, planRun.stderr).toBe(0);
    const plan = JSON.parse(planRun.stdout) as Planned;

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BUILDX_BAKE_')) env[k] = v;
    const bake = spawnSync('docker', ['buildx', 'bake', '-f', plan.bakeFile, '--print'], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });
    expect(bake.status, bake.stderr).toBe(0);
    const printed = JSON.parse(bake.stdout) as Printed;

    const names = plan.targets.map((t) => t.name);
    expect(printed.group.default!.targets).toEqual(names);
    expect(Object.keys(printed.target).sort()).toEqual([...names].sort());
    for (const t of plan.targets) {
      const p = printed.target[t.name]!;
      expect({ name: t.name, platforms: p.platforms, tags: p.tags ?? [], args: p.args ?? {}, labels: p.labels ?? {}, contexts: p.contexts ?? {} }).toEqual({
        name: t.name,
        platforms: t.platforms.map((x) => x.platform),
        tags: t.tags,
        args: t.args,
        labels: t.labels,
        contexts: t.contexts,
      });
    }
  });
});
