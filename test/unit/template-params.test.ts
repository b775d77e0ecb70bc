// Template parameters across services (issue 15 "Built-in templates must be
// able to build on a dependency", issue 19 "Template parameters in `defaults`
// for one template only"): one version parameter sets every image of a
// template and is reachable from a matrix cell; `defaults.with` serves each
// template with the keys it declares; `defaults.args` declare an ARG only where
// the template uses them; a runtime image may name a `depends_on` service
// (bake `contexts = { base = "target:base" }`, docs.docker.com/build/bake/reference/#targetcontexts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headerLines } from '../../src/render/header.js';
import { parseTemplate, TemplateError } from '../../src/render/template.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { REPO_ROOT, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const files = (r: ReturnType<typeof compileSpec>) => ('files' in r && r.files ? r.files : new Map<string, string>());

describe('one version parameter sets every image of the template', () => {
  it('node_version from a matrix cell reaches both node images of each cell', () => {
    const src = ['version: 1', 'services:', '  web:', '    context: web', '    template: node', '    matrix: { node: ["20", "22"] }', '    with: { node_version: "${{ matrix.node }}" }', ''].join(
      '\n',
    );
    const r = compileSpec(src, { 'web/package.json': '{}' });
    expect(r.diagnostics).toEqual([]);
    const out = files(r);
    expect(out.get('web/web-20.Dockerfile')).toContain('ARG NODE_IMAGE="node:20-bookworm-slim"\nARG NODE_RUNTIME_IMAGE="node:20-bookworm-slim"\n');
    expect(out.get('web/web-22.Dockerfile')).toContain('ARG NODE_IMAGE="node:22-bookworm-slim"\nARG NODE_RUNTIME_IMAGE="node:22-bookworm-slim"\n');
  });

  it.each([
    ['go', 'go_version', '1.23.4', 'ARG GO_IMAGE="golang:1.23.4"'],
    ['python', 'python_version', '3.13', 'ARG PYTHON_RUNTIME_IMAGE="python:3.13-slim-bookworm"'],
    ['rust', 'rust_version', '1.83', 'ARG RUST_IMAGE="rust:1.83-bookworm"'],
  ])('%s: %s sets the image', (template, param, value, line) => {
    const src = `version: 1\nservices:\n  s:\n    context: s\n    template: ${template}\n    with: { ${param}: "${value}" }\n`;
    const r = compileSpec(src, { 's/x': '' });
    expect(r.diagnostics).toEqual([]);
    expect(files(r).get('s/Dockerfile')).toContain(line);
  });

  it('an image given explicitly wins over the version', () => {
    const src = 'version: 1\nservices:\n  s:\n    context: s\n    template: node\n    with: { node_version: "22", node_image: "mirror.example/node:22" }\n';
    const text = files(compileSpec(src, { 's/x': '' })).get('s/Dockerfile')!;
    expect(text).toContain('ARG NODE_IMAGE="mirror.example/node:22"\nARG NODE_RUNTIME_IMAGE="node:22-bookworm-slim"\n');
  });

  it('a version that is not one is reported at the value', () => {
    const src = 'version: 1\nservices:\n  s:\n    context: s\n    template: node\n    with: { node_version: "lts/*" }\n';
    const r = compileSpec(src, { 's/x': '' });
    // Once, at the version: the images made from it are not reported again.
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-param', ...pos(src, '"lts/*"') }]);
  });

  it('a default naming an unknown parameter, or a chain, is refused when the template is read', () => {
    expect(() => parseTemplate('t.hbs', '{{!--\nparams:\n  a: { default: "x:{b}" }\n--}}\nFROM scratch\n')).toThrow(TemplateError);
    expect(() => parseTemplate('t.hbs', '{{!--\nparams:\n  a: { default: "x:{b}" }\n  b: { default: "{c}" }\n  c: { default: "1" }\n--}}\nFROM scratch\n')).toThrow(/names another parameter/);
  });
});

