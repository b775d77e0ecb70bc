// `matrix init` on the layouts a repository has on its first day with matrix:
// hand-written Dockerfiles by their usual names, a service at the repository
// root with others below it.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { notProposed } from '../../src/init/propose.js';
import { scanRepository } from '../../src/init/scan.js';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const GO_MAIN = 'package main\n\nfunc main() {}\n';
const summary = (root: string) => scanRepository(root).map((f) => [f.dir, f.kind, f.dockerfile, f.nameHint].filter(Boolean).join(' '));

describe('hand-written Dockerfiles', () => {
  it('Dockerfile.NAME is one (docker build -f takes any name), kept, never replaced by a template', () => {
    const root = tempRepo({
      'web/Dockerfile.prod': 'FROM node:20\nCMD ["node", "server.js"]\n',
      'web/Dockerfile.dev': 'FROM node:20\n',
      'web/package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
      'worker/Containerfile.ci': 'FROM alpine\n',
      'api/Dockerfile': 'FROM alpine\n',
      'api/prod.Dockerfile': 'FROM alpine\n',
    });
    expect(summary(root)).toEqual([
      'api dockerfile api/Dockerfile api',
      'api dockerfile api/prod.Dockerfile api-prod',
      'web dockerfile web/Dockerfile.dev web-dev',
      'web dockerfile web/Dockerfile.prod web-prod',
      'worker dockerfile worker/Containerfile.ci worker-ci',
    ]);
  });

  it('what is named like one but is not: the ignore file of a Dockerfile, templates, backups', () => {
    const root = tempRepo({
      'api/Dockerfile': 'FROM alpine\n',
      // docs.docker.com/build/concepts/context/#filename-and-location
      'api/Dockerfile.dockerignore': 'node_modules\n',
      'api/Dockerfile.j2': 'FROM {{ base }}\n',
      'api/Dockerfile.orig': 'FROM alpine\n',
      'api/Dockerfile.tmpl': 'FROM alpine\n',
      'api/Dockerfile.swp': '',
    });
    expect(summary(root)).toEqual(['api dockerfile api/Dockerfile api']);
  });
});

describe('a service at the repository root, others below it', () => {
  const root = tempRepo({
    'go.mod': 'module example.com/root\n\ngo 1.22\n',
    'main.go': GO_MAIN,
    // Builds of their own: a Dockerfile, a nested Go module (left out of the root module).
    'services/api/Dockerfile': 'FROM alpine\n',
    'tools/seed/go.mod': 'module example.com/seed\n',
    'tools/seed/main.go': GO_MAIN,
    // Possibly a part of the root service: listed, not proposed.
    'web/package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
    'scripts/requirements.txt': 'requests\n',
    'scripts/app.py': '',
    // The root service's own files, no site.
    'public/index.html': '<html></html>',
    // Below a service found below the root: a Dockerfile there is a build of its own too.
    'services/api/sub/Dockerfile': 'FROM alpine\n',
    // Below an app listed as not proposed: a Dockerfile building it at its folder, which is then its service.
    'web/docker/Dockerfile': 'FROM node:20\nCOPY package.json ./\n',
  });
  const found = scanRepository(root);

  it('proposes the root and the builds of their own below it', () => {
    expect(found.filter((f) => f.kind !== 'unsupported').map((f) => `${f.dir} ${f.context ?? f.dir} ${f.kind}`)).toEqual([
      '. . go',
      'services/api services/api dockerfile',
      'services/api/sub services/api/sub dockerfile',
      'tools/seed tools/seed go',
      'web/docker web dockerfile',
    ]);
  });

  it('lists a Node or Python app below it as not proposed, saying how to add it (web is built by its docker/Dockerfile)', () => {
    expect(notProposed(found)).toEqual([
      'not proposed: scripts: requirements.txt: inside the service at the repository root, whose build context holds it: a part of that service (its front end, its scripts)? If it is a service of its own, add it with `context: scripts` and `template: python`',
    ]);
  });

  it('the same below a service that is not at the root', () => {
    const nested = tempRepo({
      'svc/api/go.mod': 'module example.com/api\n',
      'svc/api/main.go': GO_MAIN,
      'svc/api/docker/Dockerfile': 'FROM alpine\n',
      'svc/api/ui/package.json': JSON.stringify({ scripts: { start: 'vite' } }),
      'svc/api/static/index.html': '',
    });
    expect(summary(nested)).toEqual(['svc/api go api', 'svc/api/docker dockerfile svc/api/docker/Dockerfile docker', 'svc/api/ui unsupported ui']);
  });
});

