// `matrix init`, stage 1: look at a repository and say which directories are
// services, and how each would be built. Reads files, never writes.
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { describeFacts, dockerfileFacts } from '../dockerfile/facts.js';
import { fromImages } from '../dockerfile/stages.js';
import { dockerfileContext } from './dockerfile-context.js';
import { applyCompose, composeAt } from './from-compose.js';
import { mavenFindings } from './maven.js';
import { goModDetails, packageJsonDetails, pyprojectDetails } from './manifests.js';
import { cargoBinaryTarget, cargoWorkspaceRoot, goWorkspaceOf, isWithin, localReplaces, nodeWorkspaceOf, readCargoManifest, relativeTo, underRoot, type Read } from './workspaces.js';
import { isGenerated } from '../render/header.js';
import { readRegularText } from '../fs/read.js';
import { stringProblem } from '../validate/strings.js';
import { paramProblem } from '../validate/params.js';

/** `unsupported`: a project matrix has no template for (listed, never proposed). */
export type FindingKind = 'dockerfile' | 'go' | 'node' | 'python' | 'rust' | 'static' | 'java' | 'php' | 'unsupported';

export interface Finding {
  /** Directory of the service, relative to the scanned root, POSIX ('.' for the root). */
  dir: string;
  /** The build context when it is not `dir`: the root of the workspace `dir` is a member of (workspaces.ts). */
  context?: string;
  kind: FindingKind;
  /** `dockerfile` findings: the file, relative to the root, POSIX. */
  dockerfile?: string;
  /** Template parameters. */
  with?: Record<string, string | string[]>;
  /** What the service name is derived from (a directory name, or a command name). */
  nameHint: string;
  /** Why: the marker files found. */
  reason: string;
  /** Something the user should check, written as a comment into the spec. */
  note?: string;
  /** `dockerfile` findings: the images its FROM lines name (to find `depends_on`). */
  from?: string[];
  /** More of what was read (a Dockerfile's EXPOSE/USER/CMD, Compose ports...), one line each. */
  details?: string[];
  /** From a Compose file: the image it names, its build args and target. */
  tags?: string[];
  args?: Record<string, string>;
  target?: string;
}

export interface ScanOptions {
  /** Directory levels below the root to look into (default 4). */
  maxDepth?: number;
}

/** Dependencies, build output and tool caches: never services, and often huge. */
const SKIP_DIRS = new Set([
  'node_modules',
  'vendor',
  'target',
  'dist',
  'build',
  'out',
  'coverage',
  '__pycache__',
  'venv',
  'site-packages',
  'bower_components',
  // Test fixtures look like projects but are not services.
  'test',
  'tests',
  'testdata',
  'fixtures',
  '__tests__',
  '__fixtures__',
]);

/**
 * A hand-written Dockerfile, by the names projects give them: `Dockerfile` and
 * `Containerfile`, `NAME.Dockerfile` (the convention Docker's docs suggest,
 * https://docs.docker.com/build/concepts/dockerfile/#filename), and
 * `Dockerfile.NAME` (`Dockerfile.prod`, `Dockerfile.dev`: any name works with
 * `docker build -f`). Not the files named like one that are something else:
 * `Dockerfile.dockerignore` is the ignore file of `Dockerfile`
 * (https://docs.docker.com/build/concepts/context/#filename-and-location),
 * and templates and backups (`Dockerfile.j2`, `Dockerfile.orig`) are no build.
 */
const DOCKERFILE = /^(?:(?:Dockerfile|Containerfile)(?:\.[A-Za-z0-9][A-Za-z0-9_-]*)?|[A-Za-z0-9][A-Za-z0-9._-]*\.[Dd]ockerfile)$/;
const NOT_A_DOCKERFILE = /\.(?:dockerignore|j2|jinja2?|tpl|tmpl|template|tmp|in|hbs|mustache|erb|ejs|bak|orig|old|swp|save|sample|example|dist|md|txt)$/i;

