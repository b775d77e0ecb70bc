// Semver variables named and meant as docker/metadata-action's `type=semver`
// (src/meta.ts `procSemver` with the `semver` package; __tests__/meta.test.ts
// cases on fixtures event_tag_v1.1.1.env: {{version}} 1.1.1, {{major}}.{{minor}}
// 1.1, {{major}} 1; and event_tag_v2.0.8-beta.67.env: only 2.0.8-beta.67, the
// major/minor patterns are not generated for a pre-release). Per-service tags
// follow metadata-action's `match` and GoReleaser's monorepo `tag_prefix`.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  branchSlug,
  buildEnvironment,
  gitEnvironment,
  parseSemver,
  sourceDateEpochOf,
  tagSlug,
  serviceVersion,
  serviceVersionEnvironment,
  serviceVarSuffix,
  versionTagRegExp,
} from '../../src/bake/gitenv.js';
import { dynVariables, evalDyn, evalTags, overlongTags } from '../../src/dyn.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('semver values', () => {
  it('v1.1.1: version without v, each part one component', () => {
    expect(parseSemver('v1.1.1')).toEqual({ version: '1.1.1', major: '1', minor: '1', patch: '1', prerelease: false });
    expect(parseSemver('1.22.3')).toEqual({ version: '1.22.3', major: '1', minor: '22', patch: '3', prerelease: false });
  });

  it('a pre-release keeps its pre-release in version', () => {
    expect(parseSemver('v2.0.8-beta.67')).toEqual({ version: '2.0.8-beta.67', major: '2', minor: '0', patch: '8', prerelease: true });
    expect(parseSemver('v2.0.0-rc.1')?.version).toBe('2.0.0-rc.1');
  });

  it('tags that are no semver give nothing (metadata-action: "is not a valid semver")', () => {
    for (const t of ['sometag', 'release1', 'v1.2', '1.2.3.4', 'v01.2.3']) expect(parseSemver(t)).toBeUndefined();
  });

  it('pre-releases never move floating tags: the stable parts are empty, the components stay', () => {
    const info = { sha: 'a', shortSha: 'a', branch: '', tag: 'v2.0.0-rc.1', epoch: '1', created: 'c', source: '', semver: parseSemver('v2.0.0-rc.1')! };
    const env = gitEnvironment(info);
    expect(env).toMatchObject({
      MATRIX_SEMVER_VERSION: '2.0.0-rc.1',
      MATRIX_SEMVER_MAJOR: '2',
      MATRIX_SEMVER_MINOR: '0',
      MATRIX_SEMVER_PATCH: '0',
      MATRIX_SEMVER_STABLE_MAJOR: '',
      MATRIX_SEMVER_STABLE_MINOR: '',
      MATRIX_SEMVER_STABLE_PATCH: '',
    });
    const release = gitEnvironment({ ...info, tag: 'v1.1.1', semver: parseSemver('v1.1.1')! });
    expect(release).toMatchObject({ MATRIX_SEMVER_STABLE_MAJOR: '1', MATRIX_SEMVER_STABLE_MINOR: '1', MATRIX_SEMVER_STABLE_PATCH: '1' });
  });

  it('in a tag, major/minor/patch read the stable variables: the tag drops out for a pre-release', () => {
    const src = [
      'version: 1',
      'services:',
      '  api:',
      '    context: api',
      '    template: go',
      '    tags: ["r/api:${{ semver.version }}", "r/api:${{ semver.major }}.${{ semver.minor }}", "r/api:${{ semver.major }}"]',
      '    args: { MAJOR: "${{ semver.major }}" }',
    ].join('\n');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const t = r.spec!.targets[0]!;
    expect(t.tags.map(dynVariables)).toEqual([['MATRIX_SEMVER_VERSION'], ['MATRIX_SEMVER_STABLE_MAJOR', 'MATRIX_SEMVER_STABLE_MINOR'], ['MATRIX_SEMVER_STABLE_MAJOR']]);
    expect(dynVariables(t.args.MAJOR!)).toEqual(['MATRIX_SEMVER_MAJOR']);
    const at = (tag: string) => gitEnvironment({ sha: 'a', shortSha: 'a', branch: '', tag, epoch: '1', created: 'c', source: '', semver: parseSemver(tag)! });
    expect(t.tags.map((d) => evalDyn(d, at('v1.1.1')))).toEqual(['r/api:1.1.1', 'r/api:1.1', 'r/api:1']);
    expect(t.tags.map((d) => evalDyn(d, at('v2.0.8-beta.67')))).toEqual(['r/api:2.0.8-beta.67', undefined, undefined]);
    expect(evalDyn(t.args.MAJOR!, at('v2.0.8-beta.67'))).toBe('2');
  });
});

