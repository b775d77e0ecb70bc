// What a project's manifest says that a reviewer of `init`'s proposal wants to
// see next to the template it chose: the Go version (go.mod `go` and
// `toolchain` lines, https://go.dev/ref/mod#go-mod-file-go), a Node build step,
// entry point and engine (package.json `scripts.build`, `main`, `engines.node`,
// https://docs.npmjs.com/cli/configuring-npm/package-json), Python's console
// scripts and Python version (pyproject.toml `[project.scripts]`,
// `requires-python`, https://packaging.python.org/en/latest/specifications/pyproject-toml/).
// Shown as lines of the proposal only: line-oriented reads, no full parsers.

/** `file`: go.mod, or go.work (the same `go` and `toolchain` lines, go.dev/ref/mod#go-work-file). */
export function goModDetails(text: string, file = 'go.mod'): string[] {
  const go = /^go\s+(\S+)\s*$/m.exec(text)?.[1];
  const toolchain = /^toolchain\s+(\S+)\s*$/m.exec(text)?.[1];
  if (!go && !toolchain) return [];
  return [`${file}: ${[go && `go ${go}`, toolchain && `toolchain ${toolchain}`].filter(Boolean).join(', ')}`];
}

export function packageJsonDetails(pkg: { main?: unknown; scripts?: Record<string, unknown>; engines?: Record<string, unknown> }): string[] {
  const parts: string[] = [];
  if (typeof pkg.scripts?.build === 'string') parts.push(`build script \`${pkg.scripts.build}\``);
  if (typeof pkg.main === 'string') parts.push(`main ${pkg.main}`);
  if (typeof pkg.engines?.node === 'string') parts.push(`engines.node ${pkg.engines.node}`);
  return parts.length ? [`package.json: ${parts.join(', ')}`] : [];
}

export function pyprojectDetails(text: string): string[] {
  const parts: string[] = [];
  const py = /^requires-python\s*=\s*["']([^"'\n]+)["']/m.exec(text)?.[1];
  if (py) parts.push(`requires-python ${py}`);
  const scripts = /^\[project\.scripts\]\s*\n((?:(?!\[)[^\n]*\n?)*)/m.exec(text)?.[1] ?? '';
  const names = [...scripts.matchAll(/^\s*["']?([A-Za-z0-9_.-]+)["']?\s*=/gm)].map((m) => m[1]!);
  if (names.length) parts.push(`scripts ${names.join(', ')}`);
  return parts.length ? [`pyproject.toml: ${parts.join(', ')}`] : [];
}