/** The findings, with a root Compose file's services applied (from-compose.ts). */
export function scanRepository(root: string, opts: ScanOptions = {}): Finding[] {
  const maxDepth = opts.maxDepth ?? 4;
  const findings: Finding[] = [];
  const readUnder: Read = (file) => read(path.join(root, file));
  // `membersOf`: below a workspace root that is a service itself, only that workspace's members
  // (and why one is not proposed) are taken; the root's other folders are its sources.
  // `inside`: the service whose build context holds this directory (belowService).
  const walk = (abs: string, rel: string, depth: number, membersOf?: string, inside?: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return; // unreadable: not ours to judge
    }
    const unsayable = rel !== '.' && unsayablePath(rel);
    if (unsayable) {
      // Listed as not proposed, and not walked: every path below it has the same name in it.
      findings.push({ dir: rel, kind: 'unsupported', nameHint: path.posix.basename(rel), reason: 'a directory', note: unsayable });
      return;
    }
    const other = rel !== '.' && entries.find((e) => e.name === '.git');
    if (other) {
      // Another repository (a submodule has a `.git` file, git-scm.com/docs/gitsubmodules): listed, not walked.
      const note = `another git repository (${other.isFile() ? 'a submodule' : 'a nested clone'}): its files are not this repository's (a checkout has a submodule's only after \`git submodule update --init\`); run init there, or add its services by hand`;
      findings.push({ dir: rel, kind: 'unsupported', nameHint: path.posix.basename(rel), reason: 'a directory with .git', note });
      return;
    }
    const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const found = detect(abs, rel, files, readUnder).filter((f) => membersOf === undefined || isMemberFinding(f, membersOf));
    findings.push(...(inside === undefined ? found : belowService(found, inside)));
    // Below a workspace root, its members; below any other service (one listed as not proposed too), what builds on its own (belowService).
    const workspace = found.length > 0 && isWorkspaceRoot(abs, files);
    if (depth >= maxDepth) return;
    const below = workspace ? inside : found.length ? rel : inside;
    for (const e of entries) {
      // Symbolic links are not followed: a context must stay inside the repository.
      if (!e.isDirectory() || e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
      walk(path.join(abs, e.name), rel === '.' ? e.name : `${rel}/${e.name}`, depth + 1, workspace ? rel : membersOf, below);
    }
  };
  walk(root, '.', 0);
  // A hand-written Dockerfile built in another folder (`docker/Dockerfile` at its parent) is that folder's build: no template there.
  const built = new Set(findings.flatMap((f) => (f.kind === 'dockerfile' && f.context !== undefined ? [f.context] : [])));
  const kept = findings.filter((f) => f.kind === 'dockerfile' || f.context !== undefined || !built.has(f.dir));
  const compose = composeAt(root, read);
  return compose ? applyCompose(root, compose.file, compose.services, kept, read) : kept;
}

/**
 * Why a directory's path cannot be a spec value (a context, a Dockerfile path),
 * or undefined: matrix refuses control characters and the like in every
 * string (validate/strings.ts), and reads `${{` as a variable.
 */
function unsayablePath(rel: string): string | undefined {
  const problem = stringProblem(rel, false);
  if (problem) return `its path ${problem.message}, which a spec value cannot hold: rename the directory to add it`;
  if (rel.includes('${{')) return 'its path holds `${{`, which a spec reads as a variable: rename the directory to add it';
  return undefined;
}

/**
 * What was found in a directory inside the service at `outer` (a service at
 * the repository root, with others below it). A build of its own is proposed:
 * a hand-written Dockerfile, a Go module (a nested module is left out of the
 * module above it, https://go.dev/ref/mod#modules-overview), a Cargo package,
 * a Maven project. A Node, Python or PHP app there may as well be a part of the
 * outer service (its front end, its scripts): listed as not proposed, saying
 * so. An index.html there is the outer service's (public/, templates/): no site.
 */
function belowService(found: readonly Finding[], outer: string): Finding[] {
  const at = outer === '.' ? 'the repository root' : outer;
  return found.flatMap((f): Finding[] => {
    if (f.kind === 'static') return [];
    if (f.kind !== 'node' && f.kind !== 'python' && f.kind !== 'php') return [f];
    const note = `inside the service at ${at}, whose build context holds it: a part of that service (its front end, its scripts)? If it is a service of its own, add it with \`context: ${f.context ?? f.dir}\` and \`template: ${f.kind}\``;
    return [{ dir: f.dir, kind: 'unsupported', nameHint: f.nameHint, reason: f.reason, note }];
  });
}

/** A member of the workspace at `root` (built there), or a Cargo package or Go module there that cannot be proposed. */
function isMemberFinding(f: Finding, root: string): boolean {
  return f.context === root || (f.kind === 'unsupported' && (f.reason.startsWith('Cargo.toml') || f.reason.startsWith('go.mod')));
}

