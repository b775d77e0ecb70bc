// `matrix init` on the layouts a repository has on its first day with matrix:
// hand-written Dockerfiles by their usual names, a service at the repository
// root with others below it.
import { afterAll, describe, expect, it } from 'vitest';
import { notProposed } from '../../src/init/propose.js';
import { scanRepository } from '../../src/init/scan.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

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
    // Below a service found below the root: its sources.
    'services/api/sub/Dockerfile': 'FROM alpine\n',
  });
  const found = scanRepository(root);

  it('proposes the root and the builds of their own below it', () => {
    expect(found.filter((f) => f.kind !== 'unsupported').map((f) => `${f.dir} ${f.kind}`)).toEqual(['. go', 'services/api dockerfile', 'tools/seed go']);
  });

  it('lists a Node or Python app below it as not proposed, saying how to add it', () => {
    expect(notProposed(found)).toEqual([
      'not proposed: scripts: requirements.txt: inside the service at the repository root, whose build context holds it: a part of that service (its front end, its scripts)? If it is a service of its own, add it with `context: scripts` and `template: python`',
      'not proposed: web: package.json (scripts.start): inside the service at the repository root, whose build context holds it: a part of that service (its front end, its scripts)? If it is a service of its own, add it with `context: web` and `template: node`',
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
