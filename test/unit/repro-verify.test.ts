// `matrix verify` must rebuild with exactly what `matrix bake` gives docker
// (bake file, --set values, SOURCE_DATE_EPOCH and labels from git, the
// environment), or every digest would differ. Compared through --dry-run,
// which needs no engine.
import { spawnSync } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { copySample, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const DATE = '2024-01-02T03:04:05Z';
const EPOCH = '1704164645';

function gitRepo(sample: string): string {
  const dir = copySample(sample);
  rmSync(path.join(dir, '.git'), { recursive: true });
  const git = (args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: DATE, GIT_COMMITTER_DATE: DATE },
    });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'sample']);
  return dir;
}

/** The words of a dry-run line: `cd DIR && ENV=... docker ARGS...` (quotes as shellQuote writes them). */
function words(line: string): string[] {
  return [...line.trim().matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
}

/** Split `--set X` pairs out, so order among them does not matter. */
function parts(argv: string[]): { head: string[]; sets: string[] } {
  const head: string[] = [];
  const sets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--set') sets.push(argv[++i]!);
    else head.push(argv[i]!);
  }
  return { head, sets: sets.sort() };
}

describe('matrix verify --dry-run', () => {
  let dir: string;
  const env = { SOURCE_DATE_EPOCH: '' };
  beforeAll(() => {
    dir = gitRepo('monorepo');
  });

  it("runs bake's command, with --no-cache and an OCI layout per target instead of --push", async () => {
    const extra = ['--set', '*.args.GO_IMAGE=mirror.example/golang:1', '--platform', 'linux/arm64'];
    const bake = await matrix(['bake', 'api', 'web', 'jobs', '--push', '--dry-run', ...extra], dir, env);
    const verify = await matrix(['verify', 'api', 'web', 'jobs', '--dry-run', '--keep', 'out', ...extra], dir, env);
    expect(bake.status, bake.stderr).toBe(0);
    expect(verify.status, verify.stderr).toBe(0);
    const b = parts(words(bake.stdout));
    const v = parts(words(verify.stdout));
    // Same directory, same environment from git, same bake file and targets.
    expect(v.head.filter((w) => w !== '--no-cache')).toEqual(b.head.filter((w) => w !== '--push'));
    expect(v.head).toContain('--no-cache');
    expect(b.head.some((w) => w.startsWith('MATRIX_GIT_SHA='))).toBe(true);
    // Every --set of bake, plus one output per target and nothing else.
    const outputs = ['api', 'web', 'jobs'].map((t) => `${t}.output=type=oci,dest=${path.join(dir, 'out', t)},tar=false`).sort();
    expect(v.sets).toEqual([...b.sets, ...outputs].sort());
    // SOURCE_DATE_EPOCH comes from the commit, per target.
    expect(v.sets).toContain(`web.args.SOURCE_DATE_EPOCH=${EPOCH}`);
  });

  it('a target built only as a named context of the selection gets its own SOURCE_DATE_EPOCH and labels, in bake and verify', async () => {
    // jobs is FROM base (a `depends_on`: bake builds base as the context `target:base`).
    // base's files must carry base's commit time whether base is selected or not, or
    // jobs' layers differ from a full run's. A later commit to another service moves HEAD.
    const later = gitRepo('monorepo');
    const commit = (args: string[], date: string) =>
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: later, env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
    appendFileSync(path.join(later, 'services', 'web', 'public', 'index.html'), '<!-- later -->\n');
    expect(commit(['commit', '-qam', 'web: later'], '2024-02-03T04:05:06Z').status).toBe(0);
    for (const cmd of [
      ['bake', 'jobs', '--push'],
      ['verify', 'jobs'],
    ]) {
      const r = await matrix([...cmd, '--dry-run'], later, env);
      expect(r.status, r.stderr).toBe(0);
      const sets = parts(words(r.stdout)).sets;
      expect(sets, cmd.join(' ')).toContain(`base.args.SOURCE_DATE_EPOCH=${EPOCH}`);
      expect(sets, cmd.join(' ')).toContain(`jobs.args.SOURCE_DATE_EPOCH=${EPOCH}`);
      expect(
        sets.some((x) => x.startsWith('base.labels.org.opencontainers.image.revision=')),
        cmd.join(' '),
      ).toBe(true);
      // Nothing for targets that are not built.
      expect(
        sets.some((x) => x.startsWith('web.')),
        cmd.join(' '),
      ).toBe(false);
    }
  });

  it('refuses outputs of its own and ambiguous comparisons (exit 2)', async () => {
    for (const args of [
      ['verify', '--dry-run', '--set', '*.output=type=registry'],
      ['verify', 'api', '--dry-run', '--set', 'api.push=true'],
      // bake reads `api-*.output.x` as setting `output` too (buildx bake/bake.go newOverrides; src/bake/command.ts setTarget).
      ['verify', 'api', '--dry-run', '--set', 'a?i.output.x=type=local,dest=o'],
      ['verify', 'api', 'web', '--against', 'localhost:5000/x/api:1'],
      ['verify', 'api', '--against', 'v1', '--metadata-file', 'm.json'],
      ['verify', 'api', '--against', 'not a tag'],
      ['verify', 'api', '--keep', 'a,b'],
    ]) {
      const r = await matrix(args, dir, env);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    }
  });

  it('an unknown target is a usage error with a hint', async () => {
    const r = await matrix(['verify', 'nope', '--dry-run'], dir, env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no target or group named `nope`/);
  });

  it("a docker whose bake --print prints no JSON is error bake-print (exit 2), never a bug in matrix (release/atomic.ts reads bake's --print output)", async () => {
    const bin = path.join(dir, 'fake-docker');
    // A docker, buildx and builder that answer; everything else (`bake --print` too) exits 0 with nothing on stdout.
    const script = [
      '#!/bin/sh',
      'case "$1 $2" in',
      `  "version "*) echo '{"Client":{"Version":"26.1.0"},"Server":{"Version":"26.1.0"}}';;`,
      '  "buildx version") echo "github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dddce2e08c7a0";;',
      `  "buildx inspect") printf 'Name: default\\nDriver: docker-container\\n\\nNodes:\\nName: default0\\nEndpoint: unix:///x\\nStatus: running\\nPlatforms: linux/amd64, linux/arm64\\n';;`,
      'esac',
      'exit 0',
    ];
    writeFileSync(bin, `${script.join('\n')}\n`, { mode: 0o755 });
    const r = await matrix(['verify', 'api'], dir, { ...env, MATRIX_DOCKER: bin });
    expect(r.stderr).not.toMatch(/bug in matrix/);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot read the resolved targets from `docker buildx bake --print` \[bake-print\]/);
  });

  it('is listed in --help', async () => {
    expect((await matrix(['--help'], dir)).stdout).toMatch(/matrix verify/);
  });
});
