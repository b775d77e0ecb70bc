// Platform names as containerd reads them (github.com/containerd/platforms:
// `Parse`, `Normalize`, `Format` in platforms.go, the OS/arch lists and
// `normalizeArch` in database.go). BuildKit parses `--platform` with that
// package, so we accept exactly the spellings it keeps as they are
// (canonical), and for an alias we name the platform containerd turns it into:
// never a guess at another CPU level.
import { closest, visible } from './diagnostics.js';

export interface Platform {
  os: string;
  arch: string;
  variant: string;
}

// database.go: isKnownOS / isKnownArch (generated from Go's syslist.go).
const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'ppc64',
  'ppc64le',
  'loong64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
]);

/** Common platforms, for "did you mean" on names that are not an alias of anything. */
export const KNOWN_PLATFORMS: readonly string[] = [
  'linux/amd64',
  'linux/amd64/v2',
  'linux/amd64/v3',
  'linux/amd64/v4',
  'linux/arm64',
  'linux/arm/v5',
  'linux/arm/v6',
  'linux/arm/v7',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
  'linux/mips64le',
  'linux/mips64',
  'linux/loong64',
  'windows/amd64',
  'windows/arm64',
  'darwin/amd64',
  'darwin/arm64',
  'freebsd/amd64',
  'freebsd/arm64',
];

const COMPONENT = /^[A-Za-z0-9_.-]+$/;

const range = (from: number, to: number, name: (i: number) => string) => Array.from({ length: to - from + 1 }, (_, i) => name(from + i));

/**
 * The variants of each architecture, by their canonical names ('' is none).
 * containerd's Parse keeps any variant and looks none up (platforms.go Parse,
 * `case 3`); the levels it knows are those normalizeArch renames and its
 * matcher ranks (compare.go platformVector, arm64variantToVersion), and
 * those it names a machine by (cpuinfo_linux.go getCPUVariant): amd64 v2-v4
 * (GOAMD64; `v1` is amd64 itself), arm v3-v8 (`arm` alone is v7; Go and the
 * official images start at v5), arm64 v8.1-v8.9, v9 and v9.1-v9.7 (`v8`,
 * `v8.0` are arm64 itself, `v9.0` is v9).
 * BuildKit's cross-compilation helpers add the MIPS float ABIs
 * (tonistiigi/xx src/xx-go: TARGETVARIANT as GOMIPS, GOMIPS64). Any other
 * architecture has no variant: a variant there is a typo, or a level no
 * builder, matcher or registry knows, so no base image has it.
 */
const VARIANTS: Readonly<Record<string, readonly string[]>> = {
  amd64: ['', 'v2', 'v3', 'v4'],
  arm: ['v3', 'v4', 'v5', 'v6', 'v7', 'v8'],
  arm64: ['', ...range(1, 9, (i) => `v8.${i}`), 'v9', ...range(1, 7, (i) => `v9.${i}`)],
  mips: ['', 'hardfloat', 'softfloat'],
  mipsle: ['', 'hardfloat', 'softfloat'],
  mips64: ['', 'hardfloat', 'softfloat'],
  mips64le: ['', 'hardfloat', 'softfloat'],
};

/** The canonical variants of `arch` (normalized), '' for none. */
function variantsOf(arch: string): readonly string[] {
  return VARIANTS[arch] ?? [''];
}

function normalizeOS(os: string): string {
  const o = os.toLowerCase();
  return o === 'macos' ? 'darwin' : o;
}

// database.go normalizeArch.
function normalizeArch(archIn: string, variantIn: string): [string, string] {
  let arch = archIn.toLowerCase();
  let variant = variantIn.toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      else if (variant === '9' || variant === '9.0' || variant === 'v9.0') variant = 'v9';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
      break;
  }
  return [arch, variant];
}

// platforms.go osRe: the first component is <os>[(<OSVersion>[+<OSFeature>]*)].
const OS_RE = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;

/**
 * containerd's Parse followed by Normalize, with what matrix does not take
 * marked rather than read: `osOnly`, an OS alone (`linux`), which Parse
 * (`case 1`, isKnownOS) gives the architecture of the machine it runs on
 * (`arch` is '' here); `osOptions`, an OS version or features in parentheses
 * (`windows(10.0.17763)/amd64`, `linux(+gpu)/amd64`), which Parse keeps beside
 * the platform; `bare` is the name without them. A lone architecture gets the
 * OS `linux` (containerd takes the host's; images built here are Linux unless
 * they say otherwise).
 */
