// Tags from git, latest, annotations, cache, attest and groups: what the spec
// asks for is what the bake file says (checked with bake itself where it evaluates).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bakeArgs, selectTargets } from '../../src/bake/command.js';
import { branchSlug, httpsSource, parseSemver } from '../../src/bake/gitenv.js';
import { cacheEntries } from '../../src/render/cache.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const base = (service: string) => `version: 1\nregistry: ghcr.io/acme\nplatforms: [linux/amd64, linux/arm64]\nservices:\n${service}`;
const hasBuildx = spawnSync('docker', ['buildx', 'version']).status === 0;

describe('tags from git', () => {
  const src = base(
    '  api:\n    context: api\n    template: go\n    tags:\n      - ghcr.io/acme/api:latest\n      - ghcr.io/acme/api:${{ git.short_sha }}\n      - ghcr.io/acme/api:${{ semver.major }}-${{ git.branch }}\n',
  );

  it('stay symbolic in the committed bake file, dropped by compact() when empty', () => {
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const bake = r.files!.get('docker-bake.hcl')!;
    expect(bake).toContain('variable "MATRIX_GIT_SHORT_SHA" {');
    expect(bake).toContain(
      'tags       = compact(["ghcr.io/acme/api:latest", MATRIX_GIT_SHORT_SHA != "" ? "ghcr.io/acme/api:${MATRIX_GIT_SHORT_SHA}" : "", MATRIX_SEMVER_STABLE_MAJOR != "" && MATRIX_GIT_BRANCH != "" ? "ghcr.io/acme/api:${MATRIX_SEMVER_STABLE_MAJOR}-${MATRIX_GIT_BRANCH}" : ""])',
    );
  });

  it.skipIf(!hasBuildx && process.env.CI !== 'true')('bake evaluates them from the environment', () => {
    const r = compileSpec(src, goDirs('api'));
    const file = path.join(r.dir, 'docker-bake.hcl');
    writeFileSync(file, r.files!.get('docker-bake.hcl')!);
    const print = (env: Record<string, string>) =>
      JSON.parse(spawnSync('docker', ['buildx', 'bake', '-f', file, '--print', 'api'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, ...env } }).stdout);
    expect(print({}).target.api.tags).toEqual(['ghcr.io/acme/api:latest']);
    // In a tag, semver.major reads the stable major (empty for a pre-release): see test/unit/semver.test.ts.
    expect(print({ MATRIX_GIT_SHORT_SHA: 'abc1234', MATRIX_GIT_BRANCH: 'main', MATRIX_SEMVER_STABLE_MAJOR: '2' }).target.api.tags).toEqual([
      'ghcr.io/acme/api:latest',
      'ghcr.io/acme/api:abc1234',
      'ghcr.io/acme/api:2-main',
    ]);
  });

  it('an invalid pattern is located', () => {
    const bad = base('  api:\n    context: api\n    template: go\n    tags: ["ghcr.io/acme/api:${{ git.short_sha }}:x"]\n');
    const r = compileSpec(bad, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-tag', ...pos(bad, '"ghcr.io') }]);
  });

  it('git helpers', () => {
    expect(branchSlug('feature/ABC_1+2')).toBe('feature-abc_1-2');
    // Each part one component, as metadata-action's {{major}} {{minor}} {{patch}} (issue 13).
    expect(parseSemver('v1.2.3')).toEqual({ major: '1', minor: '2', patch: '3', version: '1.2.3', prerelease: false });
    expect(parseSemver('release-1')).toBeUndefined();
    expect(httpsSource('git@github.com:acme/repo.git')).toBe('https://github.com/acme/repo');
    expect(httpsSource('https://user:token@github.com/acme/repo.git')).toBe('https://github.com/acme/repo');
  });
});

