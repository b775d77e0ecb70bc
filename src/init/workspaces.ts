// `matrix init`: where a workspace member must be built. A member of a Cargo,
// Go or npm workspace needs its siblings and the workspace's lock file, so its
// build context is the workspace root, not its own directory. Line-oriented
// reads of the manifests, no full parsers, as in manifests.ts.
//
// Cargo (doc.rust-lang.org/cargo/reference/workspaces.html): a package belongs
// to the workspace of the nearest Cargo.toml above it with a `[workspace]`
// table whose `members` globs match it and whose `exclude` globs do not (or the
// one its `package.workspace` key names); Cargo.lock and `target/` are at that
// root. Binary targets (doc.rust-lang.org/cargo/reference/cargo-targets.html#target-auto-discovery):
// `[[bin]]` tables, and unless `autobins = false`, src/main.rs (named after the
// package) and src/bin/NAME.rs or src/bin/NAME/main.rs.
//
// Go (go.dev/ref/mod#workspaces): the go command uses the go.work it finds in
// the working directory or above; its `use` directives name module
// directories, relative to it. A `replace` to a local path (go.dev/ref/mod#go-mod-file-replace)
// is a directory read at build time, which must be inside the build context.
//
// Node: npm and Yarn read the root package.json's `workspaces` (a list of
// globs, or Yarn's `{ packages: [...] }`; docs.npmjs.com/cli/v11/using-npm/workspaces),
// pnpm its pnpm-workspace.yaml `packages` (`!` excludes; pnpm.io/pnpm-workspace_yaml).
// The lock file at the root says which package manager installs it.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** Reads a file under the scan root, undefined when it cannot. */
export type Read = (file: string) => string | undefined;

/** `rel` and each directory above it, up to `.` (the scan root), nearest first. */
export function ancestors(rel: string): string[] {
  const out: string[] = [];
  for (let d = rel; ; d = path.posix.dirname(d)) {
    out.push(d);
    if (d === '.' || d === '/' || d === '') break;
  }
  return out;
}

/** `to` relative to `from` (both relative to the root, POSIX), or undefined when it leaves the root. */
export function underRoot(from: string, to: string): string | undefined {
  const joined = path.posix.normalize(path.posix.join(from, to)).replace(/\/+$/, '') || '.';
  return joined === '..' || joined.startsWith('../') || path.posix.isAbsolute(joined) ? undefined : joined;
}

/** Whether directory `dir` is `ancestor` or below it (both relative to the root). */
export function isWithin(dir: string, ancestor: string): boolean {
  return ancestor === '.' || dir === ancestor || dir.startsWith(`${ancestor}/`);
}

/** `dir` relative to `ancestor`, `.` for itself. */
export function relativeTo(dir: string, ancestor: string): string {
  return path.posix.relative(ancestor, dir) || '.';
}

/**
 * A path glob as Cargo's `members`, npm's `workspaces` and pnpm's `packages`
 * use them: `*`, `?` and `[...]` within one directory level, `**` for any
 * number of levels; a leading `./` and trailing `/` are ignored.
 */
export function globMatches(pattern: string, rel: string): boolean {
  const p = pattern
    .trim()
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (p === '' || p === '.') return rel === '.';
  let re = '';
  const parts = p.split('/');
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') {
      re += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    re += part.replace(/\\(.)|(\*)|(\?)|(\[!?[^\]]*\])|([.+^${}()|\\])/g, (_m, esc, star, q, cls, special) =>
      esc !== undefined ? `\\${esc}` : star ? '[^/]*' : q ? '[^/]' : cls ? cls.replace(/^\[!/, '[^') : `\\${special}`,
    );
    if (!last) re += '/';
  });
  try {
    return new RegExp(`^${re}$`).test(rel);
  } catch {
    return false;
  }
}

/** The lines of a TOML table `[name]` (up to the next table header). */
function tomlTable(toml: string, name: string): string {
  const lines = toml.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const head = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (head) inside = head[1] === name && !line.trim().startsWith('[[');
    else if (inside) out.push(line);
  }
  return out.join('\n');
}

