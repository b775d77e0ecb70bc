// `matrix builder up|rm`: the exact docker buildx commands, as data, through
// the CLI with a fake docker that logs its argv, and with the real buildx
// (the remote driver creates nodes without contacting them, so no buildkitd
// is needed to check that buildx accepts what we run).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builderRmCommands, builderUpCommands, parseNodeNames, resolveBuilder } from '../../src/builder/builder.js';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** The diagnostic code `f` throws (UserError), or 'no error'. */
function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { diagnostics: { code: string }[] }).diagnostics[0]!.code;
  }
  return 'no error';
}

const BUILDERS = {
  name: 'fleet',
  nodes: [
    { platforms: ['linux/amd64'], endpoint: 'tcp://10.0.0.1:1234' },
    { name: 'arm', platforms: ['linux/arm64', 'linux/arm/v7'], endpoint: 'tcp://10.0.0.2:1234', driver_opts: { cacert: '/certs/ca.pem', cert: '/certs/cert.pem' } },
  ],
};

describe('resolveBuilder', () => {
  it('applies defaults: builder `matrix`, node names from platforms, remote for tcp:// endpoints', () => {
    expect(resolveBuilder({ nodes: [{ platforms: ['linux/arm64'], endpoint: 'tcp://h:1234' }] })).toEqual({
      name: 'matrix',
      driver: 'remote',
      nodes: [{ name: 'matrix-linux-arm64', platforms: ['linux/arm64'], endpoint: 'tcp://h:1234', driverOpts: [] }],
    });
    expect(resolveBuilder({ nodes: [{ platforms: ['linux/arm64'], endpoint: 'ssh://ci@arm' }] }).driver).toBe('docker-container');
    expect(resolveBuilder({ nodes: [{ platforms: ['linux/arm64'], driver: 'kubernetes', driver_opts: { nodeselector: 'kubernetes.io/arch=arm64' } }] }, 'k8s').nodes[0]).toEqual({
      name: 'k8s-linux-arm64',
      platforms: ['linux/arm64'],
      driverOpts: [['nodeselector', 'kubernetes.io/arch=arm64']],
    });
  });

  it('refuses what buildx would refuse, with a fix', () => {
    expect(code(() => resolveBuilder(undefined))).toBe('no-builders');
    expect(
      code(() =>
        resolveBuilder({
          nodes: [
            { platforms: ['linux/amd64'], endpoint: 'tcp://a:1' },
            { platforms: ['linux/arm64'], endpoint: 'ssh://b' },
          ],
        }),
      ),
    ).toBe('builder-driver-mismatch');
    expect(code(() => resolveBuilder({ nodes: [{ platforms: ['linux/amd64'], driver: 'remote' }] }))).toBe('node-endpoint-missing');
    expect(
      code(() =>
        resolveBuilder({
          nodes: [
            { name: 'x', platforms: ['linux/amd64'], endpoint: 'tcp://a:1' },
            { name: 'x', platforms: ['linux/arm64'], endpoint: 'tcp://b:1' },
          ],
        }),
      ),
    ).toBe('duplicate-node');
  });
});

describe('builderUpCommands', () => {
  const b = resolveBuilder(BUILDERS);

  it('a new builder: create with the first node, append the others, optionally use it', () => {
    expect(builderUpCommands(b, undefined, { use: true })).toEqual([
      ['buildx', 'create', '--name', 'fleet', '--driver', 'remote', '--node', 'fleet-linux-amd64', '--platform', 'linux/amd64', 'tcp://10.0.0.1:1234'],
      [
        'buildx',
        'create',
        '--append',
        '--name',
        'fleet',
        '--node',
        'arm',
        '--platform',
        'linux/arm64,linux/arm/v7',
        '--driver-opt',
        'cacert=/certs/ca.pem',
        '--driver-opt',
        'cert=/certs/cert.pem',
        'tcp://10.0.0.2:1234',
      ],
      ['buildx', 'use', 'fleet'],
    ]);
  });

  it('an existing builder: every node appended (updated in place), nodes gone from the spec removed', () => {
    expect(builderUpCommands(b, { driver: 'remote', nodes: ['fleet-linux-amd64', 'old-riscv'] })).toEqual([
      ['buildx', 'create', '--append', '--name', 'fleet', '--node', 'fleet-linux-amd64', '--platform', 'linux/amd64', 'tcp://10.0.0.1:1234'],
      [
        'buildx',
        'create',
        '--append',
        '--name',
        'fleet',
        '--node',
        'arm',
        '--platform',
        'linux/arm64,linux/arm/v7',
        '--driver-opt',
        'cacert=/certs/ca.pem',
        '--driver-opt',
        'cert=/certs/cert.pem',
        'tcp://10.0.0.2:1234',
      ],
      ['buildx', 'create', '--name', 'fleet', '--leave', '--node', 'old-riscv'],
    ]);
  });

  it('an existing builder with another driver must be removed first', () => {
    expect(code(() => builderUpCommands(b, { driver: 'docker-container', nodes: [] }))).toBe('builder-driver-changed');
  });

  it('rm', () => expect(builderRmCommands('fleet')).toEqual([['buildx', 'rm', 'fleet']]));

  it('parseNodeNames reads node names from docker buildx inspect', () => {
    const out = ['Name:          fleet', 'Driver:        remote', '', 'Nodes:', 'Name:      fleet-linux-amd64', 'Endpoint:  tcp://a:1', '', 'Name:      arm', 'Endpoint:  tcp://b:1', ''].join('\n');
    expect(parseNodeNames(out)).toEqual(['fleet-linux-amd64', 'arm']);
  });
});