describe('per-service versions (version_tags)', () => {
  it("patterns match one service's tags only, the highest version wins", () => {
    const tags = ['api/v1.2.3', 'api/v1.10.0', 'api-gw/v9.0.0', 'web@2.0.0-rc.1', 'v5.5.5', 'api/vnope'];
    const patterns = ['{service}/v{version}', '{service}@{version}'];
    expect(serviceVersion(tags, patterns, 'api')?.version).toBe('1.10.0');
    expect(serviceVersion(tags, patterns, 'api-gw')?.version).toBe('9.0.0');
    expect(serviceVersion(tags, patterns, 'web')).toMatchObject({ version: '2.0.0-rc.1', prerelease: true });
    expect(serviceVersion(tags, patterns, 'db')).toBeUndefined();
    // Every character but the placeholders is literal.
    expect(versionTagRegExp('{service}.v{version}', 'a').test('aXv1.0.0')).toBe(false);
  });

  it('service names map one to one onto variable names', () => {
    expect(serviceVarSuffix('my-api')).not.toBe(serviceVarSuffix('my_api'));
    expect(serviceVarSuffix('a__b')).not.toBe(serviceVarSuffix('a-b'));
    const env = serviceVersionEnvironment(['api/v1.2.3', 'web@2.0.0-rc.1'], ['{service}/v{version}', '{service}@{version}'], ['api', 'web']);
    expect(env).toMatchObject({ MATRIX_SEMVER_VERSION__api: '1.2.3', MATRIX_SEMVER_STABLE_MAJOR__api: '1', MATRIX_SEMVER_VERSION__web: '2.0.0-rc.1', MATRIX_SEMVER_STABLE_MAJOR__web: '' });
  });

  it("with version_tags, each service's variables are its own, read from a real git repository", async () => {
    const src = [
      'version: 1',
      'version_tags: ["{service}/v{version}", "{service}@{version}"]',
      'services:',
      '  api: { context: api, template: go, tags: ["r/api:${{ semver.version }}", "r/api:${{ semver.major }}"] }',
      '  web: { context: web, template: go, tags: ["r/web:${{ semver.version }}", "r/web:${{ semver.major }}"] }',
    ].join('\n');
    const r = compileSpec(src, goDirs('api', 'web'));
    expect(r.diagnostics).toEqual([]);
    const dir = tempDir();
    const git = (...a: string[]) =>
      spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'x');
    git('tag', 'api/v1.2.3');
    git('tag', 'web@2.0.0-rc.1');
    const env = await buildEnvironment(dir, {}, false, r.spec!);
    const tags = (svc: string) => r.spec!.targets.find((t) => t.service === svc)!.tags.map((d) => evalDyn(d, env));
    expect(tags('api')).toEqual(['r/api:1.2.3', 'r/api:1']);
    expect(tags('web')).toEqual(['r/web:2.0.0-rc.1', undefined]);
  });

  // docker/metadata-action makes every tag it derives from a ref tag-safe
  // (src/meta.ts sanitizeTag: runs of characters other than [a-zA-Z0-9._-]
  // become one `-`, case kept; README "Image name and tag sanitization").
  it('git.tag is made tag-safe as metadata-action makes a tag: from git, and when the environment pins it', async () => {
    const src = 'version: 1\nservices:\n  api: { context: api, template: go, tags: ["r/api:${{ git.tag }}", "r/api:${{ git.branch }}"], labels: { v: "${{ git.tag }}" } }\n';
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const dir = tempDir();
    const git = (...a: string[]) =>
      spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q', '-b', 'Feature/My#Fix');
    git('commit', '-q', '--allow-empty', '-m', 'x');
    const target = r.spec!.targets[0]!;
    const at = (env: Record<string, string>) => ({ tags: target.tags.map((d) => evalDyn(d, env)), label: evalDyn(target.labels.v!, env) });
    for (const [tag, safe] of [
      ['v1.2.3+build.5', 'v1.2.3-build.5'],
      ['release/1.0', 'release-1.0'],
      ['web@2.0.0-rc.1', 'web-2.0.0-rc.1'],
      ['V1.0', 'V1.0'],
    ] as const) {
      for (const old of git('tag').stdout.split('\n').filter(Boolean)) git('tag', '-d', old);
      git('tag', tag);
      const env = await buildEnvironment(dir, {}, false);
      expect(env.MATRIX_GIT_TAG).toBe(safe);
      expect(at(env)).toEqual({ tags: [`r/api:${safe}`, 'r/api:feature-my-fix'], label: safe });
    }
    const pinned = await buildEnvironment(dir, { MATRIX_GIT_TAG: '.v2+x', MATRIX_GIT_BRANCH: 'Feature/X' }, false);
    expect([pinned.MATRIX_GIT_TAG, pinned.MATRIX_GIT_BRANCH]).toEqual(['v2-x', 'feature-x']);
  });

  // metadata-action reads the tag that started the run (src/meta.ts, context.ref;
  // __tests__/meta.test.ts tag16: refs/tags/v1.1.1 gives v1.1.1). From git alone,
  // a commit tagged `v1.0.0-rc.1` and then promoted with `v1.0.0` is the release:
  // git.tag names the tag the semver values come from, whatever the user's
  // versionsort.suffix (git-config(1)) makes of git's own version order.
  it('git.tag on a commit with several tags: the highest version by semver precedence, else the newest; never git config', async () => {
    const dir = tempDir();
    const base = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const git = (...a: string[]) => spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: base });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'x');
    const retag = (...tags: [string, number][]) => {
      for (const old of git('tag').stdout.split('\n').filter(Boolean)) git('tag', '-d', old);
      // Annotated, each with its own date: creatordate orders them.
      for (const [t, at] of tags) spawnSync('git', ['tag', '-a', '-m', t, t], { cwd: dir, env: { ...base, GIT_COMMITTER_DATE: `${at} +0000` } });
    };
    const suffixed = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'versionsort.suffix', GIT_CONFIG_VALUE_0: '-' };
    retag(['v1.0.0-rc.1', 1_700_000_000], ['v1.0.0', 1_700_000_100]);
    for (const callerEnv of [{}, suffixed]) {
      const env = await buildEnvironment(dir, callerEnv, false);
      expect([env.MATRIX_GIT_TAG, env.MATRIX_SEMVER_VERSION]).toEqual(['v1.0.0', '1.0.0']);
    }
    // Created in the other order: the version still decides.
    retag(['v1.0.0', 1_700_000_000], ['v1.0.0-rc.1', 1_700_000_100]);
    expect((await buildEnvironment(dir, {}, false)).MATRIX_GIT_TAG).toBe('v1.0.0');
    // A tag named after a letter does not outrank a version (git's -v:refname put `zz-deploy` first).
    retag(['v1.2.3', 1_700_000_000], ['zz-deploy', 1_700_000_100]);
    expect((await buildEnvironment(dir, {}, false)).MATRIX_GIT_TAG).toBe('v1.2.3');
    // No version among them: the newest.
    retag(['deploy-b', 1_700_000_000], ['deploy-a', 1_700_000_100]);
    expect((await buildEnvironment(dir, {}, false)).MATRIX_GIT_TAG).toBe('deploy-a');
    // CI names the tag that started the run: it wins.
    retag(['v1.0.0-rc.1', 1_700_000_000], ['v1.0.0', 1_700_000_100]);
    expect((await buildEnvironment(dir, { MATRIX_GIT_TAG: 'v1.0.0-rc.1' }, false)).MATRIX_GIT_TAG).toBe('v1.0.0-rc.1');
  });

  // metadata-action versions from the tag that started the run (src/meta.ts procSemver reads
  // context.ref; __tests__/meta.test.ts tag13 on event_tag_v2.0.8-beta.67.env: a pre-release moves
  // no {{major}}/{{minor}} tag). A tag pinned in MATRIX_GIT_TAG is that tag: git.tag and the semver
  // values name one tag, whatever else is on HEAD, also in a checkout without tags.
  it('a pinned MATRIX_GIT_TAG decides the semver values too, per service as well', async () => {
    const dir = tempDir();
    const git = (...a: string[]) =>
      spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'x');
    git('tag', 'v1.0.0-rc.1');
    git('tag', 'v1.0.0');
    const semverOf = (env: Record<string, string>) => [env.MATRIX_GIT_TAG, env.MATRIX_SEMVER_VERSION, env.MATRIX_SEMVER_MAJOR, env.MATRIX_SEMVER_STABLE_MAJOR];
    expect(semverOf(await buildEnvironment(dir, {}, false))).toEqual(['v1.0.0', '1.0.0', '1', '1']);
    // The run for the release candidate: no floating tag moves, though v1.0.0 is on HEAD too.
    expect(semverOf(await buildEnvironment(dir, { MATRIX_GIT_TAG: 'v1.0.0-rc.1' }, false))).toEqual(['v1.0.0-rc.1', '1.0.0-rc.1', '1', '']);
    // A tag the checkout does not have (a shallow clone without tags) still versions the build.
    expect(semverOf(await buildEnvironment(dir, { MATRIX_GIT_TAG: 'v2.3.4+build/7' }, false))).toEqual(['v2.3.4-build-7', '2.3.4', '2', '2']);
    // A pinned tag that is no version, or no tag at all: no version, as metadata-action's type=semver on a branch.
    for (const tag of ['nightly', '']) expect(semverOf(await buildEnvironment(dir, { MATRIX_GIT_TAG: tag }, false))).toEqual([tag, '', '', '']);
    // With version_tags, the pinned tag is the only one read: the run for api's tag versions api alone.
    git('tag', 'api/v1.2.3');
    git('tag', 'web/v4.0.0');
    const services = {
      versionTags: ['{service}/v{version}'],
      services: new Map([
        ['api', {}],
        ['web', {}],
      ]),
    };
    const both = await buildEnvironment(dir, {}, false, services);
    expect([both.MATRIX_SEMVER_VERSION__api, both.MATRIX_SEMVER_VERSION__web]).toEqual(['1.2.3', '4.0.0']);
    const api = await buildEnvironment(dir, { MATRIX_GIT_TAG: 'api/v1.2.4-rc.1' }, false, services);
    expect([api.MATRIX_GIT_TAG, api.MATRIX_SEMVER_VERSION__api, api.MATRIX_SEMVER_STABLE_MAJOR__api, api.MATRIX_SEMVER_VERSION__web]).toEqual(['api-v1.2.4-rc.1', '1.2.4-rc.1', '', '']);
    // Values the caller pins themselves still win.
    expect((await buildEnvironment(dir, { MATRIX_GIT_TAG: 'v3.0.0', MATRIX_SEMVER_VERSION: '9.9.9' }, false)).MATRIX_SEMVER_VERSION).toBe('9.9.9');
  });

  // metadata-action's `type=sha` tag is the commit's first 7 characters, or as many as
  // DOCKER_METADATA_SHORT_SHA_LENGTH says (its README "environment variables" and `type=sha`,
  // which sets 12; src/meta.ts shortSha, where a value that is no number is an error; its
  // .github/workflows/ci.yml sha job runs with '' and 16).
  it('git.short_sha: 7 characters, DOCKER_METADATA_SHORT_SHA_LENGTH as metadata-action reads it, of the sha the run uses', async () => {
    const dir = tempDir();
    const git = (...a: string[]) =>
      spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'x');
    const sha = git('rev-parse', 'HEAD').stdout.trim();
    const short = async (env: Record<string, string>) => (await buildEnvironment(dir, env, false)).MATRIX_GIT_SHORT_SHA;
    expect(await short({})).toBe(sha.slice(0, 7));
    expect(await short({ DOCKER_METADATA_SHORT_SHA_LENGTH: '12' })).toBe(sha.slice(0, 12));
    expect(await short({ DOCKER_METADATA_SHORT_SHA_LENGTH: '' })).toBe(sha.slice(0, 7));
    // Longer than the sha: the whole sha, as metadata-action gives it.
    expect(await short({ DOCKER_METADATA_SHORT_SHA_LENGTH: '64' })).toBe(sha);
    // A pinned sha is the commit the run names: its short form follows it, not HEAD's.
    const pinned = 'f'.repeat(40);
    expect(await short({ MATRIX_GIT_SHA: pinned, DOCKER_METADATA_SHORT_SHA_LENGTH: '9' })).toBe('f'.repeat(9));
    // An empty pin (a CI expression without a value) leaves the short sha git's.
    expect(await short({ MATRIX_GIT_SHA: '' })).toBe(sha.slice(0, 7));
    // A pinned short sha wins over both.
    expect(await short({ MATRIX_GIT_SHORT_SHA: 'abc', DOCKER_METADATA_SHORT_SHA_LENGTH: '9' })).toBe('abc');
    for (const bad of ['abc', '0', '3', '-5', '7.5', '65', '1e1']) {
      await expect(buildEnvironment(dir, { DOCKER_METADATA_SHORT_SHA_LENGTH: bad }, false)).rejects.toThrow(
        `DOCKER_METADATA_SHORT_SHA_LENGTH in the environment is ${JSON.stringify(bad)}: expected the number of characters`,
      );
    }
  });

  // BuildKit reads the SOURCE_DATE_EPOCH build arg with strconv.ParseInt and fails every
  // target late on anything else (containerd pkg/epoch ParseSourceDateEpoch, vendored by
  // docker/buildx); matrix also writes it as an RFC 3339 `created` label, where a time past
  // the year 9999 made `new Date().toISOString()` throw ("a bug in matrix").
  it('SOURCE_DATE_EPOCH from the environment is checked before anything builds', async () => {
    const dir = tempDir();
    spawnSync('git', ['init', '-q'], { cwd: dir });
    expect(sourceDateEpochOf({})).toBeUndefined();
    expect(sourceDateEpochOf({ SOURCE_DATE_EPOCH: '' })).toBeUndefined();
    for (const ok of ['0', '1700000000', '253402300799']) expect(sourceDateEpochOf({ SOURCE_DATE_EPOCH: ok })).toBe(ok);
    for (const bad of ['abc', '-5', '+5', '1.5', ' 1700000000', '1e9', '253402300800', '99999999999999999']) {
      await expect(buildEnvironment(dir, { SOURCE_DATE_EPOCH: bad }, false)).rejects.toThrow(`SOURCE_DATE_EPOCH in the environment is ${JSON.stringify(bad)}: expected a time in seconds since 1970`);
    }
  });

  // metadata-action's procSemver replaces every `/` by `-` after `match` and
  // before semver.valid (src/meta.ts): `1.2.3-rc/1` is version 1.2.3-rc-1,
  // `1.2.3+build/7` is 1.2.3.
  it('a `/` in a version tag reads as `-`, as metadata-action reads it', () => {
    expect(parseSemver('1.2.3-rc/1')).toMatchObject({ version: '1.2.3-rc-1', prerelease: true });
    expect(parseSemver('v1.0.0-beta/1')?.version).toBe('1.0.0-beta-1');
    expect(parseSemver('1.2.3+build/7')).toMatchObject({ version: '1.2.3', major: '1', minor: '2', prerelease: false });
    expect(serviceVersion(['api/v1.2.3-rc/1'], ['{service}/v{version}'], 'api')?.version).toBe('1.2.3-rc-1');
  });

  // sanitizeTag (metadata-action src/meta.ts) replaces runs of other characters and
  // cuts nothing. matrix cuts nothing either: three long branches that share their
  // first 128 characters stay three values (they were one, each build overwriting
  // the others' tag); a tag too long for a registry is refused by `matrix bake`.
  it('branch and tag values are never cut, so long names stay distinct; letters change case only after sanitising', () => {
    const long = `feat/${'a'.repeat(150)}`;
    const values = [long, `${long}x`, `${long}y`].map(branchSlug);
    expect(new Set(values).size).toBe(3);
    expect(values[0]).toBe(`feat-${'a'.repeat(150)}`);
    expect(tagSlug(`v1.2.3-${'b'.repeat(200)}`)).toHaveLength(207);
    // KELVIN SIGN lower-cases to an ASCII k; sanitised first, it is a `-` as in metadata-action.
    expect(branchSlug('Kelvin-\u212A')).toBe('kelvin--');
    expect(branchSlug('\u0130x')).toBe('x');
    expect(branchSlug('Feature/ABC_1+2')).toBe('feature-abc_1-2');
  });

  it('a tag longer than a registry takes, from git values, is found before the build, naming its length', () => {
    const src = 'version: 1\nservices:\n  api: { context: api, template: go, tags: ["r/api:b-${{ git.branch }}", "r.example:5000/api:${{ git.short_sha }}", "r/api:fixed"] }\n';
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const tags = r.spec!.targets[0]!.tags;
    expect(overlongTags(tags, { MATRIX_GIT_BRANCH: 'a'.repeat(126), MATRIX_GIT_SHORT_SHA: '0123456' })).toEqual([]);
    expect(overlongTags(tags, { MATRIX_GIT_BRANCH: 'a'.repeat(127), MATRIX_GIT_SHORT_SHA: '0123456' })).toEqual([{ tag: `r/api:b-${'a'.repeat(127)}`, length: 129 }]);
  });

  // The distribution reference grammar's tag is `[\w][\w.-]{0,127}` (docker/metadata-action's
  // sanitizeTag makes characters safe but neither cuts nor fixes the first one): a tag written
  // too long, or with a leading `.` or `-`, is refused with what is wrong with it, not only
  // "not a valid image reference".
  it('a tag too long or starting with `-`/`.` when generated: the error says which, and how long', () => {
    const long = 'a'.repeat(129);
    const src = `version: 1\nservices:\n  api: { context: api, template: go, tags: ["r/api:${long}", "r.example:5000/api:-x", "r/api:.x", "r/api:\${{ git.sha }}-\${{ git.sha }}-\${{ git.sha }}-\${{ git.sha }}", "r/api:${'a'.repeat(128)}"] }\n`;
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics.map((d) => [d.code, d.message.replace(/^tag `[^`]*` /, '')])).toEqual([
      ['invalid-tag', 'has 129 characters after its `:`; a registry takes at most 128'],
      ['invalid-tag', 'has a tag that starts with `-`; a tag starts with a letter, a digit or `_`'],
      ['invalid-tag', 'has a tag that starts with `.`; a tag starts with a letter, a digit or `_`'],
      // With git values, a full sha is 40 characters: 4 of them and 3 dashes are 163.
      ['invalid-tag', 'has 163 characters after its `:`; a registry takes at most 128'],
    ]);
  });

  it('tags as bake builds them: an empty git value leaves its tag out, a repeated tag counts once (buildx bake.go Target.normalize)', () => {
    const src =
      'version: 1\nservices:\n  api: { context: api, template: go, tags: ["r/api:${{ semver.version }}", "r/api:${{ semver.major }}.${{ semver.minor }}.${{ semver.patch }}", "r/api:${{ git.branch }}", "r/api:main", "r/api:${{ git.tag }}"] }\n';
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const env = gitEnvironment({ sha: 'a', shortSha: 'a', branch: 'main', tag: '', epoch: '1', created: 'c', source: '', semver: parseSemver('v1.2.3')! });
    expect(evalTags(r.spec!.targets[0]!.tags, env)).toEqual(['r/api:1.2.3', 'r/api:main']);
  });

  it('a version_tags pattern without {version} is a located error', () => {
    const src = 'version: 1\nversion_tags: "{service}/latest"\nservices:\n  api: { context: api, template: go }\n';
    expect(brief(compileSpec(src, goDirs('api')).diagnostics)).toEqual([{ code: 'invalid-value', ...pos(src, '"{service}/latest"') }]);
  });
});