/** A Cargo.toml with `[workspace]` or a go.work: its members below it are services of their own. */
function isWorkspaceRoot(abs: string, files: ReadonlySet<string>): boolean {
  return files.has('go.work') || (files.has('Cargo.toml') && readCargoManifest(read(path.join(abs, 'Cargo.toml')) ?? '').workspace);
}

function read(file: string): string | undefined {
  try {
    return readRegularText(file); // a FIFO or device in the repository is skipped, never read
  } catch {
    return undefined;
  }
}

/** Folder names that say where the sources are, not what the service is: the service is named by the folder above. */
const SOURCE_DIRS = new Set(['src', 'source', 'sources', 'app', 'code', 'main']);

/** The folder that names the service at `rel`: `services/api/src` is `api`. */
export function namingFolder(abs: string, rel: string): string {
  const parts = (rel === '.' ? path.resolve(abs) : rel).split(/[\\/]/).filter(Boolean);
  while (parts.length > 1 && SOURCE_DIRS.has(parts[parts.length - 1]!.toLowerCase())) parts.pop();
  return parts[parts.length - 1] ?? path.basename(path.resolve(abs));
}

/** The scan root, from a directory's absolute path and its path relative to the root. */
function rootOf(abs: string, rel: string): string {
  return rel === '.' ? abs : path.resolve(abs, ...rel.split('/').map(() => '..'));
}

/** `readUnder` reads a file by its path relative to the scan root (a workspace root above `rel`). */
function detect(abs: string, rel: string, files: ReadonlySet<string>, readUnder: Read): Finding[] {
  const base = namingFolder(abs, rel === '.' ? '.' : rel);
  const join = (f: string) => (rel === '.' ? f : `${rel}/${f}`);

  // 1. Hand-written Dockerfiles win: built as they are, never replaced by a template.
  // Files generated by matrix belong to some other spec and are left out.
  const dockerfiles = [...files].filter((f) => DOCKERFILE.test(f) && !NOT_A_DOCKERFILE.test(f) && !isGenerated(read(path.join(abs, f)) ?? ''));
  if (dockerfiles.length) {
    return dockerfiles.map((f) => {
      // What tells it from the directory's other Dockerfiles: `prod` in `Dockerfile.prod` and in `prod.Dockerfile`.
      const stem = /^(Dockerfile|Containerfile)$/.test(f) ? '' : f.replace(/^(?:Dockerfile|Containerfile)\./, '').replace(/\.[Dd]ockerfile$/, '');
      const text = read(path.join(abs, f)) ?? '';
      // Built where its COPY sources are (`docker/Dockerfile` copying the folder above), and named by that folder.
      const { context, missing } = dockerfileContext(rootOf(abs, rel), rel, text);
      const named = context === undefined ? base : namingFolder(rootOf(abs, rel), context);
      const nameHint = stem && stem !== named ? `${named}-${stem}` : named;
      const at = context === '.' ? 'the root' : context;
      return {
        dir: rel,
        ...(context !== undefined ? { context } : {}),
        kind: 'dockerfile' as const,
        dockerfile: join(f),
        nameHint,
        reason: `${f}, kept as it is${context !== undefined ? `; built at ${at}, where the files it copies are` : ''}`,
        from: fromImages(text),
        details: [describeFacts(dockerfileFacts(text))],
        ...(missing ? { note: `it copies ${missing.join(', ')}, found neither here nor in a folder above: build them first, or set \`context:\` to where they are` } : {}),
      };
    });
  }

  if (files.has('go.mod')) {
    const found = goServices(abs, base, files);
    if (found.length) return goPlaced(rel, base, found, read(path.join(abs, 'go.mod')) ?? '', readUnder);
  }
  if (files.has('Cargo.toml')) {
    const rust = rustService(abs, rel, base, readUnder);
    if (rust) return [rust];
  }
  if (files.has('pyproject.toml') || files.has('requirements.txt')) {
    const details = pyprojectDetails(read(path.join(abs, 'pyproject.toml')) ?? '');
    return [{ ...pythonService(abs, rel, base, files), ...(details.length ? { details } : {}) }];
  }
  // Before package.json: a PHP app keeps its front-end tooling there (Laravel's vite scripts).
  if (files.has('composer.json')) return [phpService(abs, rel, base)];
  if (files.has('package.json')) {
    const svc = nodeService(abs, rel, base, files);
    if (svc) return [inNodeWorkspace(svc, readUnder)];
    const spa = frontEndApp(abs, rel, base);
    if (spa) return [spa];
  }
  if (files.has('pom.xml')) return mavenFindings(rel, base, readUnder);
  const other = jvmOrDotnet(rel, base, files);
  if (other) return [other];
  const markers = ['go.mod', 'Cargo.toml', 'package.json'].filter((m) => files.has(m));
  if (files.has('index.html') && !markers.length) {
    return [{ dir: rel, kind: 'static', with: { dir: '.' }, nameHint: base, reason: 'index.html' }];
  }
  return [];
}

