// Issue 19, Node: the entry point from package.json, a build step with the dev
// dependencies (then pruned), and packages with install scripts or native
// addons installed per TARGET platform, detected from package-lock.json at gen
// time; `plan` classifies the rendered Dockerfile (src/plan/stages.ts).
// References: docs.npmjs.com/cli/v11/configuring-npm/package-json (`main`, `scripts`),
// docs.npmjs.com/cli/v11/configuring-npm/package-lock-json (`hasInstallScript`: "A flag to
// indicate that the package has a preinstall, install, or postinstall script"),
// docs.npmjs.com/cli/v11/commands/npm-prune (`--omit=dev`).
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/plan/stages.js';
import { matrix } from '../helpers/cli.js';
import { compileSpec } from '../helpers/spec.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const spec = (withs = '{}') => `version: 1\nservices:\n  w:\n    context: w\n    template: node\n    with: ${withs}\n`;
function render(tree: Record<string, string>, withs = '{}'): string {
  const r = compileSpec(spec(withs), Object.fromEntries(Object.entries(tree).map(([k, v]) => [`w/${k}`, v])));
  expect(r.diagnostics).toEqual([]);
  return ('files' in r && r.files?.get('w/Dockerfile')) || '';
}
const mode = (text: string) => classify(text, 'linux/arm64', 'linux/amd64');

describe('node: the entry point', () => {
  it.each([
    ['a plain `node FILE` start script wins over main', '{\n  "main": "lib/a.js",\n  "scripts": { "start": "node dist/server.js" }\n}\n', '["node","dist/server.js"]'],
    ['a start script with arguments is not plain: main', '{\n  "main": "lib/a.js",\n  "scripts": { "start": "node dist/server.js --port 80" }\n}\n', '["node","lib/a.js"]'],
    ['a start script that runs another program: main', '{\n  "main": "lib/a.js",\n  "scripts": { "start": "nodemon x.js" }\n}\n', '["node","lib/a.js"]'],
    ['a `start` outside `scripts` is not read', '{\n  "config": { "start": "node other.js" }\n}\n', '["node","index.js"]'],
    ['neither: index.js', '{ "name": "w" }\n', '["node","index.js"]'],
  ])('%s', (_, pkg, cmd) => {
    expect(render({ 'package.json': pkg })).toContain(`\nCMD ${cmd}\n`);
  });
});

describe('node: the build step', () => {
  const withBuild = '{\n  "scripts": { "build": "tsc -p .", "start": "node dist/index.js" }\n}\n';
  it('a `build` script: dev dependencies installed, `npm run build` natively, then pruned to production', () => {
    const text = render({ 'package.json': withBuild });
    const at = (s: string) => text.indexOf(s);
    expect(at('npm ci --include=dev')).toBeGreaterThan(0);
    expect(at("RUN npm run -- 'build'\n")).toBeGreaterThan(at('npm ci --include=dev'));
    expect(at('RUN npm prune --omit=dev\n')).toBeGreaterThan(at("RUN npm run -- 'build'"));
    expect(text).not.toContain('npm ci --omit=dev');
    expect(mode(text)).toBe('cross');
  });

  it('no `build` script (or one outside `scripts`): production dependencies only, no build', () => {
    for (const pkg of ['{ "name": "w" }\n', '{\n  "directories": { "build": "out" }\n}\n']) {
      const text = render({ 'package.json': pkg });
      expect(text).toContain('npm ci --omit=dev');
      expect(text).not.toMatch(/RUN npm run|npm prune|--include=dev/);
    }
  });

  it('build_script names another script, or none; a value read as an option is refused at it', () => {
    expect(render({ 'package.json': withBuild }, '{ build_script: "build:prod" }')).toContain("RUN npm run -- 'build:prod'\n");
    expect(render({ 'package.json': withBuild }, '{ build_script: "" }')).not.toContain('RUN npm run');
    const r = compileSpec(spec('{ build_script: "--foo" }'), { 'w/package.json': withBuild });
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['invalid-param', 6]]);
  });
});

