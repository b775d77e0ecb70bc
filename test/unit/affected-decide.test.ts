// decideAffected without git: hand-made targets and change lists.
import { describe, expect, it } from 'vitest';
import { canonical, decideAffected, type DecideInput, type Previous } from '../../src/affected/decide.js';
import type { ResolvedSpec, Target } from '../../src/spec.js';

function target(name: string, over: Partial<Target> = {}): Target {
  return {
    name,
    service: name,
    cell: {},
    axes: [],
    context: `services/${name}`,
    source: { kind: 'dockerfile', file: `services/${name}/Dockerfile` },
    dockerfile: `services/${name}/Dockerfile`,
    platforms: ['linux/amd64'],
    tags: [`r/${name}`],
    args: {},
    labels: {},
    annotations: {},
    attest: [],
    secrets: [],
    contexts: {},
    with: {},
    outputs: [],
    ...over,
  };
}

function spec(targets: Target[]): ResolvedSpec {
  return {
    file: 'matrix.yaml',
    specName: 'matrix.yaml',
    specRepoPath: 'matrix.yaml',
    bakeFile: 'docker-bake.hcl',
    targets,
    services: new Map(targets.map((t) => [t.service, [t.name]])),
    groups: [],
    ociLabels: false,
  };
}

function decide(targets: Target[], changed: string[], extra: Partial<DecideInput> = {}) {
  const s = spec(targets);
  const previous: Previous = { kind: 'compiled', spec: spec(targets.map((t) => ({ ...t }))), files: new Map() };
  return decideAffected({
    ref: 'main',
    spec: s,
    files: new Map(),
    previous,
    changed,
    paths: (t) => ({ context: t.context === '.' ? '' : t.context, dockerfile: t.dockerfile }),
    readFile: () => undefined,
    ...extra,
  });
}

describe('decideAffected', () => {
  it('a context at the repository root sees every change', () => {
    const plan = decide([target('all', { context: '.' }), target('one')], ['x/y.txt']);
    expect(plan.targets).toEqual([{ name: 'all', reasons: ['x/y.txt changed'] }]);
  });

  it('a sibling directory sharing a name prefix is not inside the context', () => {
    const plan = decide([target('api')], ['services/api-v2/main.go', 'services/api.txt', 'services/ap']);
    expect(plan.targets).toEqual([]);
  });

  it('a changed context path itself (a submodule) counts', () => {
    expect(decide([target('api')], ['services/api']).targets).toEqual([{ name: 'api', reasons: ['services/api changed'] }]);
  });

  it('a malformed .dockerignore excludes nothing (Docker would refuse it)', () => {
    const readFile = (p: string) => (p === 'services/api/.dockerignore' ? '*.md\n[\n' : undefined);
    const plan = decide([target('api')], ['services/api/README.md'], { readFile });
    expect(plan.targets.map((t) => t.name)).toEqual(['api']);
  });

  it('reports every affected dependency and survives a cycle', () => {
    const a = target('a', { contexts: { b: 'b' } });
    const b = target('b', { contexts: { a: 'a' } });
    const c = target('c', { contexts: { a: 'a', b: 'b' } });
    const plan = decide([c, a, b], ['services/b/x']);
    expect(plan.targets.map((t) => [t.name, t.reasons])).toEqual([
      ['c', ['depends on a', 'depends on b']],
      ['a', ['depends on b']],
      ['b', ['services/b/x changed']],
    ]);
  });

  it('every definition field is compared, key order aside', () => {
    const before = target('api', { args: { A: '1', B: '2' }, labels: { x: 'y' } });
    const now = target('api', { args: { B: '2', A: '1' }, labels: { x: 'z' }, stage: 'runtime', platforms: ['linux/arm64'] });
    const previous: Previous = { kind: 'compiled', spec: spec([before]), files: new Map() };
    const plan = decide([now], [], { previous });
    expect(plan.targets).toEqual([{ name: 'api', reasons: ['definition changed: platforms, labels, stage'] }]);
  });

  it('canonical JSON ignores key order only', () => {
    expect(canonical({ b: 1, a: { d: 1, c: 2 } })).toBe(canonical({ a: { c: 2, d: 1 }, b: 1 }));
    expect(canonical(['a', 'b'])).not.toBe(canonical(['b', 'a']));
    expect(canonical(undefined)).toBe(canonical(undefined));
  });

  it('scales: 5,000 targets and 20,000 changed files', () => {
    // Half the targets share a few contexts (matrix cells), half have their own.
    const targets = Array.from({ length: 5000 }, (_, i) => target(`t${i}`, { context: i % 2 ? `services/s${i}` : `shared/c${i % 10}`, contexts: i > 0 && i % 7 === 0 ? { dep: `t${i - 1}` } : {} }));
    const changed = Array.from({ length: 20000 }, (_, i) => (i % 2 ? `shared/c${(i >> 1) % 10}/f${i}.go` : `services/s${(i % 2500) * 2 + 1}/f${i}.go`));
    const ignore = Array.from({ length: 50 }, (_, i) => `**/*.gen${i}`).join('\n');
    const reads = new Map<string, number>();
    const readFile = (p: string) => {
      reads.set(p, (reads.get(p) ?? 0) + 1);
      return p.endsWith('/.dockerignore') ? ignore : undefined;
    };
    const plan = decide(targets, changed, { readFile });
    expect(plan.targets.length + plan.unaffected.length).toBe(5000);
    expect(plan.targets.find((t) => t.name === 't0')!.reasons.at(-1)).toBe('997 more files changed in shared/c0');
    // The work, not the time: each candidate ignore file is read once, however many targets share
    // its context (a <Dockerfile>.dockerignore per target, a .dockerignore per context: 2,510).
    expect(Math.max(...reads.values())).toBe(1);
    expect(reads.size).toBeLessThanOrEqual(5000 + 2510);
  });
});
