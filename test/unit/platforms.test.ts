// Platform names against containerd's own parser: github.com/containerd/platforms
// (platforms.go `Parse`, `Normalize`, `Format`; database.go `normalizeArch`,
// `isKnownOS`, `isKnownArch`). The cases come from its platforms_test.go
// (`TestParseSelector`, `TestParseSelectorInvalid`) and from normalizeArch's
// switch: what containerd keeps as written is accepted, an alias gets the name
// containerd normalises it to, never another CPU level.
import { afterAll, describe, expect, it } from 'vitest';
import {
  canonicalHint,
  canonicalPlatform,
  checkPlatform,
  commandLinePlatform,
  commandLinePlatformProblem,
  hostPlatform,
  isKnownPlatform,
  localPlatform,
  normalizedPlatform,
  platformProblem,
  runsNatively,
  specPlatformProblem,
} from '../../src/platforms.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { matrix } from '../helpers/cli.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { hashTree, REPO_ROOT, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

// Canonical: Format(Normalize(Parse(p))) === p, with a known OS and architecture.
const CANONICAL = [
  'linux/amd64',
  'linux/amd64/v2',
  'linux/amd64/v3',
  'linux/amd64/v4',
  'linux/arm64',
  'linux/arm64/v9',
  'linux/arm/v5',
  'linux/arm/v6',
  'linux/arm/v7',
  'linux/arm/v8',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
  'linux/loong64',
  'linux/mips64le',
  'linux/mips64',
  'darwin/amd64',
  'darwin/arm64',
  'windows/amd64',
  'windows/arm64',
  'windows/386',
  'freebsd/amd64',
  'freebsd/arm64',
  'netbsd/arm64',
  'openbsd/amd64',
  'illumos/amd64',
  'solaris/amd64',
  'aix/ppc64',
];

// Alias -> what containerd normalises it to (normalizeArch / normalizeOS, and
// TestParseSelector's "Linux/x86_64", "Aarch64", "armel", "armhf", "i386", "macOS").
const ALIASES: [string, string][] = [
  ['linux/amd64/v1', 'linux/amd64'],
  ['linux/x86_64', 'linux/amd64'],
  ['linux/x86-64', 'linux/amd64'],
  ['Linux/x86_64', 'linux/amd64'],
  ['x86_64', 'linux/amd64'],
  ['linux/x86_64/v1', 'linux/amd64'],
  ['linux/x86_64/v3', 'linux/amd64/v3'],
  ['linux/aarch64', 'linux/arm64'],
  ['linux/aarch64/v8', 'linux/arm64'],
  ['linux/arm64/v8', 'linux/arm64'],
  ['linux/arm64/8', 'linux/arm64'],
  ['linux/arm64/v8.0', 'linux/arm64'],
  ['linux/arm64/9', 'linux/arm64/v9'],
  ['linux/arm64/v9.0', 'linux/arm64/v9'],
  ['Aarch64', 'linux/arm64'],
  ['arm64', 'linux/arm64'],
  ['linux/arm', 'linux/arm/v7'],
  ['linux/arm/7', 'linux/arm/v7'],
  ['linux/arm/6', 'linux/arm/v6'],
  ['linux/arm/5', 'linux/arm/v5'],
  ['linux/armhf', 'linux/arm/v7'],
  ['linux/armel', 'linux/arm/v6'],
  ['armhf', 'linux/arm/v7'],
  ['armel', 'linux/arm/v6'],
  ['linux/i386', 'linux/386'],
  ['i386', 'linux/386'],
  ['macos/arm64', 'darwin/arm64'],
  ['macOS/amd64', 'darwin/amd64'],
  ['Windows/AMD64', 'windows/amd64'],
];

// An architecture and variant without the OS. No alias: containerd's Parse
// reads two parts as OS/architecture (platforms.go Parse, `case 2`), so
// `arm/v7` is OS `arm`, architecture `v7`. The hint names the Linux platform
// of that CPU; the message must not say containerd reads it so.
const NO_OS: [string, string][] = [
  ['arm64/v8', 'linux/arm64'],
  ['amd64/v2', 'linux/amd64/v2'],
  ['arm/v7', 'linux/arm/v7'],
];

// TestParseSelectorInvalid, plus forms containerd reads but a build cannot use.
const INVALID = ['', '/linux/arm', 'linux/arm/', 'linux /arm', 'linux/&arm', 'linux/arm/foo/bar', 'linux/*', '*', 'linux', 'windows(10.0.17763)/amd64', 'plan10/amd64', 'linux/z80'];

describe('platforms (containerd Parse + Normalize)', () => {
  it.each(CANONICAL)('accepts the canonical %s', (p) => {
    expect(checkPlatform(p)).toEqual({ ok: true });
    expect(isKnownPlatform(p)).toBe(true);
  });

  it.each(ALIASES)("refuses the alias %s with containerd's name %s", (alias, canonical) => {
    expect(isKnownPlatform(alias)).toBe(false);
    expect(canonicalHint(alias)).toBe(canonical);
  });

  it('never hints another CPU level: every canonical platform is its own canonical form', () => {
    for (const p of CANONICAL) expect(canonicalHint(p)).toBeUndefined();
    // amd64/v2..v4 are CPU levels of their own, not spellings of amd64.
    expect(canonicalHint('linux/amd64/v2')).toBeUndefined();
  });

  it.each(INVALID)('refuses %j without a made-up alias', (p) => {
    expect(isKnownPlatform(p)).toBe(false);
    expect(canonicalHint(p)).toBeUndefined();
    expect(canonicalPlatform(p)).toBeUndefined();
  });

  it.each(NO_OS)('%s has no OS: hinted as %s, but no alias of it', (p, linux) => {
    expect(isKnownPlatform(p)).toBe(false);
    expect(canonicalHint(p)).toBe(linux);
    expect(canonicalPlatform(p)).toBeUndefined();
    const [os, arch] = p.split('/');
    const { message, hint } = platformProblem(p);
    expect(message).not.toMatch(/containerd reads it as/);
    expect(message).toContain(`read \`${os}\` as the OS and \`${arch}\` as the architecture`);
    expect(hint).toContain(`\`${linux}\``);
  });
});

// The one function every entry point maps a platform name with: buildx's
// util/platformutil/parse.go Parse (containerd Parse, then Normalize), Format.
describe('canonicalPlatform (buildx --platform: containerd Parse + Normalize)', () => {
  it.each(CANONICAL)('keeps the canonical %s', (p) => expect(canonicalPlatform(p)).toBe(p));
  it.each(ALIASES)('maps the alias %s to %s', (alias, canonical) => expect(canonicalPlatform(alias)).toBe(canonical));
});

// Platforms of image index descriptors and image configs: containerd's
// Normalize (platforms.go), i.e. normalizeOS and normalizeArch (database.go).
describe('normalizedPlatform (containerd Normalize of a parsed platform)', () => {
  it.each([
    [{ os: 'linux', architecture: 'arm' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'arm', variant: '7' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'arm', variant: 'v6' }, 'linux/arm/v6'],
    [{ os: 'linux', architecture: 'amd64', variant: 'v1' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'amd64', variant: 'v3' }, 'linux/amd64/v3'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'aarch64' }, 'linux/arm64'],
    [{ os: 'Linux', architecture: 'x86_64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v9' }, 'linux/arm64/v9'],
  ])('%j is %s', (p, want) => expect(normalizedPlatform(p)).toBe(want));
});

