// What `matrix bake` does with values from git that a reference tool also
// makes, and with the user's own values for the same keys: docker/metadata-action's
// labels survive in the targets that inherit them, the user's `--set` and `-f`
// values win as they win in plain bake, and a tag too long for a registry (a
// long branch name, never cut) is refused before anything runs. Through
// --dry-run (no engine), and `--print` where buildx is installed (CI=true:
// required).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const buildx = spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8', timeout: 20_000 });
const withBuildx = (!buildx.error && buildx.status === 0) || process.env.CI === 'true';

const SPEC = [
  'version: 1',
  'registry: r.example',
  'services:',
  '  api: { context: api, template: go, metadata_action: true }',
  '  web: { context: web, template: go, tags: ["r.example/web:b-${{ git.branch }}"] }',
  '',
].join('\n');

function repo(branch: string): string {
  const dir = tempRepo({ 'matrix.yaml': SPEC, 'api/go.mod': 'module x\n', 'web/go.mod': 'module y\n' });
  rmSync(path.join(dir, '.git'), { recursive: true });
  const git = (...a: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  git('init', '-q', '-b', branch);
  git('add', '-A');
  git('commit', '-qm', 'x');
  return dir;
}

/** The `--set` values of the docker command a dry run prints. */
function sets(stdout: string): string[] {
  return [...stdout.matchAll(/--set '?([^' ]+)/g)].map((m) => m[1]!);
}