describe('latest', () => {
  const matrixSvc = (latest: string) => base(`  web:\n    context: web\n    template: go\n    matrix:\n      go: ["1.21", "1.22"]\n      os: [alpine, debian]\n    latest: ${latest}\n`);

  it('tags exactly the chosen cell', () => {
    const r = compileSpec(matrixSvc('{ go: "1.22", os: debian }'), goDirs('web'));
    expect(r.diagnostics).toEqual([]);
    const tagged = r.spec!.targets.filter((t) => t.tags.includes('ghcr.io/acme/web:latest')).map((t) => t.name);
    expect(tagged).toEqual(['web-1-22-debian']);
  });

  it('a selector matching several cells, or `true` on a matrix, is an error', () => {
    const several = matrixSvc('{ go: "1.22" }');
    expect(brief(compileSpec(several, goDirs('web')).diagnostics)).toEqual([{ code: 'ambiguous-latest', ...pos(several, '{ go: "1.22" }') }]);
    const yes = matrixSvc('true');
    expect(brief(compileSpec(yes, goDirs('web')).diagnostics)).toEqual([{ code: 'ambiguous-latest', ...pos(yes, 'true') }]);
  });

  it('`latest: true` on a plain service with tags of its own adds :latest to them (once)', () => {
    const own = (tags: string) => compileSpec(base(`  api:\n    context: api\n    template: go\n    tags: ${tags}\n    latest: true\n`), goDirs('api'));
    expect(own('["ghcr.io/acme/api:1.0"]').spec!.targets[0]!.tags).toEqual(['ghcr.io/acme/api:1.0', 'ghcr.io/acme/api:latest']);
    expect(own('["ghcr.io/acme/api:latest"]').spec!.targets[0]!.tags).toEqual(['ghcr.io/acme/api:latest']);
    const plain = compileSpec(base('  api:\n    context: api\n    template: go\n    tags: ["ghcr.io/acme/api:1.0"]\n'), goDirs('api'));
    expect(plain.spec!.targets[0]!.tags).toEqual(['ghcr.io/acme/api:1.0']);
  });

  it('`latest: false` drops the default :latest tag of a plain service', () => {
    const r = compileSpec(base('  api:\n    context: api\n    template: go\n    latest: false\n'), goDirs('api'));
    expect(r.spec!.targets[0]!.tags).toEqual([]);
  });
});

