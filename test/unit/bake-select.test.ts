// Target names as bake reads them: a name with `*`, `?`, `[` or `]` is a
// pattern matched against every group and target by Go's path.Match
// (docker/buildx bake/bake.go matchNames, since buildx 0.26; Go's path.Match
// for the syntax: `*`, `?`, sets with `^` and ranges, `\` quoting, and
// ErrBadPattern for a set that starts with `-` or `]` or never closes).
// matrix expands the pattern itself and passes bake the target names, so it
// works on every buildx, 0.13 included.
import { describe, expect, it } from 'vitest';
import { bakeArgs, namePatternRegExp, selectTargets } from '../../src/bake/command.js';
import { compileSpec, goDirs } from '../helpers/spec.js';

const SPEC = [
  'version: 1',
  'groups: { backend: [api, jobs] }',
  'services:',
  '  api: { context: api, template: go }',
  '  jobs: { context: jobs, template: go }',
  '  web: { context: web, template: go, matrix: { v: ["20", "22"] } }',
  '',
].join('\n');

describe('bake target patterns', () => {
  const spec = () => {
    const c = compileSpec(SPEC, goDirs('api', 'jobs', 'web'), { validateOnly: true });
    expect(c.diagnostics).toEqual([]);
    return c.spec!;
  };
  const names = (requested: string[]) => selectTargets(spec(), requested).names;

  it('a pattern selects every target and group it matches, and bake gets the target names', () => {
    expect(names(['web-*'])).toEqual(['web-20', 'web-22']);
    expect(names(['?pi'])).toEqual(['api']);
    expect(names(['[aj]*'])).toEqual(['api', 'jobs']);
    expect(names(['back*'])).toEqual(['api', 'jobs']);
    expect(names(['[^abdj]*'])).toEqual(['web-20', 'web-22']);
    // `[^aj]*` also matches the default group (bake's matchNames matches groups too): everything.
    expect(names(['[^aj]*'])).toEqual(['api', 'jobs', 'web-20', 'web-22']);
    // `*` matches the default group too: everything.
    expect(names(['*'])).toEqual(['api', 'jobs', 'web-20', 'web-22']);
    // A pattern and a name together, each once.
    expect(names(['web-2[0-1]', 'api', 'a*'])).toEqual(['api', 'web-20']);
  });

  it('a pattern that matches nothing is unknown-target; a malformed one is a usage error', () => {
    expect(() => names(['nope-*'])).toThrow(/no target or group of docker-bake.hcl matches `nope-\*`/);
    for (const bad of ['[abc', '*\\', '[-a]', '[]a]', '[a-]']) expect(() => names([bad]), bad).toThrow(/is no valid name pattern/);
  });

  it("reads Go's path.Match syntax", () => {
    const m = (p: string, s: string) => namePatternRegExp(p).test(s);
    expect([m('web\\-x', 'web-x'), m('a-[0-9]', 'a-5'), m('[\\-a]', '-'), m('a]', 'a]'), m('?', 'ab'), m('*', '')]).toEqual([true, true, true, true, false, true]);
  });

  // docker/buildx bake/bake.go ReadTargets: sanitizeTargetName turns every `.` of a name into `_`
  // before the lookup and the pattern match (v0.13.1 and later); `docker buildx bake --print a.b`
  // on 0.13.1 prints target `a_b`.
  it('a `.` in a name reads as `_`, as bake reads it: before the lookup and the pattern match', () => {
    const c = compileSpec(['version: 1', 'services:', '  my_api: { context: api, template: go, matrix: { v: ["1"] } }', ''].join('\n'), goDirs('api'), { validateOnly: true });
    expect(c.diagnostics).toEqual([]);
    const sel = (requested: string[]) => selectTargets(c.spec!, requested).names;
    expect(sel(['my.api'])).toEqual(['my_api-1']);
    expect(sel(['my.api-1'])).toEqual(['my_api-1']);
    expect(sel(['my.*'])).toEqual(['my_api-1']);
    expect(() => sel(['my.web'])).toThrow(/no target or group named `my_web` in docker-bake.hcl \(bake reads `my.web` as `my_web`\)/);
  });
});

// docker/buildx commands/bake.go (v0.13.1): a --pull that is given adds `*.pull=<value>` to the
// overrides, so `--pull=false` turns off a `pull = true` of a -f file (`docker buildx bake -f
// docker-bake.hcl -f pull.json --print --pull=false` prints "pull": false); not given, nothing.
describe('bake flags passed on', () => {
  it('--pull=false reaches bake as --pull=false, --pull as --pull, and no flag as none', () => {
    const c = compileSpec(SPEC, goDirs('api', 'jobs', 'web'), { validateOnly: true });
    const sel = selectTargets(c.spec!, ['api']);
    const pull = (flags: { pull?: boolean }) => bakeArgs('docker-bake.hcl', sel, flags).filter((a) => a.startsWith('--pull'));
    expect([pull({ pull: false }), pull({ pull: true }), pull({})]).toEqual([['--pull=false'], ['--pull'], []]);
  });
});
