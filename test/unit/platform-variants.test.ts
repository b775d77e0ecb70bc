// The variant part of a platform (`os/arch/variant`). containerd's Parse keeps
// any variant (github.com/containerd/platforms platforms.go Parse, `case 3`),
// so `linux/amd64/foo` reached the bake file. The variants that exist are the
// ones containerd renames and ranks and names machines by:
// - database.go normalizeArch: amd64 `v1` is amd64; arm64 `8`, `v8`, `v8.0` are
//   arm64 and `9`, `9.0`, `v9.0` are `v9`; arm `5`-`8` are `v5`-`v8`, arm alone v7;
// - compare.go platformVector: amd64 vN ranks vN-1 down to v1, arm vN down to
//   v5, and arm64variantToVersion lists v8, v8.0-v8.9, v9, v9.0-v9.7 (its test,
//   compare_test.go TestOnly: "there's no v8.10");
// - cpuinfo_linux.go getCPUVariant, cpuinfo_linux_test.go TestCPUVariant: an ARM
//   machine is v3 to v8;
// and, in BuildKit practice, the MIPS float ABIs (tonistiigi/xx src/xx-go reads
// TARGETVARIANT as GOMIPS / GOMIPS64: `hardfloat`, `softfloat`; docker/buildx
// commands/ls_test.go lists `linux/mips64le/softfloat`). Any other variant is
// refused in a spec with a located `unknown-platform`, as an unknown
// architecture is (README: "Where matrix differs").
import { afterAll, describe, expect, it } from 'vitest';
import { ciMatrix, parseRunnerOverrides } from '../../src/ci/runners.js';
import { COMMANDS, parseArgs, UsageError } from '../../src/cli/options.js';
import { parseTemplate, TemplateError } from '../../src/render/template.js';
import { canonicalPlatform, checkPlatform, commandLinePlatform, platformProblem, specPlatformProblem } from '../../src/platforms.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

// Canonical: Format(Normalize(Parse(p))) is p and the variant is one containerd or BuildKit names.
const VARIANTS = [
  // compare.go platformVector (amd64: strconv.Atoi of the variant); compare_test.go TestOnly linux/amd64/v2..v4.
  'linux/amd64/v2',
  'linux/amd64/v3',
  'linux/amd64/v4',
  'windows/amd64/v3',
  // cpuinfo_linux_test.go TestCPUVariant: v8 v7 v6 v5 v4 v3; compare_test.go TestOnly linux/arm/v4.
  'linux/arm/v3',
  'linux/arm/v4',
  'linux/arm/v5',
  'linux/arm/v6',
  'linux/arm/v7',
  'linux/arm/v8',
  // compare.go arm64variantToVersion, less the names normalizeArch renames (v8, v8.0, v9.0).
  'linux/arm64/v8.1',
  'linux/arm64/v8.5',
  'linux/arm64/v8.9',
  'linux/arm64/v9',
  'linux/arm64/v9.1',
  'linux/arm64/v9.7',
  'darwin/arm64/v8.2',
  // tonistiigi/xx src/xx-go: GOMIPS / GOMIPS64 from TARGETVARIANT.
  'linux/mips/hardfloat',
  'linux/mipsle/softfloat',
  'linux/mips64/hardfloat',
  'linux/mips64le/softfloat',
];

// Spellings containerd renames (database.go normalizeArch lower-cases the variant, then its switch):
// refused with that name, as before; never as an unknown variant.
const VARIANT_ALIASES: [string, string][] = [
  ['linux/amd64/v1', 'linux/amd64'],
  ['linux/arm64/v8', 'linux/arm64'],
  ['linux/arm64/8', 'linux/arm64'],
  ['linux/arm64/v8.0', 'linux/arm64'],
  ['linux/arm64/9.0', 'linux/arm64/v9'],
  ['linux/arm64/v9.0', 'linux/arm64/v9'],
  ['linux/arm64/V8.2', 'linux/arm64/v8.2'],
  ['linux/arm/7', 'linux/arm/v7'],
  ['linux/arm/8', 'linux/arm/v8'],
  ['linux/amd64/V3', 'linux/amd64/v3'],
  ['linux/mips64le/SoftFloat', 'linux/mips64le/softfloat'],
];