describe('what starts a Python service', () => {
  const root = tempRepo({
    // The template calls the first [project.scripts] entry (packaging.python.org pyproject-toml spec) ...
    'uvsvc/pyproject.toml': '[project]\nname = "uvsvc"\n\n[project.scripts]\nuvsvc = "uvsvc.cli:main"\n',
    'uvsvc/main.py': '',
    // ... else runs the Procfile's web line (devcenter.heroku.com/articles/procfile), before an entry file.
    'proc/requirements.txt': 'gunicorn\n',
    'proc/Procfile': 'release: ./migrate\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n',
    'proc/app.py': '',
    // Django's manage.py alone only prints its help.
    'site/requirements.txt': 'django\n',
    'site/manage.py': '',
    'poetry/pyproject.toml': '[tool.poetry]\nname = "p"\n\n[tool.poetry.scripts]\nserve = "p.main:run"\n',
  });
  const by = Object.fromEntries(scanRepository(root).map((f) => [f.dir, f]));

  it('leaves `cmd` to the template when it reads [project.scripts] or a Procfile, saying so, with no TODO to set it', () => {
    expect(by.uvsvc).toMatchObject({ reason: 'pyproject.toml; pyproject.toml [project.scripts] uvsvc = uvsvc.cli:main (the template calls it)' });
    expect(by.uvsvc!.with).toBeUndefined();
    expect(by.uvsvc!.note).not.toMatch(/with\.cmd/);
    expect(by.proc!.with).toBeUndefined();
    expect(by.proc!.reason).toBe('requirements.txt; Procfile web: gunicorn app:app --bind 0.0.0.0:$PORT (the template runs it)');
    expect(by.proc!.note).toMatch(/reads \$PORT, which nothing sets in the image/);
  });

  it('runs Django with runserver on all interfaces, with a TODO for production', () => {
    expect(by.site!.with).toEqual({ cmd: ['python3', 'manage.py', 'runserver', '0.0.0.0:8000'] });
    expect(by.site!.note).toMatch(/development server.*gunicorn PROJECT\.wsgi/);
  });

  it('asks for `cmd` when nothing says what starts it (Poetry scripts are not read by the template)', () => {
    expect(by.poetry!.with).toBeUndefined();
    expect(by.poetry!.note).toMatch(/set `with\.cmd`/);
  });
});

describe('Node projects', () => {
  const root = tempRepo({
    // Vite keeps index.html at the project root, Create React App in public/, Angular in src/.
    'vite/package.json': JSON.stringify({ scripts: { dev: 'vite', build: 'vite build' } }),
    'vite/index.html': '',
    'ng/package.json': JSON.stringify({ scripts: { build: 'ng build' } }),
    'ng/src/index.html': '',
    'lib/package.json': JSON.stringify({ main: 'index.js', scripts: { build: 'tsc' } }),
    'cra/package.json': JSON.stringify({ scripts: { start: 'react-scripts start', build: 'react-scripts build' } }),
    'prod/package.json': JSON.stringify({ scripts: { start: 'next start', build: 'next build' } }),
    'preview/package.json': JSON.stringify({ scripts: { start: 'vite preview --host' } }),
    'pnpm/package.json': JSON.stringify({ scripts: { start: 'node index.js' } }),
    'pnpm/pnpm-lock.yaml': 'lockfileVersion: 9.0\n',
    'both/package.json': JSON.stringify({ scripts: { start: 'node index.js' } }),
    'both/package-lock.json': '{}',
    'both/yarn.lock': '',
  });
  const by = Object.fromEntries(scanRepository(root).map((f) => [f.dir, f]));

  it('a front-end app that only builds is listed as not proposed, saying why; a library is not listed', () => {
    expect(by.vite).toMatchObject({ kind: 'unsupported', reason: 'package.json (scripts.build only), index.html' });
    expect(by.vite!.note).toMatch(/no template builds it and serves its output/);
    expect(by.ng).toMatchObject({ kind: 'unsupported', reason: 'package.json (scripts.build only), src/index.html' });
    expect(by.lib).toBeUndefined();
  });

  it('a start script that runs a development server gets a TODO', () => {
    expect(by.cra).toMatchObject({ kind: 'node', with: { cmd: ['npm', 'start'] } });
    expect(by.cra!.note).toMatch(/development server \(react-scripts start\)/);
    expect(by.preview!.note).toMatch(/development server \(vite\)/);
    expect(by.prod!.note).toBeUndefined();
  });

  it('another manager lock file without package-lock.json gets a TODO: npm does not install from it', () => {
    expect(by.pnpm!.note).toMatch(/installs with npm .* not from pnpm-lock\.yaml/);
    expect(by.both!.note).toBeUndefined();
  });
});