function parseSpecifier(s: string): { platform: Platform; osOnly: boolean; osOptions: boolean; bare: string } | undefined {
  if (s.includes('*')) return undefined;
  const parts = s.split('/');
  const m = OS_RE.exec(parts[0]!);
  if (!m || parts.length > 3 || !parts.slice(1).every((p) => COMPONENT.test(p))) return undefined;
  const osOptions = m[2] !== undefined;
  const bare = [m[1]!, ...parts.slice(1)].join('/');
  let os = normalizeOS(m[1]!);
  let arch: string;
  let variant: string;
  if (parts.length === 1) {
    if (KNOWN_OS.has(os)) return { platform: { os, arch: '', variant: '' }, osOnly: true, osOptions, bare };
    if (osOptions) return undefined; // Parse: not an OS, and no architecture either
    [arch, variant] = normalizeArch(parts[0]!, '');
    if (!KNOWN_ARCH.has(arch)) return undefined;
    os = 'linux';
  } else if (parts.length === 2) {
    [arch, variant] = normalizeArch(parts[1]!, '');
  } else {
    [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
  }
  // Normalize (platforms.go): a second normalizeArch settles arm -> arm/v7, arm64/v8 -> arm64.
  [arch, variant] = normalizeArch(arch, variant);
  return { platform: { os, arch, variant }, osOnly: false, osOptions, bare };
}

/**
 * containerd's Parse followed by Normalize, for the forms a spec can use.
 * A lone architecture gets the OS `linux` (containerd takes the host's; images
 * built here are Linux unless they say otherwise). An OS alone (its
 * architecture would be the machine's) and OS versions and features
 * (`windows(10.0.17763)`) are not supported: undefined.
 */
export function parsePlatform(s: string): Platform | undefined {
  const r = parseSpecifier(s);
  return r && !r.osOnly && !r.osOptions ? r.platform : undefined;
}

/** containerd's Format. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.arch, p.variant].filter(Boolean).join('/');
}

export type PlatformCheck =
  | { ok: true }
  | { ok: false; canonical?: string | undefined; reason: 'alias' | 'no-os' | 'os-only' | 'os-version' | 'unknown-os' | 'unknown-arch' | 'unknown-variant' | 'invalid' };

/**
 * A platform is accepted when containerd would keep it exactly as written and
 * knows its OS and architecture, and its variant is one of that architecture
 * (VARIANTS; `unknown-variant`: `linux/amd64/foo`, `linux/riscv64/v2`). An alias (`linux/aarch64`, `linux/amd64/v1`,
 * `x86_64`) is refused with the name containerd normalises it to.
 * `no-os`: an architecture and variant without the OS (`arm64/v8`,
 * `arm/v7`). containerd's Parse reads a two-part name as OS/architecture
 * (platforms.go Parse, `case 2`), so `arm/v7` is OS `arm`, architecture `v7`:
 * no platform at all. It is no alias; `canonical` is only the Linux platform
 * of that CPU, to suggest.
 * `os-only`: an OS alone (`linux`, `macos`), which containerd's Parse (`case
 * 1`, isKnownOS) reads as that OS on the architecture of the machine it runs
 * on: no name of one platform (on the command line, commandLinePlatform
 * reads it so). `os-version`: an OS version or features
 * (`windows(10.0.17763)/amd64`, `linux(+gpu)/amd64`; platforms.go osRe),
 * which matrix does not support; `canonical` is the platform without them,
 * when it is one.
 */
export function checkPlatform(s: string): PlatformCheck {
  const r = parseSpecifier(s);
  if (!r) return { ok: false, reason: 'invalid' };
  if (r.osOptions) return { ok: false, reason: 'os-version', canonical: r.osOnly ? undefined : canonicalPlatform(r.bare) };
  if (r.osOnly) return { ok: false, reason: 'os-only' };
  const p = r.platform;
  if (!KNOWN_OS.has(p.os)) {
    const parts = s.split('/');
    const [arch, variant] = normalizeArch(...normalizeArch(parts[0]!, parts[1] ?? ''));
    if (parts.length <= 2 && KNOWN_ARCH.has(arch)) {
      // The two parts the wrong way round (`amd64/linux`): the platform is the second, then the first.
      const os = parts[1] === undefined ? undefined : normalizeOS(parts[1]);
      if (os !== undefined && KNOWN_OS.has(os)) {
        const swapped = canonicalPlatform(`${os}/${parts[0]}`);
        if (swapped !== undefined) return { ok: false, reason: 'no-os', canonical: swapped };
      }
      // An architecture and a variant of it (`arm/v7`, `arm64/8`): that CPU on Linux. Anything else in the
      // second part (`arm64/amd64`, `amd64/v9`) is no variant of it (VARIANTS): no platform to suggest.
      if (variantsOf(arch).includes(variant)) return { ok: false, reason: 'no-os', canonical: formatPlatform({ os: 'linux', arch, variant }) };
    }
    return { ok: false, reason: 'unknown-os' };
  }
  if (!KNOWN_ARCH.has(p.arch)) return { ok: false, reason: 'unknown-arch' };
  if (!variantsOf(p.arch).includes(p.variant)) return { ok: false, reason: 'unknown-variant' };
  const canonical = formatPlatform(p);
  return canonical === s ? { ok: true } : { ok: false, reason: 'alias', canonical };
}

export function isKnownPlatform(p: string): boolean {
  return checkPlatform(p).ok;
}

/**
 * The platform to name in a hint for a refused `p`: the name containerd
 * normalises an alias to, or for an architecture without its OS (`no-os`)
 * the Linux platform of that CPU; undefined when `p` is canonical or unknown.
 */
export function canonicalHint(p: string): string | undefined {
  const c = checkPlatform(p);
  return !c.ok && (c.reason === 'alias' || c.reason === 'no-os') ? c.canonical : undefined;
}

/**
 * The canonical name of `name`, the one function every place a platform name
 * enters through (command-line options, image indexes, builder nodes,
 * template front matter) maps it with: `name` itself when canonical, the name
 * containerd normalises an alias to (Parse then Normalize then Format in
 * platforms.go, as buildx's util/platformutil/parse.go Parse does for
 * `--platform`), undefined for anything else (unknown OS or architecture, no
 * OS, wildcards, OS versions). One difference from containerd: a lone
 * architecture (`arm64`) is Linux here, where containerd takes the OS of the
 * machine it runs on (README, "Where matrix differs from GitHub and bake").
 */
export function canonicalPlatform(name: string): string | undefined {
  const c = checkPlatform(name);
  if (c.ok) return name;
  return c.reason === 'alias' ? c.canonical : undefined;
}

/** A platform name by its canonical name (canonicalPlatform); a name that is none is kept as it is. */
export function normalizePlatform(p: string): string {
  return canonicalPlatform(p) ?? p;
}

/**
 * containerd's Normalize of an already parsed platform, as an image index
 * descriptor or image config gives it (`{architecture: "arm"}` without a
 * variant is linux/arm/v7, `{amd64, v1}` is linux/amd64, `{arm64, v8}` is
 * linux/arm64): normalizeOS and normalizeArch in database.go, then Format.
 */
export function normalizedPlatform(p: { os: string; architecture: string; variant?: string | undefined }): string {
  const [arch, variant] = normalizeArch(p.architecture, p.variant ?? '');
  return formatPlatform({ os: normalizeOS(p.os), arch, variant });
}

/**
 * What to say of a name that is not a canonical platform: the message and a
 * hint from the canonical mapping (never a guess at another CPU level),
 * else from `closest` over `candidates` when given.
 */
export function platformProblem(p: string, closest?: (p: string) => string | undefined): { message: string; hint: string } {
  const c = checkPlatform(p);
  if (c.ok) return { message: `\`${p}\` is a platform`, hint: '' };
  if (isLocalPlatform(p)) {
    return {
      message: `\`${p}\` cannot be a platform of the spec: it means the machine that runs matrix, and the generated files must be the same on every machine (\`gen --check\` runs on CI machines of other architectures)`,
      hint: "name the platform, e.g. `linux/amd64` or `linux/arm64`; on the command line, `--platform local` picks this machine's",
    };
  }
  if (c.reason === 'alias') {
    return {
      // A lone architecture: containerd's Parse gives it the machine's OS (platforms.go `case 1`); matrix, Linux.
      message: `\`${p}\` is not a canonical platform name: containerd reads it as \`${c.canonical}\`${p.includes('/') ? '' : ' on a Linux machine (an architecture alone is Linux in matrix, on every machine)'}`,
      hint: `did you mean \`${c.canonical}\`? (one spelling per platform keeps target names, caches and plans in agreement)`,
    };
  }
  if (c.reason === 'no-os') {
    const [first, second] = p.split('/');
    return {
      message: `\`${p}\` has no OS: containerd would read \`${first}\` as the OS${second ? ` and \`${second}\` as the architecture` : ''}`,
      hint: `did you mean \`${c.canonical}\`? The OS comes first: os/arch[/variant]`,
    };
  }
  if (c.reason === 'os-version') {
    const write = c.canonical ?? `os/arch[/variant], e.g. \`${osExample(p.split(/[(/]/)[0]!)}\``;
    return {
      message: `\`${p}\`: OS versions and features in a platform are not supported; write ${write}`,
      hint: "matrix names a platform os/arch[/variant], as containerd's Format writes it, without the OS version; the OS version an image runs on comes from its base image",
    };
  }
  if (c.reason === 'os-only') {
    return {
      message: `\`${p}\` names only an OS: containerd reads it as that OS on the architecture of the machine that reads it, and the generated files must be the same on every machine`,
      hint: `give the architecture too, e.g. \`${osExample(p)}\`; an OS alone depends on the machine (on the command line, \`--platform ${p}\` is ${normalizeOS(p)} on this machine's architecture)`,
    };
  }
  if (c.reason === 'unknown-os' || c.reason === 'unknown-arch') return unknownPartProblem(p, c.reason);
  if (c.reason === 'unknown-variant') return unknownVariantProblem(p);
  const syntax = platformSyntaxProblem(p);
  if (syntax) return { message: `unknown platform \`${visible(p)}\`: ${syntax.why}`, hint: syntax.hint };
  const guess = closest?.(p);
  return {
    message: `unknown platform \`${p}\``,
    hint: guess ? `did you mean \`${guess}\`?` : `a platform is os/arch[/variant], e.g. ${KNOWN_PLATFORMS.slice(0, 6).join(', ')}`,
  };
}