// A variant its architecture does not have: the message names the variant as written, the hint a
// platform matrix takes (the nearest variant, the other ARM architecture's, or the architecture alone).
const UNKNOWN: [input: string, message: string, hint: string][] = [
  [
    'linux/amd64/foo',
    '`foo` is no variant of amd64, which has `v2`, `v3` and `v4` (`linux/amd64` is amd64 without one)',
    'name one of them, or `linux/amd64`, what containerd makes of amd64 without a variant',
  ],
  ['linux/amd64/2', '`2` is no variant of amd64, which has `v2`, `v3` and `v4` (`linux/amd64` is amd64 without one)', 'did you mean `linux/amd64/v2`?'],
  // Equally near names: the nearest CPU level (GOAMD64 stops at v4).
  ['linux/amd64/v5', '`v5` is no variant of amd64, which has `v2`, `v3` and `v4` (`linux/amd64` is amd64 without one)', 'did you mean `linux/amd64/v4`?'],
  ['linux/x86_64/v9', '`v9` is no variant of amd64, which has `v2`, `v3` and `v4` (`linux/amd64` is amd64 without one)', 'did you mean `linux/amd64/v4`?'],
  // compare_test.go TestOnly: "there's no v8.10"; arm64variantToVersion stops at v9.7.
  ['linux/arm64/v8.10', '`v8.10` is no variant of arm64, which has `v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7` (`linux/arm64` is arm64 without one)', 'did you mean `linux/arm64/v8.1`?'],
  ['linux/arm64/v9.8', '`v9.8` is no variant of arm64, which has `v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7` (`linux/arm64` is arm64 without one)', 'did you mean `linux/arm64/v9.7`?'],
  ['linux/arm64/8.2', '`8.2` is no variant of arm64, which has `v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7` (`linux/arm64` is arm64 without one)', 'did you mean `linux/arm64/v8.2`?'],
  [
    'linux/aarch64/foo',
    '`foo` is no variant of arm64, which has `v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7` (`linux/arm64` is arm64 without one)',
    'name one of them, or `linux/arm64`, what containerd makes of arm64 without a variant',
  ],
  // The 32-bit levels on arm64 and the 64-bit ones on arm: the other ARM architecture's platform.
  ['linux/arm64/v7', '`v7` is no variant of arm64, which has `v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7` (`linux/arm64` is arm64 without one)', 'did you mean `linux/arm/v7` (32-bit ARM)?'],
  ['linux/arm/v9', '`v9` is no variant of arm, which has `v3`, `v4`, `v5`, `v6`, `v7` and `v8`', 'did you mean `linux/arm64/v9` (64-bit ARM)?'],
  ['linux/arm/v8.2', '`v8.2` is no variant of arm, which has `v3`, `v4`, `v5`, `v6`, `v7` and `v8`', 'did you mean `linux/arm64/v8.2` (64-bit ARM)?'],
  ['linux/arm/v2', '`v2` is no variant of arm, which has `v3`, `v4`, `v5`, `v6`, `v7` and `v8`', 'did you mean `linux/arm/v3`?'],
  ['linux/arm/foo', '`foo` is no variant of arm, which has `v3`, `v4`, `v5`, `v6`, `v7` and `v8`', 'name one of them, or `linux/arm/v7`, what containerd makes of arm without a variant'],
  ['linux/mips64le/hardflot', '`hardflot` is no variant of mips64le, which has `hardfloat` and `softfloat` (`linux/mips64le` is mips64le without one)', 'did you mean `linux/mips64le/hardfloat`?'],
];

// Architectures without variants: containerd names none, and BuildKit's helpers read none (xx-go).
const NO_VARIANTS: [input: string, plain: string][] = [
  ['linux/riscv64/v2', 'linux/riscv64'],
  ['linux/riscv64/rva22u64', 'linux/riscv64'],
  ['linux/386/sse2', 'linux/386'],
  ['linux/ppc64le/power9', 'linux/ppc64le'],
  ['linux/s390x/v1', 'linux/s390x'],
  ['windows/386/v2', 'windows/386'],
];