describe('cache, attest, annotations', () => {
  it('registry cache next to an image whose tag holds a git value: the repository part names it', () => {
    const r = compileSpec(base('  api:\n    context: api\n    template: go\n    tags: ["localhost:5000/x/api:${{ git.sha }}"]\n    cache: registry\n    platforms: [linux/amd64]\n'), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(cacheEntries(r.spec!.targets[0]!)).toEqual({
      from: ['type=registry,ref=localhost:5000/x/api:cache-api-linux-amd64'],
      to: ['type=registry,ref=localhost:5000/x/api:cache-api-linux-amd64,mode=max'],
    });
  });

  it('registry cache with no repository to live in is a located error, not a cache left out', () => {
    const src = base('  api:\n    context: api\n    template: go\n    tags: ["localhost:5000/${{ git.branch }}:x"]\n    cache: registry\n');
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-cache-ref', ...pos(src, 'registry\n') }]);
    expect(r.diagnostics[0]!.hint).toMatch(/ref/);
  });

  it('registry cache: one ref per platform set, read from every platform', () => {
    const r = compileSpec(base('  api:\n    context: api\n    template: go\n    cache: registry\n'), goDirs('api'));
    const t = r.spec!.targets[0]!;
    expect(cacheEntries(t)).toEqual({
      from: [
        'type=registry,ref=ghcr.io/acme/api:cache-api-linux-amd64_linux-arm64',
        'type=registry,ref=ghcr.io/acme/api:cache-api-linux-amd64',
        'type=registry,ref=ghcr.io/acme/api:cache-api-linux-arm64',
      ],
      to: ['type=registry,ref=ghcr.io/acme/api:cache-api-linux-amd64_linux-arm64,mode=max'],
    });
    // A shard for one platform reads its own ref, then what a full run wrote, then the other shard's.
    expect(cacheEntries(t, ['linux/arm64']).from).toEqual([
      'type=registry,ref=ghcr.io/acme/api:cache-api-linux-arm64',
      'type=registry,ref=ghcr.io/acme/api:cache-api-linux-amd64_linux-arm64',
      'type=registry,ref=ghcr.io/acme/api:cache-api-linux-amd64',
    ]);
    // A run for one platform writes only that platform's ref.
    const sel = selectTargets(r.spec!, [], ['linux/arm64']);
    const args = bakeArgs('docker-bake.hcl', sel, { platforms: ['linux/arm64'] });
    expect(args).toContain('api.cache-to=type=registry,ref=ghcr.io/acme/api:cache-api-linux-arm64,mode=max');
  });

  // buildx builds a `target:` context on that target's own platforms (build/build.go), so a
  // run restricted with --platform restricts the dependencies it pulls in too.
  it('--platform restricts the dependencies a selected target builds through its contexts, transitively', () => {
    const src = base(
      '  base: { context: base, dockerfile: base/Dockerfile }\n  mid: { context: mid, dockerfile: mid/Dockerfile, depends_on: [base] }\n  top: { context: top, dockerfile: top/Dockerfile, depends_on: [mid] }\n',
    );
    const r = compileSpec(src, { 'base/Dockerfile': 'FROM scratch\n', 'mid/Dockerfile': 'FROM base\n', 'top/Dockerfile': 'FROM mid\n' });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const sel = selectTargets(r.spec!, ['top'], ['linux/amd64']);
    expect(sel.names).toEqual(['top']);
    const args = bakeArgs('docker-bake.hcl', sel, { platforms: ['linux/amd64'] });
    for (const t of ['top', 'mid', 'base']) expect(args).toContain(`${t}.platform=linux/amd64`);
    // A run for every platform, or one that names the dependency itself, sets nothing more.
    expect(bakeArgs('docker-bake.hcl', selectTargets(r.spec!, ['top']), {}).filter((a) => a.includes('.platform='))).toEqual([]);
    expect(selectTargets(r.spec!, ['top', 'base'], ['linux/arm64']).dependencies!.map((d) => d.target.name)).toEqual(['mid']);
  });

  it('local and gha caches, attest entries and annotations reach the bake file', () => {
    const r = compileSpec(
      base(
        '  api:\n    context: api\n    template: go\n    cache: { type: local, dir: ".cache dir" }\n    attest: { sbom: true, provenance: max }\n    annotations:\n      org.opencontainers.image.description: "an API, v${{ git.tag }}"\n  web:\n    context: web\n    template: go\n    cache: gha\n    attest: { provenance: false }\n',
      ),
      goDirs('api', 'web'),
    );
    expect(r.diagnostics).toEqual([]);
    const bake = r.files!.get('docker-bake.hcl')!;
    expect(bake).toContain('"type=local,\\"src=.cache dir/api/linux-amd64_linux-arm64\\""');
    expect(bake).toContain('cache-to    = ["type=local,\\"dest=.cache dir/api/linux-amd64_linux-arm64\\",mode=max"]');
    expect(bake).toContain('attest      = ["type=sbom", "type=provenance,mode=max"]');
    expect(bake).toContain('annotations = ["org.opencontainers.image.description=an API, v${MATRIX_GIT_TAG}"]');
    expect(bake).toContain('"type=gha,scope=web-linux-amd64_linux-arm64,mode=max"');
    expect(bake).toContain('attest     = ["type=provenance,disabled=true"]');
  });
});

describe('groups', () => {
  it('a group of services and targets becomes a bake group', () => {
    const src = base('  api:\n    context: api\n    template: go\n  web:\n    context: web\n    template: go\n    matrix: { go: ["1.21", "1.22"] }\n').replace(
      'services:',
      'groups:\n  backend: [api, web-1-22]\nservices:',
    );
    const r = compileSpec(src, goDirs('api', 'web'));
    expect(r.diagnostics).toEqual([]);
    expect(r.files!.get('docker-bake.hcl')).toContain('group "backend" {\n  targets = ["api", "web-1-22"]\n}');
    expect(selectTargets(r.spec!, ['backend']).targets.map((t) => t.target.name)).toEqual(['api', 'web-1-22']);
  });

  it('unknown members and name collisions are located', () => {
    const src = base('  api:\n    context: api\n    template: go\n').replace('services:', 'groups:\n  api: [api]\n  ops: [apj]\nservices:');
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([
      { code: 'name-collision', ...pos(src, 'api: [api]') },
      { code: 'unknown-group-member', ...pos(src, 'apj') },
    ]);
  });

  // bake accepts a group and a target of one name and reads the name as the group (docker/buildx
  // bake/bake_test.go TestReadTargetsSameGroupTarget(Multi), bake/bake.go Config.group): refused here,
  // with that reason, not "one namespace", which bake does not have.
  it('a group with the name of a target: the hint says bake would build the group for that name', () => {
    const src = base('  api:\n    context: api\n    template: go\n').replace('services:', 'groups:\n  api: [api]\nservices:');
    const d = compileSpec(src, goDirs('api')).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['name-collision']);
    expect(d[0]!.hint).toContain('bake reads a name that is both a group and a target as the group');
    expect(d[0]!.hint).not.toContain('namespace');
  });

  // bake nests groups (docker/buildx bake/bake_test.go TestNestedGroupsWithSameTarget); matrix keeps one
  // level and says so, naming the members to list instead of "not a service or target".
  it('a group listed in a group is refused as a group, with its members to list instead', () => {
    const src = base('  api:\n    context: api\n    template: go\n  web:\n    context: web\n    template: go\n').replace(
      'services:',
      'groups:\n  frontend: [web]\n  everything: [api, frontend]\nservices:',
    );
    const d = compileSpec(src, goDirs('api', 'web')).diagnostics;
    expect(brief(d)).toEqual([{ code: 'unknown-group-member', ...pos(src, 'frontend]') }]);
    expect(d[0]!.message).toBe('group member `frontend` is a group: matrix groups list services and targets, not other groups');
    expect(d[0]!.hint).toBe('list the members of `frontend` here instead (`web`)');
  });
});