/**
 * Why containerd's Parse refuses `s` as a platform (platforms.go Parse: no
 * wildcards, at most three parts, each non-empty and of letters, digits, `_`,
 * `.` and `-`; platforms_test.go TestParseSelectorInvalid: "", "/linux/arm",
 * "linux/arm/", "linux /arm", "linux/&arm", "linux/arm/foo/bar"), or that it
 * lists several platforms in one entry (buildx splits a list at commas, and a
 * spec gives each platform its own entry); undefined for anything else.
 */
export function platformSyntaxProblem(s: string): { why: string; hint: string } | undefined {
  const example = 'a platform is os/arch[/variant], e.g. linux/amd64, linux/arm64, linux/arm/v7';
  const parts = s.split('/');
  const bad = /[^A-Za-z0-9_./()+%-]/.exec(s.replace(/[\s,*]/g, ''))?.[0];
  if (s.trim() === '') return { why: 'it is empty', hint: example };
  if (bad !== undefined) return { why: `\`${visible(bad)}\` is not allowed: each part is letters, digits, \`_\`, \`.\` and \`-\``, hint: example };
  if (s.includes(','))
    return {
      why: 'it lists several platforms in one entry',
      hint: `give each platform its own entry: [${s
        .split(',')
        .map((x) => x.trim())
        .join(', ')}]`,
    };
  const blank = /\s/.exec(s)?.[0];
  if (blank !== undefined)
    return {
      why: `it contains ${blank === ' ' ? 'a space' : blank === '\t' ? 'a tab' : 'a line break or other blank'}, which containerd refuses`,
      hint: `drop the spaces: \`${s.replace(/\s+/g, '')}\``,
    };
  if (s.includes('*')) return { why: 'containerd does not support wildcards in a platform', hint: `name each platform; ${example}` };
  // containerd checks each part before it counts them (platforms.go Parse): `linux/amd64/v2/` is an empty part.
  if (parts.includes('')) return { why: 'it has an empty part: a `/` at the start or the end, or two in a row', hint: example };
  if (parts.length > 3) return { why: `it has ${parts.length} parts, and a platform has at most three: os/arch/variant`, hint: example };
  const [os, ...rest] = parts as [string, ...string[]];
  const bare = [os.replace(/\(.*$/, '').replace(/\).*$/, ''), ...rest].join('/');
  if (/[()]/.test(os) && !OS_RE.test(os))
    return {
      why: `\`${os}\` is no OS with a version: containerd reads an OS version and features as \`os(version+feature)\`, the parentheses closed, each feature after a \`+\``,
      hint: `write \`${bare}\`: matrix names a platform without the OS version`,
    };
  if (!/[()]/.test(os) && !OS_RE.test(os)) return { why: `the OS \`${os}\` is letters, digits, \`_\` and \`-\` only (containerd's OS part has no \`.\`)`, hint: example };
  const odd = rest.find((x) => !COMPONENT.test(x));
  if (odd !== undefined)
    return {
      why: `\`${odd}\`: \`(\`, \`)\`, \`+\` and \`%\` belong only to an OS version, after the OS (\`os(version)/arch\`); the architecture and variant are letters, digits, \`_\`, \`.\` and \`-\``,
      hint: example,
    };
  return undefined;
}

