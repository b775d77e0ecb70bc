import { describe, expect, it } from 'vitest';
import { reproducibleOutputs } from '../../src/repro/output.js';

describe('reproducibleOutputs', () => {
  it('adds nothing on the docker driver: its exporter refuses rewrite-timestamp', () => {
    for (const flags of [{ push: true }, { load: true }, { push: true, load: true }, {}]) {
      expect(reproducibleOutputs('docker', flags)).toEqual({ set: [], push: Boolean(flags.push), load: Boolean(flags.load) });
    }
  });

  it.each(['docker-container', 'remote', 'kubernetes'])('%s: --push becomes an explicit image output with rewrite-timestamp', (driver) => {
    expect(reproducibleOutputs(driver, { push: true })).toEqual({
      set: ['*.output=type=image,push=true,rewrite-timestamp=true'],
      push: false,
      load: false,
    });
  });

  it('--load becomes a docker output with rewrite-timestamp (not --load too, which would add a second one)', () => {
    expect(reproducibleOutputs('docker-container', { load: true })).toEqual({ set: ['*.output=type=docker,rewrite-timestamp=true'], push: false, load: false });
  });

  it('--push --load: both outputs, both rewritten, and push=true kept on the image output', () => {
    const out = reproducibleOutputs('remote', { push: true, load: true });
    expect(out.set).toEqual(['*.output=type=image,push=true,rewrite-timestamp=true', '*.output=type=docker,rewrite-timestamp=true']);
    expect(out.push).toBe(false);
    expect(out.load).toBe(false);
  });

  it('neither push nor load: nothing is exported, nothing to add', () => {
    expect(reproducibleOutputs('docker-container', {})).toEqual({ set: [], push: false, load: false });
  });

  it("an explicit output in the caller's --set is left alone, flags unchanged", () => {
    for (const set of [['*.output=type=local,dest=out'], ['api.output=type=oci,dest=x.tar'], ['other.args.X=1', 'web.output = type=tar,dest=-']]) {
      expect(reproducibleOutputs('docker-container', { push: true, set })).toEqual({ set: [], push: true, load: false });
    }
  });

  it('other --set values do not count as outputs', () => {
    expect(reproducibleOutputs('kubernetes', { push: true, set: ['*.args.OUTPUT=x', 'api.labels.output=y', '*.platform=linux/amd64'] }).set).toHaveLength(1);
  });

  it('an unknown or empty driver gets nothing', () => {
    expect(reproducibleOutputs('', { push: true }).set).toEqual([]);
    expect(reproducibleOutputs('cloud', { push: true }).set).toEqual([]);
  });

  // bake's --push (buildx bake/bake.go AddOverrides `push`, v0.13.1): no outputs -> an image push;
  // an image or registry output -> push=true on it; local, tar, oci, docker, cacheonly -> left alone.
  it('with the targets given, --push becomes per-target outputs as bake --push reads them', () => {
    const targets = [
      { name: 'api', outputs: [] },
      { name: 'bin', outputs: ['type=local,dest=dist/'] },
      { name: 'both', outputs: ['type=tar,dest=o.tar', 'type=image'] },
    ];
    expect(reproducibleOutputs('docker-container', { push: true, targets })).toEqual({
      set: ['api.output=type=image,push=true,rewrite-timestamp=true', 'both.push=true'],
      push: false,
      load: false,
    });
    // Every target exports files: bake's own --push, which pushes none of them.
    expect(reproducibleOutputs('docker-container', { push: true, targets: [targets[1]!] })).toEqual({ set: [], push: true, load: false });
    // With --load (which in buildx 0.13 replaces every output by type=docker), every target pushes, as before.
    expect(reproducibleOutputs('docker-container', { push: true, load: true, targets }).set).toEqual([
      '*.output=type=image,push=true,rewrite-timestamp=true',
      '*.output=type=docker,rewrite-timestamp=true',
    ]);
  });
});
