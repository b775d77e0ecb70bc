// Platforms BuildKit knows (containerd's platform normalisation), in their
// canonical spelling. Aliases are accepted by BuildKit but we ask for the
// canonical form so that names, caches and plans agree.

export const KNOWN_PLATFORMS: readonly string[] = [
  'linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4',
  'linux/arm64', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7',
  'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64',
  'linux/mips64le', 'linux/mips64', 'linux/loong64',
  'windows/amd64', 'windows/arm64',
  'freebsd/amd64', 'freebsd/arm64',
];

const ALIASES: Record<string, string> = {
  'linux/x86_64': 'linux/amd64', 'linux/x86-64': 'linux/amd64', 'linux/x64': 'linux/amd64',
  'linux/aarch64': 'linux/arm64', 'linux/arm64/v8': 'linux/arm64', 'linux/armhf': 'linux/arm/v7',
  'linux/arm': 'linux/arm/v7', 'linux/armel': 'linux/arm/v6', 'linux/i386': 'linux/386',
  'linux/i686': 'linux/386', 'amd64': 'linux/amd64', 'arm64': 'linux/arm64',
};

export function canonicalHint(p: string): string | undefined {
  return ALIASES[p.toLowerCase()];
}

export function isKnownPlatform(p: string): boolean {
  return KNOWN_PLATFORMS.includes(p);
}

/** The platform this process runs on, as BuildKit names it. */
export function hostPlatform(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm/v7', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return `linux/${arch[process.arch] ?? process.arch}`;
}

/** Name-safe form of a platform: linux/arm/v7 -> linux-arm-v7. */
export function platformSlug(p: string): string {
  return p.replace(/\//g, '-');
}
