// Every case of containerd's own platform tests, replayed against matrix's
// platform handling (src/platforms.ts). Reference: github.com/containerd/platforms
// platforms_test.go (TestParseSelector, TestParseSelectorInvalid) and
// compare_test.go (TestOnly, TestOnlyStrict), read with platforms.go Parse,
// Normalize, Format and database.go normalizeOS, normalizeArch.
//
// What each table says is containerd's answer, worked out by hand from that
// code for a linux/amd64 machine (the tests' defaultOS/defaultArch), as buildx
// reads `--platform` (docker/buildx util/platformutil/parse.go Parse: Parse,
// then Normalize, then Format). matrix must give:
// - on the command line, the same canonical name (commandLinePlatform);
// - in a spec, acceptance when the name is that canonical name, else an error
//   whose hint names it (README: "Where matrix differs", platform aliases);
// - for comparisons, containerd's matchers: OnlyStrict (the same platform:
//   equal canonical names) and Only (what a host runs: runsNatively).
// OS versions and features (`windows(10.0.17763)`) are refused with a reason
// (README: deliberately not supported); their cases check that refusal.
import { describe, expect, it } from 'vitest';
import { canonicalPlatform, checkPlatform, commandLinePlatform, commandLinePlatformProblem, normalizedPlatform, runsNatively, specPlatformProblem } from '../../src/platforms.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';

const LINUX_AMD64 = { platform: 'linux', arch: 'x64' };