describe('another repository inside this one', () => {
  it('a submodule (a .git file) or a nested clone is listed as not proposed, and not walked', () => {
    const root = tempRepo({
      'api/Dockerfile': 'FROM alpine\n',
      'libs/theme/.git': 'gitdir: ../../.git/modules/theme\n',
      'libs/theme/Dockerfile': 'FROM alpine\n',
      'clone/.git/HEAD': 'ref: refs/heads/main\n',
      'clone/svc/Dockerfile': 'FROM alpine\n',
    });
    const found = scanRepository(root);
    expect(found.filter((f) => f.kind !== 'unsupported').map((f) => f.dir)).toEqual(['api']);
    const note = (what: string) =>
      `another git repository (${what}): its files are not this repository's (a checkout has a submodule's only after \`git submodule update --init\`); run init there, or add its services by hand`;
    expect(notProposed(found)).toEqual([`not proposed: clone: a directory with .git: ${note('a nested clone')}`, `not proposed: libs/theme: a directory with .git: ${note('a submodule')}`]);
  });
});

describe('Compose', () => {
  it('a service in a profile says so: Compose builds it only then, matrix always (compose-spec 05-services.md#profiles)', () => {
    const root = tempRepo({
      'compose.yaml': 'services:\n  web:\n    build:\n      context: web\n      dockerfile: Dockerfile.prod\n    profiles: [frontend, full]\n  db:\n    image: postgres:16\n',
      'web/Dockerfile.prod': 'FROM alpine\n',
    });
    const found = scanRepository(root);
    expect(found.map((f) => [f.dir, f.dockerfile, f.nameHint])).toEqual([['web', 'web/Dockerfile.prod', 'web']]);
    expect(found[0]!.details).toContain('profiles frontend, full (compose.yaml): Compose builds it only when its profile is enabled; `matrix bake` builds it with every other service');
  });

  it("a Dockerfile the scan found elsewhere is built in Compose's context, once (build.md: dockerfile is relative to the context)", () => {
    const root = tempRepo({
      'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n',
      'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
      'docker/Dockerfile': 'FROM node:20\nCOPY package.json ./\n',
    });
    const found = scanRepository(root);
    expect(found.map((f) => [f.dir, f.context, f.kind, f.dockerfile, f.nameHint])).toEqual([['.', undefined, 'dockerfile', 'docker/Dockerfile', 'app']]);
    expect(found[0]).toMatchObject({ reason: 'compose.yaml service app; Dockerfile, kept as it is' });
    expect(found[0]!.note).toBeUndefined();
  });

  it("Compose's context wins over where the files a Dockerfile copies are, with a TODO when they are not in it", () => {
    const root = tempRepo({
      'compose.yaml': 'services:\n  app:\n    build: docker\n',
      'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
      'docker/Dockerfile': 'FROM node:20\nCOPY package.json ./\n',
    });
    const found = scanRepository(root);
    expect(found.map((f) => [f.dir, f.context, f.kind, f.nameHint])).toEqual([['docker', undefined, 'dockerfile', 'app']]);
    expect(found[0]).toMatchObject({ reason: 'compose.yaml service app; Dockerfile, kept as it is', note: 'it copies package.json, not in its context docker' });
  });
});

describe('a Dockerfile built in the folder above it', () => {
  it('is built where its COPY sources are (docs.docker.com/reference/dockerfile/#copy), named by that folder, with no template there', () => {
    const root = tempRepo({
      'svc/api/package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
      'svc/api/src/server.js': '',
      'svc/api/docker/Dockerfile':
        'FROM node:20 AS build\nCOPY --from=node:20 /x /x\nCOPY ["package.json", "./"]\nCOPY --chown=1:1 src/ ./src/\nADD https://example.com/x.tgz /x\nCOPY $X /y\nCOPY <<EOF /z\nEOF\nCOPY . .\n',
      'svc/web/Dockerfile': 'FROM nginx\nCOPY dist/ /usr/share/nginx/html/\n',
      'svc/ok/Dockerfile': 'FROM alpine\nCOPY run.sh /\n',
      'svc/ok/run.sh': '',
    });
    const found = scanRepository(root);
    expect(found.map((f) => [f.dir, f.context, f.kind, f.nameHint])).toEqual([
      ['svc/api/docker', 'svc/api', 'dockerfile', 'api'],
      ['svc/ok', undefined, 'dockerfile', 'ok'],
      ['svc/web', undefined, 'dockerfile', 'web'],
    ]);
    expect(found[0]!.reason).toBe('Dockerfile, kept as it is; built at svc/api, where the files it copies are');
    expect(found[2]!.note).toBe('it copies dist, found neither here nor in a folder above: build them first, or set `context:` to where they are');
    expect(found[1]!.note).toBeUndefined();
  });
});

describe('errors', () => {
  it('a directory that does not exist is named as it was given, absolute or not', async () => {
    const missing = path.join(tempDir(), 'nope');
    const r = await matrix(['init', missing], tempDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${missing} is not a directory [not-a-directory]`);
  });
});