// What a host platform runs without emulation: containerd's matcher,
// github.com/containerd/platforms compare.go `Only` (its `platformVector`),
// which BuildKit asks for every platform its worker supports before it looks
// for a QEMU emulator (moby/buildkit solver/llbsolver/ops/exec_binfmt.go
// getEmulator). The cases follow compare_test.go TestOnly, host by host; the
// last ones are where `OnlyStrict` (the platform alone) would say otherwise.
describe('runsNatively (containerd compare.go Only: platformVector)', () => {
  const ONLY: [host: string, runs: string[], not: string[]][] = [
    // A missing amd64 variant lists no lower level: plain amd64 runs 386, not amd64/v2.
    ['linux/amd64', ['linux/amd64', 'linux/386'], ['linux/amd64/v2', 'linux/arm/v7', 'linux/arm64', 'windows/amd64']],
    ['linux/amd64/v2', ['linux/amd64', 'linux/amd64/v1', 'linux/amd64/v2', 'linux/386'], ['linux/amd64/v3', 'linux/amd64/v4', 'linux/arm/v7', 'linux/arm64']],
    ['linux/amd64/v3', ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386'], ['linux/amd64/v4', 'linux/arm64']],
    ['linux/386', ['linux/386'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64']],
    ['windows/amd64', ['windows/amd64', 'windows/386'], ['linux/amd64', 'linux/arm/v7', 'windows/arm/v7']],
    ['linux/arm/v8', ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'], ['linux/amd64', 'linux/arm/v4', 'linux/arm64']],
    ['linux/arm/v7', ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7'], ['linux/amd64', 'linux/arm/v4', 'linux/arm/v8', 'linux/arm64']],
    ['linux/arm/v6', ['linux/arm/v5', 'linux/arm/v6'], ['linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm64']],
    ['linux/arm/v5', ['linux/arm/v5'], ['linux/arm', 'linux/arm/v4', 'linux/arm/v6']],
    ['linux/arm/v4', ['linux/arm/v4'], ['linux/arm', 'linux/arm/v5']],
    // A missing arm64 variant is v8: arm64 runs arm/v8 down to v5, not arm64/v9.
    [
      'linux/arm64',
      ['linux/arm64', 'linux/arm64/v8', 'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'],
      ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/arm64'],
    ],
    ['linux/arm64/v8.1', ['linux/arm64', 'linux/arm64/v8.1', 'linux/arm/v8', 'linux/arm/v5'], ['linux/arm64/v8.2', 'linux/arm64/v9', 'linux/arm/v9']],
    ['linux/arm64/v9', ['linux/arm64/v9', 'linux/arm64/v9.0', 'linux/arm64/v8.5', 'linux/arm64', 'linux/arm/v8', 'linux/arm/v5'], ['linux/arm64/v8.6', 'linux/arm64/v9.1', 'linux/arm/v4']],
    [
      'linux/arm64/v9.6',
      ['linux/arm64/v9.6', 'linux/arm64/v9.1', 'linux/arm64/v8.9', 'linux/arm64/v8.1', 'linux/arm64', 'linux/arm/v8'],
      ['linux/arm64/v9.7', 'linux/arm64/v8.10', 'linux/amd64', 'linux/arm/v4'],
    ],
  ];
  it.each(ONLY)('%s', (host, runs, not) => {
    for (const p of runs) expect(runsNatively(host, p), `${host} runs ${p}`).toBe(true);
    for (const p of not) expect(runsNatively(host, p), `${host} does not run ${p}`).toBe(false);
  });

  it('compares by the normalised names on both sides (NewMatcher), and a name containerd does not read only as written', () => {
    expect(runsNatively('linux/x86_64', 'linux/i386')).toBe(true);
    expect(runsNatively('linux/aarch64', 'linux/armhf')).toBe(true);
    expect(runsNatively('windows(10.0.17763)/amd64', 'windows(10.0.17763)/amd64')).toBe(true);
    expect(runsNatively('windows(10.0.17763)/amd64', 'windows/amd64')).toBe(false);
  });
});

describe('hints for what is no platform', () => {
  // The hint also says that an OS alone depends on the machine: containerd's Parse gives it runtime.GOARCH
  // (platforms.go Parse `case 1`, isKnownOS; platforms_test.go TestParseSelector "linux", "macOS").
  it('an OS alone asks for the architecture, with the OS as containerd names it (macos is darwin)', () => {
    const onMachine = (os: string, word: string) => `; an OS alone depends on the machine (on the command line, \`--platform ${word}\` is ${os} on this machine's architecture)`;
    expect(platformProblem('macos').hint).toBe(`give the architecture too, e.g. \`darwin/arm64\`${onMachine('darwin', 'macos')}`);
    expect(platformProblem('macOS').hint).toBe(`give the architecture too, e.g. \`darwin/arm64\`${onMachine('darwin', 'macOS')}`);
    expect(platformProblem('linux').hint).toBe(`give the architecture too, e.g. \`linux/amd64\`${onMachine('linux', 'linux')}`);
    // Every hint it gives is itself accepted.
    for (const p of ['macos', 'macOS', 'linux', 'windows', 'freebsd']) expect(isKnownPlatform(/`([^`]+)`/.exec(platformProblem(p).hint)![1]!)).toBe(true);
  });
});

describe('platforms in a spec', () => {
  const spec = (platforms: string[]) =>
    `version: 1\nplatforms: [${platforms.map((p) => JSON.stringify(p)).join(', ')}]\nservices:\n  api: {context: api, template: go${platforms.some((p) => /^(darwin|windows)\//.test(p)) ? ', output: ["type=local,dest=dist/"]' : ''}}\n`;

  it('builds for darwin, windows, loong64 and riscv64 targets (a Go binary cross-compiles to them; darwin and windows as files)', () => {
    const src = spec(['linux/amd64', 'linux/loong64', 'linux/riscv64', 'linux/arm/v6', 'darwin/arm64', 'windows/amd64']);
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([]);
    expect(r.spec!.targets[0]!.platforms).toEqual(['linux/amd64', 'linux/loong64', 'linux/riscv64', 'linux/arm/v6', 'darwin/arm64', 'windows/amd64']);
  });

  it("an alias is a located error whose hint names containerd's canonical form, one per alias", () => {
    const src = spec(['linux/amd64/v1', 'linux/aarch64/v8', 'x86_64', 'armhf', 'arm64/v8', 'linux/amd64/v2']);
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([
      { code: 'unknown-platform', ...pos(src, '"linux/amd64/v1"') },
      { code: 'unknown-platform', ...pos(src, '"linux/aarch64/v8"') },
      { code: 'unknown-platform', ...pos(src, '"x86_64"') },
      { code: 'unknown-platform', ...pos(src, '"armhf"') },
      { code: 'unknown-platform', ...pos(src, '"arm64/v8"') },
    ]);
    const hints = r.diagnostics.map((d) => /`([^`]+)`/.exec(d.hint ?? '')?.[1]);
    expect(hints).toEqual(['linux/amd64', 'linux/arm64', 'linux/amd64', 'linux/arm/v7', 'linux/arm64']);
    // `arm64/v8` has no OS: containerd's Parse reads it as OS arm64, architecture v8 (platforms.go Parse, case 2).
    expect(r.diagnostics[4]!.message).not.toMatch(/containerd reads it as/);
    expect(r.diagnostics[4]!.message).toMatch(/has no OS/);
  });

  // A list no service reads is still a platform the spec names: `linux/z80` (containerd/platforms database.go
  // isKnownArch has no z80) and `linux/amd64/foo` (no amd64 variant: compare.go platformVector) passed validate
  // when `defaults.platforms` or each service's own `platforms` replaced the spec's `platforms:`.
  it('the spec`s platforms: and defaults.platforms are checked even where every service replaces them, once each', () => {
    const own = 'version: 1\nplatforms: [linux/z80]\nservices:\n  api: {context: api, template: go, platforms: [linux/amd64]}\n';
    const r1 = compileSpec(own, goDirs('api'), { validateOnly: true });
    expect(brief(r1.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(own, 'linux/z80') }]);
    expect(r1.diagnostics[0]!.message).toBe('unknown platform `linux/z80`: containerd knows no architecture `z80`');

    const byDefaults = 'version: 1\nplatforms: [linux/amd64/foo]\ndefaults:\n  platforms: [linux/amd64]\nservices:\n  api: {context: api, template: go}\n';
    expect(brief(compileSpec(byDefaults, goDirs('api'), { validateOnly: true }).diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(byDefaults, 'linux/amd64/foo') }]);

    const unreadDefaults = 'version: 1\ndefaults:\n  platforms: [linux/arm64/v8.10]\nservices:\n  api: {context: api, template: go, platforms: [linux/arm64]}\n';
    expect(brief(compileSpec(unreadDefaults, goDirs('api'), { validateOnly: true }).diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(unreadDefaults, 'linux/arm64/v8.10') }]);

    // Read by two services and checked as the spec's own: one error at the value.
    const shared = 'version: 1\nplatforms: [linux/amd64, linux/z80]\nservices:\n  api: {context: api, template: go}\n  web: {context: web, template: go}\n';
    expect(brief(compileSpec(shared, goDirs('api', 'web'), { validateOnly: true }).diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(shared, 'linux/z80') }]);
  });

  it('an OS alone (`macos`) is hinted with a platform that is itself accepted (`darwin/...`, not `macos/amd64`)', () => {
    const src = spec(['linux/amd64', 'macos']);
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, '"macos"') }]);
    const hinted = /`([^`]+)`/.exec(r.diagnostics[0]!.hint ?? '')?.[1];
    expect(hinted).toBe('darwin/arm64');
    expect(isKnownPlatform(hinted!)).toBe(true);
  });
});

// `local`, as docker/buildx util/platformutil/parse.go `parse` reads it (strings.EqualFold):
// containerd's DefaultSpec (defaults_unix.go, cpuinfo_other.go), the OS and architecture of
// the machine the command runs on. Node names them its own way (process.platform, process.arch).
describe('local: the machine matrix runs on', () => {
  it.each([
    [{ platform: 'linux', arch: 'x64' }, 'linux/amd64', 'linux/amd64'],
    [{ platform: 'linux', arch: 'arm64' }, 'linux/arm64', 'linux/arm64'],
    [{ platform: 'darwin', arch: 'arm64' }, 'darwin/arm64', 'linux/arm64'],
    [{ platform: 'win32', arch: 'x64' }, 'windows/amd64', 'linux/amd64'],
    [{ platform: 'linux', arch: 'ia32' }, 'linux/386', 'linux/386'],
    [{ platform: 'linux', arch: 'arm', armVersion: '6' }, 'linux/arm/v6', 'linux/arm/v6'],
    [{ platform: 'linux', arch: 'arm', armVersion: 'default' }, 'linux/arm/v7', 'linux/arm/v7'],
    [{ platform: 'linux', arch: 'ppc64' }, 'linux/ppc64le', 'linux/ppc64le'],
    [{ platform: 'linux', arch: 'mipsel' }, 'linux/mipsle', 'linux/mipsle'],
  ])('%j: local is %s, the build platform %s', (m, local, build) => {
    expect(localPlatform(m)).toBe(local);
    expect(isKnownPlatform(local)).toBe(true);
    expect(hostPlatform(m)).toBe(build);
    for (const word of ['local', 'LOCAL', 'Local']) expect(commandLinePlatform(word, m)).toBe(local);
  });

  it('a machine containerd has no name for has no local platform; other names are mapped as before', () => {
    expect(localPlatform({ platform: 'haiku', arch: 'x64' })).toBeUndefined();
    expect(commandLinePlatform('local', { platform: 'haiku', arch: 'x64' })).toBeUndefined();
    expect(commandLinePlatform('linux/aarch64')).toBe('linux/arm64');
    expect(commandLinePlatform('locale')).toBeUndefined();
    expect(canonicalPlatform('local')).toBeUndefined();
    expect(localPlatform({ platform: 'aix', arch: 'ppc64' })).toBe('aix/ppc64');
  });

  it('in a spec, `local` is a located error (platforms, the platforms of a service) whose hint names a platform', () => {
    const src = `version: 1\nplatforms: [linux/amd64, local]\nservices:\n  api: {context: api, template: go}\n  web:\n    context: web\n    template: go\n    platforms: [LOCAL]\n`;
    const r = compileSpec(src, goDirs('api', 'web'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([
      { code: 'unknown-platform', ...pos(src, 'local]') },
      { code: 'unknown-platform', ...pos(src, 'LOCAL') },
    ]);
    for (const d of r.diagnostics) {
      expect(d.message).toMatch(/cannot be a platform of the spec: it means the machine that runs matrix/);
      expect(d.hint).toMatch(/^name the platform, e\.g\. `linux\/amd64`/);
    }
    // A builder node's platforms get the same check (src/platforms.ts specPlatformProblem): `local` is refused there
    // with the same explanation, located (it was an `invalid-format` of a narrower schema pattern, which README's
    // `local` row did not promise).
    const nodes = `version: 1\nplatforms: [linux/amd64]\nservices:\n  api: {context: api, template: go}\nbuilders:\n  nodes:\n    - {platforms: [local], endpoint: "tcp://buildkit:1234"}\n`;
    const n = compileSpec(nodes, goDirs('api'), { validateOnly: true }).diagnostics;
    expect(brief(n)).toEqual([{ code: 'unknown-platform', ...pos(nodes, 'local]') }]);
    expect(n[0]!.message).toMatch(/^builder node platform: `local` cannot be a platform of the spec: it means the machine that runs matrix/);
    expect(n[0]!.hint).toMatch(/^name the platform, e\.g\. `linux\/amd64`/);
  });

  it('`matrix gen` with `local` in the spec: exit 2 at file:line:column, nothing written', async () => {
    const dir = tempRepo({ 'matrix.yaml': 'version: 1\nplatforms: [local]\nservices:\n  api: {context: api, template: go}\n', ...goDirs('api') });
    const before = hashTree(dir);
    const r = await matrix(['gen'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/matrix\.yaml:2:13: error `local` cannot be a platform of the spec.*\[unknown-platform\]/);
    expect(r.stderr).toMatch(/hint: name the platform, e\.g\. `linux\/amd64`/);
    expect(hashTree(dir)).toEqual(before);
    expect(existsSync(path.join(dir, 'docker-bake.hcl'))).toBe(false);
  });
});

// Finding 1 of the platform audit: every place a spec names a platform (`platforms:`, a service's
// `platforms`, `builders.nodes[].platforms`, a template's front matter) takes exactly what containerd
// keeps as written (platforms.go Parse, Normalize, Format) and refuses an alias with containerd's name
// (database.go normalizeOS/normalizeArch; platforms_test.go TestParseSelector "Linux/x86_64", "armhf").
// One check (src/platforms.ts specPlatformProblem) for all of them.
describe('one check for every platform of a spec (platforms:, builders.nodes[].platforms)', () => {
  const withNode = (p: string) =>
    `version: 1\nplatforms: [linux/amd64]\nservices:\n  api: {context: api, template: go}\nbuilders:\n  nodes:\n    - {platforms: [${JSON.stringify(p)}], endpoint: "tcp://buildkit:1234"}\n`;
  const inPlatforms = (p: string) => `version: 1\nplatforms: [${JSON.stringify(p)}]\nservices:\n  api: {context: api, template: go}\n`;

  // platforms_test.go TestParseSelector: "linux/arm64/v8.2" style variants are kept (Format(Normalize(...)) is the input).
  it.each(['linux/arm64/v8.2', 'linux/arm64/v9.3', 'linux/amd64/v3', 'linux/arm/v7', 'windows/amd64'])('a builder node takes the canonical %s, as platforms: does', (p) => {
    expect(brief(compileSpec(withNode(p), goDirs('api'), { validateOnly: true }).diagnostics)).toEqual([]);
    expect(specPlatformProblem(p)).toBeUndefined();
  });

  // Aliases: TestParseSelector "Linux/x86_64" (case and x86_64), "armhf" (-> arm/v7), database.go normalizeArch
  // ("x86-64"; a variant is lower-cased by Normalize, so "V3" is "v3"); `local` is buildx's
  // util/platformutil/parse.go `parse` (the machine: no name of the spec); an OS version is platforms.go osRe.
  it.each([
    ['Linux/AMD64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['x86_64', 'linux/amd64'],
    ['armhf', 'linux/arm/v7'],
    ['linux/amd64/V3', 'linux/amd64/v3'],
    ['linux/aarch64', 'linux/arm64'],
    ['local', 'linux/amd64'],
    ['linux', 'linux/amd64'],
    ['windows(10.0.17763)/amd64', 'windows/amd64'],
  ])('%s: the same located error and hint in a builder node as in platforms: (%s)', (p, named) => {
    const node = compileSpec(withNode(p), goDirs('api'), { validateOnly: true }).diagnostics;
    const top = compileSpec(inPlatforms(p), goDirs('api'), { validateOnly: true }).diagnostics;
    expect(brief(node)).toEqual([{ code: 'unknown-platform', ...pos(withNode(p), JSON.stringify(p)) }]);
    expect(brief(top)).toEqual([{ code: 'unknown-platform', ...pos(inPlatforms(p), JSON.stringify(p)) }]);
    expect(node[0]!.message).toBe(`builder node platform: ${top[0]!.message}`);
    expect(node[0]!.hint).toBe(top[0]!.hint);
    expect(`${node[0]!.message} ${node[0]!.hint}`).toContain(named);
    expect(specPlatformProblem(p)).toEqual({ message: top[0]!.message, hint: top[0]!.hint });
  });

  it("an alias's hint is containerd's name", () => {
    for (const [p, c] of [
      ['Linux/AMD64', 'linux/amd64'],
      ['armhf', 'linux/arm/v7'],
      ['linux/amd64/V3', 'linux/amd64/v3'],
    ]) {
      const d = compileSpec(withNode(p!), goDirs('api'), { validateOnly: true }).diagnostics[0]!;
      expect(d.message).toMatch(new RegExp(`^builder node platform: \`${p}\` is not a canonical platform name: containerd reads it as \`${c}\``));
      expect(/`([^`]+)`/.exec(d.hint ?? '')?.[1]).toBe(c);
    }
  });

  it('every platform item of the schema has one pattern (platforms, defaults, services, builder nodes)', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'matrix.schema.json'), 'utf8'));
    const patterns = [
      schema.properties.platforms.items.pattern,
      schema.properties.defaults.properties.platforms.items.pattern,
      schema.properties.services.additionalProperties.properties.platforms.items.pattern,
      schema.properties.builders.properties.nodes.items.properties.platforms.items.pattern,
    ];
    expect(new Set(patterns).size).toBe(1);
  });
});

// Finding 2: an OS alone. containerd's Parse `case 1` with isKnownOS (platforms.go) gives that OS and
// runtime.GOARCH (with the CPU variant on 32-bit ARM); platforms_test.go TestParseSelector cases "linux",
// "macOS" (darwin) and "windows" expect {os, defaultArch, defaultVariant}. buildx's util/platformutil/parse.go
// Parse reads `--platform` with it, so on the command line it is this machine's architecture.
describe('an OS alone on the command line: this machine', () => {
  it.each([
    ['linux', { platform: 'linux', arch: 'x64' }, 'linux/amd64'],
    ['Linux', { platform: 'linux', arch: 'x64' }, 'linux/amd64'],
    ['windows', { platform: 'linux', arch: 'x64' }, 'windows/amd64'],
    ['macos', { platform: 'linux', arch: 'x64' }, 'darwin/amd64'],
    ['macOS', { platform: 'darwin', arch: 'arm64' }, 'darwin/arm64'],
    ['darwin', { platform: 'darwin', arch: 'arm64' }, 'darwin/arm64'],
    ['linux', { platform: 'darwin', arch: 'arm64' }, 'linux/arm64'],
    ['freebsd', { platform: 'freebsd', arch: 'x64' }, 'freebsd/amd64'],
    // 32-bit ARM: Parse adds cpuVariant() (TestParseSelector's defaultVariant).
    ['linux', { platform: 'linux', arch: 'arm', armVersion: '6' }, 'linux/arm/v6'],
    ['linux', { platform: 'linux', arch: 'arm', armVersion: '7' }, 'linux/arm/v7'],
    // runtime.GOARCH is the machine's whatever OS is named: ppc64le on Linux, also for `aix`.
    ['aix', { platform: 'linux', arch: 'ppc64' }, 'aix/ppc64le'],
    // A machine containerd has no OS name for still has its GOARCH.
    ['linux', { platform: 'haiku', arch: 'x64' }, 'linux/amd64'],
  ])('%s on %j is %s', (os, m, want) => {
    expect(commandLinePlatform(os, m)).toBe(want);
    expect(commandLinePlatformProblem(os, m)).toBeUndefined();
  });

  it('an architecture containerd has no name for: no platform, and the error says why', () => {
    const m = { platform: 'linux', arch: 'z80' };
    expect(commandLinePlatform('linux', m)).toBeUndefined();
    expect(commandLinePlatformProblem('linux', m)?.message).toBe("`linux` is that OS on this machine's architecture, and linux/z80 has no name containerd knows");
    expect(commandLinePlatformProblem('local', m)?.message).toBe("`local` is this machine's platform, and linux/z80 has no name containerd knows");
  });
});

// Finding 2 of the platform audit, in the spec: containerd's Parse reads an OS alone as that OS on the
// machine's architecture (platforms.go Parse `case 1`, isKnownOS; platforms_test.go TestParseSelector
// "linux", "macOS", "windows"). Like `local`, it depends on the machine: an error, and the hint says so.
describe('an OS alone in the spec: an error', () => {
  it('is no canonical name of its own (canonicalPlatform, the spec): it depends on the machine', () => {
    for (const os of ['linux', 'windows', 'macos', 'darwin']) {
      expect(canonicalPlatform(os)).toBeUndefined();
      expect(checkPlatform(os)).toEqual({ ok: false, reason: 'os-only' });
    }
  });

  it('in the spec: a located unknown-platform whose hint says an OS alone depends on the machine', () => {
    const src = `version: 1\nplatforms: [linux/amd64, windows]\nservices:\n  api: {context: api, template: go, output: ["type=local,dest=dist/"]}\n`;
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, 'windows]') }]);
    expect(r.diagnostics[0]!.message).toBe(
      '`windows` names only an OS: containerd reads it as that OS on the architecture of the machine that reads it, and the generated files must be the same on every machine',
    );
    expect(r.diagnostics[0]!.hint).toMatch(/^give the architecture too, e\.g\. `windows\/amd64`; an OS alone depends on the machine/);
  });
});

// Finding 3: OS versions and features. containerd reads them (platforms.go osRe; platforms_test.go
// TestParseSelector "windows(10.0.17763)", "windows()", "linux(+gpu)", "windows(10.0.17763+win32k)"), and
// Format leaves them out; matrix does not support them, and says so.
describe('OS versions and features: not supported, and the error says so', () => {
  it.each([
    ['windows(10.0.17763)/amd64', 'windows/amd64'],
    ['windows()/amd64', 'windows/amd64'],
    ['linux(+gpu)/amd64', 'linux/amd64'],
    ['windows(10.0.17763+win32k)/amd64', 'windows/amd64'],
    ['Windows(10.0.17763)/AMD64', 'windows/amd64'],
    ['linux(+gpu)/arm', 'linux/arm/v7'],
  ])('%s: write %s', (p, bare) => {
    expect(checkPlatform(p)).toEqual({ ok: false, reason: 'os-version', canonical: bare });
    expect(platformProblem(p).message).toBe(`\`${p}\`: OS versions and features in a platform are not supported; write ${bare}`);
  });

  it('an OS alone with a version (TestParseSelector "windows(10.0.17763)") names an example', () => {
    expect(platformProblem('windows(10.0.17763)').message).toBe('`windows(10.0.17763)`: OS versions and features in a platform are not supported; write os/arch[/variant], e.g. `windows/amd64`');
  });

  it('in the spec: unknown-platform at its line, not a format error', () => {
    const src = `version: 1\nplatforms: [linux/amd64, "linux(+gpu)/amd64"]\nservices:\n  api: {context: api, template: go}\n`;
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, '"linux(+gpu)/amd64"') }]);
    expect(r.diagnostics[0]!.message).toBe('`linux(+gpu)/amd64`: OS versions and features in a platform are not supported; write linux/amd64');
    // No parentheses in the hint: a usage error prints its hint in parentheses.
    expect(r.diagnostics[0]!.hint).toBe(
      "matrix names a platform os/arch[/variant], as containerd's Format writes it, without the OS version; the OS version an image runs on comes from its base image",
    );
  });

  // platforms.go osRe: a feature needs a name (`+` alone), and no `.` in the OS: refused as before.
  it.each(['linux(+)/amd64', 'lin.ux/amd64', 'linux(10/amd64'])('%s is no platform at all', (p) => {
    expect(checkPlatform(p)).toEqual({ ok: false, reason: 'invalid' });
  });
});

