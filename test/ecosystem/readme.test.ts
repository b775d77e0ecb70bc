// The README is the reference a new user reads first: it must list every key the
// schema accepts (top level and per service) and link every page under docs/.
// The schema is the source of truth; a key added there without a README row fails here.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../src/resolve/templates.js';
import { matrix } from '../helpers/cli.js';
import { blockUnder } from '../helpers/fences.js';
import { parseBake } from '../helpers/hcl.js';
import { REPO_ROOT, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
interface Props {
  properties: Record<string, unknown>;
}
const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'matrix.schema.json'), 'utf8')) as Props & { properties: { services: { additionalProperties: Props } } };

/** Keys in the first column of the table that follows `heading` (a line of its own). */
function tableKeys(heading: string): string[] {
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README has no "${heading}" table`).toBeGreaterThan(0);
  const rows = readme.slice(at + heading.length + 2).split('\n');
  const keys: string[] = [];
  let seen = false;
  for (const row of rows) {
    if (!row.startsWith('|')) {
      if (seen) break;
      continue;
    }
    seen = true;
    const key = /^\| `([a-z_]+)` \|/.exec(row);
    if (key) keys.push(key[1]!);
  }
  return keys;
}

describe('README reference', () => {
  it('lists every top-level key of the schema, and no other', () => {
    expect(tableKeys('Top level:').sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it("the Development section's layout names every folder and module of src/, and nothing that is gone", () => {
    const at = readme.indexOf('\nLayout (');
    expect(at, 'README has no "Layout (" paragraph').toBeGreaterThan(0);
    const layout = readme.slice(at, readme.indexOf('\n\n', at + 1));
    const named = new Set([...layout.matchAll(/`(src\/[\w./-]+?)`/g)].map((m) => m[1]!.replace(/\/$/, '')));
    const tree = readdirSync(path.join(REPO_ROOT, 'src'), { withFileTypes: true }).map((e) => `src/${e.name}`);
    const missing = tree.filter((p) => ![...named].some((n) => n === p || n.startsWith(`${p}/`)));
    expect(missing, 'name these in the README layout').toEqual([]);
    const gone = [...named].filter((n) => !existsSync(path.join(REPO_ROOT, n)));
    expect(gone, 'these are named in the README layout but do not exist').toEqual([]);
  });

  it('lists every service key of the schema, and no other', () => {
    expect(tableKeys('Service:').sort()).toEqual(Object.keys(schema.properties.services.additionalProperties.properties).sort());
  });

  it("the service table's `template` row names every built-in template", () => {
    const row = readme.split('\n').find((l) => l.startsWith('| `template` |'))!;
    const named = [...row.split(' | ')[1]!.matchAll(/`([a-z]+)`/g)].map((m) => m[1]);
    expect(named).toEqual([...BUILTIN_TEMPLATES]);
  });

  // Install: `npm pack` names the tarball NAME-VERSION.tgz from package.json (docs.npmjs.com, npm-pack).
  it("the install example's tarball is the one `npm pack` writes for package.json's name and version", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    const tarballs = [...readme.matchAll(/[\w./-]+\.tgz/g)].map((m) => path.basename(m[0]));
    expect(tarballs.length).toBeGreaterThan(0);
    for (const t of tarballs) expect(t).toBe(`${pkg.name}-${pkg.version}.tgz`);
  });

  it('links every page under docs/', () => {
    for (const page of readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'))) expect(readme, page).toContain(`](docs/${page})`);
  });
});

describe("README's example spec", () => {
  const block = blockUnder(readme, 'A spec', 'yaml');
  const after = readme.slice(readme.indexOf(block) + block.length);
  const claim = after.slice(0, after.indexOf('### '));
  /** The example's repository: the spec as written, and the few files its services need. */
  const repo = () =>
    tempRepo({
      'matrix.yaml': block,
      'services/base/Dockerfile': 'FROM debian:bookworm-slim\n',
      'services/api/go.mod': 'module example.com/api\n\ngo 1.22\n',
      'services/api/cmd/api/main.go': 'package main\n\nfunc main() {}\n',
      'services/web/package.json': '{ "name": "web", "version": "1.0.0" }\n',
      'services/web/index.js': 'console.log("web")\n',
    });

  it('generates as written, without a warning, the targets the text names', async () => {
    const dir = repo();
    const r = await matrix(['gen'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const plan = JSON.parse((await matrix(['plan', '--json'], dir)).stdout) as { targets: { name: string }[] };
    const named = /with targets ((?:`[a-z0-9-]+`,?\s*)+)/
      .exec(claim.replace(/\n/g, ' '))![1]!
      .match(/`([a-z0-9-]+)`/g)!
      .map((n) => n.slice(1, -1));
    expect(plan.targets.map((t) => t.name)).toEqual(named);
    // "a group `web` with the cells of `web` ... and a `default` group with everything"
    const bake = await parseBake(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8'));
    expect(bake.group).toEqual({ default: { targets: named }, web: { targets: named.filter((n) => n.startsWith('web-')) } });
    expect(claim.replace(/\n/g, ' ')).toContain('a group `web` with the cells of `web`');
  });

  it("each web cell's Node version reaches its base images; api builds FROM the base service; one latest", async () => {
    const dir = repo();
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const plan = JSON.parse((await matrix(['plan', '--json'], dir)).stdout) as { targets: { name: string; tags: string[]; matrix?: Record<string, string> }[] };
    const web = plan.targets.filter((t) => t.name.startsWith('web-'));
    expect(web.length).toBe(4);
    for (const t of web) {
      const m = /^web-(\d+)-(\w+)$/.exec(t.name)!;
      const dockerfile = readFileSync(path.join(dir, 'services', 'web', `${t.name}.Dockerfile`), 'utf8');
      expect(dockerfile).toContain(`ARG NODE_IMAGE="node:${m[1]}-bookworm-slim"`);
      expect(dockerfile).toContain(`ARG NODE_RUNTIME_IMAGE="node:${m[1]}-${m[2]}"`);
    }
    expect(plan.targets.filter((t) => t.tags.includes('ghcr.io/acme/web:latest')).map((t) => t.name)).toEqual(['web-22-slim']);
    const api = readFileSync(path.join(dir, 'services', 'api', 'Dockerfile'), 'utf8');
    expect(api).toContain('ARG GO_RUNTIME_IMAGE="base"');
    expect(api).toMatch(/^FROM --platform=\$TARGETPLATFORM \$\{GO_RUNTIME_IMAGE\}$/m);
    const bake = readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8');
    expect(/target "api" \{[\s\S]*?\n\}/.exec(bake)![0]).toMatch(/contexts += \{\s*"base" = "target:base"/);
  });

  it('an image parameter naming a service without depends_on is a located error with the fix', async () => {
    const dir = tempRepo({
      'matrix.yaml': 'version: 1\nservices:\n  base:\n    context: base\n    dockerfile: base/Dockerfile\n  api:\n    context: api\n    template: go\n    with: { runtime_image: base }\n',
      'base/Dockerfile': 'FROM scratch\n',
      'api/go.mod': 'module x\n',
    });
    const r = await matrix(['validate'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('matrix.yaml:9:');
    expect(r.stderr).toContain('invalid-param');
    expect(r.stderr).toContain('depends_on: [base]');
  });
});