/**
 * A well-formed name whose OS or architecture containerd's lists do not hold
 * (database.go isKnownOS, isKnownArch: `linux/z80`, `wasi/wasm`). containerd's
 * Parse reads it all the same (platforms.go Parse, `case 2`: it does not look
 * the parts up) and buildx passes it to BuildKit; matrix refuses it (README:
 * "Where matrix differs"). The hint is the known name spelt nearest that part
 * (`linux/amd46`: `linux/amd64`), never a CPU that merely shares the OS, else
 * the names containerd knows.
 */
function unknownPartProblem(p: string, reason: 'unknown-os' | 'unknown-arch'): { message: string; hint: string } {
  const parts = p.split('/');
  const i = reason === 'unknown-os' ? 0 : 1;
  const [what, known] = i === 0 ? (['OS', KNOWN_OS] as const) : (['architecture', KNOWN_ARCH] as const);
  // Equally near names: the one of a common platform first (`riscv32`: `riscv64`, not `riscv`).
  const common = KNOWN_PLATFORMS.map((k) => k.split('/')[i]!);
  const near = closest(parts[i]!.toLowerCase(), new Set([...common, ...known]));
  const guess = near === undefined ? undefined : canonicalPlatform(parts.map((x, j) => (j === i ? near : x)).join('/'));
  return {
    message: `unknown platform \`${p}\`: containerd knows no ${what} \`${parts[i]}\``,
    hint: guess ? `did you mean \`${guess}\`?` : `matrix takes the ${i === 0 ? 'OSes' : 'architectures'} containerd knows: ${[...known].join(', ')}`,
  };
}

