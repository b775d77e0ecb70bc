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
    for (const set of [['*.output=type=local,dest=out'], ['api.output=type=oci,dest=x.tar'], ['other.args.X=1', 'web.output=type=tar,dest=-']]) {
      expect(reproducibleOutputs('docker-container', { push: true, set })).toEqual({ set: [], push: true, load: false });
    }
  });

  // As buildx reads a --set key (docker/buildx bake/bake.go newOverrides, v0.13.1 and later): the
  // part before the first `=`, split on `.`; the first part a target pattern (expandTargets: a name,
  // else path.Match), the second the field as written. `docker buildx bake --print` 0.13.1 with
  // `--set 'api-*.output=...'`, `'[a-w]eb.output=...'` and `'web.output.x=...'` prints the output;
  // with `'web.OUTPUT=...'` and `'web.output =...'` it fails: "unknown key: OUTPUT", "unknown key: output ".
  it('an output --set is recognised as bake reads the key (src/bake/command.ts setTarget), in every pattern form', () => {
    const sets = ['*.output=type=local,dest=o', 'api.output=type=local,dest=o', 'api-*.output=type=local,dest=o', '[a-w]eb.output=type=local,dest=o', 'a?i.output=type=local,dest=o'];
    for (const s of [...sets, 'web.output.x=type=tar,dest=o.tar', '*.output+=type=local,dest=o']) {
      expect(reproducibleOutputs('docker-container', { push: true, set: [s] }), s).toEqual({ set: [], push: true, load: false });
    }
    // Keys bake does not read as `output` (it refuses them): not the caller's outputs.
    for (const s of ['web.OUTPUT=type=tar,dest=o.tar', 'web.output =type=tar,dest=o.tar', 'output=type=tar,dest=o.tar', 'web.x.output=type=tar,dest=o.tar']) {
      expect(reproducibleOutputs('docker-container', { push: true, set: [s] }).set, s).toEqual(['*.output=type=image,push=true,rewrite-timestamp=true']);
    }
  });

  it('other --set values do not count as outputs', () => {
    expect(reproducibleOutputs('kubernetes', { push: true, set: ['*.args.OUTPUT=x', 'api.labels.output=y', '*.platform=linux/amd64'] }).set).toHaveLength(1);
  });

  it('an unknown or empty driver gets nothing', () => {
    expect(reproducibleOutputs('', { push: true }).set).toEqual([]);
    expect(reproducibleOutputs('cloud', { push: true }).set).toEqual([]);
  });

  // bake's --push (buildx bake/bake.go setPushOverride, 0.14+): no outputs -> an image push; an image or
  // registry output -> push=true on it; only docker outputs -> an image push beside them; local, tar, oci,
  // cacheonly (with no image or registry output) -> left alone.
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
    // Outputs that are all `docker` (buildx 0.14+ setPushOverride, bake/bake.go: push is added beside them): the
    // image output, then the target's own outputs again, since T.output replaces the list (0.13's T.push=true would not push).
    expect(reproducibleOutputs('docker-container', { push: true, targets: [{ name: 'loaded', outputs: ['type=docker', 'type=docker,dest=l.tar'] }] }).set).toEqual([
      'loaded.output=type=image,push=true,rewrite-timestamp=true',
      'loaded.output=type=docker',
      'loaded.output=type=docker,dest=l.tar',
    ]);
    // docker beside a file export: not pushed, as buildx pushes it not either.
    expect(reproducibleOutputs('docker-container', { push: true, targets: [{ name: 'mixed', outputs: ['type=docker', 'type=local,dest=d'] }] }).set).toEqual([]);
    // With --load (which in buildx 0.13 replaces every output by type=docker), every target pushes, as before.
    expect(reproducibleOutputs('docker-container', { push: true, load: true, targets }).set).toEqual([
      '*.output=type=image,push=true,rewrite-timestamp=true',
      '*.output=type=docker,rewrite-timestamp=true',
    ]);
  });
});
