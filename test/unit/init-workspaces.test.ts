// `matrix init` on workspaces: a member is built at its workspace's root (where
// its siblings and the lock file are), a library is no service, and what a
// build context cannot hold is listed as not proposed, saying why.
//
// Cargo: workspace membership (`members`/`exclude` globs, the nearest
// `[workspace]` above, doc.rust-lang.org/cargo/reference/workspaces.html) and
// binary targets (`[[bin]]`, src/main.rs, src/bin/*.rs and src/bin/*/main.rs,
// `autobins = false`: doc.rust-lang.org/cargo/reference/cargo-targets.html#target-auto-discovery).
// Go: go.work `use` directives and its `go`/`toolchain` lines (go.dev/ref/mod#workspaces,
// go.dev/ref/mod#go-work-file); a local `replace` (go.dev/ref/mod#go-mod-file-replace).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { scanRepository } from '../../src/init/scan.js';
import { cargoBinaryTarget, globMatches, readCargoManifest, readGoWork } from '../../src/init/workspaces.js';
import { matrix } from '../helpers/cli.js';
import { parseBake } from '../helpers/hcl.js';
import { removeTempDirs, tempRepo, type Tree } from '../helpers/tree.js';

afterAll(removeTempDirs);

type Spec = { services: Record<string, { context: string; template?: string; with?: Record<string, unknown> }> };