// Finding 3 on the command line: the same message, never "no target builds it" (platforms.go osRe reads
// the version; TestParseSelector "windows(10.0.17763)", "linux(+gpu)").
describe('OS versions and features on the command line', () => {
  it.each(['windows(10.0.17763)/amd64', 'windows()/amd64', 'linux(+gpu)/amd64', 'windows(10.0.17763)'])('%s', (p) => {
    expect(commandLinePlatform(p)).toBeUndefined();
    expect(commandLinePlatformProblem(p)?.message).toBe(platformProblem(p).message);
    expect(commandLinePlatformProblem(p)?.message).toMatch(/OS versions and features in a platform are not supported; write /);
  });
});

// Finding 4: buildx's util/platformutil/parse.go Parse splits a list at commas and trims nothing, so
// " linux/arm64" reaches containerd's Parse, whose osRe refuses it (platforms_test.go
// TestParseSelectorInvalid "linux /arm", "spaces").
describe('spaces in a command-line platform are refused, as buildx refuses them', () => {
  it.each([' linux/amd64', 'linux/amd64 ', 'linux /arm', 'linux/ arm64'])('%j', (p) => {
    expect(commandLinePlatform(p)).toBeUndefined();
    const problem = commandLinePlatformProblem(p)!;
    expect(problem.message).toBe(`\`${p}\` contains a space: buildx splits a list of platforms at commas only and refuses a platform with spaces`);
    expect(problem.hint).toBe(`drop the spaces: \`${p.replace(/\s+/g, '')}\``);
  });
});