function isMainPackage(dir: string, files: Iterable<string>): boolean {
  for (const f of files) {
    if (!f.endsWith('.go') || f.endsWith('_test.go')) continue;
    if (/^\s*package\s+main\b/m.test(read(path.join(dir, f)) ?? '')) return true;
  }
  return false;
}

/** A main package at the module root, else one per `cmd/NAME` main package; none for a library. */
function goServices(abs: string, base: string, files: ReadonlySet<string>): Omit<Finding, 'dir'>[] {
  if (isMainPackage(abs, files)) return [{ kind: 'go', with: { main: '.', binary: binaryName(base) }, nameHint: base, reason: 'go.mod, package main' }];
  const cmdDir = path.join(abs, 'cmd');
  if (!existsSync(cmdDir)) return [];
  const out: Omit<Finding, 'dir'>[] = [];
  for (const e of readdirSync(cmdDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = path.join(cmdDir, e.name);
    if (isMainPackage(dir, readdirSync(dir))) out.push({ kind: 'go', with: { main: `./cmd/${e.name}`, binary: binaryName(e.name) }, nameHint: e.name, reason: `go.mod, cmd/${e.name}` });
  }
  return out;
}

/** A program name the `binary-name` parameter takes (validate/params.ts): at most 128 characters. */
function binaryName(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 128) || 'app'
  );
}

/**
 * Why Go cannot build the package at `main` (`./cmd/NAME`, `./MEMBER/cmd/NAME`
 * in a go.work), or undefined: an import path element is letters, digits and
 * `-._~+` (golang.org/x/mod module.CheckImportPath; go build refuses a directory
 * with a space as a "malformed import path"), the `go-package` parameter's rule.
 */
function goPackageProblem(main: string): string | undefined {
  const problem = paramProblem('go-package', main);
  return problem ? `its package ${main} is not a path Go builds (an import path element has only letters, digits and -._~+): rename the directory` : undefined;
}

/**
 * A Rust service: a package with a binary target (a library crate is none),
 * built at the root of its workspace. A path dependency the context cannot
 * hold makes it a finding not proposed, saying why.
 */
function rustService(abs: string, rel: string, base: string, readUnder: Read): Finding | undefined {
  const manifest = readCargoManifest(read(path.join(abs, 'Cargo.toml')) ?? '');
  const bin = cargoBinaryTarget(abs, manifest);
  if (bin === undefined) return undefined;
  const context = cargoWorkspaceRoot(rel, manifest, readUnder);
  const reason = context === rel ? 'Cargo.toml' : `Cargo.toml, a member of the Cargo workspace at ${context === '.' ? 'the root' : context} (built there)`;
  const outside = manifest.pathDeps.filter((p) => {
    const dep = underRoot(rel, p);
    return dep === undefined || !isWithin(dep, context);
  });
  if (outside.length) {
    const note = `its path dependencies (${outside.join(', ')}) are outside the build context ${context}: make both members of one Cargo workspace (a Cargo.toml with [workspace] above them) and run init again, or write a Dockerfile and build it with \`dockerfile:\``;
    return { dir: rel, kind: 'unsupported', nameHint: base, reason, note };
  }
  return { dir: rel, ...(context !== rel ? { context } : {}), kind: 'rust', with: { binary: binaryName(bin) }, nameHint: base, reason };
}

/**
 * Go services of the module at `rel`, built at the go.work that uses it (with
 * `main` relative to that), else in the module. A local `replace` or `use`
 * directory outside that context makes each a finding not proposed.
 */