describe('defaults.with for one template only', () => {
  const tree = { ...goDirs('api'), 'web/package.json': '{}', 'base/Dockerfile': 'FROM scratch\n' };
  const spec = (defaultsWith: string, ownWith = '') =>
    [
      'version: 1',
      'defaults:',
      '  context: ${{ service }}',
      `  with: ${defaultsWith}`,
      'services:',
      '  base: { dockerfile: base/Dockerfile }',
      '  api: { template: go }',
      `  web: { template: node${ownWith} }`,
      '',
    ].join('\n');

  it('a key of one template is taken by its services and skipped by the others (and by hand-written Dockerfiles)', () => {
    const src = spec('{ go_version: "1.23.4", node_version: "22" }');
    const r = compileSpec(src, tree);
    expect(r.diagnostics).toEqual([]);
    expect(files(r).get('api/Dockerfile')).toContain('ARG GO_IMAGE="golang:1.23.4"');
    expect(files(r).get('web/Dockerfile')).toContain('ARG NODE_IMAGE="node:22-bookworm-slim"');
  });

  it('a key no template of the spec declares is an error at that key, with a did-you-mean', () => {
    const src = spec('{ go_versoin: "1.23.4" }');
    const r = compileSpec(src, tree);
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-param', ...pos(src, 'go_versoin') }]);
    expect(r.diagnostics[0]!.hint).toContain('go_version');
  });

  it("a key the service's own template lacks is still an error in its own `with`", () => {
    const src = spec('{}', ', with: { go_version: "1.23.4" }');
    const r = compileSpec(src, tree);
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-param', ...pos(src, 'go_version') }]);
  });

  it('`with` on a hand-written Dockerfile service is still an error', () => {
    const src = spec('{}').replace('base: { dockerfile: base/Dockerfile }', 'base: { dockerfile: base/Dockerfile, with: { x: y } }');
    expect(brief(compileSpec(src, tree).diagnostics)).toEqual([{ code: 'unused-key', ...pos(src, 'with: { x') }]);
  });
});

describe('defaults.args declare an ARG only where the template uses it', () => {
  it("an arg from defaults that a template declares is not repeated; one it does not declare is left out; the service's own args are declared", () => {
    const src = [
      'version: 1',
      'defaults:',
      '  context: ${{ service }}',
      '  args: { GO_IMAGE: "mirror.example/golang:1.22", NPM_TOKEN_FILE: x }',
      'services:',
      '  api: { template: go }',
      '  web: { template: node, args: { APP_FLAVOUR: blue } }',
      '',
    ].join('\n');
    const r = compileSpec(src, { ...goDirs('api'), 'web/package.json': '{}' });
    expect(r.diagnostics).toEqual([]);
    const api = files(r).get('api/Dockerfile')!;
    const web = files(r).get('web/Dockerfile')!;
    expect(api.match(/^ARG GO_IMAGE\b/gm)).toHaveLength(1);
    expect(api).not.toMatch(/^ARG NPM_TOKEN_FILE$/m);
    expect(web).not.toMatch(/^ARG (GO_IMAGE|NPM_TOKEN_FILE)$/m);
    expect(web).toMatch(/^ARG APP_FLAVOUR$/m);
    // bake still passes every arg: the value reaches a template that declares it.
    expect(files(r).get('docker-bake.hcl')).toMatch(/"GO_IMAGE" += "mirror.example\/golang:1.22"/);
  });
});