// Finding 5: a lone architecture is Linux here, where containerd's Parse `case 1` takes runtime.GOOS
// (platforms_test.go TestParseSelector: path.Join(defaultOS, "arm64")). Deliberate, and in the README.
describe('a lone architecture is Linux on every machine (README: Where matrix differs)', () => {
  it('in the spec, the message says containerd reads it so on a Linux machine, and matrix on every machine', () => {
    expect(platformProblem('arm64').message).toBe(
      '`arm64` is not a canonical platform name: containerd reads it as `linux/arm64` on a Linux machine (an architecture alone is Linux in matrix, on every machine)',
    );
    expect(platformProblem('linux/aarch64').message).toBe('`linux/aarch64` is not a canonical platform name: containerd reads it as `linux/arm64`');
  });

  it.each([
    [{ platform: 'darwin', arch: 'arm64' }, 'arm64', 'linux/arm64'],
    [{ platform: 'win32', arch: 'x64' }, 'x86_64', 'linux/amd64'],
    [{ platform: 'linux', arch: 'x64' }, 'aarch64', 'linux/arm64'],
  ])('%j: %s is %s', (m, p, want) => expect(commandLinePlatform(p, m)).toBe(want));
});

// Finding 6: compare.go platformVector, `case "arm64"`: the vector is reset and `if !ok { break }` leaves
// the switch for a variant missing from arm64variantToVersion, so Only(host) matches nothing, not even
// the host itself and no 32-bit arm. The audit ran containerd's own code for these pairs (cdref NATIVE).
describe('runsNatively on an arm64 host whose variant containerd does not list', () => {
  it.each(['linux/arm64/v10', 'linux/arm64/v7', 'linux/arm64/v8.10', 'linux/arm64/v9.8'])('%s runs no arm target natively', (host) => {
    for (const p of ['linux/arm/v7', 'linux/arm/v5', 'linux/arm/v8', 'linux/arm', 'linux/arm64', host]) expect(runsNatively(host, p), `${host} runs ${p}`).toBe(false);
  });

  it('the last variant containerd lists (v9.7) still runs 32-bit arm', () => {
    for (const p of ['linux/arm/v7', 'linux/arm/v5', 'linux/arm', 'linux/arm64', 'linux/arm64/v9.7']) expect(runsNatively('linux/arm64/v9.7', p), p).toBe(true);
  });
});