// platforms_test.go TestParseSelector, every case that is not skipped (the
// skipped ones are wildcards): input -> Format(Normalize(Parse(input))) on a
// linux/amd64 machine, and the platforms its matcher must match
// (NewMatcher(Parse(input)).Match), as {os, architecture, variant}.
type P = { os: string; architecture: string; variant?: string };
const PARSE_SELECTOR: [input: string, canonical: string, matches: P[]][] = [
  [
    'linux/arm64',
    'linux/arm64',
    [
      { os: 'linux', architecture: 'aarch64' },
      { os: 'linux', architecture: 'aarch64', variant: 'v8' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
  ],
  // Parse keeps v8 (case 3 sets it for arm64), Normalize drops it: buildx builds linux/arm64.
  [
    'linux/arm64/v8',
    'linux/arm64',
    [
      { os: 'linux', architecture: 'aarch64' },
      { os: 'linux', architecture: 'aarch64', variant: 'v8' },
      { os: 'linux', architecture: 'arm64' },
    ],
  ],
  // Parse leaves the variant blank; Normalize makes it v7.
  [
    'linux/arm',
    'linux/arm/v7',
    [
      { os: 'linux', architecture: 'arm', variant: 'v7' },
      { os: 'linux', architecture: 'armhf' },
      { os: 'linux', architecture: 'arm', variant: '7' },
    ],
  ],
  ['linux/arm/v6', 'linux/arm/v6', [{ os: 'linux', architecture: 'armel' }]],
  [
    'linux/arm/v7',
    'linux/arm/v7',
    [
      { os: 'linux', architecture: 'arm' },
      { os: 'linux', architecture: 'armhf' },
    ],
  ],
  // An architecture alone: containerd takes the machine's OS (linux here); matrix takes linux everywhere.
  ['arm', 'linux/arm/v7', []],
  ['armel', 'linux/arm/v6', []],
  ['armhf', 'linux/arm/v7', []],
  ['Aarch64', 'linux/arm64', []],
  ['x86_64', 'linux/amd64', []],
  ['Linux/x86_64', 'linux/amd64', []],
  ['i386', 'linux/386', []],
  ['s390x', 'linux/s390x', []],
  ['linux/s390x', 'linux/s390x', []],
  // An OS alone: the machine's architecture (runtime.GOARCH).
  ['linux', 'linux/amd64', []],
  ['macOS', 'darwin/amd64', []],
  ['windows', 'windows/amd64', []],
];

// TestParseSelector's OS versions and features (FormatAll keeps them): matrix refuses them, with a reason.
const OS_OPTIONS = [
  'windows()',
  'windows(10.0.17763)',
  'windows(10.0.17763+win32k)',
  'linux(+gpu)',
  'linux(+gpu+simd)',
  'linux(+unsorted+erofs)',
  'windows(10.0.17763%2Bbuild.42)',
  'windows(10.0.17763%2Bbuild.42+win32k)',
  'windows(50%25done)',
  // TestFormatAllEncoding's formatted names, which Parse reads back.
  'windows(10.0.17763%2Bbuild.42)/amd64',
  'windows(1.0%28beta%29)/amd64',
  'windows(a%2Fb)/amd64',
  'windows(10.0.17763)/amd64',
  'linux(+feat%2Bv2)/amd64',
  'linux(+100%25gpu)/amd64',
  'windows(10.0%2Bbuild+feat%2B1)/amd64',
];

// platforms_test.go TestParseSelectorInvalid: Parse fails.
const PARSE_INVALID = ['', '/linux/arm', 'linux/arm/', 'linux /arm', 'linux/&arm', 'linux/arm/foo/bar'];

describe('containerd TestParseSelector: the canonical name, on the command line and in a spec', () => {
  it.each(PARSE_SELECTOR)('%s is %s', (input, canonical) => {
    expect(commandLinePlatform(input, LINUX_AMD64)).toBe(canonical);
    expect(commandLinePlatformProblem(input, LINUX_AMD64)).toBeUndefined();
    const problem = specPlatformProblem(input);
    // An OS alone depends on the machine: refused in a spec (README: "Where matrix differs").
    if (/^(linux|windows|macos)$/i.test(input)) expect(problem?.message).toMatch(/names only an OS/);
    else if (input === canonical) expect(problem).toBeUndefined();
    else expect(problem?.hint).toContain(`\`${canonical}\``);
  });

  it.each(PARSE_SELECTOR.filter(([, , m]) => m.length))("%s matches what containerd's matcher matches (the same canonical name)", (_input, canonical, matches) => {
    for (const m of matches) expect(normalizedPlatform(m), JSON.stringify(m)).toBe(canonical);
  });

  it.each(OS_OPTIONS)('%s: an OS version or feature is refused with the reason', (input) => {
    expect(commandLinePlatform(input, LINUX_AMD64)).toBeUndefined();
    expect(commandLinePlatformProblem(input, LINUX_AMD64)?.message).toMatch(/OS versions and features in a platform are not supported/);
    expect(specPlatformProblem(input)?.message).toMatch(/OS versions and features in a platform are not supported/);
  });

  it.each(PARSE_INVALID)('%j is refused (TestParseSelectorInvalid)', (input) => {
    expect(canonicalPlatform(input)).toBeUndefined();
    expect(commandLinePlatform(input, LINUX_AMD64)).toBeUndefined();
    expect(specPlatformProblem(input)).toBeDefined();
    expect(checkPlatform(input).ok).toBe(false);
  });
});

// compare_test.go TestOnly: Only(host).Match(p), Parse on both sides. Every case, except
// the OS version (`windows(10.0.17763)/amd64`), which matrix does not read.
const ONLY: [host: string, yes: string[], no: string[]][] = [
  ['linux/amd64', ['linux/amd64', 'linux/386'], ['linux/amd64/v2', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/amd64/v2', ['linux/amd64', 'linux/amd64/v1', 'linux/amd64/v2', 'linux/386'], ['linux/amd64/v3', 'linux/amd64/v4', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/386', ['linux/386'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['windows/amd64', ['windows/amd64'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm']],
  ['linux/arm/v8', ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'], ['linux/amd64', 'linux/arm/v4', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v7', ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7'], ['linux/amd64', 'linux/arm/v4', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v6', ['linux/arm/v5', 'linux/arm/v6'], ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v5', ['linux/arm/v5'], ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v4', ['linux/arm/v4'], ['linux/amd64', 'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  [
    'linux/arm64/v9.6',
    [
      'linux/arm',
      'linux/arm/v5',
      'linux/arm/v6',
      'linux/arm/v7',
      'linux/arm/v8',
      'linux/arm64',
      'linux/arm64/v8',
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => `linux/arm64/v8.${m}`),
      'linux/arm64/v9',
      ...[0, 1, 2, 3, 4, 5, 6].map((m) => `linux/arm64/v9.${m}`),
    ],
    ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.10'],
  ],
  [
    'linux/arm64/v9',
    [
      'linux/arm',
      'linux/arm/v5',
      'linux/arm/v6',
      'linux/arm/v7',
      'linux/arm/v8',
      'linux/arm64',
      'linux/arm64/v8',
      ...[1, 2, 3, 4, 5].map((m) => `linux/arm64/v8.${m}`),
      'linux/arm64/v9',
      'linux/arm64/v9.0',
    ],
    ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.6'],
  ],
  [
    'linux/arm64/v8.1',
    ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8', 'linux/arm64/v8.1'],
    ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
  ],
  [
    'linux/arm64',
    ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8'],
    ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
  ],
];

describe('containerd TestOnly: what a build platform runs natively (runsNatively)', () => {
  it.each(ONLY)('Only(%s)', (host, yes, no) => {
    for (const p of yes) expect(runsNatively(host, p), `${host} runs ${p}`).toBe(true);
    for (const p of no) expect(runsNatively(host, p), `${host} does not run ${p}`).toBe(false);
  });
});

// compare_test.go TestOnlyStrict: OnlyStrict(p).Match(q) is "the same platform":
// Normalize on both sides, then equal. matrix compares platforms (bake --platform,
// ci-matrix, ci-contexts, template platforms, index digests) by canonical name.
const ONLY_STRICT: [platform: string, same: string[], other: string[]][] = [
  ['linux/amd64', ['linux/amd64'], ['linux/386', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/386', ['linux/386'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['windows/amd64', ['windows/amd64'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm']],
  ['linux/arm/v8', ['linux/arm/v8'], ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/amd64', 'linux/arm/v4', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v7', ['linux/arm', 'linux/arm/v7'], ['linux/arm/v5', 'linux/arm/v6', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v6', ['linux/arm/v6'], ['linux/arm/v5', 'linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v5', ['linux/arm/v5'], ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  ['linux/arm/v4', ['linux/arm/v4'], ['linux/amd64', 'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm']],
  [
    'linux/arm64/v9.5',
    ['linux/arm64/v9.5'],
    [
      'linux/arm',
      'linux/arm/v5',
      'linux/arm/v6',
      'linux/arm/v7',
      'linux/arm/v8',
      'linux/amd64',
      'linux/arm/v4',
      'linux/arm64/v8',
      'linux/arm64/v8.1',
      'linux/arm64/v9',
      'linux/arm64/v9.1',
      'linux/arm64/v9.4',
      'windows/amd64',
      'windows/arm',
    ],
  ],
  [
    'linux/arm64/v9',
    ['linux/arm64/v9', 'linux/arm64/v9.0'],
    ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v8', 'linux/arm64/v8.1', 'windows/amd64', 'windows/arm'],
  ],
  [
    'linux/arm64/v8.1',
    ['linux/arm64/v8.1'],
    ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v8', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
  ],
  [
    'linux/arm64',
    ['linux/arm64', 'linux/arm64/v8'],
    ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
  ],
];

describe('containerd TestOnlyStrict: the same platform is the same canonical name', () => {
  it.each(ONLY_STRICT)('OnlyStrict(%s)', (platform, same, other) => {
    const name = canonicalPlatform(platform);
    expect(name).toBeDefined();
    for (const p of same) expect(canonicalPlatform(p), p).toBe(name);
    for (const p of other) expect(canonicalPlatform(p), p).not.toBe(name);
  });
});

// An OS or architecture containerd's lists do not hold (database.go isKnownOS, isKnownArch). containerd's
// Parse reads such a name all the same (platforms.go Parse, `case 2`/`case 3` look nothing up), and buildx
// passes it to BuildKit; matrix refuses it, deliberately (README: "Where matrix differs"). The error must
// say which part containerd does not know, and a hint must never be another CPU that merely shares the OS
// (`linux/z80` was hinted `linux/386`, three edits of three letters away).
describe('an OS or architecture containerd does not know: refused, saying which', () => {
  it.each([
    ['wasi/wasm', 'OS `wasi`', undefined],
    ['linux/z80', 'architecture `z80`', undefined],
    ['linux/amd46', 'architecture `amd46`', 'linux/amd64'],
    ['lniux/amd64', 'OS `lniux`', 'linux/amd64'],
    ['linux/mips64el', 'architecture `mips64el`', 'linux/mips64le'],
    // Equally near: `riscv` (Go's list, no port builds for it) and `riscv64`; the common platform is named.
    ['linux/riscv32', 'architecture `riscv32`', 'linux/riscv64'],
    ['plan10/386', 'OS `plan10`', 'plan9/386'],
    ['Linux/AMD46', 'architecture `AMD46`', 'linux/amd64'],
    ['darwn/arm64', 'OS `darwn`', 'darwin/arm64'],
  ])('%s: containerd knows no %s', (p, part, guess) => {
    expect(canonicalPlatform(p)).toBeUndefined();
    const problem = specPlatformProblem(p)!;
    expect(problem.message).toBe(`unknown platform \`${p}\`: containerd knows no ${part}`);
    if (guess) expect(problem.hint).toBe(`did you mean \`${guess}\`?`);
    else expect(problem.hint).toMatch(/^matrix takes the (OSes|architectures) containerd knows: /);
    // Every hinted name is itself a platform matrix takes.
    if (guess) expect(checkPlatform(guess)).toEqual({ ok: true });
  });

  it('the hint lists the names containerd knows, so the right one is there to pick', () => {
    expect(specPlatformProblem('linux/z80')!.hint).toContain('386, amd64, amd64p32, arm, armbe, arm64');
    expect(specPlatformProblem('wasi/wasm')!.hint).toContain('linux, nacl, netbsd, openbsd, plan9, solaris, windows, zos');
  });
});

// A name whose first part is an architecture has no OS: containerd's Parse (`case 2`) reads the first part as
// the OS. The hint is the platform meant, never one made by reading the second part as a variant whatever it is:
// `amd64/linux` was hinted `linux/amd64/linux`, which matrix then took, and `arm64/amd64` `linux/arm64/amd64`.
describe('an architecture first: the hint is the platform meant, and one matrix takes', () => {
  it.each([
    ['amd64/linux', 'linux/amd64'],
    ['arm64/linux', 'linux/arm64'],
    ['x86_64/linux', 'linux/amd64'],
    ['aarch64/Linux', 'linux/arm64'],
    ['arm64/windows', 'windows/arm64'],
    ['arm/v7', 'linux/arm/v7'],
    ['arm64/8', 'linux/arm64'],
    ['amd64/v3', 'linux/amd64/v3'],
  ])('%s: did you mean %s', (p, meant) => {
    const problem = specPlatformProblem(p)!;
    expect(problem.message).toMatch(/has no OS: containerd would read/);
    expect(problem.hint).toBe(`did you mean \`${meant}\`? The OS comes first: os/arch[/variant]`);
    expect(checkPlatform(meant)).toEqual({ ok: true });
  });

  it.each(['arm64/amd64', 'amd64/foo', 'arm/linux2'])('%s: no platform is made up from it', (p) => {
    const problem = specPlatformProblem(p)!;
    expect(problem.message).toMatch(/^unknown platform `.+`: containerd knows no OS `/);
    expect(problem.hint).not.toContain(`linux/${p}`);
    const named = /`([^`]+)`/.exec(problem.hint)?.[1];
    if (named !== undefined) expect(checkPlatform(named)).toEqual({ ok: true });
  });
});

// What containerd's Parse refuses (TestParseSelectorInvalid, plus its wildcard error) was, in a spec, the
// schema's bare "has an invalid format", and on the command line "no selected target builds it" (buildx's
// `--platform` fails on it instead). Both now say what Parse objects to.
describe('a name containerd cannot parse: the reason, in a spec and on the command line', () => {
  const WHY: [input: string, why: RegExp][] = [
    ['/linux/arm', /it has an empty part/],
    ['linux/arm/', /it has an empty part/],
    ['linux//arm', /it has an empty part/],
    ['linux/&arm', /`&` is not allowed: each part is letters, digits, `_`, `\.` and `-`/],
    ['linux/arm/foo/bar', /it has 4 parts, and a platform has at most three: os\/arch\/variant/],
    // Parse checks every part before it counts them: the empty last part is the fault.
    ['linux/amd64/v2/', /it has an empty part/],

    ['linux/*', /containerd does not support wildcards/],
    ['*', /containerd does not support wildcards/],
  ];

  it.each(WHY)('%s', (input, why) => {
    const cli = commandLinePlatformProblem(input, LINUX_AMD64)!;
    expect(cli.message).toMatch(new RegExp(`^unknown platform \`${input.replace(/[*/]/g, '\\$&')}\`: `));
    expect(cli.message).toMatch(why);
    const src = `version: 1\nplatforms: [linux/amd64, ${JSON.stringify(input)}]\nservices:\n  api: {context: api, template: go}\n`;
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-format', ...pos(src, JSON.stringify(input)) }]);
    expect(r.diagnostics[0]!.message).toMatch(/^platforms\[1\] `.+` is no platform: /);
    expect(r.diagnostics[0]!.message).toMatch(why);
  });

  // platforms.go osRe: the OS is letters, digits, `_` and `-`, then an optional `(version+feature)`; these were
  // a bare "unknown platform" (with a guess) or the schema's "has an invalid format".
  it.each([
    ['linux.x/amd64', /the OS `linux\.x` is letters, digits, `_` and `-` only/],
    ['windows(+)/amd64', /`windows\(\+\)` is no OS with a version: .*the parentheses closed, each feature after a `\+`/],
    ['windows(10.0/amd64', /`windows\(10\.0` is no OS with a version/],
    ['linux/amd64(1)', /`amd64\(1\)`: `\(`, `\)`, `\+` and `%` belong only to an OS version, after the OS/],
  ])('%s: what is wrong with its OS part, or a parenthesis outside it', (input, why) => {
    expect(canonicalPlatform(input)).toBeUndefined();
    expect(commandLinePlatformProblem(input, LINUX_AMD64)!.message).toMatch(why);
    expect(specPlatformProblem(input)!.message).toMatch(why);
    const src = `version: 1\nplatforms: [linux/amd64, ${JSON.stringify(input)}]\nservices:\n  api: {context: api, template: go}\n`;
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!).toMatchObject(pos(src, JSON.stringify(input)));
    expect(r.diagnostics[0]!.message).toMatch(why);
  });

  it('spaces (containerd: "linux /arm") and a list in one entry (bake would split it) get the fix', () => {
    const src = `version: 1\nplatforms: ["linux /arm64", "linux/amd64, linux/arm64"]\nservices:\n  api: {context: api, template: go}\n`;
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(r.diagnostics.map((d) => [d.message, d.hint])).toEqual([
      ['platforms[0] `linux /arm64` is no platform: it contains a space, which containerd refuses', 'drop the spaces: `linux/arm64`'],
      ['platforms[1] `linux/amd64, linux/arm64` is no platform: it lists several platforms in one entry', 'give each platform its own entry: [linux/amd64, linux/arm64]'],
    ]);
  });

  it('a tab: one error that names it, not a second one for the same value', () => {
    // The schema's platform check refuses it; the generic line-break-or-tab error at the same value said it again.
    const src = 'version: 1\nplatforms: ["linux/\\tamd64"]\nservices:\n  api: {context: api, template: go}\n';
    const r = compileSpec(src, goDirs('api'), { validateOnly: true });
    expect(r.diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['invalid-format', 'platforms[0] `linux/\\u0009amd64` is no platform: it contains a tab, which containerd refuses', 'drop the spaces: `linux/amd64`'],
    ]);
    // A tab where nothing else refuses the value is still the line-break error.
    const tag = 'version: 1\nservices:\n  api: {context: api, template: go, tags: ["r.example/api:a\\tb"]}\n';
    expect(compileSpec(tag, goDirs('api'), { validateOnly: true }).diagnostics.map((d) => d.code)).toContain('line-break');
  });

  it('a bake template directive in a platform names the character, not the spaces', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    platforms: ["%{ if true }linux/amd64%{ endif }"]\n';
    const d = compileSpec(src, goDirs('api'), { validateOnly: true }).diagnostics;
    expect(d.map((x) => [x.code, x.message])).toEqual([
      ['invalid-format', 'services.api.platforms[0] `%{ if true }linux/amd64%{ endif }` is no platform: `{` is not allowed: each part is letters, digits, `_`, `.` and `-`'],
    ]);
  });
});