describe('no generated file reaches an image', () => {
  // The scrub matches the header `gen` writes (render/header.ts); if one changes, this fails.
  const header = headerLines('matrix.yaml')[0]!;
  it.each(['node', 'python', 'static'])('%s removes every file with the generated header after copying the context', (name) => {
    const text = readFileSync(path.join(REPO_ROOT, 'templates', `${name}.Dockerfile.hbs`), 'utf8');
    const m = /^RUN grep -rlE (?:--exclude-dir=\S+ )?-m 1 '([^']+)' (\S+) \| while IFS= read -r f; do rm -f -- "\$f"; done$/m.exec(text);
    expect(m, name).not.toBeNull();
    expect(new RegExp(m![1]!).test(header)).toBe(true);
    expect(new RegExp(m![1]!).test('# Code generated by matrix, or not')).toBe(false);
    // It runs after the context is copied, in the stage the final stage copies from.
    expect(text.indexOf(m![0])).toBeGreaterThan(text.search(/^COPY (\. \.|\{\{word with\.dir\}\})/m));
  });
  it.each(['go', 'rust'])('%s copies only the staged binary into the final stage', (name) => {
    const text = readFileSync(path.join(REPO_ROOT, 'templates', `${name}.Dockerfile.hbs`), 'utf8');
    const final = text.slice(text.lastIndexOf('\nFROM '));
    expect(final.match(/^COPY .*$/gm)).toEqual(['COPY --from=builder --chown=0:0 /matrix/rootfs/ /']);
  });
});