function goPlaced(rel: string, base: string, found: readonly Omit<Finding, 'dir'>[], goMod: string, readUnder: Read): Finding[] {
  const ws = goWorkspaceOf(rel, readUnder);
  const context = ws?.dir ?? rel;
  const details = [...goModDetails(goMod), ...(ws ? goModDetails(readUnder(path.posix.join(ws.dir, 'go.work')) ?? '', 'go.work') : [])];
  const reads = [...(ws?.reads ?? []), ...localReplaces(goMod).map((written) => ({ written, at: underRoot(rel, written) }))];
  const outside = reads.filter((d) => d.at === undefined || !isWithin(d.at, context)).map((d) => d.written);
  if (outside.length) {
    const what = `${ws ? `go.work at ${ws.dir} uses or replaces with directories outside it` : 'go.mod replaces a module with a directory outside the module'} (${outside.join(', ')})`;
    const fix = ws ? 'move go.work to a directory above all of them' : `add a go.work in a directory above both (\`go work init\` with the module directories) and run init again`;
    return [
      {
        dir: rel,
        kind: 'unsupported',
        nameHint: base,
        reason: 'go.mod',
        note: `${what}, which a build context of ${context} cannot hold: ${fix}, or write a Dockerfile and build it with \`dockerfile:\``,
      },
    ];
  }
  const member = ws && ws.dir !== rel ? relativeTo(rel, ws.dir) : undefined;
  return found.map((f): Finding => {
    const main = member ? goMain(member, String(f.with?.main ?? '.')) : String(f.with?.main ?? '.');
    const problem = goPackageProblem(main);
    if (problem) return { dir: rel, kind: 'unsupported', nameHint: f.nameHint, reason: f.reason, note: problem };
    return {
      ...f,
      dir: rel,
      ...(member ? { context: context, with: { ...f.with, main }, reason: `${f.reason}; go.work at ${context === '.' ? 'the root' : context} uses it (built there)` } : {}),
      ...(details.length ? { details } : {}),
    };
  });
}

/** The package `main` (relative to the module at `member`) relative to the workspace root. */
function goMain(member: string, main: string): string {
  return `./${path.posix.join(member, main)}`;
}

/**
 * What starts a Python service. The python template itself reads pyproject.toml's
 * first `[project.scripts]` entry, else a Procfile's `web:` line
 * (templates/python.Dockerfile.hbs `script`, `web`; the patterns below are its
 * `detect` patterns): then `cmd` is left to it. Else an entry file, a package
 * with `__main__.py`, or Django's manage.py with `runserver` (run alone it only
 * prints its help).
 */