/** The strings of a TOML array `key = [ ... ]` (on one line or several) in `text`. */
function tomlStrings(text: string, key: string): string[] {
  const m = new RegExp(`^\\s*${key}\\s*=\\s*\\[([^\\]]*)\\]`, 'm').exec(text);
  return m ? [...m[1]!.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((s) => s[1] ?? s[2]!) : [];
}

function tomlString(text: string, key: string): string | undefined {
  const m = new RegExp(`^\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|'([^']*)')`, 'm').exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface CargoManifest {
  /** `[package] name`; undefined for a virtual manifest (a workspace root only). */
  package?: string;
  /** `[[bin]]` names, in order. */
  bins: string[];
  autobins: boolean;
  /** `[workspace]` present. */
  workspace: boolean;
  members: string[];
  exclude: string[];
  /** `package.workspace`: the path of its workspace root, when the package names it. */
  workspacePath?: string;
  /** Paths of `path` dependencies (and `[patch]`/`[replace]` entries), relative to the package. */
  pathDeps: string[];
}

export function readCargoManifest(toml: string): CargoManifest {
  let section = '';
  const bins: string[] = [];
  const pathDeps: string[] = [];
  for (const line of toml.split('\n')) {
    const head = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (head) {
      section = head[1]!.replace(/\s+/g, '');
      continue;
    }
    if (section === 'bin') {
      const name = tomlString(line, 'name');
      if (name) bins.push(name);
    }
    // `[dependencies]`, `[dev-dependencies.x]`, `[target.'cfg(..)'.dependencies]`, `[patch.crates-io]`, `[replace]`.
    if (/(^|\.)(dependencies|dev-dependencies|build-dependencies)(\.|$)|^patch(\.|$)|^replace$/.test(section)) {
      for (const m of line.matchAll(/(?:^|[{,\s])path\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')/g)) pathDeps.push(m[1] ?? m[2]!);
    }
  }
  const pkg = tomlTable(toml, 'package');
  const ws = tomlTable(toml, 'workspace');
  const workspace = /^\s*\[\s*workspace\s*\]\s*(#.*)?$/m.test(toml);
  return {
    ...(tomlString(pkg, 'name') !== undefined ? { package: tomlString(pkg, 'name')! } : {}),
    bins,
    autobins: !/^\s*autobins\s*=\s*false\b/m.test(pkg),
    workspace,
    members: tomlStrings(ws, 'members'),
    exclude: tomlStrings(ws, 'exclude'),
    ...(tomlString(pkg, 'workspace') !== undefined ? { workspacePath: tomlString(pkg, 'workspace')! } : {}),
    pathDeps,
  };
}

/**
 * The binary target Cargo builds for the package at `abs` (the first one), or
 * undefined when it has none (a library, or a virtual manifest).
 */
export function cargoBinaryTarget(abs: string, m: CargoManifest): string | undefined {
  if (m.package === undefined) return undefined;
  if (m.bins.length) return m.bins[0];
  if (!m.autobins) return undefined;
  if (existsSync(path.join(abs, 'src', 'main.rs'))) return m.package;
  let entries: string[] = [];
  try {
    entries = readdirSync(path.join(abs, 'src', 'bin'), { withFileTypes: true })
      .flatMap((e) => (e.isFile() && e.name.endsWith('.rs') ? [e.name.slice(0, -3)] : e.isDirectory() && existsSync(path.join(abs, 'src', 'bin', e.name, 'main.rs')) ? [e.name] : []))
      .sort();
  } catch {
    // no src/bin
  }
  return entries[0];
}

/**
 * The root of the Cargo workspace the package at `rel` belongs to (relative to
 * the scan root), or `rel` itself when it is in none the scan can see.
 */
export function cargoWorkspaceRoot(rel: string, m: CargoManifest, read: Read): string {
  if (m.workspace) return rel;
  if (m.workspacePath !== undefined) return underRoot(rel, m.workspacePath) ?? rel;
  for (const dir of ancestors(rel).slice(1)) {
    const text = read(path.posix.join(dir, 'Cargo.toml'));
    if (text === undefined) continue;
    const ws = readCargoManifest(text);
    if (!ws.workspace) continue;
    // The nearest `[workspace]` decides: Cargo refuses a package inside it that it does not list (unless excluded).
    const member = relativeTo(rel, dir);
    const listed = ws.members.some((g) => globMatches(g, member)) && !ws.exclude.some((g) => globMatches(g, member) || isWithin(member, g.replace(/^\.\//, '').replace(/\/+$/, '')));
    return listed ? dir : rel;
  }
  return rel;
}

/** go.work's `use` directories (relative to it, as written) and local `replace` targets. */
export function readGoWork(text: string): { use: string[]; replaces: string[] } {
  return { use: directiveArgs(text, 'use'), replaces: localReplaces(text) };
}

/** The arguments of a go.mod / go.work directive, single-line or in a `( ... )` block; quotes removed. */
function directiveArgs(text: string, verb: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim());
  for (let i = 0; i < lines.length; i++) {
    const m = new RegExp(`^${verb}\\s*(\\(?)\\s*(.*)$`).exec(lines[i]!);
    if (!m || (!m[1] && !m[2])) continue;
    if (!m[1]) {
      out.push(m[2]!);
      continue;
    }
    for (i++; i < lines.length && lines[i] !== ')'; i++) if (lines[i]) out.push(lines[i]!);
  }
  return out.map((a) => a.replace(/^"(.*)"$|^`(.*)`$/, (_m, a1, a2) => a1 ?? a2));
}

/** The directory targets of `replace OLD [VER] => ./DIR` (a path starting with ./ or ../, go.dev/ref/mod#go-mod-file-replace). */
export function localReplaces(text: string): string[] {
  return directiveArgs(text, 'replace')
    .map(
      (r) =>
        r
          .split('=>')[1]
          ?.trim()
          .split(/\s+/)[0]
          ?.replace(/^"(.*)"$/, '$1') ?? '',
    )
    .filter((t) => t.startsWith('./') || t.startsWith('../') || t === '.' || t === '..');
}

export interface LocalDir {
  written: string;
  at: string | undefined;
}

export interface GoWorkspace {
  /** The go.work directory, relative to the scan root. */
  dir: string;
  /** Local directories the build reads (use and replace): as written, and relative to the scan root (undefined when it leaves it). */
  reads: LocalDir[];
}

/** The go.work at or above `rel` that `use`s the module at `rel`, if any. */
export function goWorkspaceOf(rel: string, read: Read): GoWorkspace | undefined {
  for (const dir of ancestors(rel)) {
    const text = read(path.posix.join(dir, 'go.work'));
    if (text === undefined) continue;
    // The go command takes the nearest go.work: one that does not list this module leaves it outside any workspace.
    const work = readGoWork(text);
    const reads = [...work.use, ...work.replaces].map((written) => ({ written, at: underRoot(dir, written) }));
    if (!reads.slice(0, work.use.length).some((u) => u.at === rel)) return undefined;
    return { dir, reads };
  }
  return undefined;
}

export interface NodeWorkspace {
  /** The workspace root, relative to the scan root. */
  dir: string;
  /** Who installs it: npm (package-lock.json, or no lock), pnpm or Yarn (their lock, or `packageManager`). */
  manager: 'npm' | 'pnpm' | 'yarn';
  /** The root package.json's scripts. */
  rootScripts: Record<string, unknown>;
}

/** The nearest workspace root above `rel` whose globs list it, if any. */
export function nodeWorkspaceOf(rel: string, read: Read): NodeWorkspace | undefined {
  for (const dir of ancestors(rel).slice(1)) {
    const pkg = jsonObject(read(path.posix.join(dir, 'package.json')));
    const pnpm = read(path.posix.join(dir, 'pnpm-workspace.yaml'));
    const globs = pnpm !== undefined ? pnpmPackages(pnpm) : npmWorkspaces(pkg?.workspaces);
    if (!globs.length) continue;
    const member = relativeTo(rel, dir);
    const listed = globs.some((g) => !g.startsWith('!') && globMatches(g, member)) && !globs.some((g) => g.startsWith('!') && globMatches(g.slice(1), member));
    if (!listed) continue;
    const has = (f: string) => read(path.posix.join(dir, f)) !== undefined;
    const declared = typeof pkg?.packageManager === 'string' ? /^(npm|pnpm|yarn)@/.exec(pkg.packageManager)?.[1] : undefined;
    const manager = pnpm !== undefined || has('pnpm-lock.yaml') ? 'pnpm' : has('package-lock.json') ? 'npm' : has('yarn.lock') ? 'yarn' : ((declared as NodeWorkspace['manager'] | undefined) ?? 'npm');
    const scripts = pkg?.scripts && typeof pkg.scripts === 'object' ? (pkg.scripts as Record<string, unknown>) : {};
    return { dir, manager, rootScripts: scripts };
  }
  return undefined;
}

function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function npmWorkspaces(ws: unknown): string[] {
  const list = Array.isArray(ws) ? ws : ws && typeof ws === 'object' ? (ws as { packages?: unknown }).packages : undefined;
  return Array.isArray(list) ? list.filter((g): g is string => typeof g === 'string') : [];
}

function pnpmPackages(text: string): string[] {
  try {
    const doc = parseYaml(text) as { packages?: unknown } | null;
    return npmWorkspaces(doc?.packages);
  } catch {
    return [];
  }
}