// docker init's Go template (github.com/docker/docker-agent's predecessor: docs.docker.com/reference/cli/docker/init/)
// reads the Go version from go.mod and runs as a non-root user; go.dev/ref/mod#go-mod-file-toolchain:
// `toolchain` names the toolchain to use, `go` the minimum language version.
describe('go: version from go.mod, run-time files, runtime settings', () => {
  const goSpec = (withs = '{}') => `version: 1\nservices:\n  api:\n    context: api\n    template: go\n    with: ${withs}\n`;
  it.each([
    ['module x\n\ngo 1.21\n\ntoolchain go1.22.3\n', 'golang:1.22.3'],
    ['module x\n\ngo 1.23.0\n', 'golang:1.23.0'],
    ['module x\n\ngo 1.21\n', 'golang:1.21'],
    ['module x\n', 'golang:1.22.1'],
  ])('go.mod %j -> %s', (gomod, image) => {
    const r = compileSpec(goSpec(), { 'api/go.mod': gomod });
    expect(r.diagnostics).toEqual([]);
    expect(files(r).get('api/Dockerfile')).toContain(`ARG GO_IMAGE="${image}"\n`);
  });

  it('a go_version given in with wins over go.mod', () => {
    const r = compileSpec(goSpec('{ go_version: "1.24.1" }'), { 'api/go.mod': 'module x\n\ngo 1.21\n' });
    expect(files(r).get('api/Dockerfile')).toContain('ARG GO_IMAGE="golang:1.24.1"\n');
  });

  it('modules are downloaded in their own layer before the sources are copied, with cache mounts', () => {
    const text = files(compileSpec(goSpec(), goDirs('api'))).get('api/Dockerfile')!;
    const download = text.indexOf('go mod download');
    expect(text.indexOf('COPY go.mo[d] go.su[m] ./')).toBeLessThan(download);
    expect(download).toBeLessThan(text.indexOf('COPY . .'));
    expect(text).toMatch(/^RUN --mount=type=cache,target=\/root\/go\/pkg\/mod --mount=type=cache,target=\/root\/.cache\/go-build \\$/m);
  });

  it('files are copied next to the binary; a path leaving the context or an option is refused at the value', () => {
    const ok = files(compileSpec(goSpec('{ files: [templates, static/css] }'), goDirs('api'))).get('api/Dockerfile')!;
    expect(ok).toContain("for f in 'templates' 'static/css' ; do");
    for (const bad of ['"../secrets"', '"-rf"', '"/etc"']) {
      const src = goSpec(`{ files: [ok, ${bad}] }`);
      // At the list (as for every list parameter).
      expect(brief(compileSpec(src, goDirs('api')).diagnostics), bad).toEqual([{ code: 'invalid-param', ...pos(src, '[ok,') }]);
    }
  });

  it('one path given as `files: static` is copied as `files: [static]` is (a list parameter takes one value)', () => {
    // README, kinds: `relative-paths` is a list; the value check takes one path too. The template's
    // `{{#each with.files}}` ran no block over one value (handlebars-lang/handlebars helpers/each.js
    // iterates arrays, iterables and object keys), so the file was silently not copied.
    const one = files(compileSpec(goSpec('{ files: static }'), goDirs('api'))).get('api/Dockerfile')!;
    expect(one).toContain("for f in 'static' ; do");
    expect(one).toBe(files(compileSpec(goSpec('{ files: [static] }'), goDirs('api'))).get('api/Dockerfile')!);
  });

  it('ports, env, healthcheck and user are printed in the final stage, quoted; non-root by default', () => {
    const src = goSpec('{ ports: [8080, "53/udp"], env: ["GREETING=hello $USER \\"x\\""], healthcheck: [/app, "-health"], user: "app:app" }');
    const text = files(compileSpec(src, goDirs('api'))).get('api/Dockerfile')!;
    const final = text.slice(text.lastIndexOf('\nFROM '));
    expect(final).toContain('EXPOSE 8080 53/udp\nENV GREETING="hello \\$USER \\"x\\""\nHEALTHCHECK CMD ["/app","-health"]\nUSER app:app\nCMD ["/app"]\n');
    for (const name of ['go', 'node', 'python', 'rust', 'static']) {
      const t = parseTemplate(name, readFileSync(path.join(REPO_ROOT, 'templates', `${name}.Dockerfile.hbs`), 'utf8'));
      expect(t.meta.params.user?.default, name).toBe('65532:65532');
    }
  });

  it.each([
    ['ports', '[70000]', '[70000]'],
    ['env', '["no equals"]', '["no equals"]'],
    ['user', '"a b"', '"a b"'],
    ['user', '"$(id)"', '"$(id)"'],
  ])('%s = %s is invalid-param at the value', (param, value, at) => {
    const src = goSpec(`{ ${param}: ${value} }`);
    expect(brief(compileSpec(src, goDirs('api')).diagnostics)).toEqual([{ code: 'invalid-param', ...pos(src, at) }]);
  });

  it('a front matter `uses:` naming no parameter set, or a bad `detect`, is refused when the template is read', () => {
    expect(() => parseTemplate('t.hbs', '{{!--\nuses: [runtim]\n--}}\nFROM scratch\n')).toThrow(/not a parameter set/);
    expect(() => parseTemplate('t.hbs', '{{!--\nparams:\n  v: { detect: [{ file: ../x, pattern: "(x)" }] }\n--}}\nFROM scratch\n')).toThrow(/inside the context/);
    expect(() => parseTemplate('t.hbs', '{{!--\nparams:\n  v: { detect: [{ file: x, pattern: "x" }] }\n--}}\nFROM scratch\n')).toThrow(/capture group/);
  });
});

// docs.npmjs.com/cli/v11/configuring-npm/package-json#main: the package's entry point.
describe('node: the entry point from package.json', () => {
  const spec = (withs = '{}') => `version: 1\nservices:\n  w:\n    context: w\n    template: node\n    with: ${withs}\n`;
  it.each([
    ['{\n  "name": "w",\n  "main": "lib/server.js"\n}\n', '{}', '["node","lib/server.js"]'],
    ['{ "name": "w" }\n', '{}', '["node","index.js"]'],
    ['{\n  "main": "lib/server.js"\n}\n', '{ main: app.js }', '["node","app.js"]'],
    ['{\n  "main": "lib/server.js"\n}\n', '{ cmd: [npm, start] }', '["npm","start"]'],
  ])('package.json %j with %s -> CMD %s', (pkg, withs, cmd) => {
    const r = compileSpec(spec(withs), { 'w/package.json': pkg });
    expect(r.diagnostics).toEqual([]);
    expect(files(r).get('w/Dockerfile')).toContain(`\nCMD ${cmd}\n`);
  });
});
