// Hostile values on a real engine: ~200 args and labels through
// `docker buildx bake --print` come back unchanged, and one real build
// receives a hostile build arg and label byte for byte (the arg read back from
// a file the build wrote, the label from the pushed image's config).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringProblem } from '../../src/validate/strings.js';
import { csvFields, hostile, yamlQuote } from '../security/hostile.js';
import { docker, fixtures, matrix, matrixAsync, requireEngine, runId } from './engine.js';

const hasEngine = requireEngine();

/** A repository (its own git root) holding `tree`. */
function repo(tree: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-security-'));
  spawnSync('git', ['init', '-q'], { cwd: dir });
  for (const [name, text] of Object.entries(tree)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The environment without BUILDX_BAKE_* settings that would change what bake reads. */
/** A Dockerfile whose `steps` write /out on the build platform (from the fixture image in BASE_IMAGE), exported alone. */
function writesOut(...steps: string[]): string {
  return ['ARG BASE_IMAGE', 'FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS work', ...steps, 'FROM scratch', 'COPY --from=work /out /out', ''].join('\n');
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BUILDX_BAKE_')));
}

const yamlMap = (m: Record<string, string>) =>
  `{${Object.entries(m)
    .map(([k, v]) => `${yamlQuote(k)}: ${yamlQuote(v)}`)
    .join(', ')}}`;

// Accepted as build-arg and label values: no `${{` (the spec's own variables) and nothing strings.ts refuses.
const value = hostile.filter((s) => !stringProblem(s, true) && !s.includes('${{'));
const key = hostile.filter((s) => s !== '' && !stringProblem(s, false));

describe.skipIf(!hasEngine)('hostile values on a real engine', () => {
  it('200 hostile args, label keys and values and a CSV-hostile secret source survive `docker buildx bake --print` unchanged', () => {
    const values = fc.sample(value, { seed: 4242, numRuns: 200 });
    const keys = [...new Set(fc.sample(key, { seed: 4243, numRuns: 200 }))];
    // Not vacuous: many of them hold what HCL, shells and CSV treat specially.
    expect(values.filter((v) => /\$\{|%\{/.test(v)).length).toBeGreaterThanOrEqual(20);
    expect(values.filter((v) => /["\\\n,]/.test(v)).length).toBeGreaterThanOrEqual(20);
    const args = Object.fromEntries(values.map((v, i) => [`A${i}`, v]));
    const labels = Object.fromEntries(keys.map((k, i) => [k, values[i]!]));
    const src = 'se,cr"et file';
    const dir = repo({
      Dockerfile: 'FROM scratch\n',
      [src]: 'not a real secret\n',
      // Inside the context, a secret source must be excluded from it (the secret-in-context rule).
      '.dockerignore': `${src}\n`,
      'matrix.yaml': `version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n    args: ${yamlMap(args)}\n    labels: ${yamlMap(labels)}\n    secrets: [{id: token, src: ${yamlQuote(src)}}]\n`,
    });
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    const bake = spawnSync('docker', ['buildx', 'bake', '-f', 'docker-bake.hcl', '--print', '--', 'api'], { cwd: dir, encoding: 'utf8', env: cleanEnv(), maxBuffer: 64 << 20 });
    expect(bake.status, bake.stderr).toBe(0);
    const printed = JSON.parse(bake.stdout) as { target: Record<string, { args: Record<string, string>; labels: Record<string, string>; secret: string[] }> };
    const api = printed.target.api!;
    expect(api.args).toEqual(args);
    for (const [k, v] of Object.entries(labels)) expect(api.labels[k], JSON.stringify(k)).toBe(v);
    // buildx stat()ed the secret source while printing: it found the file, so it split the CSV as we did.
    expect(csvFields(api.secret[0]!)).toEqual(['id=token', `src=${src}`]);
    // And `matrix bake --print` prints the same.
    const ours = matrix(dir, ['bake', '--print', 'api'], cleanEnv() as Record<string, string>);
    expect(ours.status, ours.stderr).toBe(0);
    expect(JSON.parse(ours.stdout).target.api.args).toEqual(args);
  });

  // bake/entitlements.go (buildx 0.20+) asks --allow fs.read for a secret outside bake's directory; this
  // engine's buildx (0.13) asks nothing, so matrix's own check is what stands between a spec and the file.
  it('a secret outside the repository: refused without --allow fs.read, handed to a real build with it', async () => {
    const away = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-away-'));
    writeFileSync(path.join(away, 'token'), 'from outside\n');
    const out = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-out-'));
    const dir = repo({
      'app/README': 'context\n',
      'app/Dockerfile': writesOut('RUN --mount=type=secret,id=token cp /run/secrets/token /out'),
      'matrix.yaml': [
        'version: 1',
        'services:',
        '  app:',
        '    context: app',
        '    dockerfile: app/Dockerfile',
        '    platforms: [linux/amd64]',
        `    args: {BASE_IMAGE: ${yamlQuote(fixtures().toolchain)}}`,
        `    secrets: [{id: token, src: ${yamlQuote(path.join(away, 'token'))}}]`,
        '',
      ].join('\n'),
    });
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    const refused = await matrixAsync(dir, ['bake', '--set', `*.output=type=local,dest=${out}`]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('[secret-outside-repo]');
    expect(existsSync(path.join(out, 'out'))).toBe(false);
    const allowed = await matrixAsync(dir, ['bake', '--allow', `fs.read=${away}`, '--set', `*.output=type=local,dest=${out}`]);
    expect(allowed.status, allowed.stderr.slice(-3000)).toBe(0);
    expect(readFileSync(path.join(out, 'out'), 'utf8')).toBe('from outside\n');
    rmSync(away, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('a real build receives a hostile build arg and label byte-exact', async () => {
    const HOSTILE = `\${HOME} %{ if true }x%{ endif } $\${y} %%{z} "dq" 'sq' \\ \\n \`id\` $(id) ;|&<> é日本👋\ttab\nline2\r\nline3 -- \\`;
    const tag = `localhost:5000/e2e/hostile:${runId()}`;
    const out = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-out-'));
    const dir = repo({
      'app/README': 'context\n',
      'hostile.hbs': ['{{!--', 'description: writes the HOSTILE build arg to /out, byte for byte', '--}}', writesOut('ARG HOSTILE', `RUN printf '%s' "$HOSTILE" > /out`)].join('\n'),
      'matrix.yaml': [
        'version: 1',
        'services:',
        '  hostile:',
        '    context: app',
        '    template: hostile.hbs',
        '    platforms: [linux/amd64]',
        `    tags: [${yamlQuote(tag)}]`,
        `    args: {BASE_IMAGE: ${yamlQuote(fixtures().toolchain)}, HOSTILE: ${yamlQuote(HOSTILE)}}`,
        `    labels: {"org.example.hostile": ${yamlQuote(HOSTILE)}}`,
        '',
      ].join('\n'),
    });
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);

    const local = await matrixAsync(dir, ['bake', '--no-cache', '--set', `*.output=type=local,dest=${out}`]);
    expect(local.status, local.stderr.slice(-3000)).toBe(0);
    expect(readFileSync(path.join(out, 'out'), 'utf8')).toBe(HOSTILE);

    const push = await matrixAsync(dir, ['bake', '--push']);
    expect(push.status, push.stderr.slice(-3000)).toBe(0);
    const inspect = docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Image}}', tag]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const image = JSON.parse(inspect.stdout) as { config: { Labels: Record<string, string> } };
    expect(image.config.Labels['org.example.hostile']).toBe(HOSTILE);
  });

  // buildx runs git in the build context (git status with BUILDX_GIT_CHECK_DIRTY); the repository's config names programs.
  it("a real bake: buildx's own git runs none of the repository's git programs (fsmonitor, post-index-change hook, filter driver)", async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-marker-')), 'ran');
    const hooks = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-hooks-'));
    writeFileSync(path.join(hooks, 'post-index-change'), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    const dir = repo({
      'app/README': 'context\n',
      'app/Dockerfile': 'FROM scratch\nCOPY README /README\n',
      '.gitattributes': 'app/README filter=evil\n',
      'matrix.yaml': 'version: 1\nservices:\n  app: { context: app, dockerfile: app/Dockerfile, platforms: [linux/amd64] }\n',
    });
    const gitIn = (...args: string[]) =>
      spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    expect(matrix(dir, ['gen']).status).toBe(0);
    gitIn('add', '-A');
    expect(gitIn('commit', '-q', '-m', 'x').status).toBe(0);
    gitIn('config', 'core.fsmonitor', `touch '${marker}'; false`);
    gitIn('config', 'core.hooksPath', hooks);
    // `git status` (buildx's dirty check) hashes the changed README through this command (gitattributes(5)).
    gitIn('config', 'filter.evil.clean', `touch '${marker}'; cat`);
    writeFileSync(path.join(dir, 'app', 'README'), 'changed\n');
    const out = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-out-'));
    const r = await matrixAsync(dir, ['bake', '--set', `*.output=type=local,dest=${out}`], { BUILDX_GIT_CHECK_DIRTY: '1' });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(readFileSync(path.join(out, 'README'), 'utf8')).toBe('changed\n');
    expect(existsSync(marker)).toBe(false);
  });

  // buildx runs its git in the context, so in a repository nested in the spec's (a vendored checkout) git reads that
  // repository's config: its filter drivers must be off too.
  it("a real bake: buildx's git status in a context that is a nested repository runs none of that repository's filter drivers", async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-marker-')), 'ran');
    const dir = repo({
      'vendor/lib/README': 'context\n',
      'vendor/lib/Dockerfile': 'FROM scratch\nCOPY README /README\n',
      'vendor/lib/.gitattributes': 'README filter=inner\n',
      'matrix.yaml': 'version: 1\nservices:\n  lib: { context: vendor/lib, dockerfile: vendor/lib/Dockerfile, platforms: [linux/amd64] }\n',
    });
    const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const gitIn = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', env: gitEnv });
    const lib = path.join(dir, 'vendor', 'lib');
    gitIn(lib, 'init', '-q');
    gitIn(lib, 'add', '-A');
    expect(gitIn(lib, 'commit', '-q', '-m', 'x').status).toBe(0);
    expect(matrix(dir, ['gen']).status).toBe(0);
    gitIn(dir, 'add', 'matrix.yaml');
    expect(gitIn(dir, 'commit', '-q', '-m', 'x').status).toBe(0);
    gitIn(lib, 'config', 'filter.inner.clean', `touch '${marker}'; cat`);
    // Plain git status there runs the driver: the case is not vacuous. (Same length as the committed text: git hashes
    // a file through its filter only when the size alone does not already say it changed.)
    writeFileSync(path.join(lib, 'README'), 'CHANGED\n');
    gitIn(lib, 'status', '--porcelain');
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    writeFileSync(path.join(lib, 'README'), 'changed\n');
    const out = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-out-'));
    const r = await matrixAsync(dir, ['bake', '--set', `*.output=type=local,dest=${out}`], { BUILDX_GIT_CHECK_DIRTY: '1' });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(readFileSync(path.join(out, 'README'), 'utf8')).toBe('changed\n');
    expect(existsSync(marker)).toBe(false);
  });

  // A FIFO at .git/HEAD: every git command blocks; buildx's own git (provenance) has no time limit.
  it('a real bake in a repository whose git blocks finishes: matrix gives up on git and tells buildx not to run it', async () => {
    const dir = repo({
      'app/README': 'context\n',
      'app/Dockerfile': 'FROM scratch\nCOPY README /README\n',
      'matrix.yaml': 'version: 1\nservices:\n  app: { context: app, dockerfile: app/Dockerfile, platforms: [linux/amd64] }\n',
    });
    expect(matrix(dir, ['gen']).status).toBe(0);
    rmSync(path.join(dir, '.git', 'HEAD'));
    spawnSync('mkfifo', [path.join(dir, '.git', 'HEAD')]);
    const out = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-out-'));
    const r = await matrixAsync(dir, ['bake', '--set', `*.output=type=local,dest=${out}`], { MATRIX_GIT_QUERY_TIMEOUT_MS: '2000' });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain('git did not answer in time');
    expect(readFileSync(path.join(out, 'README'), 'utf8')).toBe('context\n');
  }, 120_000);
});
