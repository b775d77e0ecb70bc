// Where matrix says it behaves like docker/metadata-action, the same inputs through matrix's code.
// Each case names the metadata-action test it is taken from: github.com/docker/metadata-action,
// __tests__/meta.test.ts (test name, event file under __tests__/fixtures/), or its README. The
// fixtures' events become what matrix reads: the event's tag or branch is the one on HEAD (or, as
// docs/github-actions.md tells CI to do, the pinned MATRIX_GIT_TAG / MATRIX_GIT_BRANCH), the
// event's GITHUB_SHA a pinned MATRIX_GIT_SHA. Where matrix differs on purpose (README "Where matrix
// differs"), the case says so and asserts matrix's documented output.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { branchSlug, buildEnvironment, httpsSource, parseSemver, rfc3339, serviceVersion, tagSlug } from '../../src/bake/gitenv.js';
import { selectTargets } from '../../src/bake/command.js';
import { evalTags } from '../../src/dyn.js';
import { fileValues, uninheritedWarnings } from '../../src/repro/inputs.js';
import { compileSpec, goDirs } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** GITHUB_SHA of __tests__/fixtures/event_tag_*.env, event_push_dev.env and event_release_created.env. */
const TAG_EVENT_SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
/** GITHUB_SHA of __tests__/fixtures/event_push_invalidchars.env. */
const INVALIDCHARS_SHA = '983315b5e8d46e46fc4c49869e85e7ee5fb289ba';

/** A repository whose HEAD carries `tags` (and is on `branch`, or detached as a tag checkout is). */
function repo(tags: readonly string[], branch?: string, origin?: string): string {
  const dir = tempDir();
  const git = (...a: string[]) =>
    spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  git('init', '-q', '-b', branch ?? 'main');
  git('commit', '-q', '--allow-empty', '-m', 'x');
  for (const t of tags) git('tag', t);
  if (origin !== undefined) git('remote', 'add', 'origin', origin);
  if (branch === undefined) git('checkout', '-q', '--detach');
  return dir;
}

/** The image tags one service's `tags` give on `dir` with the caller's environment `env`. */
async function tagsOf(tags: readonly string[], dir: string, env: Record<string, string> = {}, versionTags?: string): Promise<string[]> {
  const src = [
    'version: 1',
    ...(versionTags ? [`version_tags: "${versionTags}"`] : []),
    'services:',
    `  p1: { context: p1, template: go, tags: [${tags.map((t) => JSON.stringify(`org/app:${t}`)).join(', ')}] }`,
    '',
  ].join('\n');
  const r = compileSpec(src, goDirs('p1'));
  expect(r.diagnostics).toEqual([]);
  const built = await buildEnvironment(dir, env, false, r.spec!);
  return evalTags(r.spec!.targets[0]!.tags, built).map((t) => t.slice('org/app:'.length));
}

