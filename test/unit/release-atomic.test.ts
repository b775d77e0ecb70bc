// `matrix bake --push` as data: the release plan (how each image is pushed
// without its final tags), the final tags as bake resolves them, the decision
// to publish, and the metadata file. The mechanism is the shard + merge one
// (src/ci/shard.ts, src/ci/merge.ts), in one run.
import { afterAll, describe, expect, it } from 'vitest';
import { selectTargets } from '../../src/bake/command.js';
import { tempTagFor } from '../../src/ci/shard.js';
import { planRelease, printedTargets, releaseOutcome, tempTagsOf, withResolvedTags } from '../../src/release/atomic.js';
import { releaseMetadata } from '../../src/release/metadata.js';
import type { ResolvedSpec } from '../../src/spec.js';
import { compileSpec } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function spec(): ResolvedSpec {
  const source = [
    'version: 1',
    'platforms: [linux/amd64, linux/arm64]',
    'services:',
    '  api:',
    '    context: api',
    '    template: go',
    '    tags: ["localhost:5000/acme/api:1.2"]',
    '  web:',
    '    context: web',
    '    template: go',
    '    platforms: [linux/amd64]',
    '    tags: ["localhost:5000/acme/web:1.2"]',
    '',
  ].join('\n');
  const c = compileSpec(source, { 'api/go.mod': 'module x\n', 'web/go.mod': 'module x\n' }, { validateOnly: true });
  expect(c.diagnostics).toEqual([]);
  return c.spec!;
}

// `docker buildx bake --print` output: {"group": ..., "target": {NAME: {tags: [...]}}}
// (https://docs.docker.com/reference/cli/docker/buildx/bake/#print).
const PRINTED = JSON.stringify({
  group: { default: { targets: ['api', 'web'] } },
  target: { api: { tags: ['localhost:5000/acme/api:9.9', 'localhost:5000/acme/api:latest'] }, web: { tags: ['localhost:5000/acme/web:1.2'] } },
});

describe('the release plan of bake --push', () => {
  it('on the docker driver: a temporary tag of the run per target (as a CI shard), final tags from bake --print', () => {
    const s = spec();
    const sel = withResolvedTags(selectTargets(s, []), printedTargets(PRINTED));
    const r = planRelease(s, sel, 'docker', 'run1');
    expect(r.shard.mode).toBe('temp-tag');
    expect(r.shard.set).toEqual([
      `api.tags=${tempTagFor('localhost:5000/acme/api', 'run1', 'api', ['linux/amd64', 'linux/arm64'])}`,
      'api.output=type=image,push=true',
      `web.tags=${tempTagFor('localhost:5000/acme/web', 'run1', 'web', ['linux/amd64'])}`,
      'web.output=type=image,push=true',
    ]);
    expect(r.expected.map((t) => [t.name, t.tags])).toEqual([
      ['api', ['localhost:5000/acme/api:9.9', 'localhost:5000/acme/api:latest']],
      ['web', ['localhost:5000/acme/web:1.2']],
    ]);
  });

  it('on docker-container: push by digest, layers clamped to SOURCE_DATE_EPOCH as a plain --push is there', () => {
    const s = spec();
    const r = planRelease(s, selectTargets(s, ['web']), 'docker-container', 'run1');
    expect(r.shard.set).toEqual(['web.tags=', 'web.output=type=image,name=localhost:5000/acme/web,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true']);
  });

  it('refuses output that is not bake --print JSON', () => {
    expect(() => printedTargets('not json')).toThrow(/bake --print/);
    expect(() => printedTargets('{"group":{}}')).toThrow(/bake --print/);
  });
});

describe('publish or not', () => {
  const s = spec();
  const r = planRelease(s, selectTargets(s, []), 'docker', 'run1');
  const meta = { api: { 'containerimage.digest': D1 }, web: { 'containerimage.digest': D2 } };

  it('every target pushed: one imagetools source per target, nothing in the way', () => {
    const { plan } = releaseOutcome(r, 0, meta);
    expect(plan.problems).toEqual([]);
    expect(plan.targets.map((t) => [t.target, t.tags, t.sources])).toEqual([
      ['api', ['localhost:5000/acme/api:1.2'], [`localhost:5000/acme/api@${D1}`]],
      ['web', ['localhost:5000/acme/web:1.2'], [`localhost:5000/acme/web@${D2}`]],
    ]);
  });

  it('bake failed (no metadata, as bake writes none then): nothing is published, and every temporary tag is removed without a digest check', () => {
    const { plan, result } = releaseOutcome(r, 1, {});
    expect(plan.problems[0]).toBe('bake failed (exit 1)');
    expect(plan.problems.some((p) => /no image for linux\/amd64, linux\/arm64/.test(p))).toBe(true);
    expect(tempTagsOf(r, result).map((t) => [t.ref.split(':').pop()!.startsWith('matrix-tmp-run1-'), t.digest])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it('one target without a digest blocks every target', () => {
    const { plan } = releaseOutcome(r, 0, { api: meta.api });
    expect(plan.problems.length).toBeGreaterThan(0);
  });
});

describe('the metadata file', () => {
  it("per target: bake's keys for the final index, the tags, the index and each platform's manifest", () => {
    const out = releaseMetadata([{ target: 'api', tags: ['r/api:1', 'r/api:latest'], digests: { index: D1, platforms: { 'linux/amd64': D2 } } }]);
    expect(out).toEqual({
      api: { 'image.name': 'r/api:1,r/api:latest', 'containerimage.digest': D1, indexDigest: D1, tags: ['r/api:1', 'r/api:latest'], platforms: { 'linux/amd64': D2 } },
    });
  });
});
