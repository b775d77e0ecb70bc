// The CI systems' own limits on what `matrix ci-matrix` prints.
// - GitHub Actions: "A matrix will generate a maximum of 256 jobs per workflow
//   run. This limit applies to both GitHub-hosted and self-hosted runners."
//   (docs.github.com/actions, Running variations of jobs in a workflow). A
//   larger matrix fails the run only when its job is expanded: refused here.
// - GitLab CI: a job may list at most 50 jobs in `needs` (GitLab.com, and the
//   default of a self-managed instance's "Maximum number of DAG dependencies
//   that a job can have"); more fails the pipeline's creation with "one job
//   can only need 50 others" (gitlab-org/gitlab issue 419720, merge request
//   103827). Such a job has no `needs` and follows stage order, which waits
//   for every earlier stage and downloads all their artifacts
//   (docs.gitlab.com/ci/yaml/, `dependencies`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GITHUB_MATRIX_MAX_JOBS } from '../../src/ci/github.js';
import { GITLAB_MAX_NEEDS } from '../../src/ci/gitlab.js';
import { matrix } from '../helpers/cli.js';
import { REPO_ROOT, removeTempDirs, tempRepo, type Tree } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** `n` services with hand-written Dockerfiles on one platform; `cells` matrix cells each; `top` (if asked) depends on all of them. */
function repo(n: number, cells = 1, top = false): string {
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(3, '0')}`);
  const tree: Tree = {};
  const lines = ['version: 1', 'registry: localhost:5000/limits', 'platforms: [linux/amd64]', 'defaults:', '  context: ${{ service }}', 'services:'];
  for (const s of names) {
    tree[`${s}/Dockerfile`] = 'FROM scratch\nCOPY . /\n';
    lines.push(`  ${s}:`, `    dockerfile: ${s}/Dockerfile`);
    if (cells > 1) lines.push('    matrix:', `      cell: [${Array.from({ length: cells }, (_, i) => `c${i}`).join(', ')}]`);
  }
  if (top) {
    tree['top/Dockerfile'] = `FROM ${names[0]}\n`;
    lines.push('  top:', '    dockerfile: top/Dockerfile', `    depends_on: [${names.join(', ')}]`);
  }
  tree['matrix.yaml'] = `${lines.join('\n')}\n`;
  return tempRepo(tree);
}

describe('GitHub Actions: at most 256 jobs from one matrix', () => {
  it('the limit is the documented one', () => {
    expect(GITHUB_MATRIX_MAX_JOBS).toBe(256);
  });

  it('--by target: 256 jobs are printed; 257 are refused with the count, exit 2, and a way out', async () => {
    const at = await matrix(['ci-matrix', '--by', 'target'], repo(128, 2));
    expect(at.status, at.stderr).toBe(0);
    expect((JSON.parse(at.stdout) as { include: unknown[] }).include).toHaveLength(256);

    const over = await matrix(['ci-matrix', '--by', 'target'], repo(257));
    expect(over.status).toBe(2);
    expect(over.stdout).toBe('');
    expect(over.stderr).toContain('the matrix has 257 jobs; GitHub Actions expands at most 256 jobs from one matrix [ci-matrix-too-large]');
    expect(over.stderr).toContain('`--by platform`');
  });

  it('--by target with --target: the jobs counted are the ones selected', async () => {
    const dir = repo(257);
    const some = await matrix(['ci-matrix', '--by', 'target', '--target', 's000,s001,s002'], dir);
    expect(some.status, some.stderr).toBe(0);
    expect((JSON.parse(some.stdout) as { include: unknown[] }).include).toHaveLength(3);
  });

  it('--by platform: one job per platform whatever the number of targets', async () => {
    const r = await matrix(['ci-matrix'], repo(257));
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { include: unknown[] }).include).toHaveLength(1);
  });

  it('--layered: each level is one matrix, held to the same limit', async () => {
    const over = await matrix(['ci-matrix', '--by', 'target', '--layered'], repo(257));
    expect(over.status).toBe(2);
    expect(over.stderr).toContain('level 1 has 257 jobs; GitHub Actions expands at most 256 jobs from one matrix [ci-matrix-too-large]');
    const at = await matrix(['ci-matrix', '--by', 'target', '--layered'], repo(128, 2));
    expect(at.status, at.stderr).toBe(0);
    expect(at.stdout).toMatch(/^levels=1\nlevel1=\{/);
  });
});

// GitLab's own schema, as test/unit/ci-formats.test.ts uses it.
const validateGitlab = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/ci-schemas/gitlab-ci.schema.json'), 'utf8')) as object,
);

type GitlabJob = { stage?: string; needs?: { job: string }[]; when?: string };

async function gitlab(dir: string): Promise<{ text: string; jobs: Record<string, GitlabJob>; stages: string[] }> {
  const r = await matrix(['ci-matrix', '--format', 'gitlab', '--by', 'target'], dir);
  expect(r.status, r.stderr).toBe(0);
  const doc = parse(r.stdout) as Record<string, unknown> & { stages: string[] };
  expect(validateGitlab(doc), JSON.stringify(validateGitlab.errors?.slice(0, 3))).toBe(true);
  const jobs = Object.fromEntries(Object.entries(doc).filter(([k]) => !['stages', 'variables', 'default'].includes(k))) as Record<string, GitlabJob>;
  return { text: r.stdout, jobs, stages: doc.stages };
}

describe('GitLab CI: at most 50 jobs in one `needs`', () => {
  it('the limit is the documented default', () => {
    expect(GITLAB_MAX_NEEDS).toBe(50);
  });

  it('a merge of 50 shard jobs needs them all; of 51, it has no `needs`, runs in the last stage and always', async () => {
    const fifty = await gitlab(repo(50));
    expect(fifty.jobs.merge!.needs).toHaveLength(50);
    expect(fifty.text).not.toContain('would need more than');

    const more = await gitlab(repo(51));
    expect(Object.keys(more.jobs)).toHaveLength(52);
    expect(more.jobs.merge).not.toHaveProperty('needs');
    expect(more.jobs.merge!.stage).toBe(more.stages.at(-1));
    expect(more.jobs.merge!.when).toBe('always');
    expect(more.text.split('\n')[1]).toBe('# merge: would need more than the 50 jobs GitLab allows in `needs`; it waits for the stages before its own instead.');
    // The shard jobs themselves still start at once.
    for (const [id, job] of Object.entries(more.jobs)) if (id !== 'merge') expect(job.needs, id).toEqual([]);
  });

  it('a job that builds FROM 51 others follows stage order, in a stage after all of them', async () => {
    const { jobs, stages, text } = await gitlab(repo(51, 1, true));
    const top = jobs['level-2-top']!;
    expect(top).not.toHaveProperty('needs');
    expect(stages.indexOf(top.stage!)).toBeGreaterThan(
      Math.max(
        ...Object.entries(jobs)
          .filter(([id]) => id.startsWith('level-1-'))
          .map(([, j]) => stages.indexOf(j.stage!)),
      ),
    );
    expect(text.split('\n')[1]).toBe('# level-2-top, merge: would need more than the 50 jobs GitLab allows in `needs`; each waits for the stages before its own instead.');
  });
});
