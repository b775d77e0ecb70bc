// The examples in docs/github-actions.md and docs/multi-node.md are what the
// CLI really prints and accepts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { blocks } from '../helpers/fences.js';
import { copySample, REPO_ROOT, removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const doc = (name: string) => readFileSync(path.join(REPO_ROOT, 'docs', name), 'utf8');

describe('docs/multi-node.md', () => {
  const text = doc('multi-node.md');

  it('the example spec validates, and `builder up --dry-run` prints the commands shown', async () => {
    const spec = blocks(text, 'yaml').find((b) => b.startsWith('# matrix.yaml'))!;
    const dir = tempRepo({ 'matrix.yaml': spec, 'services/api/go.mod': 'module x\n' });
    expect((await matrix(['validate'], dir)).status).toBe(0);
    const shown = /\$ matrix builder up --dry-run\n([\s\S]*?)```/.exec(text)![1]!;
    // A fake docker: no builder `fleet` exists, so the dry run shows a fresh create.
    const r = await matrix(['builder', 'up', '--dry-run'], dir, { MATRIX_DOCKER: '/bin/false' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.replaceAll('/bin/false ', 'docker ')).toBe(shown);
  });

  it("the other drivers' examples validate", async () => {
    for (const b of blocks(text, 'yaml').filter((x) => x.startsWith('builders:'))) {
      const spec = `version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n${b}`;
      const dir = tempRepo({ 'matrix.yaml': spec, Dockerfile: 'FROM scratch\n' });
      const r = await matrix(['builder', 'up', '--dry-run'], dir, { MATRIX_DOCKER: '/bin/false' });
      expect(r.status, `${b}\n${r.stderr}`).toBe(0);
    }
  });
});

describe('docs/github-actions.md', () => {
  const text = doc('github-actions.md');
  const workflows = blocks(text, 'yaml').map((b) => parse(b) as { jobs: Record<string, { steps: { run?: string }[] }> });

  const runWorkflows = workflows.filter((w) => w && typeof w === 'object' && 'jobs' in w);

  it('has the sharded workflow, the bake-action workflow, the metadata-action one and the layered one, all valid YAML', () => {
    expect(runWorkflows).toHaveLength(4);
    expect(Object.keys(runWorkflows[3]!.jobs)).toEqual(['plan', 'level-1', 'level-2', 'merge']);
    expect(Object.keys(workflows[0]!.jobs)).toEqual(['plan', 'build', 'merge']);
    expect(Object.keys(workflows[1]!.jobs)).toEqual(['check', 'bake']);
    expect(Object.keys(runWorkflows[2]!.jobs)).toEqual(['check', 'release']);
    expect(JSON.stringify(workflows[0])).not.toContain('setup-qemu-action');
  });

  it('every `npx matrix` command it runs exists, with options the command has', async () => {
    const runs = runWorkflows.flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''))).join('\n');
    const lines = [...runs.matchAll(/npx matrix ([a-z-]+)([^\n"`)]*)/g)].map((m) => ({ command: m[1]!, options: [...m[2]!.matchAll(/(--[a-z-]+)/g)].map((o) => o[1]!) }));
    expect(lines.map((l) => l.command).sort()).toEqual(['bake', 'bake', 'bake', 'bake', 'ci-contexts', 'ci-matrix', 'ci-matrix', 'gen', 'gen', 'gen', 'gen', 'merge', 'merge']);
    const dir = tempDir();
    for (const { command, options } of lines) {
      const help = await matrix([command, '--help'], dir);
      expect(help.status, `${command}: ${help.stderr}`).toBe(0);
      for (const o of options) expect(help.stdout, `matrix ${command} ${o}`).toContain(o);
    }
  });

  // docker/bake-action runs no matrix: the step before it must give the bake variables the
  // values `matrix bake` would (GitHub's GITHUB_ENV file: each `NAME=value` line is in the
  // environment of the later steps). It set MATRIX_GIT_SHA alone, so a tag of
  // ${{ git.short_sha }} was left out.
  it('the bake-action workflow sets the git values its comment names, as matrix bake sets them', async () => {
    const steps = workflows[1]!.jobs.bake!.steps;
    const i = steps.findIndex((st) => (st as { uses?: string }).uses?.startsWith('docker/bake-action@'));
    const script = steps[i - 1]!.run!;
    const env = tempDir();
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('bash', ['-e', '-c', script], { env: { PATH: process.env.PATH, GITHUB_SHA: sha, GITHUB_ENV: path.join(env, 'env') }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const set = Object.fromEntries(
      readFileSync(path.join(env, 'env'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    const { buildEnvironment } = await import('../../src/bake/gitenv.js');
    const ours = await buildEnvironment(env, { MATRIX_GIT_SHA: sha }, false);
    expect(set).toEqual({ MATRIX_GIT_SHA: sha, MATRIX_GIT_SHORT_SHA: ours.MATRIX_GIT_SHORT_SHA });
    expect(set.MATRIX_GIT_SHORT_SHA).toBe('0123456');
  });

  it("the metadata-action example: each step's bake-target is a metadata_action of the spec shown, and the spec compiles", async () => {
    const specText = blocks(text, 'yaml').find((b) => b.startsWith('# matrix.yaml'))!;
    const spec = parse(specText) as { services: Record<string, { metadata_action: string }> };
    const release = runWorkflows[2] as unknown as { jobs: { release: { steps: { with?: Record<string, string> }[] } } };
    const targets = release.jobs.release.steps.flatMap((s) => (s.with?.['bake-target'] ? [s.with['bake-target']] : []));
    expect(targets).toEqual(Object.values(spec.services).map((s) => s.metadata_action));
    const dir = tempRepo({ 'matrix.yaml': specText, 'services/api/go.mod': 'module a\n', 'services/web/package.json': '{}\n' });
    const r = await matrix(['validate'], dir);
    expect(r.status, r.stderr).toBe(0);
  });

  it('the ci-matrix output shown is what the CLI prints for a two-platform spec', async () => {
    const shown = /# (\{"include":[\s\S]*?\}\]\})\n/.exec(text)![1]!.replace(/\n\s*#\s*/g, '');
    const dir = tempRepo({ 'matrix.yaml': 'version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n', Dockerfile: 'FROM scratch\n' });
    const r = await matrix(['ci-matrix'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(shown);
  });
});

// samples/monorepo/README.md (linked from the README's command table): "Every base image is a
// build arg ... The template args are ...": the list names every image and version ARG of the
// sample's committed Dockerfiles, and the templates it says the sample uses are the ones it uses.
describe('samples/monorepo/README.md', () => {
  const sample = path.join(REPO_ROOT, 'samples', 'monorepo');
  const text = readFileSync(path.join(sample, 'README.md'), 'utf8');

  it('names every *_IMAGE and *_VERSION build arg of the Dockerfiles, and no other', async () => {
    const paragraph = text.slice(text.indexOf('The template args are'), text.indexOf('\n\n', text.indexOf('The template args are')));
    const named = new Set([...paragraph.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!));
    const copy = copySample('monorepo');
    const plan = await matrix(['plan', '--json'], copy);
    expect(plan.status, plan.stderr).toBe(0);
    const files = new Set((JSON.parse(plan.stdout) as { targets: { dockerfile: string }[] }).targets.map((t) => t.dockerfile));
    const args = new Set([...files].flatMap((f) => [...readFileSync(path.join(copy, f), 'utf8').matchAll(/^ARG ([A-Z_]+_(?:IMAGE|VERSION))\b/gm)].map((m) => m[1]!)));
    expect([...named].sort()).toEqual([...args].sort());
  });

  it('lists the templates the spec uses', () => {
    const spec = parse(readFileSync(path.join(sample, 'matrix.yaml'), 'utf8')) as { services: Record<string, { template?: string }> };
    const used = [...new Set(Object.values(spec.services).flatMap((s) => (s.template ? [s.template] : [])))];
    const said = /`matrix\.yaml`: the ([a-z, ]+) templates/.exec(text.replace(/\n/g, ' '))![1]!.split(/, | and /);
    expect(said.sort()).toEqual(used.sort());
  });
});
