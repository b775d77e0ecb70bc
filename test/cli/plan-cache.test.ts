// `matrix plan` answers from a record of its own last run (src/cache/plan.ts)
// when every read it made still answers the same and the options that shape
// its output are the same; one record for each such set, beside gen's. No
// record is kept (or used) with the cache off, with --affected, for a plan
// that shows git values, after a warning, for a large spec or a failed run;
// a corrupt or forged record is a miss. Issue #18: "`matrix plan` ... CPU on
// samples/monorepo / `node -e 0` <= 1.5", and "Any cache that skips work must
// be proven safe" (the property test: test/unit/cache-property.test.ts).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastPlanOutcome } from '../../src/cache/plan.js';
import { matrix } from '../helpers/cli.js';
import { copySample, hashTree, removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const planRecords = (dir: string) => readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-plan-[0-9a-f]{16}\.json$/.test(n));
const checkRecords = (dir: string) => readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-check-[0-9a-f]{16}\.json$/.test(n));

/** `plan ARGS` with the cache and with --no-cache: equal answers; returns the cached one and whether it was a hit. */
async function bothPlans(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const cached = await matrix(['plan', ...args], dir, env);
  const outcome = lastPlanOutcome();
  const full = await matrix(['plan', ...args, '--no-cache'], dir, env);
  expect(cached, `plan ${args.join(' ')}`).toEqual(full);
  return { ...cached, outcome };
}

function gitCommitAll(dir: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
}

describe('plan on samples/monorepo with the cache', () => {
  it('the first plan keeps a record; the next answers from it, byte for byte as a full run; gen and gen --check keep theirs', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const genRecord = readFileSync(path.join(dir, '.git', checkRecords(dir)[0]!));
    const first = await bothPlans(dir);
    expect(first.outcome).toBe('miss');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^12 targets from matrix\.yaml/);
    expect(planRecords(dir)).toHaveLength(1);
    const before = hashTree(dir);
    const again = await bothPlans(dir);
    expect(again.outcome).toBe('hit');
    expect(again).toEqual({ ...first, outcome: 'hit' });
    expect(hashTree(dir), 'a hit writes nothing').toBe(before);
    expect(readFileSync(path.join(dir, '.git', checkRecords(dir)[0]!))).toEqual(genRecord);
    // gen's record is untouched and still answers.
    await matrix(['gen', '--check'], dir);
    expect((await matrix(['gen', '--check'], dir)).stdout).toMatch(/^Up to date/);
  });

  it('--json, --color and --build-platform each keep a record of their own, which answers only for them', async () => {
    const dir = copySample('monorepo');
    const variants = [[], ['--json'], ['--color'], ['--build-platform', 'linux/arm64'], ['--json', '--build-platform', 'linux/arm64']];
    const outputs: string[] = [];
    for (const args of variants) {
      const cold = await bothPlans(dir, args);
      expect(cold.outcome, args.join(' ')).toBe('miss');
      outputs.push(cold.stdout);
    }
    expect(new Set(outputs).size, 'each variant prints something else').toBe(variants.length);
    expect(planRecords(dir)).toHaveLength(variants.length);
    for (const [i, args] of variants.entries()) {
      const warm = await bothPlans(dir, args);
      expect(warm.outcome, args.join(' ')).toBe('hit');
      expect(warm.stdout).toBe(outputs[i]);
    }
    // The colour decision, however made: FORCE_COLOR instead of --color is the same record.
    const forced = await matrix(['plan'], dir, { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(lastPlanOutcome()).toBe('hit');
    expect(forced.stdout).toBe(outputs[2]);
  });

  it('--no-cache and MATRIX_CACHE=0 (or false, off, no) neither use nor keep a record', async () => {
    const dir = copySample('monorepo');
    await matrix(['plan', '--no-cache'], dir);
    expect(lastPlanOutcome()).toBe('off');
    for (const v of ['0', 'false', 'OFF', 'no']) expect((await bothPlans(dir, [], { MATRIX_CACHE: v })).outcome).toBe('off');
    expect(planRecords(dir)).toEqual([]);
    await matrix(['plan'], dir);
    expect((await bothPlans(dir, [], { MATRIX_CACHE: '0' })).outcome).toBe('off');
    expect((await bothPlans(dir, [], { MATRIX_CACHE: '1' })).outcome).toBe('hit');
  });

  it('a failed plan keeps no record; an edit that is read is a miss with the full answer', async () => {
    const dir = copySample('monorepo');
    const spec = path.join(dir, 'matrix.yaml');
    const good = readFileSync(spec, 'utf8');
    writeFileSync(spec, `${good}bogus: 1\n`);
    const bad = await bothPlans(dir);
    expect(bad.status).toBe(2);
    expect(planRecords(dir)).toEqual([]);
    writeFileSync(spec, good);
    expect((await bothPlans(dir)).outcome).toBe('miss');
    expect((await bothPlans(dir)).outcome).toBe('hit');
    writeFileSync(spec, good.replace('platforms: [linux/amd64, linux/arm64]', 'platforms: [linux/amd64]'));
    const edited = await bothPlans(dir);
    expect(edited.outcome).toBe('miss');
    expect(edited.stdout).not.toMatch(/linux\/arm64/);
  });
});