/** A variant's CPU level as a number (`v8.2`: 802, `7`: 700), to rank equally near names by; undefined for a name (`softfloat`). */
function variantRank(variant: string): number | undefined {
  const m = /^v?([0-9]{1,3})(?:\.([0-9]{1,2}))?$/.exec(variant);
  return m ? Number(m[1]) * 100 + Number(m[2] ?? 0) : undefined;
}

/** The variants of `arch` as a message lists them: `v2`, `v3`, `v4`, the arm64 levels as ranges. */
function variantList(arch: string): string {
  if (arch === 'arm64') return '`v8.1` to `v8.9`, `v9` and `v9.1` to `v9.7`';
  const named = variantsOf(arch).filter(Boolean);
  return named.length === 1
    ? `\`${named[0]}\``
    : `${named
        .slice(0, -1)
        .map((v) => `\`${v}\``)
        .join(', ')} and \`${named.at(-1)}\``;
}

/**
 * A variant its architecture does not have (VARIANTS: `linux/amd64/foo`,
 * `linux/arm/v9`, `linux/riscv64/v2`). containerd's Parse keeps any variant
 * (platforms.go Parse, `case 3`) and buildx passes it to BuildKit, which finds
 * no base image for it; matrix refuses it (README: "Where matrix differs").
 * The hint: the same variant of the other ARM architecture (`linux/arm64/v7`:
 * `linux/arm/v7`; `linux/arm/v9`: `linux/arm64/v9`), else this architecture's
 * variant spelt nearest it (equally near ones by the nearest CPU level:
 * `linux/amd64/v5`: `linux/amd64/v4`), else the architecture alone (when it
 * has no variants, or nothing is near).
 */
