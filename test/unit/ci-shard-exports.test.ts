// A CI shard (`matrix bake --push-by-digest`) pushes what docker buildx bake --push would push,
// no more: docker/buildx bake/bake.go setPushOverride (0.14+; AddOverrides `push` in 0.13.1) gives a
// target without outputs `type=image,push=true`, sets push=true on an image or registry output, adds
// an image push beside outputs that are all `docker`, and leaves local, tar, oci and cacheonly
// outputs as they are (docs/reference/buildx_bake.md, --push, says
// the same of local and tar). `matrix bake --push` follows that rule (release-atomic.test.ts); a
// shard follows it too: a target whose outputs only export files is built and exported with its
// own outputs, gets no --set from the shard, is in no shard result, and merge does not expect it.
// --set T.output replaces a target's outputs (bake.go AddOverrides `output`), so a pushed target
// that also exports files is given those outputs again after the shard's image output.
import { afterAll, describe, expect, it } from 'vitest';
import { selectTargets } from '../../src/bake/command.js';
import { planContexts } from '../../src/ci/contexts.js';
import { planMerge, type ShardFile } from '../../src/ci/merge.js';
import { shardPlan, shardResult, tempTagFor } from '../../src/ci/shard.js';
import type { ResolvedSpec } from '../../src/spec.js';
import { compileSpec, exportSpecSource } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const D = (c: string) => `sha256:${c.repeat(64)}`;

function exportSpec(): ResolvedSpec {
  const { source, tree } = exportSpecSource(['  app:', '    context: app', '    template: go', '    tags: ["localhost:5000/acme/app:1"]', '    depends_on: [bin]']);
  const c = compileSpec(source, tree, { validateOnly: true });
  expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return c.spec!;
}

describe('a shard pushes only what bake --push would push', () => {
  const s = exportSpec();

  it('push-by-digest: the --set values it adds, and the targets it exports instead', () => {
    const plan = shardPlan(selectTargets(s, []), 'docker-container', 'r1');
    expect(plan.set).toEqual([
      'api.tags=',
      'api.output=type=image,name=localhost:5000/acme/api,push-by-digest=true,name-canonical=true,push=true',
      'both.tags=',
      'both.output=type=image,name=localhost:5000/acme/both,push-by-digest=true,name-canonical=true,push=true',
      'both.output=type=tar,dest=out/both.tar',
      'app.tags=',
      'app.output=type=image,name=localhost:5000/acme/app,push-by-digest=true,name-canonical=true,push=true',
    ]);
    expect(plan.targets.map((t) => t.target)).toEqual(['api', 'both', 'app']);
    expect(plan.exported).toEqual(['bin', 'noimage']);
  });

  it('temp-tag (docker driver): no temporary tag for a target that exports files; one without a tag is no shard-no-tag error', () => {
    const plan = shardPlan(selectTargets(s, ['bin', 'noimage', 'api']), 'docker', 'r1');
    expect(plan.set).toEqual([`api.tags=${tempTagFor('localhost:5000/acme/api', 'r1', 'api', ['linux/amd64'])}`, 'api.output=type=image,push=true']);
    expect(plan.exported).toEqual(['bin', 'noimage']);
    expect(plan.platforms).toEqual(['linux/amd64']);
  });

  it("the user's --set output of a pushed target stays before the shard's, and its own file outputs are not given again", () => {
    const plan = shardPlan(selectTargets(s, ['both']), 'docker', 'r1', {}, ['b?th.output=type=local,dest=o']);
    expect(plan.set.filter((x) => x.startsWith('both.output='))).toEqual(['both.output=type=image,push=true']);
  });

  // buildx 0.14+ (bake/bake.go setPushOverride): a target whose every output is `docker` is pushed
  // too, an image output added beside them; a shard pushes it and keeps its docker outputs.
  it('a target whose outputs are all docker is pushed, its docker outputs kept; docker beside a file export is not', () => {
    const source = [
      'version: 1',
      'platforms: [linux/amd64]',
      'services:',
      '  loaded:',
      '    context: loaded',
      '    template: go',
      '    tags: ["localhost:5000/acme/loaded:1"]',
      '    output: ["type=docker", "type=docker,dest=out/loaded.tar"]',
      '  mixed:',
      '    context: mixed',
      '    template: go',
      '    tags: ["localhost:5000/acme/mixed:1"]',
      '    output: ["type=docker", "type=local,dest=dist/"]',
      '',
    ].join('\n');
    const c = compileSpec(source, { 'loaded/go.mod': 'module x\n', 'mixed/go.mod': 'module x\n' }, { validateOnly: true });
    expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plan = shardPlan(selectTargets(c.spec!, []), 'docker-container', 'r1');
    expect(plan.set).toEqual([
      'loaded.tags=',
      'loaded.output=type=image,name=localhost:5000/acme/loaded,push-by-digest=true,name-canonical=true,push=true',
      'loaded.output=type=docker',
      'loaded.output=type=docker,dest=out/loaded.tar',
    ]);
    expect(plan.exported).toEqual(['mixed']);
    // The docker driver keeps what it pushes in the engine's image store: a second exporter loading the same
    // image there failed the build on the engine ("failed to solve: not found"), so the load is not repeated.
    const onDocker = shardPlan(selectTargets(c.spec!, ['loaded']), 'docker', 'r1');
    expect(onDocker.set.filter((x) => x.startsWith('loaded.output='))).toEqual(['loaded.output=type=image,push=true', 'loaded.output=type=docker,dest=out/loaded.tar']);
  });

  it('the shard result holds the pushed targets only, even when bake reports a digest for an exported one', () => {
    const plan = shardPlan(selectTargets(s, []), 'docker-container', 'r1');
    const metadata = Object.fromEntries(['api', 'bin', 'both', 'noimage', 'app'].map((n, i) => [n, { 'containerimage.digest': D(String(i + 1)) }]));
    const result = shardResult(plan, 0, metadata);
    expect(result.status).toBe('succeeded');
    expect(Object.keys(result.targets)).toEqual(['api', 'both', 'app']);
  });

  it('merge does not expect an exported target: the shard of the pushed ones publishes', () => {
    const plan = shardPlan(selectTargets(s, []), 'docker-container', 'r1');
    const metadata = Object.fromEntries(['api', 'both', 'app'].map((n, i) => [n, { 'containerimage.digest': D(String(i + 1)) }]));
    const shard: ShardFile = { file: 's.json', result: shardResult(plan, 0, metadata) };
    const merged = planMerge(s, [shard]);
    expect(merged.problems).toEqual([]);
    expect(merged.targets.map((t) => t.target)).toEqual(['api', 'both', 'app']);
  });

  it('ci-contexts leaves a dependency that no shard pushed as bake builds it (target:), with no problem', () => {
    const app = s.targets.filter((t) => t.name === 'app');
    const shard: ShardFile = { file: 's.json', result: shardResult(shardPlan(selectTargets(s, ['api']), 'docker-container', 'r1'), 0, { api: { 'containerimage.digest': D('1') } }) };
    const p = planContexts(s, app, ['linux/amd64'], [shard], {}, 'r1');
    expect(p.problems).toEqual([]);
    expect(p.file).toEqual({ target: {} });
  });
});