describe('type=semver: ${{ semver.* }} as {{version}}, {{major}}, {{minor}}, {{patch}}', () => {
  const patterns = ['${{ semver.version }}', '${{ semver.major }}.${{ semver.minor }}', '${{ semver.major }}'];

  it('tag11 (event_tag_v1.1.1.env): 1.1.1, 1.1, 1; from the tag on HEAD and from a pinned MATRIX_GIT_TAG', async () => {
    expect(await tagsOf(patterns, repo(['v1.1.1']))).toEqual(['1.1.1', '1.1', '1']);
    expect(await tagsOf(patterns, repo([]), { MATRIX_GIT_TAG: 'v1.1.1', MATRIX_GIT_SHA: TAG_EVENT_SHA })).toEqual(['1.1.1', '1.1', '1']);
  });

  it('tag12 (event_tag_v1.1.1.env): {{version}} and {{major}}.{{minor}}.{{patch}} give one tag, 1.1.1', async () => {
    expect(await tagsOf(['${{ semver.version }}', '${{ semver.major }}.${{ semver.minor }}.${{ semver.patch }}'], repo(['v1.1.1']))).toEqual(['1.1.1']);
  });

  it('tag13 (event_tag_v2.0.8-beta.67.env): a pre-release moves no floating tag (matrix leaves the major/minor tags out, README "semver in tags of a pre-release")', async () => {
    expect(await tagsOf(patterns, repo(['v2.0.8-beta.67']))).toEqual(['2.0.8-beta.67']);
    // event_create_tag.env, v2.1.8-beta.67: the same.
    expect(await tagsOf(patterns, repo([]), { MATRIX_GIT_TAG: 'v2.1.8-beta.67' })).toEqual(['2.1.8-beta.67']);
  });

  it('tag31 (event_tag_v2.0.8-beta.67.env): {{raw}} is the tag itself, ${{ git.tag }}', async () => {
    expect(await tagsOf(['${{ git.tag }}'], repo(['v2.0.8-beta.67']))).toEqual(['v2.0.8-beta.67']);
  });

  it('tag14 (event_tag_sometag.env) and tag01/tag02 (release1, 20200110-RC2): a tag that is no semver gives no semver tag; type=ref,event=tag keeps it as it is', async () => {
    for (const tag of ['sometag', 'release1', '20200110-RC2']) {
      expect(await tagsOf(['${{ git.tag }}', ...patterns], repo([tag]))).toEqual([tag]);
    }
  });

  it('event_tag_1.2.env, event_tag_v1.2.3rc2.env, event_tag_1.2.3rc2.env: no valid semver (metadata-action: "is not a valid semver"), so no values', () => {
    for (const tag of ['1.2', 'v1.2.3rc2', '1.2.3rc2', '20200110-RC2', 'V1.2.3']) expect(parseSemver(tag)).toBeUndefined();
  });

  it('README "Major version zero": v0.1.2 gives 0.1.2, 0.1 and 0 (metadata-action leaves disabling `0` to the user)', async () => {
    expect(await tagsOf(patterns, repo(['v0.1.2']))).toEqual(['0.1.2', '0.1', '0']);
  });

  it('README type=semver table: v1.2.3 gives {{raw}} v1.2.3, {{version}} 1.2.3, {{major}}.{{minor}} 1.2, v{{major}} v1, {{minor}} 2, {{patch}} 3', async () => {
    const table = ['${{ git.tag }}', '${{ semver.version }}', '${{ semver.major }}.${{ semver.minor }}', 'v${{ semver.major }}', 'm${{ semver.minor }}', 'p${{ semver.patch }}'];
    expect(await tagsOf(table, repo(['v1.2.3']))).toEqual(['v1.2.3', '1.2.3', '1.2', 'v1', 'm2', 'p3']);
  });

  it('build metadata: {{version}} of v1.2.3+build.5 is 1.2.3 (semver.parse(...).version), {{raw}} sanitised to v1.2.3-build.5', async () => {
    expect(await tagsOf(['${{ semver.version }}', '${{ git.tag }}'], repo(['v1.2.3+build.5']))).toEqual(['1.2.3', 'v1.2.3-build.5']);
  });

  it('tag34 (event_tag_p1-v1.0.0.env, match=v(\\d.\\d.\\d)$): 1.0.0; matrix reads it with version_tags', async () => {
    expect(serviceVersion(['p1/v1.0.0'], ['{service}/v{version}'], 'p1')?.version).toBe('1.0.0');
    expect(await tagsOf(['${{ semver.version }}'], repo(['p1/v1.0.0']), {}, '{service}/v{version}')).toEqual(['1.0.0']);
    expect(await tagsOf(['${{ semver.version }}'], repo([]), { MATRIX_GIT_TAG: 'p1/v1.0.0' }, '{service}/v{version}')).toEqual(['1.0.0']);
  });
});

describe('type=sha: ${{ git.short_sha }}', () => {
  it('push11 (event_push_invalidchars.env) and tag17 (event_tag_p1-v1.0.0.env): sha-983315b, sha-860c190', async () => {
    const dir = repo([]);
    expect(await tagsOf(['sha-${{ git.short_sha }}'], dir, { MATRIX_GIT_SHA: INVALIDCHARS_SHA })).toEqual(['sha-983315b']);
    expect(await tagsOf(['sha-${{ git.short_sha }}'], dir, { MATRIX_GIT_SHA: TAG_EVENT_SHA })).toEqual(['sha-860c190']);
  });

  it('README type=sha: DOCKER_METADATA_SHORT_SHA_LENGTH: 12 lengthens it', async () => {
    expect(await tagsOf(['sha-${{ git.short_sha }}'], repo([]), { MATRIX_GIT_SHA: TAG_EVENT_SHA, DOCKER_METADATA_SHORT_SHA_LENGTH: '12' })).toEqual(['sha-860c1904a1ce']);
  });
});

// src/meta.ts sanitizeTag: each run of characters outside [a-zA-Z0-9._-] becomes one `-`, case kept
// (README "Image name and tag sanitization"). matrix lower-cases branches and drops a leading `.`/`-`
// (README "Where matrix differs").
describe('type=ref: ${{ git.branch }} and ${{ git.tag }} made tag-safe', () => {
  it('event_push_invalidchars.env: the branch my/feature#1245 is my-feature-1245', async () => {
    expect(branchSlug('my/feature#1245')).toBe('my-feature-1245');
    expect(await tagsOf(['${{ git.branch }}'], repo([], 'my/feature#1245'))).toEqual(['my-feature-1245']);
    expect(await tagsOf(['${{ git.branch }}'], repo([]), { MATRIX_GIT_BRANCH: 'my/feature#1245' })).toEqual(['my-feature-1245']);
  });

  it('event_push_dev.env / event_push_master.env: dev, master', async () => {
    expect(await tagsOf(['${{ git.branch }}'], repo([], 'dev'))).toEqual(['dev']);
    expect(await tagsOf(['${{ git.branch }}'], repo([], 'master'))).toEqual(['master']);
  });

  it('tag values keep their case and their inner `.`, `_`, `-`; runs of other characters are one `-`', () => {
    for (const [tag, safe] of [
      ['20200110-RC2', '20200110-RC2'],
      ['p1/v1.0.0', 'p1-v1.0.0'],
      ['a//b__c..d--e', 'a-b__c..d--e'],
      ['x@@@y', 'x-y'],
      ['rel-', 'rel-'],
    ] as const) {
      expect(tagSlug(tag)).toBe(safe);
    }
  });
});