describe('platform variants as containerd and BuildKit name them', () => {
  it.each(VARIANTS)('accepts %s, kept as it is', (p) => {
    expect(checkPlatform(p)).toEqual({ ok: true });
    expect(specPlatformProblem(p)).toBeUndefined();
    expect(canonicalPlatform(p)).toBe(p);
    expect(commandLinePlatform(p)).toBe(p);
  });

  it.each(VARIANT_ALIASES)("refuses %s with containerd's name %s, as an alias", (p, canonical) => {
    expect(checkPlatform(p)).toEqual({ ok: false, reason: 'alias', canonical });
    expect(specPlatformProblem(p)!.hint).toContain(`\`${canonical}\``);
    // On the command line mapped to it, as buildx's --platform is.
    expect(commandLinePlatform(p)).toBe(canonical);
  });

  it.each(UNKNOWN)('refuses %s naming the variant', (p, why, hint) => {
    expect(checkPlatform(p)).toEqual({ ok: false, reason: 'unknown-variant' });
    expect(canonicalPlatform(p)).toBeUndefined();
    expect(specPlatformProblem(p)).toEqual({ message: `unknown platform \`${p}\`: ${why}`, hint });
    // Every platform a hint names is one matrix takes.
    for (const [, named] of hint.matchAll(/`([^`]+)`/g)) expect(checkPlatform(named!), named).toEqual({ ok: true });
  });

  it.each(NO_VARIANTS)('%s: the architecture has no variants; the hint is %s', (p, plain) => {
    const variant = p.split('/')[2];
    expect(checkPlatform(p)).toEqual({ ok: false, reason: 'unknown-variant' });
    const problem = specPlatformProblem(p)!;
    expect(problem.message).toBe(
      `unknown platform \`${p}\`: ${p.split('/')[1]} has no variants, so \`${variant}\` is none (containerd and BuildKit name variants of amd64, arm and arm64, CPU levels, and of mips, mipsle, mips64 and mips64le, float ABIs)`,
    );
    expect(problem.hint).toBe(`did you mean \`${plain}\`?`);
    expect(checkPlatform(plain)).toEqual({ ok: true });
  });

  // An architecture first (no OS): the Linux platform is hinted only when it is one matrix takes;
  // `amd64/v9` was hinted `linux/amd64/v9`.
  it('no hint of a platform with an unknown variant for a name without its OS', () => {
    expect(checkPlatform('amd64/v3')).toEqual({ ok: false, reason: 'no-os', canonical: 'linux/amd64/v3' });
    expect(checkPlatform('arm64/8')).toEqual({ ok: false, reason: 'no-os', canonical: 'linux/arm64' });
    for (const p of ['amd64/v9', 'arm64/v10', 'riscv64/v2', 'arm/v9']) {
      const problem = platformProblem(p);
      expect(problem.message, p).toBe(`unknown platform \`${p}\`: containerd knows no OS \`${p.split('/')[0]}\``);
      expect(problem.hint, p).not.toContain(`linux/${p}`);
    }
  });
});

