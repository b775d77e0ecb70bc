// `builders:` cannot inject `docker buildx create` flags or extra driver options.
// References: `docker buildx create [OPTIONS] [CONTEXT|ENDPOINT]`
// (docs.docker.com/reference/cli/docker/buildx/create/); buildx reads each
// --driver-opt as CSV key=value fields (docker/buildx commands/create.go,
// csvToMap), so a comma or quote adds options; remote driver endpoints are
// tcp://, unix://, npipe://, docker-container://, kube-pod://
// (docs.docker.com/build/builders/drivers/remote/); docker context names
// follow docker/cli's ^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$.
import { describe, expect, it } from 'vitest';
import { builderUpCommands, driverOptProblem, endpointProblem, resolveBuilder } from '../../src/builder/builder.js';
import { UserError } from '../../src/diagnostics.js';
import { matrix } from '../helpers/cli.js';
import { pos } from '../helpers/spec.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';
import { afterAll } from 'vitest';

afterAll(removeTempDirs);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e.diagnostics[0]!.code;
    throw e;
  }
  return undefined;
}

describe('endpoints', () => {
  it.each(['tcp://buildkit:1234', 'unix:///run/buildkit.sock', 'ssh://ci@arm64-runner', 'docker-container://bk', 'kube-pod://bk', 'NPIPE://./pipe/x', 'my-context', 'desktop-linux'])(
    '%s is accepted',
    (e) => {
      expect(endpointProblem(e)).toBeUndefined();
    },
  );

  it.each(['--driver=docker', '-x', 'tcp://a:1 --bootstrap', 'tcp://a,b', 'file:///etc/passwd', 'http://x', 'tcp://', 'a b', 'a\nb', "tcp://'x'", 'ctx;rm'])('%j is refused', (e) => {
    expect(endpointProblem(e)).toBeDefined();
    expect(codeOf(() => resolveBuilder({ nodes: [{ platforms: ['linux/amd64'], endpoint: e, driver: 'remote' }] }))).toBe('invalid-endpoint');
  });
});

describe('driver options', () => {
  it.each([
    ['image', 'moby/buildkit:v0.12.5'],
    ['network', 'host'],
    ['env.http_proxy', 'http://proxy:3128'],
    ['cacert', '/etc/ca.pem'],
  ])('%s=%s is accepted', (k, v) => {
    expect(driverOptProblem(k, v)).toBeUndefined();
  });

  it.each([
    ['image', 'x,network=host'],
    ['image', '"a"'],
    ['a=b', 'c'],
    ['-x', 'y'],
    ['image', 'a\nb'],
    ['k', '--flag'],
    ['a,b', 'c'],
  ])('%s=%j is refused', (k, v) => {
    expect(driverOptProblem(k, v)).toBeDefined();
    expect(codeOf(() => resolveBuilder({ nodes: [{ platforms: ['linux/amd64'], endpoint: 'tcp://a:1', driver_opts: { [k]: v } }] }))).toBe('invalid-driver-opt');
  });

  it('valid options are one argv element each', () => {
    const b = resolveBuilder({ nodes: [{ platforms: ['linux/amd64'], endpoint: 'tcp://a:1', driver_opts: { image: 'moby/buildkit:v0.12.5' } }] });
    expect(builderUpCommands(b, undefined)[0]).toEqual([
      'buildx',
      'create',
      '--name',
      'matrix',
      '--driver',
      'remote',
      '--node',
      'matrix-linux-amd64',
      '--platform',
      'linux/amd64',
      '--driver-opt',
      'image=moby/buildkit:v0.12.5',
      'tcp://a:1',
    ]);
  });
});

describe('matrix builder up: a located error, exit 2, nothing run', () => {
  it('points at the endpoint in the spec', async () => {
    const spec = 'version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\nbuilders:\n  nodes:\n    - platforms: [linux/amd64]\n      endpoint: "--config=/tmp/evil"\n';
    const dir = tempRepo({ 'matrix.yaml': spec, Dockerfile: 'FROM scratch\n' });
    const r = await matrix(['builder', 'up', '--dry-run'], dir, { MATRIX_DOCKER: '/nonexistent/docker' });
    expect(r.status).toBe(2);
    const p = pos(spec, '"--config');
    expect(r.stderr).toContain(`matrix.yaml:${p.line}:${p.column}`);
    expect(r.stderr).toContain('invalid-endpoint');
    expect(r.stdout).not.toContain('buildx create');
  });
});