function unknownVariantProblem(p: string): { message: string; hint: string } {
  const { os, arch } = parsePlatform(p)!;
  const written = p.split('/')[2] ?? '';
  const named = (a: string, v: string) => formatPlatform({ os, arch: a, variant: v });
  const known = variantsOf(arch);
  if (known.length === 1 && known[0] === '') {
    return {
      message: `unknown platform \`${p}\`: ${arch} has no variants, so \`${written}\` is none (containerd and BuildKit name variants of amd64, arm and arm64, CPU levels, and of mips, mipsle, mips64 and mips64le, float ABIs)`,
      hint: `did you mean \`${named(arch, '')}\`?`,
    };
  }
  const plain = known.includes('') ? ` (\`${named(arch, '')}\` is ${arch} without one)` : '';
  const message = `unknown platform \`${p}\`: \`${written}\` is no variant of ${arch}, which has ${variantList(arch)}${plain}`;
  const sibling = arch === 'arm' ? 'arm64' : arch === 'arm64' ? 'arm' : undefined;
  const other = sibling === undefined ? undefined : canonicalPlatform(named(sibling, written));
  if (other !== undefined && checkPlatform(other).ok && parsePlatform(other)!.variant !== '') {
    return { message, hint: `did you mean \`${other}\` (${sibling === 'arm' ? '32-bit' : '64-bit'} ARM)?` };
  }
  const rank = variantRank(written.toLowerCase());
  const candidates = known.filter(Boolean);
  const far = (v: string) => Math.abs((variantRank(v) ?? 1e6) - (rank ?? 0));
  const near = closest(written, rank === undefined ? candidates : [...candidates].sort((a, b) => far(a) - far(b)));
  if (near !== undefined) return { message, hint: `did you mean \`${named(arch, near)}\`?` };
  // containerd's name of the architecture alone: plain amd64 and arm64, arm/v7 (database.go normalizeArch).
  const alone = canonicalPlatform(`${os}/${arch}`)!;
  return { message, hint: `name one of them, or \`${alone}\`, what containerd makes of ${arch} without a variant` };
}

/** A platform of the OS `os` (any spelling containerd reads, `macOS`), to name in a hint: darwin/arm64, else os/amd64. */
function osExample(os: string): string {
  const o = normalizeOS(os);
  return `${o}/${o === 'darwin' ? 'arm64' : 'amd64'}`;
}

/**
 * What is wrong with a platform of the spec (`platforms:`, a service's
 * `platforms`, `builders.nodes[].platforms`, a template's front matter
 * `platforms`): undefined when it is a canonical platform name, else the
 * message and hint of platformProblem, with a "did you mean" among the
 * common platforms. The one check of every place a spec names a platform.
 */
export function specPlatformProblem(p: string): { message: string; hint: string } | undefined {
  if (CANONICAL_SEEN.has(p)) return undefined;
  if (!checkPlatform(p).ok) return platformProblem(p, (x) => closest(x, KNOWN_PLATFORMS));
  if (CANONICAL_SEEN.size < CANONICAL_SEEN_MAX) CANONICAL_SEEN.add(p);
  return undefined;
}

/**
 * Names specPlatformProblem found canonical (checkPlatform is a pure function
 * of the text). A spec names the same few platforms for every service: 1,000
 * services x 3 platforms parsed 3,000 times took about 40 ms of a 1.1 s
 * compile (2026-12-06). Bounded, so hostile input cannot grow it.
 */
const CANONICAL_SEEN = new Set<string>();
const CANONICAL_SEEN_MAX = 256;

/** Go's strconv.Atoi of a variant without its `v` (compare.go: `strconv.Atoi(strings.TrimPrefix(variant, "v"))`). */
function variantLevel(variant: string): number | undefined {
  const digits = variant.startsWith('v') ? variant.slice(1) : variant;
  return /^[+-]?[0-9]+$/.test(digits) ? Number(digits) : undefined;
}

/**
 * compare.go arm64variantToVersion: the arm64 levels an arm64 variant runs, as
 * [major, highest minor] pairs: v8.x runs v8.x down to v8; v9.x (x <= 7) runs
 * v9.x down to v9, then v8.(x+5, at most 9) down to v8. Undefined for any other
 * variant (v8.10, v10): containerd lists no arm64 level for it.
 */
function arm64Levels(variant: string): [number, number][] | undefined {
  const m = /^v([89])(?:\.([0-9]))?$/.exec(variant);
  if (!m) return undefined;
  const minor = Number(m[2] ?? 0);
  if (m[1] === '8') return [[8, minor]];
  return minor <= 7
    ? [
        [9, minor],
        [8, Math.min(minor + 5, 9)],
      ]
    : undefined;
}