describe('node: packages with install scripts or native addons are installed as the target platform', () => {
  const lock = (pkgs: string) => `{\n  "lockfileVersion": 3,\n  "packages": {\n    "": { "name": "w" },\n${pkgs}\n  }\n}\n`;
  it.each([
    ['hasInstallScript', lock('    "node_modules/sharp": {\n      "version": "0.33.0",\n      "hasInstallScript": true\n    }')],
    ['a node-gyp-build dependency', lock('    "node_modules/bufferutil": { "version": "4.0.8" },\n    "node_modules/node-gyp-build": { "version": "4.8.0" }')],
    ['a scoped node-pre-gyp dependency', lock('    "node_modules/@mapbox/node-pre-gyp": { "version": "1.0.11" }')],
    ['gypfile', lock('    "node_modules/x": {\n      "version": "1.0.0",\n      "gypfile": true\n    }')],
  ])('%s in package-lock.json: a per-target stage, emulated for a foreign platform', (_, lockfile) => {
    const text = render({ 'package.json': '{ "name": "w" }\n', 'package-lock.json': lockfile });
    expect(text).toMatch(/\nFROM \$\{NODE_TARGET_IMAGE\} AS target-deps\n/);
    expect(text).toContain('COPY --from=target-deps --chown=0:0 /rootfs/app/ /app/\n');
    // The pure-JavaScript part (and the build) stays on the build platform; no dependency tree leaves it.
    expect(text).toMatch(/FROM --platform=\$BUILDPLATFORM \$\{NODE_IMAGE\} AS builder\n[\s\S]*RUN rm -rf node_modules\n[\s\S]*AS target-deps/);
    expect(mode(text)).toBe('emulated');
    expect(classify(text, 'linux/amd64', 'linux/amd64')).toBe('native');
  });

  it('a lockfile of pure JavaScript packages stays cross-built', () => {
    const text = render({ 'package.json': '{ "name": "w" }\n', 'package-lock.json': lock('    "node_modules/ms": { "version": "2.1.3" }') });
    expect(text).not.toContain('target-deps');
    expect(mode(text)).toBe('cross');
  });

  it('native_deps forces either way', () => {
    const native = lock('    "node_modules/sharp": {\n      "hasInstallScript": true\n    }');
    expect(mode(render({ 'package.json': '{}\n', 'package-lock.json': native }, '{ native_deps: none }'))).toBe('cross');
    const forced = render({ 'package.json': '{}\n' }, '{ native_deps: "yes" }');
    expect(mode(forced)).toBe('emulated');
    expect(forced).toContain('ARG NODE_TARGET_IMAGE="node:20-bookworm"\n');
  });

  it('with a build script too: built natively with dev dependencies, production dependencies per target', () => {
    const text = render({ 'package.json': '{\n  "scripts": { "build": "tsc" }\n}\n' }, '{ native_deps: "yes" }');
    expect(text).toMatch(/npm ci --include=dev[\s\S]*RUN npm run -- 'build'\nRUN rm -rf node_modules\n[\s\S]*AS target-deps[\s\S]*npm ci --omit=dev/);
    expect(text).not.toContain('npm prune');
  });
});

describe('node: `matrix plan` says which platform is emulated, and why', () => {
  it('the per-target install stage is named with its line, in the text and in --json', async () => {
    const lock = '{\n  "packages": {\n    "node_modules/sharp": { "hasInstallScript": true }\n  }\n}\n';
    const dir = tempRepo({
      'matrix.yaml': 'version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  w: { context: w, template: node }\n',
      'w/package.json': '{ "name": "w" }\n',
      'w/package-lock.json': lock,
    });
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const text = await matrix(['plan', '--build-platform', 'linux/amd64'], dir);
    expect(text.stdout).toContain('  platforms   linux/amd64 native, linux/arm64 emulated\n');
    expect(text.stdout).toMatch(/note: 1 target platform\(s\) run build steps under emulation \(slow\): w linux\/arm64 \(stage `target-deps` runs `RUN` as the target platform, w\/Dockerfile:\d+\)/);
    const json = JSON.parse((await matrix(['plan', '--json', '--build-platform', 'linux/amd64'], dir)).stdout);
    expect(json.targets[0].platforms[1]).toEqual({
      platform: 'linux/arm64',
      mode: 'emulated',
      why: expect.stringMatching(/^stage `target-deps` runs `RUN` as the target platform, w\/Dockerfile:\d+$/),
    });
    expect(json.targets[0].platforms[0]).toEqual({ platform: 'linux/amd64', mode: 'native' });
  });
});

// npm workspaces (docs.npmjs.com/cli/v11/using-npm/workspaces): the root's package-lock.json
// covers every member and `npm ci` at the root links the sibling packages into its node_modules;
// `npm run` inside a member's directory runs that member's script.
describe('node: a workspace member (`workspace`)', () => {
  const root = { 'package.json': '{ "name": "root", "workspaces": ["packages/*"] }\n', 'package-lock.json': '{}\n' };
  it('installs at the context (the root), builds and runs in the member directory', () => {
    const text = render(root, '{ workspace: packages/api, build_script: build, cmd: [node, server.js] }');
    expect(text).toContain('npm ci --include=dev');
    expect(text).toContain("RUN cd -- 'packages/api' && npm run -- 'build'\n");
    expect(text).toContain('RUN npm prune --omit=dev\n');
    expect(text).toMatch(/\nWORKDIR \/app\/\n# [^\n]*\nWORKDIR "\/app\/packages\/api"\n(?:.*\n)*CMD \["node","server.js"\]\n$/);
    expect(mode(text)).toBe('cross');
  });

  it('the default `.` renders as before: no second WORKDIR, no cd', () => {
    const text = render(root);
    expect(text).not.toMatch(/WORKDIR "|cd --/);
  });

  it('a path leaving the context, or absolute, is refused at it', () => {
    for (const bad of ['../x', '/abs', 'a/../../b']) {
      const r = compileSpec(spec(`{ workspace: "${bad}" }`), { 'w/package.json': '{}' });
      expect(
        r.diagnostics.map((d) => d.code),
        bad,
      ).toContain('invalid-param');
    }
  });
});