const pkg = (name: string, extra = '') => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}`;

const CARGO: Tree = {
  'Cargo.toml': '[workspace]\nmembers = [\n  "crates/*",\n]\nexclude = ["crates/old"]\nresolver = "2"\n',
  'Cargo.lock': 'version = 3\n',
  'crates/api/Cargo.toml': pkg('api', '\n[dependencies]\ncore = { path = "../core" }\n'),
  'crates/api/src/main.rs': 'fn main() {}\n',
  'crates/core/Cargo.toml': pkg('core'),
  'crates/core/src/lib.rs': '',
  'crates/tool/Cargo.toml': pkg('tool'),
  'crates/tool/src/lib.rs': '',
  'crates/tool/src/bin/migrate.rs': 'fn main() {}\n',
  'crates/noauto/Cargo.toml': pkg('noauto', 'autobins = false\n'),
  'crates/noauto/src/main.rs': 'fn main() {}\n',
  // Excluded from the workspace: a package of its own, built in its own directory.
  'crates/old/Cargo.toml': pkg('old'),
  'crates/old/src/main.rs': 'fn main() {}\n',
};

describe('Cargo workspaces', () => {
  it('a member is built at the workspace root with its bin name; a library or autobins = false crate is none', () => {
    const found = scanRepository(tempRepo(CARGO));
    expect(found.map((f) => [f.dir, f.kind, f.context ?? f.dir, f.with])).toEqual([
      ['crates/api', 'rust', '.', { binary: 'api' }],
      ['crates/old', 'rust', 'crates/old', { binary: 'old' }],
      ['crates/tool', 'rust', '.', { binary: 'migrate' }],
    ]);
    expect(found[0]!.reason).toBe('Cargo.toml, a member of the Cargo workspace at the root (built there)');
  });

  it('the proposal validates and generates: members sharing the root get SERVICE.Dockerfile there', async () => {
    const dir = tempRepo(CARGO);
    const r = await matrix(['init'], dir);
    expect(r.status, r.stderr).toBe(0);
    const spec = parse(readFileSync(path.join(dir, 'matrix.yaml'), 'utf8')) as Spec;
    expect(spec.services).toEqual({
      api: { context: '.', template: 'rust', with: { binary: 'api' } },
      old: { context: 'crates/old', template: 'rust', with: { binary: 'old' } },
      tool: { context: '.', template: 'rust', with: { binary: 'migrate' } },
    });
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const bake = await parseBake(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8'));
    expect([bake.target.api!.context, bake.target.api!.dockerfile]).toEqual(['.', 'api.Dockerfile']);
    expect([bake.target.tool!.context, bake.target.tool!.dockerfile]).toEqual(['.', 'tool.Dockerfile']);
    expect(readFileSync(path.join(dir, 'tool.Dockerfile'), 'utf8')).toContain("--bin='migrate'");
    expect(existsSync(path.join(dir, 'crates/old/Dockerfile'))).toBe(true);
  });

  it('a workspace below the scan root; a root package that is also the workspace root keeps its members', () => {
    const found = scanRepository(
      tempRepo({
        'rust/Cargo.toml': `${pkg('server')}\n[workspace]\nmembers = ["cli"]\n`,
        'rust/src/main.rs': 'fn main() {}\n',
        'rust/cli/Cargo.toml': pkg('cli', '\n[dependencies.server]\npath = ".."\n'),
        'rust/cli/src/main.rs': 'fn main() {}\n',
        // The root package's own folders are its sources, not services.
        'rust/static/index.html': '<p>x</p>',
        'rust/cli/web/index.html': '<p>x</p>',
      }),
    );
    expect(found.map((f) => [f.dir, f.context ?? f.dir, f.with])).toEqual([
      ['rust', 'rust', { binary: 'server' }],
      ['rust/cli', 'rust', { binary: 'cli' }],
    ]);
  });

  it('a path dependency outside the build context: not proposed, with what to do', async () => {
    const tree = {
      'app/Cargo.toml': pkg('app', '\n[dependencies]\nutil = { version = "0.1", path = "../util" }\n'),
      'app/src/main.rs': 'fn main() {}\n',
      'util/Cargo.toml': pkg('util'),
      'util/src/lib.rs': '',
      'site/index.html': '<p>x</p>',
    };
    const found = scanRepository(tempRepo(tree));
    expect(found.find((f) => f.dir === 'app')).toMatchObject({ kind: 'unsupported', reason: 'Cargo.toml' });
    const dry = await matrix(['init', '--dry-run'], tempRepo(tree));
    expect(dry.status, dry.stderr).toBe(0);
    expect(Object.keys((parse(dry.stdout) as Spec).services)).toEqual(['site']);
    expect(dry.stdout).toContain('# not proposed: app: Cargo.toml: its path dependencies (../util) are outside the build context app: make both members of one Cargo workspace');
  });

  it('reads [[bin]] names, autobins, members and path dependencies of every dependency table', () => {
    const m = readCargoManifest(
      `${pkg('x', 'autobins = false\nworkspace = "../.."\n')}\n[[bin]]\nname = "first"\npath = "src/a.rs"\n\n[[bin]]\nname = "second"\n\n[target.'cfg(unix)'.dependencies]\nu = { path = "../u" }\n\n[dev-dependencies.t]\npath = "../t"\n\n[patch.crates-io]\np = { path = "vendor/p" }\n`,
    );
    expect(m).toEqual({ package: 'x', bins: ['first', 'second'], autobins: false, workspace: false, members: [], exclude: [], workspacePath: '../..', pathDeps: ['../u', '../t', 'vendor/p'] });
    // [[bin]] wins over the package name; with autobins = false only [[bin]] counts.
    expect(cargoBinaryTarget('/nonexistent', m)).toBe('first');
    expect(cargoBinaryTarget('/nonexistent', { ...m, bins: [] })).toBeUndefined();
    expect(cargoBinaryTarget('/nonexistent', readCargoManifest('[workspace]\nmembers = ["a"]\n'))).toBeUndefined();
  });

  it('a member named by package.workspace, beside a nearer [workspace] that does not list it', () => {
    const found = scanRepository(
      tempRepo({
        'Cargo.toml': '[workspace]\nmembers = ["apps/*"]\n',
        'apps/a/Cargo.toml': pkg('a'),
        'apps/a/src/main.rs': '',
        'other/Cargo.toml': '[workspace]\nmembers = ["b"]\n',
        'other/nested/c/Cargo.toml': pkg('c'),
        'other/nested/c/src/main.rs': '',
      }),
    );
    // other/nested/c is under other's [workspace], which does not list it: it is its own context.
    expect(found.map((f) => [f.dir, f.context ?? f.dir])).toEqual([
      ['apps/a', '.'],
      ['other/nested/c', 'other/nested/c'],
    ]);
  });
});

describe('globs of workspace members', () => {
  it.each([
    ['crates/*', 'crates/api', true],
    ['crates/*', 'crates/api/sub', false],
    ['./crates/*/', 'crates/api', true],
    ['packages/**', 'packages/a/b', true],
    ['**/svc', 'a/b/svc', true],
    ['**/svc', 'svc', true],
    ['app?', 'app1', true],
    ['app[0-9]', 'appx', false],
    ['tools', 'tools', true],
    ['a.b', 'aXb', false],
  ])('%s matches %s: %s', (glob, rel, want) => {
    expect(globMatches(glob, rel)).toBe(want);
  });
});

const GO_WS: Tree = {
  'go.work': 'go 1.22.5\n\ntoolchain go1.23.1\n\nuse (\n\t./svc/api // the service\n\t"./lib/shared"\n)\nuse ./svc/tools\n',
  'svc/api/go.mod': 'module example.com/api\n\ngo 1.21\n\nrequire example.com/shared v0.0.0\n\nreplace example.com/shared => ../../lib/shared\n',
  'svc/api/main.go': 'package main\n\nfunc main() {}\n',
  'svc/tools/go.mod': 'module example.com/tools\n\ngo 1.21\n',
  'svc/tools/cmd/seed/main.go': 'package main\n\nfunc main() {}\n',
  'lib/shared/go.mod': 'module example.com/shared\n\ngo 1.21\n',
  'lib/shared/shared.go': 'package shared\n',
};

describe('Go workspaces', () => {
  it('reads use directives, single and in blocks, quoted or not, comments dropped', () => {
    expect(readGoWork(GO_WS['go.work'] as string)).toEqual({ use: ['./svc/api', './lib/shared', './svc/tools'], replaces: [] });
    expect(readGoWork('go 1.22\nuse .\nreplace example.com/x v1.0.0 => ../x\nreplace (\n\texample.com/y => example.com/z v1.0.0\n)\n')).toEqual({ use: ['.'], replaces: ['../x'] });
  });

  it('a module go.work uses is built at the go.work directory, main relative to it; go_version from go.work', async () => {
    const dir = tempRepo(GO_WS);
    const found = scanRepository(dir);
    expect(found.map((f) => [f.dir, f.context ?? f.dir, f.with])).toEqual([
      ['svc/api', '.', { main: './svc/api', binary: 'api' }],
      ['svc/tools', '.', { main: './svc/tools/cmd/seed', binary: 'seed' }],
    ]);
    expect(found[0]!.details).toEqual(['go.mod: go 1.21', 'go.work: go 1.22.5, toolchain go1.23.1']);
    const r = await matrix(['init'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    // The go command in workspace mode obeys go.work's toolchain line, not the module's go line.
    expect(readFileSync(path.join(dir, 'api.Dockerfile'), 'utf8')).toContain('ARG GO_IMAGE="golang:1.23.1"\n');
    expect(readFileSync(path.join(dir, 'api.Dockerfile'), 'utf8')).toContain("-- './svc/api'");
  });

  it("go_version: go.work's go line when it has no toolchain line; go.mod's when there is no go.work", async () => {
    const dir = tempRepo({ ...GO_WS, 'go.work': 'go 1.22.5\n\nuse ./svc/api\nuse ./lib/shared\n', 'svc/tools': {} });
    expect((await matrix(['init'], dir)).status).toBe(0);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toContain('ARG GO_IMAGE="golang:1.22.5"\n');
    const single = tempRepo({ 'go.mod': 'module x\n\ngo 1.21.3\n', 'main.go': 'package main\n\nfunc main() {}\n' });
    expect((await matrix(['init'], single)).status).toBe(0);
    expect((await matrix(['gen'], single)).status).toBe(0);
    expect(readFileSync(path.join(single, 'Dockerfile'), 'utf8')).toContain('ARG GO_IMAGE="golang:1.21.3"\n');
  });

  it('a main module at the go.work directory and the modules it uses; its other folders are sources', () => {
    const found = scanRepository(
      tempRepo({
        'go.work': 'go 1.22\n\nuse (\n\t.\n\t./svc/api\n)\n',
        'go.mod': 'module example.com/root\n',
        'main.go': 'package main\n\nfunc main() {}\n',
        'public/index.html': '<p>x</p>',
        'svc/api/go.mod': 'module example.com/api\n',
        'svc/api/main.go': 'package main\n\nfunc main() {}\n',
      }),
    );
    expect(found.map((f) => [f.dir, f.context ?? f.dir, f.with])).toEqual([
      ['.', '.', { main: '.', binary: path.basename(found[0]!.nameHint) }],
      ['svc/api', '.', { main: './svc/api', binary: 'api' }],
    ]);
  });

  it('a module the nearest go.work does not use stays in its own directory', () => {
    const found = scanRepository(tempRepo({ ...GO_WS, 'go.work': 'go 1.22\n\nuse ./lib/shared\n', 'svc/api/go.mod': 'module example.com/api\n\ngo 1.21\n' }));
    expect(found.find((f) => f.dir === 'svc/api')!.context).toBeUndefined();
  });

  it('without go.work, a replace outside the module is not proposed, and says to add a go.work; one inside is fine', async () => {
    const { 'go.work': _work, ...modules } = GO_WS;
    const dir = tempRepo({ ...modules, 'svc/tools/go.mod': 'module example.com/tools\n\ngo 1.21\n\nreplace example.com/x => ./third_party/x\n' });
    const dry = await matrix(['init', '--dry-run'], dir);
    expect(dry.status, dry.stderr).toBe(0);
    expect((parse(dry.stdout) as Spec).services).toEqual({ seed: { context: 'svc/tools', template: 'go', with: { main: './cmd/seed', binary: 'seed' } } });
    expect(dry.stdout).toContain(
      '# not proposed: svc/api: go.mod: go.mod replaces a module with a directory outside the module (../../lib/shared), which a build context of svc/api cannot hold: add a go.work',
    );
  });

  it('a go.work whose use or replace leaves its directory: not proposed', () => {
    const found = scanRepository(tempRepo({ 'svc/go.work': 'go 1.22\n\nuse .\nuse ../lib\n', 'svc/go.mod': 'module x\n', 'svc/main.go': 'package main\n', 'lib/go.mod': 'module lib\n' }));
    expect(found).toEqual([expect.objectContaining({ dir: 'svc', kind: 'unsupported', note: expect.stringContaining('go.work at svc uses or replaces with directories outside it (../lib)') })]);
  });
});

// npm workspaces (docs.npmjs.com/cli/v11/using-npm/workspaces): `workspaces` globs in the root
// package.json, one package-lock.json at the root; pnpm (pnpm.io/pnpm-workspace_yaml) and Yarn
// install with their own tools and lock files, which the npm-based node template does not run.
const NPM_WS: Tree = {
  'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*', 'apps/web'], scripts: { build: 'npm run build --workspaces --if-present' } }),
  'package-lock.json': '{}\n',
  'packages/api/package.json': JSON.stringify({ name: 'api', scripts: { start: 'node server.js' }, dependencies: { shared: '*' } }),
  'packages/api/server.js': '',
  'packages/shared/package.json': JSON.stringify({ name: 'shared', main: 'index.js' }),
  'apps/web/package.json': JSON.stringify({ name: 'web', scripts: { build: 'node build.js', start: 'node dist/server.js' } }),
  'apps/other/package.json': JSON.stringify({ name: 'other', scripts: { start: 'node x.js' } }),
};

describe('Node workspaces', () => {
  it('an npm member is built at the root with `workspace:` and its own build script (or none)', async () => {
    const dir = tempRepo(NPM_WS);
    const found = scanRepository(dir);
    expect(found.map((f) => [f.dir, f.context ?? f.dir, f.with])).toEqual([
      ['apps/other', 'apps/other', { cmd: ['node', 'x.js'] }],
      ['apps/web', '.', { cmd: ['node', 'dist/server.js'], workspace: 'apps/web', build_script: 'build' }],
      ['packages/api', '.', { cmd: ['node', 'server.js'], workspace: 'packages/api', build_script: '' }],
    ]);
    expect(found[2]!.reason).toBe('package.json (scripts.start), a member of the npm workspace at the root (built there)');
    expect((await matrix(['init'], dir)).status).toBe(0);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const api = readFileSync(path.join(dir, 'api.Dockerfile'), 'utf8');
    expect(api).toContain('WORKDIR "/app/packages/api"\n');
    expect(api).not.toMatch(/^RUN .*npm run/m);
    expect(readFileSync(path.join(dir, 'web.Dockerfile'), 'utf8')).toContain("RUN cd -- 'apps/web' && npm run -- 'build'\n");
  });

  it("yarn's `{ packages: [...] }` form; a Yarn or pnpm workspace member is not proposed, saying why", async () => {
    const { 'package-lock.json': _lock, ...npmTree } = NPM_WS;
    const yarn = scanRepository(tempRepo({ ...npmTree, 'yarn.lock': '', 'package.json': JSON.stringify({ workspaces: { packages: ['packages/*'] } }) }));
    expect(yarn.filter((f) => f.dir.startsWith('packages/'))).toEqual([
      expect.objectContaining({ dir: 'packages/api', kind: 'unsupported', note: expect.stringContaining('a Yarn workspace: the node template installs with npm') }),
    ]);
    const pnpmTree = {
      'package.json': JSON.stringify({ name: 'mono' }),
      'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n  - '!packages/skip'\n",
      'packages/api/package.json': JSON.stringify({ scripts: { start: 'node s.js' }, dependencies: { shared: 'workspace:*' } }),
      'packages/skip/package.json': JSON.stringify({ scripts: { start: 'node s.js' } }),
      'site/index.html': '<p>x</p>',
    };
    const pnpm = scanRepository(tempRepo(pnpmTree));
    expect(pnpm.map((f) => [f.dir, f.kind])).toEqual([
      ['packages/api', 'unsupported'],
      ['packages/skip', 'node'],
      ['site', 'static'],
    ]);
    const dry = await matrix(['init', '--dry-run'], tempRepo(pnpmTree));
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('# not proposed: packages/api: package.json (scripts.start), a member of the pnpm workspace at the root: a pnpm workspace: the node template installs with npm');
  });
});