const SPEC = [
  'version: 1',
  'services:',
  '  api:',
  '    context: .',
  '    dockerfile: Dockerfile',
  'builders:',
  '  name: fleet',
  '  nodes:',
  '    - platforms: [linux/amd64]',
  '      endpoint: tcp://10.0.0.1:1234',
  '    - name: arm',
  '      platforms: [linux/arm64]',
  '      endpoint: tcp://10.0.0.2:1234',
  '',
].join('\n');

/** A docker that logs argv (one JSON array a line); `buildx inspect` prints $FAKE_INSPECT's file when it exists. */
function fakeDocker(dir: string): { bin: string; log: string; inspect: string } {
  const bin = path.join(dir, 'fake-docker.mjs');
  const log = path.join(dir, 'docker.log');
  const inspect = path.join(dir, 'inspect.txt');
  writeFileSync(
    bin,
    [
      '#!/usr/bin/env node',
      "import { appendFileSync, existsSync, readFileSync } from 'node:fs';",
      'const args = process.argv.slice(2);',
      'appendFileSync(process.env.FAKE_LOG, JSON.stringify(args) + "\\n");',
      "if (args[0] === 'buildx' && args[1] === 'inspect') {",
      '  if (!existsSync(process.env.FAKE_INSPECT)) { process.stderr.write("ERROR: no builder found\\n"); process.exit(1); }',
      '  process.stdout.write(readFileSync(process.env.FAKE_INSPECT, "utf8"));',
      '}',
      '',
    ].join('\n'),
  );
  chmodSync(bin, 0o755);
  return { bin, log, inspect };
}

function logged(log: string): string[][] {
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
}

