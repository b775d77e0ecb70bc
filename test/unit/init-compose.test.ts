// Reading a Compose file for `matrix init`, and Dockerfile facts. Forms follow the
// Compose Specification (https://github.com/compose-spec/compose-spec/blob/main/build.md,
// 05-services.md): `build: PATH` or a map; `args` a map or a list of `KEY=VALUE`
// (a bare `KEY` comes from the environment); `depends_on` a list or a map;
// `ports` short strings or long maps with `target`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/init/compose.js';
import { goModDetails, packageJsonDetails, pyprojectDetails } from '../../src/init/manifests.js';
import { describeFacts, dockerfileFacts } from '../../src/dockerfile/facts.js';
import { matrix } from '../helpers/cli.js';
import { parseBake } from '../helpers/hcl.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('parseCompose', () => {
  it('reads both forms of build, args, depends_on and ports', () => {
    const text = [
      'services:',
      '  a:',
      '    build: ./svc/a/',
      '    ports: ["80:8080", 9000]',
      '    depends_on: [b]',
      '  b:',
      '    build:',
      '      context: svc/b',
      '      dockerfile: docker/Dockerfile.prod',
      '      args: [X=1, "Y=a=b", FROM_ENV]',
      '      target: prod',
      '    image: acme/b:2',
      '    ports: [{ target: 3000, published: 3000 }]',
      '    depends_on: { a: { condition: service_started } }',
      '  c:',
      '    image: postgres:16',
      '',
    ].join('\n');
    expect(parseCompose(text)).toEqual([
      { name: 'a', context: 'svc/a', inlineDockerfile: false, args: {}, envArgs: [], ports: ['80:8080', '9000'], dependsOn: ['b'] },
      {
        name: 'b',
        context: 'svc/b',
        dockerfile: 'docker/Dockerfile.prod',
        inlineDockerfile: false,
        args: { X: '1', Y: 'a=b' },
        envArgs: ['FROM_ENV'],
        target: 'prod',
        image: 'acme/b:2',
        ports: ['3000'],
        dependsOn: ['a'],
      },
    ]);
  });

  it('is undefined for text that is not a Compose file; a context given as a URL has none', () => {
    for (const t of ['', 'a: [', 'services: 3\n', '- 1\n', 'x: 1\n']) expect(parseCompose(t), t).toBeUndefined();
    expect(parseCompose('services:\n  r:\n    build: https://github.com/a/b.git#main\n')![0]!.context).toBeUndefined();
    // `__proto__` as an arg name stays an ordinary key.
    const args = parseCompose('services:\n  p:\n    build:\n      context: .\n      args:\n        __proto__: x\n')![0]!.args;
    expect(Object.keys(args)).toEqual(['__proto__']);
  });
});

describe('dockerfileFacts (of the final stage)', () => {
  it('reads EXPOSE, USER and CMD of the last stage only, instructions in any case, continuations joined', () => {
    const f = dockerfileFacts('FROM a AS build\nEXPOSE 1\nUSER builder\nFROM b AS run\nexpose 8080 \\\n  9090/udp\nuser app:app\nENTRYPOINT ["/x"]\nCMD ["--serve"]\n');
    expect(f).toEqual({ stages: 2, stageNames: ['build', 'run'], expose: ['8080', '9090/udp'], user: 'app:app', cmd: '["--serve"]' });
    expect(describeFacts(f)).toBe('2 stages (build, run), EXPOSE 8080 9090/udp, USER app:app, CMD ["--serve"]');
    expect(describeFacts(dockerfileFacts('FROM alpine\n'))).toBe('runs as root (no USER)');
  });
});

