// `matrix init` with any directory name, and --registry checked before anything
// is proposed (exit 2 with a hint, never "a bug in matrix init").
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { registryFromGitConfig, registryProblem, serviceName } from '../../src/init/propose.js';
import { parseBake } from '../helpers/hcl.js';
import { hashTree, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd, env: { NO_COLOR: '1' }, isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function repoNamed(name: string): { parent: string; dir: string } {
  const parent = tempDir();
  const dir = path.join(parent, name);
  mkdirSync(path.join(dir, 'sub dir ü'), { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM alpine:3.20\n');
  writeFileSync(path.join(dir, 'sub dir ü', 'Dockerfile'), 'FROM alpine:3.20\n');
  return { parent, dir };
}

describe('matrix init and directory names', () => {
  const names = ['my app', 'café', '-dash', '--', 'default', 'UPPER_Case', '123', 'a.b', '$(touch x)', "it's", '日本', 'x'.repeat(120), 'tab\tname'];

  it.each(names)('writes a spec that validates and generates for a repository named %j', async (name) => {
    const { parent, dir } = repoNamed(name);
    // Given as an argument (after `--`, so a leading dash is a name), and from inside.
    const r = await run(['init', '--', name], parent);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^created /);
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    const service = /^services:\n(?: {2}#.*\n)* {2}"?([^\s:"]+)"?:/m.exec(spec)?.[1];
    expect(service).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    expect(service).toBe(serviceName(name));
    // The `Next:` hint is a command a shell runs as it reads.
    if (/[^A-Za-z0-9_./-]/.test(name)) expect(r.stdout).toContain(`cd '${name.replace(/'/g, "'\\''")}' && matrix gen`);
    expect((await run(['gen'], dir)).code).toBe(0);
    expect((await run(['validate'], dir)).code).toBe(0);
    expect(existsSync(path.join(parent, 'x'))).toBe(false);
  });

  it('names services from any directory name', () => {
    expect(serviceName('café crème')).toBe('cafe-creme');
    expect(serviceName('-dash')).toBe('dash');
    expect(serviceName('日本')).toBe('app');
    expect(serviceName('default')).toBe('default-service');
    expect(serviceName('Ünïcödé')).toBe('unicode');
  });

  it('a path that is not a directory is an error, exit 2', async () => {
    const parent = tempDir();
    writeFileSync(path.join(parent, 'file'), '');
    for (const d of ['file', 'missing', '-x']) {
      const r = await run(['init', '--', d], parent);
      expect(r.code, d).toBe(2);
      expect(r.stderr).toContain(`${d} is not a directory [not-a-directory]`);
    }
  });
});

describe('matrix init --registry', () => {
  // Image names follow the reference grammar of distribution/reference
  // (github.com/distribution/reference, reference.go): lower-case path
  // components separated by `.`, `_`, `__` or dashes, an optional domain with a port.
  it.each(['ghcr.io/acme', 'localhost:5000', 'localhost:5000/team/sub', '127.0.0.1:5000/x', 'acme', 'registry.example.com/a_b/c__d/e-f', 'docker.io/library'])('accepts %s', async (reg) => {
    expect(registryProblem(reg)).toBeUndefined();
    const { dir } = repoNamed('r');
    const r = await run(['init', '--dry-run', '--registry', reg], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`registry: ${reg}\n`);
  });

  it.each([
    ['GHCR.io/Acme', /upper-case.*\n\s+hint: did you mean `--registry ghcr.io\/acme`/],
    ['https://ghcr.io/acme', /is a URL.*\n\s+hint: did you mean `--registry ghcr.io\/acme`/],
    ['ghcr.io/acme/', /ends with `\/`.*\n\s+hint: did you mean `--registry ghcr.io\/acme`/],
    ['ghcr.io/acme:v1', /has a tag/],
    ['ghcr.io/acme@sha256:abc', /has a digest/],
    ['ghcr.io/a b', /invalid path component `a b`/],
    ['ghcr.io/-acme', /invalid path component `-acme`/],
    ['ghcr.io//acme', /invalid path component ``/],
    ['bad_host.io:x/acme', /has a tag|invalid registry host/],
    ['acme/$(id)', /invalid path component/],
  ])('rejects %j with exit 2 and a hint, writing nothing', async (reg, why) => {
    const { dir } = repoNamed('r');
    const before = hashTree(dir);
    const r = await run(['init', '--registry', reg], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[invalid-registry\]/);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toMatch(/bug in matrix/);
    expect(hashTree(dir)).toBe(before);
  });
});

// Issue 19: "service names from the folder that names the service, not a `src` inside it".
describe('matrix init names a service by the folder that names it', () => {
  it('services/api/src/Dockerfile is `api`, services/web/app/package.json is `web`', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'services', 'api', 'src'), { recursive: true });
    mkdirSync(path.join(dir, 'services', 'web', 'app'), { recursive: true });
    writeFileSync(path.join(dir, 'services', 'api', 'src', 'Dockerfile'), 'FROM alpine:3.20\n');
    writeFileSync(path.join(dir, 'services', 'web', 'app', 'package.json'), '{ "name": "web", "scripts": { "start": "node server.js" } }\n');
    const r = await run(['init', '--', dir], dir);
    expect(r.code, r.stderr).toBe(0);
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    expect(spec).toMatch(/^ {2}api:$/m);
    expect(spec).toMatch(/^ {2}web:$/m);
    expect(spec).not.toMatch(/^ {2}(src|app):$/m);
    // Each proposal says why: the file that decided it.
    expect(spec).toMatch(/# services\/api\/src: Dockerfile/);
    expect(spec).toMatch(/# services\/web\/app: package.json \(scripts.start\)/);
  });
});

// Issue 19: init reads what the repository already says. The fixture has a Compose
// file (Compose Specification, https://github.com/compose-spec/compose-spec/blob/main/build.md
// and 05-services.md: `build` as a path or a map with context, dockerfile relative to
// the context, args as a map or a KEY=VALUE list, target; image, ports, depends_on as a
// list or a map), hand-written Dockerfiles, a Maven project and a .NET project.
describe('matrix init on test/fixtures/init-compose', () => {
  const copy = () => {
    const dir = path.join(tempDir(), 'repo');
    cpSync(path.join(REPO_ROOT, 'test/fixtures/init-compose'), dir, { recursive: true });
    return dir;
  };

  it('proposes the Compose services with their names, images, args and targets; the proposal validates and generates', async () => {
    const dir = copy();
    const r = await run(['init'], dir);
    expect(r.code, r.stderr).toBe(0);
    const spec = parse(readFileSync(path.join(dir, 'matrix.yaml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
    // billing has a pom.xml: the built-in java template builds it (issue 19).
    expect(Object.keys(spec.services)).toEqual(['api-server', 'web', 'legacy', 'billing']);
    expect(spec.services.billing).toEqual({ context: 'services/billing', template: 'java' });
    expect(spec.services['api-server']).toEqual({
      context: 'services/api/src',
      dockerfile: 'services/api/src/Dockerfile',
      target: 'runtime',
      tags: ['ghcr.io/acme/api:1.0'],
      args: { GO_FLAGS: '-trimpath', QUOTED: 'say "hi" ${HOME} $${x} \\ back', NEWLINE: 'a\nb' },
    });
    // Compose's dockerfile is relative to its context; a template service keeps no target.
    expect(spec.services.legacy).toEqual({ context: 'services/legacy', dockerfile: 'services/legacy/prod.Dockerfile', args: { MODE: 'prod' } });
    expect(spec.services.web).toMatchObject({ context: 'services/web', template: 'node' });
    expect(spec.services.web!.tags).toBeUndefined();
    expect((await run(['validate'], dir)).code).toBe(0);
    expect((await run(['gen'], dir)).code).toBe(0);
    // The args reach bake byte for byte: nothing is read as HCL interpolation.
    const bake = await parseBake(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8'));
    expect(bake.target['api-server']!.args).toEqual({ GO_FLAGS: '-trimpath', QUOTED: 'say "hi" ${HOME} $${x} \\ back', NEWLINE: 'a\nb' });
  });

  it('says per service why, in the spec and on the terminal, and lists what it does not propose', async () => {
    const dir = copy();
    const r = await run(['init'], dir);
    const text = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    for (const out of [text, r.stdout]) {
      expect(out).toContain('compose.yaml service api-server; Dockerfile, kept as it is');
      expect(out).toContain('2 stages (build, runtime), EXPOSE 8080, USER 65532, CMD ["/api"]');
      expect(out).toContain('depends_on db in compose.yaml: run-time order, not a build dependency');
      expect(out).toContain('arg "bad name"; arg "MATRIX_VAR"');
      expect(out).toContain('image "acme/web:${TAG}"');
      expect(out).toContain('services/billing: pom.xml (Java, Maven)');
      expect(out).not.toContain('not proposed: services/billing');
      expect(out).toContain('not proposed: tools/dotnet: dotnet.csproj (.NET)');
      expect(out).toContain('compose.yaml service inline: has an inline Dockerfile');
      expect(out).toContain('compose.yaml service remote: builds from a remote context');
    }
    // The db service only pulls an image: nothing to build.
    expect(text).not.toMatch(/^ {2}db:/m);
  });
});

// README, "Starting out": a Maven pom.xml is proposed with the `java` template, whose
// Dockerfile runs `mvn package` (README, Templates: "Gradle is not built in"); a
// Gradle-only project is listed as not proposed rather than given a template that
// cannot build it. Every `matrix ...` command a note tells the user to run exists.
describe('matrix init on Java projects', () => {
  const repo = () => {
    const dir = tempDir();
    for (const d of ['maven', 'gradle', 'kts', 'both']) mkdirSync(path.join(dir, 'svc', d), { recursive: true });
    writeFileSync(path.join(dir, 'svc', 'maven', 'pom.xml'), '<project><modelVersion>4.0.0</modelVersion></project>\n');
    writeFileSync(path.join(dir, 'svc', 'gradle', 'build.gradle'), "plugins { id 'java' }\n");
    writeFileSync(path.join(dir, 'svc', 'kts', 'build.gradle.kts'), 'plugins { java }\n');
    writeFileSync(path.join(dir, 'svc', 'both', 'pom.xml'), '<project><modelVersion>4.0.0</modelVersion></project>\n');
    writeFileSync(path.join(dir, 'svc', 'both', 'build.gradle'), "plugins { id 'java' }\n");
    return dir;
  };

  it('proposes java for pom.xml only; Gradle alone is not proposed, with the reason', async () => {
    const dir = repo();
    const r = await run(['init'], dir);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    const spec = parse(text) as { services: Record<string, Record<string, unknown>> };
    expect(spec.services).toEqual({ both: { context: 'svc/both', template: 'java' }, maven: { context: 'svc/maven', template: 'java' } });
    for (const out of [text, r.stdout]) {
      expect(out).toContain('not proposed: svc/gradle: build.gradle (Java, Gradle)');
      expect(out).toContain('not proposed: svc/kts: build.gradle.kts (Java, Gradle)');
      expect(out).toContain('the java template builds with Maven');
    }
    expect((await run(['validate'], dir)).code).toBe(0);
  });

  it('each `matrix ...` command its notes name runs', async () => {
    const dir = repo();
    const r = await run(['init', '--dry-run'], dir);
    const commands = [...new Set([...r.stdout.matchAll(/`(matrix [^`]+)`/g)].map((m) => m[1]!))];
    expect(commands).toContain('matrix templates java');
    for (const c of commands) {
      const out = await run(c.split(' ').slice(1), dir);
      expect(out.code, `${c}: ${out.stderr}`).toBe(0);
    }
  });
});

// The php template (issue 19) builds a composer.json project as it is: init proposes it, with the
// document root of the usual front controller (public/index.php: Laravel, Symfony, Slim), and says
// that Composer does not run in the build. A PHP app's package.json (front-end tooling) does not make
// it a Node service.
describe('matrix init on PHP projects', () => {
  const repo = () => {
    const dir = tempDir();
    for (const d of ['laravel/public', 'plain', 'vendored/vendor']) mkdirSync(path.join(dir, 'svc', d), { recursive: true });
    writeFileSync(path.join(dir, 'svc', 'laravel', 'composer.json'), JSON.stringify({ require: { php: '^8.2', 'laravel/framework': '^11.0' } }));
    writeFileSync(path.join(dir, 'svc', 'laravel', 'package.json'), JSON.stringify({ private: true, scripts: { dev: 'vite', build: 'vite build' } }));
    writeFileSync(path.join(dir, 'svc', 'laravel', 'public', 'index.php'), '<?php echo "hi";\n');
    writeFileSync(path.join(dir, 'svc', 'plain', 'composer.json'), JSON.stringify({ require: { php: '>=8.1', 'ext-json': '*' } }));
    writeFileSync(path.join(dir, 'svc', 'plain', 'index.php'), '<?php echo "hi";\n');
    writeFileSync(path.join(dir, 'svc', 'vendored', 'composer.json'), JSON.stringify({ require: { 'slim/slim': '^4' } }));
    return dir;
  };

  it('proposes php for composer.json, public/ as the document root when it holds index.php, and a note when Composer would be needed', async () => {
    const dir = repo();
    const r = await run(['init'], dir);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    const spec = parse(text) as { services: Record<string, Record<string, unknown>> };
    expect(spec.services).toEqual({
      laravel: { context: 'svc/laravel', template: 'php', with: { docroot: 'public' } },
      plain: { context: 'svc/plain', template: 'php' },
      vendored: { context: 'svc/vendored', template: 'php' },
    });
    for (const out of [text, r.stdout]) {
      expect(out).toContain('svc/laravel: composer.json (PHP)');
      expect(out).toMatch(/laravel[^\n]*\n?[^\n]*does not run Composer/);
    }
    // Only the app that needs packages and has no vendor/ gets the note.
    expect(text.match(/does not run Composer/g)).toHaveLength(1);
    expect((await run(['validate'], dir)).code).toBe(0);
    expect((await run(['gen'], dir)).code).toBe(0);
  });
});

// A proposal is never one matrix's own check refuses (src/init/settle.ts): init
// asks the same pipeline as `matrix validate` and `matrix gen`, and settles what
// it refuses with a place of its own or by leaving the directory out, saying why.
describe('matrix init proposes only what validate and gen accept', () => {
  const nodeApp = (dir: string, rel: string) => {
    mkdirSync(path.join(dir, rel), { recursive: true });
    writeFileSync(path.join(dir, rel, 'package.json'), '{"scripts":{"start":"node a"}}');
  };
  async function initThenGen(dir: string): Promise<string> {
    const dry = await run(['init', '--dry-run'], dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toMatch(/bug in matrix/);
    const r = await run(['init'], dir);
    expect(r.code, r.stderr).toBe(0);
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    expect(spec).toBe(dry.stdout);
    for (const c of [
      ['validate', '--no-cache'],
      ['gen', '--no-cache'],
    ]) {
      const g = await run(c, dir);
      expect(g.code, `${c[0]}: ${g.stderr}`).toBe(0);
    }
    return spec;
  }

  it('directories whose names differ only in case get Dockerfiles that differ in more than case (git clone: "the following paths have collided")', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.git'));
    nodeApp(dir, 'A-B');
    nodeApp(dir, 'a-b');
    const spec = await initThenGen(dir);
    const services = parse(spec).services;
    expect(Object.keys(services)).toEqual(['a-b', 'a-b-2']);
    expect(services['a-b'].generated_file).toBeUndefined();
    expect(services['a-b-2'].generated_file).toBe('a-b/a-b-2.Dockerfile');
    expect(spec).toContain('# generated at a-b/a-b-2.Dockerfile: the generated Dockerfiles of `a-b` (A-B/Dockerfile) and `a-b-2` (a-b/Dockerfile) differ only in case');
    expect(existsSync(path.join(dir, 'A-B', 'Dockerfile'))).toBe(true);
    expect(existsSync(path.join(dir, 'a-b', 'a-b-2.Dockerfile'))).toBe(true);
    expect(existsSync(path.join(dir, 'a-b', 'Dockerfile'))).toBe(false);
  });

  it("a generated Dockerfile's default place taken by a folder or a link goes beside it; a docker-bake.hcl of the repository's own stays (output/existing.ts refusal)", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.git'));
    nodeApp(dir, 'web');
    mkdirSync(path.join(dir, 'web', 'Dockerfile'));
    nodeApp(dir, 'api');
    symlinkSync('nowhere', path.join(dir, 'api', 'Dockerfile'));
    writeFileSync(path.join(dir, 'docker-bake.hcl'), 'target "mine" {}\n');
    const spec = await initThenGen(dir);
    const doc = parse(spec);
    expect(doc.bake_file).toBe('docker-bake.matrix.hcl');
    expect(spec).toContain('# not docker-bake.hcl: docker-bake.hcl exists and was not generated by matrix; it will not be overwritten\nbake_file: docker-bake.matrix.hcl');
    expect(doc.services.web.generated_file).toBe('web/web.Dockerfile');
    expect(doc.services.api.generated_file).toBe('api/api.Dockerfile');
    expect(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8')).toBe('target "mine" {}\n');
    const bake = await parseBake(readFileSync(path.join(dir, 'docker-bake.matrix.hcl'), 'utf8'));
    expect(
      Object.keys(bake.target)
        .filter((t) => t !== 'docker-metadata-action')
        .sort(),
    ).toEqual(['api', 'web']);
  });

  it('a Go main package Go cannot build (cmd/NAME with a space: golang.org/x/mod module.CheckImportPath) is listed as not proposed; a long binary name is cut to 128 characters', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.git'));
    for (const cmd of ['a b', 'ok', 'y'.repeat(200)]) {
      mkdirSync(path.join(dir, 'cmd', cmd), { recursive: true });
      writeFileSync(path.join(dir, 'cmd', cmd, 'main.go'), 'package main\n');
    }
    writeFileSync(path.join(dir, 'go.mod'), 'module x\n\ngo 1.22\n');
    const spec = await initThenGen(dir);
    const services = parse(spec).services;
    expect(Object.values(services).map((s) => (s as { with: { main: string } }).with.main)).toEqual(['./cmd/ok', `./cmd/${'y'.repeat(200)}`]);
    expect((Object.values(services)[1] as { with: { binary: string } }).with.binary).toBe('y'.repeat(128));
    expect(spec).toContain('# not proposed: .: go.mod, cmd/a b: its package ./cmd/a b is not a path Go builds');
  });

  it('a registry from an origin no GitHub account has (`-`, `a-`) is not proposed (distribution/reference reference.go)', () => {
    for (const owner of ['-', '-a', 'a-']) expect(registryFromGitConfig(`[remote "origin"]\n\turl = git@github.com:${owner}/r.git\n`), owner).toBeUndefined();
    expect(registryFromGitConfig('[remote "origin"]\n\turl = git@github.com:Acme-Co/r.git\n')).toBe('ghcr.io/acme-co');
  });

  it('any mix of odd directory names: init exits 0 and the spec validates and generates', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.git'));
    const names = [
      'A-B',
      'a-b',
      'a_b',
      'a.b',
      'default',
      'Default',
      'API',
      'api',
      'x'.repeat(70),
      'X'.repeat(70),
      '日本',
      'café',
      'CAFÉ',
      'a b',
      'a"b',
      "a'b",
      'a\\b',
      'a$b',
      '$(x)',
      'a#b',
      'a[b]',
      '__proto__',
      'constructor',
    ];
    for (const n of names) nodeApp(dir, n);
    mkdirSync(path.join(dir, 'app', 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'app', 'src', 'Dockerfile'), 'FROM alpine:3.20\n');
    mkdirSync(path.join(dir, 'docker-bake.matrix.hcl'));
    writeFileSync(path.join(dir, 'docker-bake.hcl'), 'group "default" {}\n');
    const spec = await initThenGen(dir);
    expect(parse(spec).bake_file).toBe('docker-bake.matrix-2.hcl');
  });
});