describe('matrix builder (CLI, fake docker)', () => {
  const setup = () => {
    const dir = tempRepo({ 'matrix.yaml': SPEC, Dockerfile: 'FROM scratch\n' });
    const fake = fakeDocker(tempDir());
    const env = { MATRIX_DOCKER: fake.bin, FAKE_LOG: fake.log, FAKE_INSPECT: fake.inspect };
    return { dir, fake, env };
  };

  it('up creates the builder node by node and says how to use it', async () => {
    const { dir, fake, env } = setup();
    const r = await matrix(['builder', 'up'], dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(logged(fake.log)).toEqual([
      ['buildx', 'inspect', 'fleet'],
      ['buildx', 'create', '--name', 'fleet', '--driver', 'remote', '--node', 'fleet-linux-amd64', '--platform', 'linux/amd64', 'tcp://10.0.0.1:1234'],
      ['buildx', 'create', '--append', '--name', 'fleet', '--node', 'arm', '--platform', 'linux/arm64', 'tcp://10.0.0.2:1234'],
    ]);
    expect(r.stdout).toContain('Created builder fleet (driver remote): fleet-linux-amd64 [linux/amd64], arm [linux/arm64].');
    expect(r.stdout).toContain('matrix bake --builder fleet');
  });

  it('up on an existing builder updates its nodes and removes stale ones; --use selects it', async () => {
    const { dir, fake, env } = setup();
    writeFileSync(fake.inspect, 'Name:   fleet\nDriver: remote\n\nNodes:\nName:   fleet-linux-amd64\nEndpoint: tcp://old:1\n\nName:   gone\nEndpoint: tcp://old:2\n');
    const r = await matrix(['builder', 'up', '--use'], dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(logged(fake.log).slice(1)).toEqual([
      ['buildx', 'create', '--append', '--name', 'fleet', '--node', 'fleet-linux-amd64', '--platform', 'linux/amd64', 'tcp://10.0.0.1:1234'],
      ['buildx', 'create', '--append', '--name', 'fleet', '--node', 'arm', '--platform', 'linux/arm64', 'tcp://10.0.0.2:1234'],
      ['buildx', 'create', '--name', 'fleet', '--leave', '--node', 'gone'],
      ['buildx', 'use', 'fleet'],
    ]);
    expect(r.stdout).toContain('Updated builder fleet');
  });

  it('--dry-run prints the commands and runs none of them', async () => {
    const { dir, fake, env } = setup();
    const r = await matrix(['builder', 'up', '--dry-run', '--name', 'other'], dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        `${fake.bin} buildx create --name other --driver remote --node other-linux-amd64 --platform linux/amd64 tcp://10.0.0.1:1234`,
        `${fake.bin} buildx create --append --name other --node arm --platform linux/arm64 tcp://10.0.0.2:1234`,
        '',
      ].join('\n'),
    );
    expect(logged(fake.log)).toEqual([['buildx', 'inspect', 'other']]);
  });

  it('rm removes an existing builder; a missing one is nothing to do', async () => {
    const { dir, fake, env } = setup();
    const none = await matrix(['builder', 'rm'], dir, env);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toContain('No builder named fleet');
    writeFileSync(fake.inspect, 'Name: fleet\nDriver: remote\n\nNodes:\nName: arm\n');
    const r = await matrix(['builder', 'rm'], dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(logged(fake.log).at(-1)).toEqual(['buildx', 'rm', 'fleet']);
    expect(r.stdout).toContain('Removed builder fleet.');
  });

  it('a failing docker command stops the run with exit 1 and its message', async () => {
    const { dir, env } = setup();
    const r = await matrix(['builder', 'up'], dir, { ...env, MATRIX_DOCKER: '/bin/false' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('+ /bin/false buildx create --name fleet');
  });

  // The same check as the spec's own `platforms:` (src/resolve/platforms.ts): a node's
  // platforms go to `docker buildx create --platform`, and an alias there would make
  // BuildKit schedule by a name the spec's targets never use.
  it("a node platform must be canonical: an alias is a located error naming containerd's name, garbage a located error", async () => {
    const spec = SPEC.replace('platforms: [linux/arm64]', 'platforms: [linux/aarch64, linux/arm, linux/z80]');
    const dir = tempRepo({ 'matrix.yaml': spec, Dockerfile: 'FROM scratch\n' });
    const fake = fakeDocker(tempDir());
    const r = await matrix(['builder', 'up', '--dry-run'], dir, { MATRIX_DOCKER: fake.bin, FAKE_LOG: fake.log, FAKE_INSPECT: fake.inspect });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const line = spec.split('\n').findIndex((l) => l.includes('linux/aarch64')) + 1;
    expect(r.stderr).toContain(`matrix.yaml:${line}:${spec.split('\n')[line - 1]!.indexOf('linux/aarch64') + 1}`);
    expect(r.stderr).toMatch(/`linux\/aarch64` is not a canonical platform name: containerd reads it as `linux\/arm64` \[unknown-platform\]/);
    expect(r.stderr).toMatch(/`linux\/arm` is not a canonical platform name: containerd reads it as `linux\/arm\/v7` \[unknown-platform\]/);
    expect(r.stderr).toMatch(/unknown platform `linux\/z80`: containerd knows no architecture `z80` \[unknown-platform\]/);
    // `validate` reports them too; one alias alone is shown with its hint.
    const one = tempRepo({ 'matrix.yaml': SPEC.replace('platforms: [linux/arm64]', 'platforms: [linux/aarch64]'), Dockerfile: 'FROM scratch\n' });
    const v = await matrix(['validate'], one);
    expect(v.status).toBe(2);
    expect(v.stderr).toContain('at builders.nodes[1].platforms[0]');
    expect(v.stderr).toContain('hint: did you mean `linux/arm64`?');
  });

  it('resolveBuilder refuses an alias too, with the canonical name', () => {
    expect(code(() => resolveBuilder({ nodes: [{ platforms: ['linux/amd64', 'linux/arm64/v8'], endpoint: 'tcp://h:1' }] }))).toBe('unknown-platform');
    expect(() => resolveBuilder({ nodes: [{ platforms: ['x86_64'], endpoint: 'tcp://h:1' }] })).toThrow(/containerd reads it as `linux\/amd64`/);
  });

  it('without builders: exit 2 with an example', async () => {
    const dir = tempRepo({ 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: .\n    dockerfile: Dockerfile\n', Dockerfile: 'FROM scratch\n' });
    const r = await matrix(['builder', 'up', '--dry-run'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[no-builders]');
    expect(r.stderr).toContain('docs/multi-node.md');
  });
});

// The real buildx accepts these commands: the remote driver records nodes
// without connecting (endpoints on loopback ports where nothing listens).
const buildx = spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8', timeout: 20_000 });
const hasBuildx = !buildx.error && buildx.status === 0;
if (!hasBuildx && process.env.CI === 'true') throw new Error('CI=true but `docker buildx` does not run');

describe.skipIf(!hasBuildx)('matrix builder with the real docker buildx', () => {
  it('up creates, up again updates, rm removes', async () => {
    const name = `matrix-test-${process.pid.toString(36)}${Date.now().toString(36)}`;
    const spec = (second: string) =>
      [
        'version: 1',
        'services:',
        '  api:',
        '    context: .',
        '    dockerfile: Dockerfile',
        'builders:',
        `  name: ${name}`,
        '  nodes:',
        '    - platforms: [linux/amd64]',
        '      endpoint: tcp://127.0.0.1:1',
        second,
        '',
      ].join('\n');
    const dir = tempRepo({ 'matrix.yaml': spec('    - { name: arm, platforms: [linux/arm64], endpoint: "tcp://127.0.0.1:2" }'), Dockerfile: 'FROM scratch\n' });
    const inspect = () => spawnSync('docker', ['buildx', 'inspect', name], { encoding: 'utf8', timeout: 30_000 });
    try {
      const up = await matrix(['builder', 'up'], dir);
      expect(up.status, up.stderr).toBe(0);
      const first = inspect();
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^Driver:\s+remote$/m);
      expect(parseNodeNames(first.stdout)).toEqual([`${name}-linux-amd64`, 'arm']);
      expect(first.stdout).toContain('tcp://127.0.0.1:2');

      writeFileSync(path.join(dir, 'matrix.yaml'), spec('    - { name: arm, platforms: [linux/arm64, linux/arm/v7], endpoint: "tcp://127.0.0.1:3" }'));
      const again = await matrix(['builder', 'up'], dir);
      expect(again.status, again.stderr).toBe(0);
      const second = inspect();
      expect(parseNodeNames(second.stdout)).toEqual([`${name}-linux-amd64`, 'arm']);
      expect(second.stdout).toContain('tcp://127.0.0.1:3');
      expect(second.stdout).toMatch(/linux\/arm\/v7/);

      const rm = await matrix(['builder', 'rm'], dir);
      expect(rm.status, rm.stderr).toBe(0);
      expect(inspect().status).not.toBe(0);
    } finally {
      spawnSync('docker', ['buildx', 'rm', name], { encoding: 'utf8', timeout: 30_000 });
    }
  });
});

// `docker buildx inspect NAME` and the buildx commands of `up` and `rm` when they did not end on their
// own terms (src/adapters/exit.ts): Node's `signal`; a shell's 128 + n, 127 and 126 (POSIX, Shell Command
// Language, 2.8.2 Exit Status for Commands); docker's 125 and its exit 255 with nothing said for a buildx
// plugin a signal ended (docker/cli cmd/docker/docker.go tryPluginRun). A killed inspect was "No builder
// named fleet: nothing to remove." (exit 0), and `up` then created a builder that may exist; a killed
// `buildx rm` was "the command failed (exit 137)" (exit 1).
describe('matrix builder when docker did not end on its own terms', () => {
  /** The builder exists; the command `at` ("buildx inspect", "buildx rm", ...) runs `line` (a shell line) first. */
  const setup = (at: string, line: string) => {
    const dir = tempRepo({ 'matrix.yaml': SPEC, Dockerfile: 'FROM scratch\n' });
    const bin = path.join(tempDir(), 'docker');
    const inspect = "printf 'Name:   fleet\\nDriver: remote\\n\\nNodes:\\nName:   fleet-linux-amd64\\nEndpoint: tcp://10.0.0.1:1234\\n'";
    writeFileSync(bin, ['#!/bin/sh', `echo "$1 $2" >> "${bin}.log"`, `[ "$1 $2" = '${at}' ] && { ${line}; }`, `[ "$1 $2" = 'buildx inspect' ] && ${inspect}`, 'exit 0', ''].join('\n'), {
      mode: 0o755,
    });
    return { dir, bin, calls: () => readFileSync(`${bin}.log`, 'utf8').trim().split('\n') };
  };

  it.each([
    ['killed, as Node reports it', 'kill -KILL $$', 74, 'a fault of this machine', 'was killed by SIGKILL'],
    ['137 from a wrapper shell', 'exit 137', 74, 'a fault of this machine', 'exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL'],
    ['255 and nothing said', 'exit 255', 74, 'a fault of this machine', 'exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed'],
    ['127 from a wrapper', 'exit 127', 2, 'a fault of the docker installation', 'exited 127: a command it runs was not found'],
    ['126 from a wrapper', 'exit 126', 2, 'a fault of the docker installation', 'exited 126: a command it runs was found but cannot be executed'],
    ['125: docker refused the command line', 'echo "unknown flag: --x" >&2; exit 125', 2, 'a fault of the docker installation', 'exited 125: the docker CLI or buildx refused the command line'],
  ])('buildx inspect %s: rm and up say so (exit 74 or 2), never "No builder named", and run nothing', async (_name, line, exit, whose, words) => {
    for (const action of ['rm', 'up']) {
      const { dir, bin, calls } = setup('buildx inspect', line);
      const r = await matrix(['builder', action], dir, { MATRIX_DOCKER: bin });
      expect(r.status, r.stderr).toBe(exit);
      expect(r.stderr).toContain(`matrix: reading builder fleet stopped on ${whose}, not of the spec or the build: \`${bin} buildx inspect\` ${words}`);
      expect(r.stdout).toBe('');
      expect(calls()).toEqual(['buildx inspect']);
    }
  });

  it.each([
    ['rm: buildx rm killed', 'rm', 'buildx rm', 'kill -KILL $$', 74, 'removing builder fleet stopped on a fault of this machine', 'buildx rm` was killed by SIGKILL'],
    ['rm: buildx rm 255 with nothing said', 'rm', 'buildx rm', 'exit 255', 74, 'removing builder fleet stopped on a fault of this machine', 'buildx rm` exited 255 and said nothing'],
    ['up: buildx create 127', 'up', 'buildx create', 'exit 127', 2, 'setting up builder fleet stopped on a fault of the docker installation', 'buildx create` exited 127'],
  ])('%s: said as that (exit 74 or 2), not "the command failed"', async (_name, action, at, line, exit, stopped, words) => {
    const { dir, bin, calls } = setup(at, line);
    const r = await matrix(['builder', action], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: ${stopped}, not of the spec or the build: \`${bin} ${words}`);
    expect(r.stderr).not.toContain('the command failed');
    expect(calls().filter((c) => c === at)).toHaveLength(1);
  });

  it('an ordinary failure stays one (exit 1), a builder buildx does not know is none, and --dry-run goes on past a 127 as without docker', async () => {
    const failed = setup('buildx rm', 'echo "ERROR: failed to remove" >&2; exit 1');
    const r = await matrix(['builder', 'rm'], failed.dir, { MATRIX_DOCKER: failed.bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('matrix builder: the command failed (exit 1); see above.');
    const none = setup('buildx inspect', 'echo \'ERROR: no builder "fleet" found\' >&2; exit 1');
    const n = await matrix(['builder', 'rm'], none.dir, { MATRIX_DOCKER: none.bin });
    expect(n.status, n.stderr).toBe(0);
    expect(n.stdout).toBe('No builder named fleet: nothing to remove.\n');
    const dry = setup('buildx inspect', 'exit 127');
    const d = await matrix(['builder', 'up', '--dry-run'], dry.dir, { MATRIX_DOCKER: dry.bin });
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toContain(`${dry.bin} buildx create --name fleet`);
    const killed = setup('buildx inspect', 'kill -KILL $$');
    expect((await matrix(['builder', 'up', '--dry-run'], killed.dir, { MATRIX_DOCKER: killed.bin })).status).toBe(74);
  });
});