// Compose names and values that are not valid bake targets, HCL or Dockerfile
// text: the proposal renames or leaves them out, validates, and nothing injects.
describe('matrix init with hostile Compose values', () => {
  const names = ['My Service!', '-x', 'default', 'a.b', 'a-b', '日本', 'x${y}'];
  const compose = `services:\n${names.map((n) => `  ${JSON.stringify(n)}:\n    build: svc\n`).join('')}  vals:\n    build:\n      context: svc\n      args:\n        Q: "\\"; RUN touch /pwned; #"\n        NL: "x\\nRUN touch /pwned"\n        DOLLAR: "\${HOME} %{ for x in y }"\n        CTRL: "a\\u0007b"\n        BIDI: "a\\u202eb"\n      target: "x\\nRUN y"\n    image: "Bad Image"\n`;

  it('renames services, drops refused values with a note, and the args reach bake byte for byte', async () => {
    const dir = tempRepo({ 'compose.yaml': compose, 'svc/Dockerfile': 'FROM alpine:3.20\nARG Q\n' });
    const r = await matrix(['init'], dir);
    expect(r.status, r.stderr).toBe(0);
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    const keys = [...spec.matchAll(/^ {2}"?([^\s:"#]+)"?:$/gm)].map((m) => m[1]);
    expect(keys).toEqual(['my-service', 'x', 'default-service', 'a-b', 'a-b-2', 'app', 'x-y', 'vals']);
    expect(spec).toContain('left out from compose.yaml: arg "CTRL"; arg "BIDI"; image "Bad Image"');
    expect(spec).not.toMatch(/\u202e|\u0007/);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const bake = await parseBake(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8'));
    expect(bake.target.vals!.args).toEqual({ Q: '"; RUN touch /pwned; #', NL: 'x\nRUN touch /pwned', DOLLAR: '${HOME} %{ for x in y }' });
    expect(bake.target.vals!.target).toBeUndefined();
    // The hand-written Dockerfile is not touched; no generated Dockerfile took a value.
    expect(readFileSync(path.join(dir, 'svc/Dockerfile'), 'utf8')).toBe('FROM alpine:3.20\nARG Q\n');
  });
});

describe('manifest details shown beside a template', () => {
  it('go.mod go and toolchain lines (https://go.dev/ref/mod#go-mod-file-go)', () => {
    expect(goModDetails('module x\n\ngo 1.22.3\n\ntoolchain go1.23.1\n')).toEqual(['go.mod: go 1.22.3, toolchain go1.23.1']);
    expect(goModDetails('module x\n')).toEqual([]);
  });

  it('package.json build script, main, engines.node', () => {
    expect(packageJsonDetails({ main: 'dist/index.js', scripts: { build: 'tsc' }, engines: { node: '>=20' } })).toEqual(['package.json: build script `tsc`, main dist/index.js, engines.node >=20']);
    expect(packageJsonDetails({ scripts: { start: 'node x' } })).toEqual([]);
  });

  it('pyproject.toml requires-python and [project.scripts]', () => {
    const toml = '[project]\nname = "svc"\nrequires-python = ">=3.11"\n\n[project.scripts]\nserve = "svc.main:run"\n"svc-admin" = "svc.admin:main"\n\n[tool.x]\na = 1\n';
    expect(pyprojectDetails(toml)).toEqual(['pyproject.toml: requires-python >=3.11, scripts serve, svc-admin']);
  });
});

describe('a Compose target', () => {
  it('is kept when its Dockerfile has that stage (any case, as BuildKit matches it), left out otherwise', async () => {
    const compose = 'services:\n  a:\n    build: { context: svc, target: PROD }\n  b:\n    build: { context: svc, target: nope }\n';
    const dir = tempRepo({ 'compose.yaml': compose, 'svc/Dockerfile': 'FROM alpine:3.20 AS prod\n' });
    const r = await matrix(['init'], dir);
    expect(r.status, r.stderr).toBe(0);
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    expect(spec).toMatch(/^ {2}a:\n(?: {4}.*\n)*? {4}target: PROD\n/m);
    expect(spec).toContain('left out from compose.yaml: target "nope" (not a stage of its Dockerfile)');
    expect((await matrix(['validate'], dir)).status).toBe(0);
  });
});
