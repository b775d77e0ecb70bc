// `matrix ci-matrix`: the GitHub Actions strategy.matrix for native runners.
import { afterAll, describe, expect, it } from 'vitest';
import { ciMatrix, parseRunnerOverrides } from '../../src/ci/runners.js';
import { matrix } from '../helpers/cli.js';
import { compileSpec } from '../helpers/spec.js';
import { copySample, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const SPEC = [
  'version: 1',
  'platforms: [linux/amd64, linux/arm64]',
  'services:',
  '  api:',
  '    context: api',
  '    template: go',
  '  armv7:',
  '    context: api',
  '    template: go',
  '    platforms: [linux/arm/v7, linux/amd64]',
  '',
].join('\n');

function targets() {
  const c = compileSpec(SPEC, { 'api/go.mod': 'module x\n' }, { validateOnly: true });
  expect(c.diagnostics).toEqual([]);
  return c.spec!.targets;
}

describe('ciMatrix', () => {
  it('one job per platform, each on a native runner where GitHub has one', () => {
    expect(ciMatrix(targets(), { by: 'platform' })).toEqual({
      include: [
        { platform: 'linux/amd64', slug: 'linux-amd64', runner: 'ubuntu-24.04' },
        { platform: 'linux/arm64', slug: 'linux-arm64', runner: 'ubuntu-24.04-arm' },
        { platform: 'linux/arm/v7', slug: 'linux-arm-v7', runner: 'ubuntu-24.04' },
      ],
    });
  });

  it('runner overrides, as a label or a list of labels', () => {
    const runners = parseRunnerOverrides(['linux/arm64=my-arm', 'linux/arm/v7=["self-hosted","armv7"]']);
    expect(ciMatrix(targets(), { by: 'platform', platforms: ['linux/arm64', 'linux/arm/v7'], runners }).include).toEqual([
      { platform: 'linux/arm64', slug: 'linux-arm64', runner: 'my-arm' },
      { platform: 'linux/arm/v7', slug: 'linux-arm-v7', runner: ['self-hosted', 'armv7'] },
    ]);
  });

  it('one job per target: a native runner only when all its platforms agree', () => {
    expect(ciMatrix(targets(), { by: 'target' }).include).toEqual([
      { target: 'api', platforms: 'linux/amd64,linux/arm64', slug: 'api', runner: 'ubuntu-24.04' },
      { target: 'armv7', platforms: 'linux/arm/v7,linux/amd64', slug: 'armv7', runner: 'ubuntu-24.04' },
    ]);
    expect(ciMatrix(targets(), { by: 'target', platforms: ['linux/arm64'] }).include).toEqual([{ target: 'api', platforms: 'linux/arm64', slug: 'api', runner: 'ubuntu-24.04-arm' }]);
  });

  it('refuses an empty matrix, bad overrides and overrides for platforms nobody builds', () => {
    expect(() => ciMatrix(targets(), { by: 'platform', platforms: ['linux/s390x'] })).toThrow(/no target builds for linux\/s390x/);
    expect(() => parseRunnerOverrides(['linux/arm64'])).toThrow(/PLATFORM=RUNNER/);
    expect(() => parseRunnerOverrides(['linux/arm64=[1]'])).toThrow(/JSON array of strings/);
    expect(() => ciMatrix(targets(), { by: 'platform', runners: { 'linux/s390x': 'x' } })).toThrow(/no target builds linux\/s390x/);
  });
});

// buildx normalises --platform (docker/buildx util/platformutil/parse.go Parse applies
// containerd/platforms Normalize): ci-matrix takes the same names, by their canonical form,
// and a platform no target builds is an error, never a job silently left out.
describe('ciMatrix: --platform by canonical name, unbuilt platforms refused', () => {
  it('an alias selects its platform (linux/aarch64 is linux/arm64, linux/arm is linux/arm/v7)', () => {
    expect(ciMatrix(targets(), { by: 'platform', platforms: ['linux/aarch64'] }).include).toEqual([{ platform: 'linux/arm64', slug: 'linux-arm64', runner: 'ubuntu-24.04-arm' }]);
    expect(ciMatrix(targets(), { by: 'platform', platforms: ['linux/arm'] }).include).toEqual([{ platform: 'linux/arm/v7', slug: 'linux-arm-v7', runner: 'ubuntu-24.04' }]);
    expect(ciMatrix(targets(), { by: 'target', platforms: ['linux/arm64/v8'] }).include).toEqual([{ target: 'api', platforms: 'linux/arm64', slug: 'api', runner: 'ubuntu-24.04-arm' }]);
  });

  it('a runner override for an alias is the runner of its platform', () => {
    const runners = parseRunnerOverrides(['linux/aarch64=my-arm']);
    expect(runners).toEqual({ 'linux/arm64': 'my-arm' });
    expect(ciMatrix(targets(), { by: 'platform', platforms: ['linux/arm64'], runners }).include).toEqual([{ platform: 'linux/arm64', slug: 'linux-arm64', runner: 'my-arm' }]);
  });

  it('a platform no target builds, beside ones they do, is an error naming it', () => {
    expect(() => ciMatrix(targets(), { by: 'platform', platforms: ['linux/arm64', 'linux/s390x'] })).toThrow(/--platform linux\/s390x: no target builds it/);
    expect(() => ciMatrix(targets(), { by: 'target', platforms: ['linux/amd64', 'linux/arm/v6'] })).toThrow(/--platform linux\/arm\/v6: no target builds it/);
    expect(() => ciMatrix(targets(), { by: 'platform', platforms: ['linux/arm64', 'linux/z80'] })).toThrow(/--platform linux\/z80: no target builds it/);
  });
});

describe('matrix ci-matrix (CLI)', () => {
  it('--platform linux/aarch64 is the linux/arm64 job (not a silently empty or smaller matrix)', async () => {
    const r = await matrix(['ci-matrix', '--platform', 'linux/aarch64'], copySample('hello-go'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('{"include":[{"platform":"linux/arm64","slug":"linux-arm64","runner":"ubuntu-24.04-arm"}]}\n');
  });

  it('--platform linux/amd64,linux/arm: linux/arm/v7 is not built, exit 2 naming it', async () => {
    const r = await matrix(['ci-matrix', '--platform', 'linux/amd64,linux/arm'], copySample('hello-go'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--platform linux/arm/v7: no target builds it [unknown-platform]');
    expect(r.stderr).toContain('the targets build linux/amd64, linux/arm64');
  });

  it('prints one line of JSON for $GITHUB_OUTPUT', async () => {
    const r = await matrix(['ci-matrix'], copySample('hello-go'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('{"include":[{"platform":"linux/amd64","slug":"linux-amd64","runner":"ubuntu-24.04"},{"platform":"linux/arm64","slug":"linux-arm64","runner":"ubuntu-24.04-arm"}]}\n');
  });

  it('--by target --runner --platform', async () => {
    const r = await matrix(['ci-matrix', '--by', 'target', '--platform', 'linux/arm64', '--runner', 'linux/arm64=arm-big'], copySample('hello-go'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ include: [{ target: 'hello', platforms: 'linux/arm64', slug: 'hello', runner: 'arm-big' }] });
  });

  it('exit 2 with a hint for an empty matrix or a bad --by', async () => {
    const r = await matrix(['ci-matrix', '--platform', 'linux/s390x'], copySample('hello-go'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[empty-ci-matrix]');
    expect((await matrix(['ci-matrix', '--by', 'service'], tempRepo())).status).toBe(2);
  });
});