/**
 * containerd's platformVector (compare.go): the platforms a host platform runs,
 * its own first. amd64/vN adds vN-1 down to v1 (plain amd64), then 386; a
 * missing or non-numeric variant adds only 386. arm/vN (N > 5) adds vN-1 down
 * to v5. arm64 (a missing variant is v8) lists its arm64 levels (arm64Levels),
 * then what arm/v8 runs (any v8.x or v9.x counts as v8). An arm64 variant
 * missing from containerd's arm64variantToVersion (v10, v8.10, v9.8, v7) gives
 * an empty vector: compare.go resets the vector for arm64 and leaves the
 * switch (`if !ok { break }`) before it adds anything, so such a host runs
 * nothing by this matcher, not even itself, and no 32-bit arm.
 */
function platformVector(p: Platform): Platform[] {
  const as = (arch: string, variant: string): Platform => ({ os: p.os, arch, variant });
  const below = (arch: string, from: number | undefined, to: number) => {
    const out: Platform[] = [];
    for (let v = (from ?? to) - 1; from !== undefined && v >= to; v--) out.push(as(arch, `v${v}`));
    return out;
  };
  if (p.arch === 'amd64') return [p, ...below('amd64', variantLevel(p.variant), 1), as('386', '')];
  if (p.arch === 'arm') return [p, ...below('arm', variantLevel(p.variant), 5)];
  if (p.arch !== 'arm64') return [p];
  const variant = p.variant || 'v8';
  const known = arm64Levels(variant);
  if (!known) return [];
  const levels = known.flatMap(([major, top]) => Array.from({ length: top + 1 }, (_, i) => as('arm64', top - i ? `v${major}.${top - i}` : `v${major}`)));
  // "All arm64/v8.x and arm64/v9.x are compatible with arm/v8 (32-bits) and below" (compare.go).
  return [...levels, ...platformVector(as('arm', 'v8'))];
}

/**
 * Does a machine of platform `host` run `platform` without emulation?
 * containerd's `Only(host).Match(platform)` (containerd/platforms compare.go:
 * Only, platformVector; NewMatcher compares Normalize of both sides), which is
 * how BuildKit decides that a step needs no emulator: it asks Only(p).Match for
 * each platform its worker supports (moby/buildkit
 * solver/llbsolver/ops/exec_binfmt.go getEmulator). So linux/amd64/v3 runs
 * linux/amd64/v2, linux/amd64 and linux/386; linux/amd64 runs linux/386 but
 * not linux/amd64/v2; linux/arm64 runs linux/arm/v8 down to v5. Not
 * OnlyStrict (the platform alone), which buildx uses only to prefer a node
 * whose configured platform is exact (build/resolver/driver.go). A name
 * parsePlatform does not read is compared as written.
 */
export function runsNatively(host: string, platform: string): boolean {
  const h = parsePlatform(host);
  const p = parsePlatform(platform);
  if (!h || !p) return host === platform;
  const want = formatPlatform(p);
  return platformVector(h).some((v) => {
    const [arch, variant] = normalizeArch(v.arch, v.variant);
    return formatPlatform({ os: v.os, arch, variant }) === want;
  });
}

/** The machine as Node describes it: process.platform, process.arch, and the ARM level Node was built for. */
export interface Machine {
  platform: string;
  arch: string;
  armVersion?: string | undefined;
}

function thisMachine(): Machine {
  const armVersion = (process.config.variables as { arm_version?: unknown }).arm_version;
  return { platform: process.platform, arch: process.arch, armVersion: typeof armVersion === 'string' ? armVersion : undefined };
}

// Node's process.platform and process.arch by the names Go (runtime.GOOS, GOARCH) and so containerd give them.
const NODE_OS: Readonly<Record<string, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  aix: 'aix',
  sunos: 'solaris',
  android: 'android',
};
const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  s390x: 's390x',
  s390: 's390',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
  ppc: 'ppc',
};

/**
 * The architecture (and variant) of `m` on `os`. 32-bit ARM: containerd's
 * DefaultSpec takes the variant from /proc/cpuinfo (cpuinfo_linux.go
 * getCPUVariant); matrix reads no file for it and takes the ARM level Node was
 * built for (`arm_version` of process.config: 6 or 7), which that CPU runs
 * too, else v7 (what containerd's normalizeArch makes of `arm` alone).
 * Node's ppc64 is little-endian except on AIX.
 */