// Every place a spec names a platform reads it with one check (src/platforms.ts specPlatformProblem).
describe('an unknown variant in a spec is a located unknown-platform, wherever the platform is', () => {
  it('platforms:, a service`s platforms and defaults.platforms', () => {
    const src = [
      'version: 1',
      'platforms: [linux/amd64, linux/amd64/foo]',
      'defaults:',
      '  platforms: [linux/arm64/v8.10]',
      'services:',
      '  api: {context: api, template: go}',
      '  web:',
      '    context: web',
      '    template: go',
      '    platforms: [linux/riscv64/v2, linux/arm/v7]',
      '',
    ].join('\n');
    const r = compileSpec(src, goDirs('api', 'web'), { validateOnly: true });
    const codes = brief(r.diagnostics);
    expect(codes).toContainEqual({ code: 'unknown-platform', ...pos(src, 'linux/arm64/v8.10') });
    expect(codes).toContainEqual({ code: 'unknown-platform', ...pos(src, 'linux/riscv64/v2') });
    expect(codes.every((d) => d.code === 'unknown-platform')).toBe(true);
    const messages = r.diagnostics.map((d) => d.message);
    expect(messages).toContain('unknown platform `linux/arm64/v8.10`: `v8.10` is no variant of arm64, which has `v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7` (`linux/arm64` is arm64 without one)');
    expect(r.diagnostics.find((d) => d.message.includes('linux/riscv64/v2'))!.hint).toBe('did you mean `linux/riscv64`?');
  });

  it('the spec`s own platforms: one error at the value, exit 2 through validate', () => {
    const src = 'version: 1\nplatforms: [linux/amd64, linux/amd64/foo]\nservices:\n  api: {context: api, dockerfile: api/Dockerfile}\n';
    const r = compileSpec(src, { 'api/Dockerfile': 'FROM scratch\n' }, { validateOnly: true });
    // A service with its own Dockerfile: nothing else (no template's platform list) refuses the name.
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, 'linux/amd64/foo') }]);
    expect(r.diagnostics[0]!.message).toBe('unknown platform `linux/amd64/foo`: `foo` is no variant of amd64, which has `v2`, `v3` and `v4` (`linux/amd64` is amd64 without one)');
  });

  it('builders.nodes[].platforms', () => {
    const src = 'version: 1\nplatforms: [linux/amd64]\nservices:\n  api: {context: api, template: go}\nbuilders:\n  nodes:\n    - {platforms: [linux/arm64/v7], endpoint: "tcp://buildkit:1234"}\n';
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, 'linux/arm64/v7') }]);
    expect(r.diagnostics[0]!.message).toMatch(/^builder node platform: unknown platform `linux\/arm64\/v7`: `v7` is no variant of arm64/);
    expect(r.diagnostics[0]!.hint).toBe('did you mean `linux/arm/v7` (32-bit ARM)?');
  });

  it('a platform-scoped annotation key', () => {
    const src = 'version: 1\nplatforms: [linux/amd64]\nservices:\n  api:\n    context: api\n    template: go\n    annotations: {"manifest[linux/amd64/foo]:org.example.k": v}\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, '"manifest[linux/amd64/foo]') }]);
    expect(r.diagnostics[0]!.message).toContain('`foo` is no variant of amd64');
  });

  it("a template's front matter platforms", () => {
    const src = '{{!--\nplatforms:\n  image: [linux/amd64, linux/amd64/v5]\n--}}\nFROM x\n';
    let err: TemplateError | undefined;
    try {
      parseTemplate('t.hbs', src);
    } catch (e) {
      err = e as TemplateError;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect(err!.message).toContain('unknown platform `linux/amd64/v5`: `v5` is no variant of amd64');
    expect([err!.line, err!.column]).toEqual([3, 24]);
    expect(err!.hint).toBe('did you mean `linux/amd64/v4`?');
  });
});

// On the command line an unknown variant behaves as an unknown architecture does: `--build-platform`
// (one platform matrix must name) refuses it with the same reason; `--platform` and `--runner` keep it
// as written, and the command says that no target builds it.
describe('an unknown variant on the command line', () => {
  it('--build-platform: a usage error with the reason and hint of the spec', () => {
    for (const p of ['linux/amd64/foo', 'linux/arm64/v8.10', 'linux/riscv64/v2']) {
      let err: unknown;
      try {
        parseArgs(COMMANDS.plan, { buildPlatform: p });
      } catch (e) {
        err = e;
      }
      expect(err, p).toBeInstanceOf(UsageError);
      const problem = specPlatformProblem(p)!;
      expect((err as UsageError).message).toBe(`--build-platform: ${problem.message}`);
      expect((err as UsageError).hint).toBe(problem.hint);
    }
    // A known variant and a variant alias pass, the alias by containerd's name.
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'linux/amd64/v3' }).buildPlatform).toBe('linux/amd64/v3');
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'linux/arm64/v8' }).buildPlatform).toBe('linux/arm64');
  });

  it('--platform and --runner keep it as written, as linux/z80; no target builds it', () => {
    expect(parseArgs(COMMANDS.bake, { platform: ['linux/amd64/foo', 'linux/amd64/v1'] }).platform).toEqual(['linux/amd64/foo', 'linux/amd64']);
    expect(parseRunnerOverrides(['linux/amd64/foo=x'])).toEqual({ 'linux/amd64/foo': 'x' });
    const src = 'version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  api: {context: api, template: go}\n';
    const c = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(c.diagnostics).toEqual([]);
    expect(() => ciMatrix(c.spec!.targets, { by: 'platform', platforms: ['linux/arm64', 'linux/arm64/v8.10'] })).toThrow(/--platform linux\/arm64\/v8\.10: no target builds it/);
  });
});
