// Targets and groups that only a `-f` file defines. bake reads every -f file and merges them
// before it looks a name up (docker/buildx bake/bake.go ReadLocalFiles, ParseFiles and
// ReadTargets; commands/bake.go readBakeFiles), so `docker buildx bake -f docker-bake.hcl -f
// extra.hcl --print extra` resolves a target of extra.hcl. matrix asks bake's --print about the
// names the spec does not know (src/bake/file-targets.ts) and selects what it says. The printed
// documents below are what buildx 0.13.1 printed for samples/monorepo with such an extra.hcl.
import { describe, expect, it } from 'vitest';
import { bakeArgs, selectTargets, unknownTarget } from '../../src/bake/command.js';
import { definedNames, fileTargetsFrom, unfoundName } from '../../src/bake/file-targets.js';
import { compileSpec, goDirs } from '../helpers/spec.js';

const SPEC = ['version: 1', 'platforms: [linux/amd64, linux/arm64]', 'services:', '  api: { context: api, template: go }', '  web: { context: web, template: go }', ''].join('\n');

function spec() {
  const c = compileSpec(SPEC, goDirs('api', 'web'), { validateOnly: true });
  expect(c.diagnostics).toEqual([]);
  return c.spec!;
}

const FILES = ['docker-bake.hcl', 'extra.hcl'];

// `docker buildx bake -f docker-bake.hcl -f extra.hcl --print xg linked` (buildx 0.13.1): the
// `default` group lists the names asked for, each group its members, and every target bake
// builds is printed, `extra` among them also as the named context of `linked`.
const PRINTED = JSON.stringify({
  group: { default: { targets: ['xg', 'linked'] }, xg: { targets: ['extra', 'api'] } },
  target: {
    api: { context: 'api', dockerfile: 'api.Dockerfile', platforms: ['linux/amd64', 'linux/arm64'], tags: ['localhost:5000/api:latest'] },
    extra: { context: 'services/api', dockerfile: 'Dockerfile' },
    linked: {
      context: 'services/api',
      dockerfile: 'Dockerfile',
      contexts: { x: 'target:extra' },
      platforms: ['linux/amd64', 'linux/arm64'],
      tags: ['localhost:5000/linked:1'],
      output: [{ type: 'local', dest: 'out' }],
    },
  },
});

describe("a -f file's targets, from bake --print", () => {
  it("expands groups to targets; a spec target stays the spec's; the file's targets are bake's own", () => {
    const s = spec();
    const f = fileTargetsFrom(s, ['xg', 'linked'], PRINTED, FILES, 'linux/amd64');
    expect(Object.fromEntries(f.expand)).toEqual({ xg: ['extra', 'api'], linked: ['linked'] });
    expect(f.targets.map((t) => [t.name, t.context, t.dockerfile, t.platforms, t.tags, t.outputs, t.contexts])).toEqual([
      // No platforms printed: bake builds the builder's default platform; matrix counts this machine's.
      ['extra', 'services/api', 'services/api/Dockerfile', ['linux/amd64'], [], [], {}],
      ['linked', 'services/api', 'services/api/Dockerfile', ['linux/amd64', 'linux/arm64'], ['localhost:5000/linked:1'], ['type=local,dest=out'], { x: 'extra' }],
    ]);
  });

  it('selectTargets builds them as bake does: spec targets in spec order, then the files, all named to bake', () => {
    const s = spec();
    const f = fileTargetsFrom(s, ['xg', 'linked'], PRINTED, FILES, 'linux/amd64');
    const sel = selectTargets(s, ['linked', 'xg'], undefined, f);
    expect(sel.names).toEqual(['api', 'extra', 'linked']);
    expect(sel.fromFiles).toEqual({ names: ['extra', 'linked'], files: FILES });
    expect(bakeArgs(s.bakeFile, sel, { files: ['extra.hcl'] }).slice(-4)).toEqual(['--', 'api', 'extra', 'linked']);
    // A name of the file given again after --affected narrowed the run: the target itself.
    expect(selectTargets(s, ['extra'], undefined, f).names).toEqual(['extra']);
  });

  it('--platform: a subset is set for a file target too; one without that platform is left out', () => {
    const s = spec();
    const f = fileTargetsFrom(s, ['xg', 'linked'], PRINTED, FILES, 'linux/amd64');
    const sel = selectTargets(s, ['xg', 'linked'], ['linux/arm64'], f);
    expect(sel.targets.map((t) => [t.target.name, t.platforms])).toEqual([
      ['api', ['linux/arm64']],
      ['linked', ['linux/arm64']],
    ]);
    expect(bakeArgs(s.bakeFile, sel, {})).toContain('linked.platform=linux/arm64');
    expect(() => selectTargets(s, ['extra'], ['linux/arm64'], f)).toThrow(/--platform linux\/arm64: no selected target builds it/);
  });

  it('output that is not bake --print JSON is a bake-print error, not a crash', () => {
    expect(() => fileTargetsFrom(spec(), ['x'], 'not json', FILES, 'linux/amd64')).toThrow(/cannot read the targets of the -f files/);
  });

  it('a pattern stands for the names bake matched with it (buildx 0.26+ matchNames)', () => {
    const s = spec();
    const printed = JSON.stringify({ group: { default: { targets: ['extra', 'extra2'] } }, target: { extra: {}, extra2: { platforms: ['linux/arm64'] } } });
    const f = fileTargetsFrom(s, ['ext*'], printed, FILES, 'linux/amd64');
    expect(selectTargets(s, ['ext*'], undefined, f).names).toEqual(['extra', 'extra2']);
  });
});