function machineArch(m: Machine, os: string): string | undefined {
  if (m.arch === 'arm') return `arm/v${/^[5-8]$/.test(m.armVersion ?? '') ? m.armVersion : '7'}`;
  if (m.arch === 'ppc64') return os === 'aix' ? 'ppc64' : 'ppc64le';
  return NODE_ARCH[m.arch];
}

/** The platform BuildKit builds on here (its workers run Linux): the default `--build-platform`. */
export function hostPlatform(m: Machine = thisMachine()): string {
  return `linux/${machineArch(m, 'linux') ?? m.arch}`;
}

/**
 * What buildx reads `local` as (docker/buildx util/platformutil/parse.go
 * `parse`: any case of `local` is containerd's DefaultSpec, then Normalize):
 * the OS and architecture of the machine the command runs on, so `darwin/arm64`
 * on an Apple silicon Mac. Undefined on a machine containerd has no name for.
 */
export function localPlatform(m: Machine = thisMachine()): string | undefined {
  const os = NODE_OS[m.platform];
  const arch = os && machineArch(m, os);
  return arch ? canonicalPlatform(`${os}/${arch}`) : undefined;
}

/** `local`, in any case, as buildx's parse compares it (strings.EqualFold). */
export function isLocalPlatform(name: string): boolean {
  return name.toLowerCase() === 'local';
}

/**
 * A platform given on the command line (`--platform`, `--build-platform`,
 * `--runner`), as buildx reads `--platform` (util/platformutil/parse.go):
 * `local` is this machine's platform (localPlatform); an OS alone (`linux`,
 * `windows`, `macos`) is that OS on this machine's architecture, as
 * containerd's Parse reads it (platforms.go `case 1`, isKnownOS:
 * runtime.GOARCH); anything else its canonical name (canonicalPlatform). A
 * spec takes neither `local` nor an OS alone (platformProblem).
 */
export function commandLinePlatform(name: string, m: Machine = thisMachine()): string | undefined {
  if (isLocalPlatform(name)) return localPlatform(m);
  const c = checkPlatform(name);
  if (!c.ok && c.reason === 'os-only') {
    // runtime.GOARCH is the machine's, whatever OS is named (Node's ppc64 is little-endian off AIX).
    const arch = machineArch(m, NODE_OS[m.platform] ?? 'linux');
    return arch ? canonicalPlatform(`${normalizeOS(name)}/${arch}`) : undefined;
  }
  return canonicalPlatform(name);
}

/**
 * What is wrong with a platform given on the command line that no command
 * can say better than this: whitespace (buildx splits a list at commas only,
 * and containerd's Parse refuses a space: platforms_test.go
 * TestParseSelectorInvalid "linux /arm"), anything else that Parse refuses
 * (platformSyntaxProblem: `linux/&arm`, `linux/*`), an OS version or
 * features, or `local` or an OS alone on a machine containerd has no name
 * for. Undefined otherwise: commandLinePlatform maps it, or the command says
 * what it builds.
 */
export function commandLinePlatformProblem(name: string, m: Machine = thisMachine()): { message: string; hint: string } | undefined {
  if (/\s/.test(name)) {
    const bare = name.replace(/\s+/g, '');
    return {
      message: `\`${name}\` contains a space: buildx splits a list of platforms at commas only and refuses a platform with spaces`,
      hint: bare ? `drop the spaces: \`${bare}\`` : 'drop the spaces',
    };
  }
  const c = checkPlatform(name);
  if (!c.ok && c.reason === 'os-version') return platformProblem(name);
  // What containerd's Parse refuses (buildx's `--platform` fails on it), said as such, not "no target builds it".
  const syntax = c.ok ? undefined : platformSyntaxProblem(name);
  if (syntax) return { message: `unknown platform \`${visible(name)}\`: ${syntax.why}`, hint: syntax.hint };
  const local = isLocalPlatform(name);
  if ((local || (!c.ok && c.reason === 'os-only')) && commandLinePlatform(name, m) === undefined) {
    return {
      message: `\`${name}\` is ${local ? "this machine's platform" : "that OS on this machine's architecture"}, and ${m.platform}/${m.arch} has no name containerd knows`,
      hint: 'name the platform, e.g. `linux/amd64`',
    };
  }
  return undefined;
}

/** Name-safe form of a platform: linux/arm/v7 -> linux-arm-v7. */
export function platformSlug(p: string): string {
  return p.replace(/\//g, '-');
}