// src/meta.ts getOCIAnnotationsWithCustoms: `source` is the repository's web address (`repo.html_url`;
// __tests__/fixtures/repo.json, so bakeFile01 expects https://github.com/octocat/Hello-World) and
// `created` an RFC 3339 time (`Date.toISOString()`). matrix takes the address from the `origin`
// remote, and the time from the commit (README "OCI labels").
describe('OCI labels: org.opencontainers.image.source and .created', () => {
  it('bakeFile01: the source is the https address of the repository, however origin spells it', () => {
    for (const remote of [
      'https://github.com/octocat/Hello-World',
      'https://github.com/octocat/Hello-World.git',
      'https://github.com/octocat/Hello-World/',
      'https://github.com/octocat/Hello-World.git/',
      'git@github.com:octocat/Hello-World.git',
      'git@github.com:octocat/Hello-World.git/',
      'ssh://git@github.com/octocat/Hello-World.git/',
      'https://x-access-token:t0k3n@github.com/octocat/Hello-World.git',
    ]) {
      expect(httpsSource(remote), remote).toBe('https://github.com/octocat/Hello-World');
    }
    expect(httpsSource('https://[::1]:8443/octocat/Hello-World.git')).toBe('https://[::1]:8443/octocat/Hello-World');
  });

  it('a remote that names no host to fetch from (a clone of a local path) gives no source label, never a path of this machine', async () => {
    for (const remote of [
      '/srv/git/Hello-World.git',
      '../Hello-World',
      './Hello-World.git/',
      'file:///srv/git/Hello-World.git',
      'C:\\src\\Hello-World',
      'C:/src/Hello-World.git',
      'codecommit::us-east-1://Hello-World',
    ]) {
      expect(httpsSource(remote), remote).toBe('');
    }
    expect((await buildEnvironment(repo([], 'main', '/srv/git/Hello-World.git'), {}, false)).MATRIX_GIT_SOURCE).toBe('');
    expect((await buildEnvironment(repo([], 'main', 'git@github.com:octocat/Hello-World.git'), {}, false)).MATRIX_GIT_SOURCE).toBe('https://github.com/octocat/Hello-World');
  });

  it('created is RFC 3339 in UTC, as toISOString() writes it (whole seconds: the commit time has no fraction)', () => {
    expect(rfc3339(Date.parse('2020-01-10T00:30:00.000Z') / 1000)).toBe('2020-01-10T00:30:00Z');
    expect(new Date(rfc3339(1_578_616_200)).toISOString()).toBe('2020-01-10T00:30:00.000Z');
  });
});

// src/meta.ts generateBakeFile writes `{"target": {[bake-target]: ...}}`, `bake-target` defaulting to
// `docker-metadata-action` (src/context.ts); bakeFile01 and bakeFileTagsLabels01 are its files, split
// (bake-file-tags, bake-file-labels) and whole (bake-file).
describe('metadata_action: the bake files metadata-action writes', () => {
  const labels = {
    'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
    'org.opencontainers.image.description': 'This your first repo!',
    'org.opencontainers.image.licenses': 'MIT',
    'org.opencontainers.image.revision': TAG_EVENT_SHA,
    'org.opencontainers.image.source': 'https://github.com/octocat/Hello-World',
    'org.opencontainers.image.title': 'Hello-World',
    'org.opencontainers.image.url': 'https://github.com/octocat/Hello-World',
    'org.opencontainers.image.version': 'dev',
  };
  const tags = { tags: ['user/app:dev', 'user/app:my'], args: { DOCKER_META_IMAGES: 'user/app', DOCKER_META_VERSION: 'dev' } };
  const write = (name: string, doc: unknown) => {
    const file = path.join(tempDir(), name);
    writeFileSync(file, JSON.stringify(doc));
    return file;
  };

  it("bakeFile01 (two files) and bakeFileTagsLabels01 (one): the inherited target is defined, and its labels and args are the file's, not matrix's", () => {
    const r = compileSpec('version: 1\nregistry: user\nservices:\n  app: { context: app, template: go, metadata_action: true }\n', goDirs('app'));
    expect(r.diagnostics).toEqual([]);
    const sel = selectTargets(r.spec!, []);
    const split = [write('tags.json', { target: { 'docker-metadata-action': tags } }), write('labels.json', { target: { 'docker-metadata-action': { labels } } })];
    const whole = [write('bake.json', { target: { 'docker-metadata-action': { ...tags, labels } } })];
    for (const files of [split, whole]) {
      const values = fileValues(files);
      expect(values.allRead).toBe(true);
      const keys = values.targets.get('docker-metadata-action')!;
      expect([...keys.labels].sort()).toEqual(Object.keys(labels));
      expect([...keys.args].sort()).toEqual(['DOCKER_META_IMAGES', 'DOCKER_META_VERSION']);
      expect(uninheritedWarnings(r.spec!, sel, values)).toEqual([]);
    }
  });
});