describe('plans that keep no record', () => {
  it('--affected: git history is no recorded read', async () => {
    const dir = copySample('hello-go');
    gitCommitAll(dir);
    for (let i = 0; i < 2; i++) {
      const r = await bothPlans(dir, ['--affected', 'HEAD']);
      expect(r.outcome).toBe('off');
      expect(r.status).toBe(0);
    }
    expect(planRecords(dir)).toEqual([]);
  });

  it('a plan that shows git values (a tag from git.short_sha): git state is no recorded read, so a new commit shows', async () => {
    const dir = copySample('hello-go');
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace(/\n {4}tags: .*\n/, '\n    tags: ["hello:${{ git.short_sha }}"]\n'));
    gitCommitAll(dir);
    const first = await bothPlans(dir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    const sha = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    expect(first.stdout).toContain(`hello:${sha}`);
    expect(planRecords(dir)).toEqual([]);
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'second'], { cwd: dir });
    const next = await bothPlans(dir);
    expect(next.outcome).toBe('miss');
    expect(next.stdout).not.toContain(`hello:${sha}`);
  });

  it('a plan that printed a warning: warnings are not replayed, so every run says it', async () => {
    const dir = tempRepo({
      'matrix.yaml': 'version: 1\nplatforms: [linux/amd64, windows/amd64]\nservices:\n  web:\n    context: web\n    template: node\n',
      'web/package.json': '{ "name": "web" }\n',
    });
    for (let i = 0; i < 2; i++) {
      const r = await bothPlans(dir);
      expect(r.outcome).toBe('miss');
      expect(r.stderr).toMatch(/warning template `node` cannot produce windows\/amd64 \[unsupported-platform\]/);
    }
    expect(planRecords(dir)).toEqual([]);
  });

  it('a spec of 512 KiB or more (src/cache/large.ts, the rule gen keeps too)', async () => {
    const dir = copySample('hello-go');
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, `${readFileSync(spec, 'utf8')}# ${'x'.repeat(512 * 1024)}\n`);
    expect((await bothPlans(dir)).status).toBe(0);
    expect(planRecords(dir)).toEqual([]);
  });
});

describe('a record that cannot be trusted is a miss, not a crash', () => {
  it('garbage, another header, a stdout that is not text, a forged record that read nothing, a symbolic link', async () => {
    const dir = copySample('monorepo');
    const real = await bothPlans(dir);
    const file = path.join(dir, '.git', planRecords(dir)[0]!);
    const good = readFileSync(file, 'utf8');
    const record = JSON.parse(good) as { header: Record<string, unknown>; stdout: string; reads: unknown[]; env: unknown[] };
    const forged = [
      '',
      '{',
      '\0\0\0',
      'null',
      '[]',
      JSON.stringify({ ...record, stdout: 42 }),
      // The header names another output (src/cache/output.ts): plan's with other options, or another command's.
      JSON.stringify({ ...record, header: { ...record.header, output: JSON.stringify(['plan', '{"json":true}']) } }),
      JSON.stringify({ ...record, header: { ...record.header, output: (record.header.output as string).replace('"plan"', '"graph"') } }),
      JSON.stringify({ ...record, header: { ...record.header, node: 'v0.0.0' } }),
      JSON.stringify({ ...record, reads: 'none' }),
      JSON.stringify({ ...record, env: [['A']] }),
      // Claims an answer without having read the spec it is about.
      JSON.stringify({ ...record, stdout: 'forged\n', reads: [] }),
      JSON.stringify({ ...record, stdout: 'forged\n', reads: record.reads.filter((r) => (r as [unknown[]])[0][0] !== 'read') }),
      JSON.stringify({ ...record, stdout: 'forged\n', reads: [...record.reads, [['nosuchop', 'x'], 'y']] }),
    ];
    for (const bad of forged) {
      writeFileSync(file, bad);
      const r = await bothPlans(dir);
      expect(r.outcome, bad.slice(0, 80)).toBe('miss');
      expect(r.stdout).toBe(real.stdout);
    }
    rmSync(file);
    const elsewhere = path.join(tempDir(), 'elsewhere.json');
    writeFileSync(elsewhere, good);
    symlinkSync(elsewhere, file);
    expect((await bothPlans(dir)).outcome).toBe('miss');
  });
});

describe('--help', () => {
  it("plan's help lists --no-cache and MATRIX_CACHE", async () => {
    const help = await matrix(['plan', '--help'], tempDir());
    expect(help.stdout).toMatch(/--cache/);
    expect(help.stdout).toMatch(/MATRIX_CACHE=0/);
  });
});