function pythonStart(abs: string, files: ReadonlySet<string>): { cmd?: string[]; from?: string; note?: string } {
  const script = /^\[project\.scripts\][ \t]*\r?\n(?:[ \t]*(?:#.*)?\r?\n)*[ \t]*"?([A-Za-z0-9_.-]+)"?[ \t]*=[ \t]*["']([A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*)["']/m.exec(
    files.has('pyproject.toml') ? (read(path.join(abs, 'pyproject.toml')) ?? '') : '',
  );
  if (script) return { from: `pyproject.toml [project.scripts] ${script[1]} = ${script[2]} (the template calls it)` };
  // devcenter.heroku.com/articles/procfile
  const web = /^web:[ \t]*([^\s-][^\r\n]*?)[ \t]*\r?$/m.exec(files.has('Procfile') ? (read(path.join(abs, 'Procfile')) ?? '') : '');
  if (web) {
    const port = /\$\{?PORT\b/.test(web[1]!) ? ': it reads $PORT, which nothing sets in the image: set `with.env` (PORT=8000) or change the line' : '';
    return { from: `Procfile web: ${web[1]} (the template runs it)`, ...(port ? { note: `the Procfile's web line${port}` } : {}) };
  }
  if (files.has('manage.py') && !['app.py', 'main.py', 'server.py'].some((f) => files.has(f))) {
    // docs.djangoproject.com/en/stable/ref/django-admin/#runserver: "DO NOT USE THIS SERVER IN A PRODUCTION SETTING".
    return {
      cmd: ['python3', 'manage.py', 'runserver', '0.0.0.0:8000'],
      note: "manage.py runserver is Django's development server, not for production: serve the project's wsgi module with a WSGI server (gunicorn PROJECT.wsgi) in `with.cmd`",
    };
  }
  const entry = ['app.py', 'main.py', 'server.py'].find((f) => files.has(f));
  if (entry) return { cmd: ['python3', entry] };
  const pkg = readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
    .find((d) => existsSync(path.join(abs, d, '__main__.py')));
  return pkg ? { cmd: ['python3', '-m', pkg] } : {};
}

function pythonService(abs: string, rel: string, base: string, files: ReadonlySet<string>): Finding {
  const reason = ['pyproject.toml', 'requirements.txt'].filter((f) => files.has(f)).join(', ');
  const start = pythonStart(abs, files);
  const notes: string[] = start.note ? [start.note] : [];
  if (!start.cmd && !start.from) notes.push('no [project.scripts], Procfile web line, app.py, main.py, manage.py or package with __main__.py found: set `with.cmd` to what starts the service');
  if (!files.has('requirements.txt')) notes.push('the python template installs requirements.txt only: export the dependencies of pyproject.toml to it');
  return {
    dir: rel,
    kind: 'python',
    ...(start.cmd ? { with: { cmd: start.cmd } } : {}),
    nameHint: base,
    reason: start.from ? `${reason}; ${start.from}` : reason,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

/** A Node.js app (something to start); a workspace root or a tooling-only package.json is not one. */
function nodeService(abs: string, rel: string, base: string, files: ReadonlySet<string>): Finding | undefined {
  let pkg: { scripts?: Record<string, unknown>; workspaces?: unknown; main?: unknown; engines?: Record<string, unknown> };
  try {
    pkg = JSON.parse(read(path.join(abs, 'package.json')) ?? '');
  } catch {
    return undefined;
  }
  if (!pkg || typeof pkg !== 'object' || pkg.workspaces) return undefined;
  const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start.trim() : undefined;
  const plain = start ? /^node\s+([A-Za-z0-9_./-]+)$/.exec(start)?.[1] : undefined;
  // `main` and index.js alone describe a library as often as an app: only a start script or a server file count.
  const entry = ['server.js', 'app.js', 'server.mjs', 'app.mjs'].find((f) => files.has(f));
  const cmd = plain ? ['node', plain] : start ? ['npm', 'start'] : entry ? ['node', entry] : undefined;
  if (!cmd) return undefined;
  const details = packageJsonDetails(pkg);
  const notes: string[] = [];
  const dev = start ? DEV_SERVER.exec(start)?.[1] : undefined;
  if (dev) notes.push(`scripts.start runs a development server (${dev}), not one for production: set \`with.cmd\` to what serves the built app`);
  // The template runs npm (`npm ci` with package-lock.json, else `npm install`); npm does not install from another manager's lock file.
  const lock = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lockb', 'bun.lock'].find((f) => files.has(f));
  if (lock && !files.has('package-lock.json')) {
    notes.push(
      `the node template installs with npm (\`npm install\`, as there is no package-lock.json), not from ${lock}: the versions may differ from the locked ones; add a package-lock.json (\`npm install --package-lock-only\`) or write a Dockerfile`,
    );
  }
  return {
    dir: rel,
    kind: 'node',
    with: { cmd },
    nameHint: base,
    reason: start ? 'package.json (scripts.start)' : 'package.json',
    ...(details.length ? { details } : {}),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

/**
 * A front-end app: package.json builds it (`scripts.build`) but starts nothing,
 * and an index.html is where the bundlers keep theirs: Vite at the project root
 * (vite.dev/guide/#index-html-and-project-root), Create React App in public/,
 * Angular in src/. No template builds it and serves the output: listed as not
 * proposed, where it was left out without a word.
 */
function frontEndApp(abs: string, rel: string, base: string): Finding | undefined {
  let pkg: { scripts?: Record<string, unknown>; workspaces?: unknown };
  try {
    pkg = JSON.parse(read(path.join(abs, 'package.json')) ?? '');
  } catch {
    return undefined;
  }
  if (!pkg || typeof pkg !== 'object' || pkg.workspaces || typeof pkg.scripts?.build !== 'string') return undefined;
  const html = ['index.html', 'public/index.html', 'src/index.html'].find((f) => existsSync(path.join(abs, f)));
  if (!html) return undefined;
  const note = `a front-end app built by \`npm run build\` (${pkg.scripts.build}) with no start script or server file: no template builds it and serves its output; write a Dockerfile that builds it and serves the output directory (dist/, build/), and build it with \`dockerfile:\``;
  return { dir: rel, kind: 'unsupported', nameHint: base, reason: `package.json (scripts.build only), ${html}`, note };
}

/**
 * Dev servers: what `npm start` runs in many front-end projects, not a production server
 * (`vite preview` neither: vite.dev/guide/cli#vite-preview).
 */
const DEV_SERVER = /(?:^|[\s;&|])(vite(?!\s+build)(?=\s|$)|react-scripts\s+start|ng\s+serve|webpack(?:-dev-server|\s+serve)|vue-cli-service\s+serve|next\s+dev|nuxt\s+dev|nodemon)\b/;

/**
 * A Node service in a workspace: npm's is built at the root (its lock file, the
 * sibling packages) with `workspace:` the member, its build script given (the
 * template would detect the root's). pnpm and Yarn workspaces are not proposed:
 * the node template installs with npm, which reads neither their lock files
 * nor the `workspace:` protocol.
 */
function inNodeWorkspace(svc: Finding, readUnder: Read): Finding {
  const ws = nodeWorkspaceOf(svc.dir, readUnder);
  if (!ws) return svc;
  const at = ws.dir === '.' ? 'the root' : ws.dir;
  if (ws.manager !== 'npm') {
    const note = `a ${ws.manager === 'pnpm' ? 'pnpm' : 'Yarn'} workspace: the node template installs with npm, which reads neither ${ws.manager === 'pnpm' ? 'pnpm-lock.yaml nor pnpm-workspace.yaml' : 'yarn.lock'} nor the \`workspace:\` protocol; write a Dockerfile that installs with ${ws.manager} at ${at} and build it with \`dockerfile:\``;
    return { dir: svc.dir, kind: 'unsupported', nameHint: svc.nameHint, reason: `${svc.reason}, a member of the ${ws.manager} workspace at ${at}`, note };
  }
  const member = relativeTo(svc.dir, ws.dir);
  const own = readScripts(readUnder(path.posix.join(svc.dir, 'package.json')));
  const build = typeof own.build === 'string' ? 'build' : typeof ws.rootScripts.build === 'string' ? '' : undefined;
  return {
    ...svc,
    context: ws.dir,
    with: { ...svc.with, workspace: member, ...(build !== undefined ? { build_script: build } : {}) },
    reason: `${svc.reason}, a member of the npm workspace at ${at} (built there)`,
  };
}

function readScripts(text: string | undefined): Record<string, unknown> {
  try {
    const scripts = (JSON.parse(text ?? '') as { scripts?: unknown })?.scripts;
    return scripts && typeof scripts === 'object' ? (scripts as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * PHP (composer.json): the `php` template, served from `public/` when it holds
 * index.php (the front controller of Laravel, Symfony and Slim), else from the
 * context. The template does not run Composer (it needs the network), so
 * dependencies without a vendor/ directory get a note.
 */
function phpService(abs: string, rel: string, base: string): Finding {
  const docroot = existsSync(path.join(abs, 'public', 'index.php')) ? 'public' : undefined;
  let requires = false;
  try {
    const composer = JSON.parse(read(path.join(abs, 'composer.json')) ?? '') as { require?: Record<string, unknown> };
    requires = Object.keys(composer?.require ?? {}).some((k) => k !== 'php' && !k.startsWith('ext-'));
  } catch {
    // An unreadable composer.json still marks a PHP project; the template reads it for php_version and says what is wrong.
  }
  const note = requires && !existsSync(path.join(abs, 'vendor')) ? 'the php template does not run Composer: commit vendor/ or run `composer install` before the build' : undefined;
  return { dir: rel, kind: 'php', ...(docroot ? { with: { docroot } } : {}), nameHint: base, reason: 'composer.json (PHP)', ...(note ? { note } : {}) };
}

/**
 * Gradle alone (build.gradle[.kts]): listed, not proposed, since that template cannot build
 * it (README, Templates: "Gradle is not built in"). .NET: listed, not built (no template).
 */
function jvmOrDotnet(rel: string, base: string, files: ReadonlySet<string>): Finding | undefined {
  const gradle = ['build.gradle', 'build.gradle.kts'].find((f) => files.has(f));
  if (gradle) {
    return {
      dir: rel,
      kind: 'unsupported',
      nameHint: base,
      reason: `${gradle} (Java, Gradle)`,
      note: 'the java template builds with Maven (pom.xml), not Gradle: write a Dockerfile and build it with `dockerfile:`',
    };
  }
  const csproj = [...files].find((f) => f.endsWith('.csproj'));
  if (csproj) return { dir: rel, kind: 'unsupported', nameHint: base, reason: `${csproj} (.NET)`, note: 'no .NET template: write a Dockerfile and build it with `dockerfile:`' };
  return undefined;
}
