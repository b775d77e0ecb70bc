// Every sample is a golden case: samples/<name>/matrix.yaml must compile to exactly
// the files in test/golden/<name>/, and the files committed next to the sample must
// be those same bytes. Expected files change only through `npm run golden:update`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { repoRootOf } from '../../src/paths.js';
import { relativeToContext } from '../../src/render/hcl.js';
import { parseBake } from '../helpers/hcl.js';
import { REPO_ROOT } from '../helpers/tree.js';

const SAMPLES = path.join(REPO_ROOT, 'samples');
const GOLDEN = path.join(REPO_ROOT, 'test', 'golden');
const UPDATE = 'run `npm run golden:update`, review the diff and commit it';

const samples = readdirSync(SAMPLES)
  .filter((d) => existsSync(path.join(SAMPLES, d, 'matrix.yaml')))
  .sort();

function filesBelow(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...filesBelow(dir, r));
    else out.push(r);
  }
  return out;
}

function compileSample(sample: string) {
  const specPath = path.join(SAMPLES, sample, 'matrix.yaml');
  const source = readFileSync(specPath, 'utf8');
  return compile({ specPath, displayName: `samples/${sample}/matrix.yaml`, source, repoRoot: repoRootOf(path.dirname(specPath)), cwd: process.cwd() });
}

it('there is at least one sample', () => {
  expect(samples.length).toBeGreaterThan(0);
});

it('every golden directory belongs to a sample', () => {
  const dirs = readdirSync(GOLDEN).filter((d) => statSync(path.join(GOLDEN, d)).isDirectory());
  expect(
    dirs.filter((d) => !samples.includes(d)),
    `stale golden directories: ${UPDATE}`,
  ).toEqual([]);
});

describe.each(samples)('sample %s', (sample) => {
  const goldenDir = path.join(GOLDEN, sample);

  it('compiles without diagnostics', () => {
    expect(compileSample(sample).diagnostics).toEqual([]);
  });

  it('generates exactly the golden files, byte for byte', () => {
    expect(existsSync(goldenDir), `no golden files for samples/${sample}: ${UPDATE}`).toBe(true);
    const files = compileSample(sample).files!;
    expect([...files.keys()].sort(), `the set of generated files changed: ${UPDATE}`).toEqual(filesBelow(goldenDir));
    for (const [rel, content] of files) {
      const golden = readFileSync(path.join(goldenDir, rel));
      const message = `test/golden/${sample}/${rel} differs: ${UPDATE}`;
      expect(content, message).toBe(golden.toString('utf8'));
      expect(Buffer.from(content, 'utf8').equals(golden), message).toBe(true);
    }
  });

  it('the files committed in the sample are the golden files', () => {
    expect(existsSync(goldenDir), `no golden files for samples/${sample}: ${UPDATE}`).toBe(true);
    for (const rel of filesBelow(goldenDir)) {
      const committed = path.join(SAMPLES, sample, rel);
      expect(existsSync(committed), `samples/${sample}/${rel} is not committed: run \`matrix gen\` in samples/${sample}`).toBe(true);
      const message = `samples/${sample}/${rel} is stale: run \`matrix gen\` in samples/${sample}`;
      expect(readFileSync(committed, 'utf8'), message).toBe(readFileSync(path.join(goldenDir, rel), 'utf8'));
      expect(readFileSync(committed).equals(readFileSync(path.join(goldenDir, rel))), message).toBe(true);
    }
  });

  it('the golden bake file parses as HCL with the expected groups and targets', async () => {
    const { spec } = compileSample(sample);
    const bakeRel = spec!.bakeFile;
    const bake = await parseBake(readFileSync(path.join(goldenDir, bakeRel), 'utf8'), bakeRel);

    const names = spec!.targets.map((t) => t.name);
    expect(bake.group.default).toEqual({ targets: names });
    for (const [service, members] of spec!.services) {
      if (members.length === 1 && members[0] === service) expect(bake.group[service]).toBeUndefined();
      else expect(bake.group[service]).toEqual({ targets: members });
    }
    expect(Object.keys(bake.target).sort()).toEqual([...names, 'docker-metadata-action'].sort());
    expect(bake.target['docker-metadata-action']).toEqual({});

    for (const t of spec!.targets) {
      const got = bake.target[t.name]!;
      expect({ name: t.name, ...got }).toEqual({
        name: t.name,
        ...(t.metadataAction ? { inherits: ['docker-metadata-action'] } : {}),
        context: t.context,
        dockerfile: relativeToContext(t.context, t.dockerfile),
        ...(t.stage !== undefined ? { target: t.stage } : {}),
        ...(Object.keys(t.contexts).length ? { contexts: Object.fromEntries(Object.entries(t.contexts).map(([k, v]) => [k, `target:${v}`])) } : {}),
        platforms: t.platforms,
        tags: t.tags,
        ...(Object.keys(t.args).length ? { args: t.args } : {}),
        ...(Object.keys(t.labels).length ? { labels: t.labels } : {}),
        ...(t.secrets.length ? { secret: got.secret } : {}),
      });
      // The Dockerfile bake will read exists: generated here, or hand-written in the sample.
      const dockerfile = path.posix.join(t.context, relativeToContext(t.context, t.dockerfile));
      expect(existsSync(path.join(goldenDir, dockerfile)) || existsSync(path.join(SAMPLES, sample, dockerfile)), dockerfile).toBe(true);
    }
  });
});