describe('matrix bake and values from git', () => {
  // metadata-action writes its OCI labels (revision: GITHUB_SHA, created, source)
  // into the target it names (src/meta.ts getOCIAnnotationsWithCustoms, the
  // bake-file output); a --set would replace them, as no file can.
  it("keeps docker/metadata-action's labels in a target that inherits them from a -f file", async () => {
    const dir = repo('main');
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const meta = {
      target: {
        'docker-metadata-action': {
          tags: ['r.example/api:1.2.3'],
          labels: {
            'org.opencontainers.image.revision': 'f'.repeat(40),
            'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
            'org.opencontainers.image.source': 'https://github.com/octo/hello-world',
          },
          args: { DOCKER_META_VERSION: '1.2.3' },
        },
      },
    };
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
    const withMeta = await matrix(['bake', '--dry-run', '-f', 'meta.json'], dir);
    expect(withMeta.status, withMeta.stderr).toBe(0);
    const s = sets(withMeta.stdout);
    expect(s.filter((x) => x.startsWith('api.labels.'))).toEqual([]);
    expect(s.some((x) => x.startsWith('api.args.SOURCE_DATE_EPOCH='))).toBe(true);
    // A target that inherits nothing from the file keeps matrix's labels.
    expect(s.filter((x) => x.startsWith('web.labels.org.opencontainers.image.')).map((x) => x.split('=')[0])).toEqual([
      'web.labels.org.opencontainers.image.revision',
      'web.labels.org.opencontainers.image.created',
    ]);
    // Without the file, matrix labels the metadata_action target itself.
    const without = await matrix(['bake', '--dry-run'], dir);
    expect(sets(without.stdout).filter((x) => x.startsWith('api.labels.org.opencontainers.image.revision='))).toHaveLength(1);
  });

  // A tag is at most 128 characters after its `:` (distribution reference grammar,
  // `[\w][\w.-]{0,127}`); metadata-action cuts no value (sanitizeTag), so neither
  // does matrix: two branches that differ after 128 characters keep two tags.
  it('refuses a tag that a long branch name makes longer than a registry takes, before docker runs', async () => {
    const long = `feature/${'x'.repeat(130)}`;
    const dir = repo(long);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const r = await matrix(['bake', '--dry-run', 'web'], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[tag-too-long]');
    expect(r.stderr).toContain(`r.example/web:b-feature-${'x'.repeat(130)}`);
    expect(r.stderr).toContain('`${{ git.branch }}` is 138 characters');
    // The same branch pinned shorter by CI builds.
    const pinned = await matrix(['bake', '--dry-run', 'web'], dir, { MATRIX_GIT_BRANCH: 'feature-x' });
    expect(pinned.status, pinned.stderr).toBe(0);
  });

  // BuildKit fails each target late on a SOURCE_DATE_EPOCH strconv.ParseInt refuses (containerd
  // pkg/epoch, vendored by docker/buildx); one past the year 9999 was "a bug in matrix" (exit 70).
  // A short sha as long as DOCKER_METADATA_SHORT_SHA_LENGTH says (docker/metadata-action README).
  it('refuses a SOURCE_DATE_EPOCH or DOCKER_METADATA_SHORT_SHA_LENGTH from the environment it cannot use, before docker runs', async () => {
    const dir = repo('main');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    for (const [name, value] of [
      ['SOURCE_DATE_EPOCH', 'yesterday'],
      ['SOURCE_DATE_EPOCH', '99999999999999999'],
      ['DOCKER_METADATA_SHORT_SHA_LENGTH', 'long'],
    ] as const) {
      const r = await matrix(['bake', '--dry-run', 'web'], dir, { [name]: value });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${name} in the environment is "${value}"`);
      expect(r.stderr).not.toContain('bug in matrix');
    }
    const ok = await matrix(['bake', '--dry-run', 'web'], dir, { SOURCE_DATE_EPOCH: '1700000000', DOCKER_METADATA_SHORT_SHA_LENGTH: '12' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('web.args.SOURCE_DATE_EPOCH=1700000000');
    expect(ok.stdout).toMatch(/MATRIX_GIT_SHORT_SHA=[0-9a-f]{12} /);
  });

  // The values are made tag-safe (metadata-action's sanitizeTag), not safe for a repository name,
  // whose components are lower case with single separators (distribution reference grammar):
  // buildx would refuse `r.example/fix_:x` as an "invalid reference format" naming no variable.
  it('refuses a tag whose git value makes its repository name invalid, naming the value, before docker runs', async () => {
    const dir = repo('fix_');
    writeFileSync(path.join(dir, 'matrix.yaml'), SPEC.replace('r.example/web:b-${{ git.branch }}', 'r.example/${{ git.branch }}:x'));
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const r = await matrix(['bake', '--dry-run', 'web'], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('target web: the tag `r.example/fix_:x` is not a valid image reference [invalid-tag]');
    expect(r.stderr).toContain('`${{ git.branch }}` is `fix_`;');
    const pinned = await matrix(['bake', '--dry-run', 'web'], dir, { MATRIX_GIT_BRANCH: 'fix' });
    expect(pinned.status, pinned.stderr).toBe(0);
  });

  // bake keeps the last value given for a key, and a --set beats every file
  // (docker/buildx bake/bake.go newOverrides: `override.Value = parts[1]`;
  // docs/reference/buildx_bake.md --set). matrix's revision labels and
  // SOURCE_DATE_EPOCH go first, so the user's come out on top.
  it.runIf(withBuildx)("the user's --set and -f values for matrix's labels and SOURCE_DATE_EPOCH win, as in plain bake", async () => {
    const dir = repo('main');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const own = { target: { web: { labels: { 'org.opencontainers.image.created': '2000-01-01T00:00:00Z' }, args: { SOURCE_DATE_EPOCH: '5' } } } };
    writeFileSync(path.join(dir, 'own.json'), JSON.stringify(own));
    const r = await matrix(['bake', '--print', '-f', 'own.json', '--set', 'web.labels.org.opencontainers.image.revision=MINE', 'web'], dir);
    expect(r.status, r.stderr).toBe(0);
    const web = (JSON.parse(r.stdout) as { target: Record<string, { labels: Record<string, string>; args: Record<string, string> }> }).target.web!;
    expect(web.labels['org.opencontainers.image.revision']).toBe('MINE');
    expect(web.labels['org.opencontainers.image.created']).toBe('2000-01-01T00:00:00Z');
    expect(web.args.SOURCE_DATE_EPOCH).toBe('5');
    // Without them, matrix's values from git.
    const plain = await matrix(['bake', '--print', 'web'], dir);
    const webPlain = (JSON.parse(plain.stdout) as { target: Record<string, { labels: Record<string, string>; args: Record<string, string> }> }).target.web!;
    expect(webPlain.labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
    expect(webPlain.args.SOURCE_DATE_EPOCH).toMatch(/^\d+$/);
  });

  // A `default` group in a later -f file replaces the generated one (bake merges
  // files in order); matrix reports every target it selected, so it names them.
  it('names the targets when -f files are given, so a default group in them cannot shrink the build under the summary', async () => {
    const dir = repo('main');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    writeFileSync(path.join(dir, 'only-api.hcl'), 'group "default" {\n  targets = ["api"]\n}\n');
    const r = await matrix(['bake', '--dry-run', '-f', 'only-api.hcl'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/ -- api web$/);
    // Without -f, bake's own default group (every target) is used, as before.
    expect((await matrix(['bake', '--dry-run'], dir)).stdout.trim()).toMatch(/ --$/);
  });

  // bake appends each --set of `platform` to the list (newOverrides: platform is an
  // ArrValue key), so a user's one added platforms to --platform's, unreported.
  it('refuses a --set of a target platform, pointing at --platform; passes --sbom and --provenance on as bake takes them', async () => {
    const dir = repo('main');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    for (const set of ['web.platform=linux/arm64', '*.platform+=linux/arm64', 'web-*.platform=linux/amd64,linux/arm64']) {
      const r = await matrix(['bake', '--dry-run', '--set', set], dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--platform');
    }
    const ok = await matrix(['bake', '--dry-run', '--set', 'web.args.PLATFORM_NOTE=x', '--sbom=true', '--provenance', 'mode=max'], dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(' --sbom=true --provenance=mode=max ');
  });
});