describe('a name no file defines', () => {
  it('names every file bake read, with a did-you-mean over the names of the -f files too', () => {
    const s = spec();
    const e = unknownTarget(s, 'extrq', 'extrq', FILES, definedNames('target "extra" {\n  context = "."\n}\ngroup "xg" {\n  targets = ["extra"]\n}\n'));
    expect(e.diagnostics[0]!.code).toBe('unknown-target');
    expect(e.message).toContain('no target or group named `extrq` in docker-bake.hcl, extra.hcl');
    expect(e.diagnostics[0]!.hint).toContain('did you mean `extra`?');
    // Without -f files, only the generated file, as before.
    expect(() => selectTargets(s, ['extra'])).toThrow(/no target or group named `extra` in docker-bake.hcl$/m);
  });

  it("reads bake's own error for the name it could not find (buildx bake/bake.go ResolveTarget, expandTargets)", () => {
    expect(unfoundName('#1 DONE 0.0s\nERROR: failed to find target nope\n')).toBe('nope');
    expect(unfoundName("ERROR: could not find any target matching 'zz*'\n")).toBe('zz*');
    expect(unfoundName('ERROR: extra.hcl:2,3-4: Unsupported argument\n')).toBeUndefined();
  });

  it('definedNames: HCL block labels or JSON keys, for hints only', () => {
    expect(definedNames('target "a" {\n}\n  group "g-1" {\n}\nvariable "v" {}\n')).toEqual(['a', 'g-1']);
    expect(definedNames('{"target": {"meta": {}}, "group": {"all": {}}}')).toEqual(['all', 'meta']);
    expect(definedNames('not a bake file')).toEqual([]);
  });
});

// What `docker buildx bake --print` prints is read for bake's types (docker/buildx commands/bake.go
// prints the `group` and `target` maps; bake/bake.go `Target`: context and dockerfile strings,
// platforms and tags lists of strings, contexts a map of strings; an output is CSV text in 0.13,
// an object of strings later, util/buildflags/export.go ExportEntry.MarshalJSON). Anything else
// from a `docker` that is not buildx was a crash (exit 70, "internal error"): `null` read
// `.group`, a number for a context reached path.join, a group's `targets` string was spread.
describe('bake --print output of another shape', () => {
  const refused: [string, unknown, RegExp][] = [
    ['null', null, /it printed null, not an object with `group` and `target`/],
    ['a list', [], /it printed a list/],
    ['a number', 42, /it printed a number/],
    ['a target list', { target: [] }, /its `group` or `target` is no object/],
    ['a null target', { target: { extra: null } }, /target `extra` is no object/],
    ['a numeric context', { target: { extra: { context: 1 } } }, /target `extra` has a `context` that is no string/],
    ['tags as text', { target: { extra: { tags: 'a/b:1' } } }, /target `extra` has `tags` that are no list of strings/],
    ['an output of numbers', { target: { extra: { output: [1] } } }, /target `extra` has an `output` that is no list of strings or objects of strings/],
    ['contexts of numbers', { target: { extra: { contexts: { x: 1 } } } }, /target `extra` has `contexts` that are no map of strings/],
    ['a group of text', { group: { default: { targets: 'extra' } }, target: {} }, /group `default` has no list of target names/],
  ];

  it.each(refused)('%s: error bake-print naming what is wrong, never a crash', (_, doc, message) => {
    let err: unknown;
    try {
      fileTargetsFrom(spec(), ['extra'], JSON.stringify(doc), FILES, 'linux/amd64');
    } catch (e) {
      err = e;
    }
    expect((err as { diagnostics?: { code: string; message: string }[] }).diagnostics?.[0]).toMatchObject({ code: 'bake-print', message: expect.stringMatching(message) });
  });

  it('a name bake answered exit 0 for but printed nothing of is bake-print, not a selection "for undefined"', () => {
    for (const doc of [{}, { target: { constructor: { context: '.' } } }, { group: { default: { targets: ['g'] }, g: { targets: ['g'] } }, target: {} }]) {
      expect(() => fileTargetsFrom(spec(), ['extra'], JSON.stringify(doc), FILES, 'linux/amd64'), JSON.stringify(doc)).toThrow(
        '`docker buildx bake --print extra` ended with exit 0 but printed no target for `extra`',
      );
    }
  });

  it('keys named like Object members are the document own: `constructor` is a target of that name', () => {
    const doc = { group: { default: { targets: ['constructor'] } }, target: { constructor: { context: 'services/api' } } };
    const ft = fileTargetsFrom(spec(), ['constructor'], JSON.stringify(doc), FILES, 'linux/amd64');
    expect(ft.targets.map((t) => [t.name, t.context])).toEqual([['constructor', 'services/api']]);
  });
});
