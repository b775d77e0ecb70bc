// `docker buildx ...` runs the buildx plugin itself, the way the docker CLI
// runs it, only when matrix can be sure which plugin that is
// (src/adapters/buildx-plugin.ts). The search and its order are the CLI's
// (docker/cli cli-plugins/manager/manager.go getPluginDirs, PluginRunCommand;
// manager_unix.go defaultSystemPluginDirs); the engine suite checks the
// answer against `docker info`'s own on a real CLI (test/engine/bake-behaviour.test.ts).
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildxPlugin, SYSTEM_PLUGIN_DIRS } from '../../src/adapters/buildx-plugin.js';
import { matrix } from '../helpers/cli.js';
import { copySample, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** A compiled program (not a script) to stand for the docker CLI: it must never run in these tests. */
const ELF = ['/bin/false', '/usr/bin/false'].find((f) => existsSync(f))!;

interface Machine {
  root: string;
  env: Record<string, string>;
  /** Puts an executable `docker-buildx` script in `dir` (made if needed); returns its path. */
  plugin(dir: string, body?: string): string;
}

/** A machine of its own: `bin/docker` (a compiled program), HOME, DOCKER_CONFIG, nothing of the real one's user directories. */
function machine(): Machine {
  const root = tempDir('buildx-plugin-');
  mkdirSync(path.join(root, 'bin'));
  copyFileSync(ELF, path.join(root, 'bin', 'docker'));
  chmodSync(path.join(root, 'bin', 'docker'), 0o755);
  mkdirSync(path.join(root, 'home'));
  mkdirSync(path.join(root, 'config'));
  return {
    root,
    env: { PATH: path.join(root, 'bin'), HOME: path.join(root, 'home'), DOCKER_CONFIG: path.join(root, 'config') },
    plugin(dir, body = 'exit 0') {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'docker-buildx');
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return file;
    },
  };
}

/** What the search finds in the system directories of this machine (the CLI's last resort). */
const systemPlugin = SYSTEM_PLUGIN_DIRS.map((d) => path.join(d, 'docker-buildx')).find((f) => existsSync(f));

describe('which buildx plugin matrix runs itself', () => {
  it('the one in the config directory (DOCKER_CONFIG)/cli-plugins, before the system directories', () => {
    const m = machine();
    const p = m.plugin(path.join(m.root, 'config', 'cli-plugins'));
    expect(buildxPlugin('docker', m.env)).toEqual({ direct: true, path: p });
  });

  it('without DOCKER_CONFIG, ~/.docker/cli-plugins (HOME)', () => {
    const m = machine();
    const p = m.plugin(path.join(m.root, 'home', '.docker', 'cli-plugins'));
    const { DOCKER_CONFIG: _, ...env } = m.env;
    expect(buildxPlugin('docker', env)).toEqual({ direct: true, path: p });
  });

  it("a directory of the config file's cliPluginsExtraDirs", () => {
    const m = machine();
    const p = m.plugin(path.join(m.root, 'extra'));
    writeFileSync(path.join(m.root, 'config', 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [path.join(m.root, 'extra')] }));
    expect(buildxPlugin('docker', m.env)).toEqual({ direct: true, path: p });
  });

  it('two different plugins in the extra and the config directories: CLI versions search those in a different order, so through `docker buildx`', () => {
    const m = machine();
    m.plugin(path.join(m.root, 'extra'));
    m.plugin(path.join(m.root, 'config', 'cli-plugins'), 'exit 3');
    writeFileSync(path.join(m.root, 'config', 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [path.join(m.root, 'extra')] }));
    const r = buildxPlugin('docker', m.env);
    expect(r.direct).toBe(false);
    expect(r.direct === false && r.why).toMatch(/two different buildx plugins/);
  });

  it('the same plugin in both (a link to it, as Docker Desktop installs it): that one', () => {
    const m = machine();
    const p = m.plugin(path.join(m.root, 'extra'));
    mkdirSync(path.join(m.root, 'config', 'cli-plugins'));
    symlinkSync(p, path.join(m.root, 'config', 'cli-plugins', 'docker-buildx'));
    writeFileSync(path.join(m.root, 'config', 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [path.join(m.root, 'extra')] }));
    const r = buildxPlugin('docker', m.env);
    expect(r.direct).toBe(true);
  });

  // The CLI runs the first path that exists and fails there when it is no plugin (manager.go
  // PluginRunCommand stats for IsNotExist only); matrix leaves that to the CLI to say.
  it('a file that is not executable, or a directory, in the way: through `docker buildx`, which says what is wrong', () => {
    const m = machine();
    const p = m.plugin(path.join(m.root, 'config', 'cli-plugins'));
    chmodSync(p, 0o644);
    expect(buildxPlugin('docker', m.env)).toEqual({ direct: false, why: `${p} is not executable` });
    const n = machine();
    mkdirSync(path.join(n.root, 'config', 'cli-plugins', 'docker-buildx'), { recursive: true });
    expect(buildxPlugin('docker', n.env)).toEqual({ direct: false, why: `${path.join(n.root, 'config', 'cli-plugins', 'docker-buildx')} is not a file` });
  });

  // Go's encoding/json fills a struct field from a key that matches its name in any case, the last
  // such key counting; docker reads its config file so (configfile.ConfigFile, `json:"cliPluginsExtraDirs"`).
  it('cliPluginsExtraDirs read as docker reads its config file: in any case, the last key counting', () => {
    const m = machine();
    const p = m.plugin(path.join(m.root, 'second'));
    m.plugin(path.join(m.root, 'first'));
    writeFileSync(path.join(m.root, 'config', 'config.json'), `{"cliPluginsExtraDirs": ["${path.join(m.root, 'nothing')}"], "CLIPluginsExtraDirs": ["${path.join(m.root, 'second')}"]}`);
    expect(buildxPlugin('docker', m.env)).toEqual({ direct: true, path: p });
  });

  it('none in the user directories: the first system directory that has one, in the CLI order', () => {
    const m = machine();
    expect(buildxPlugin('docker', m.env)).toEqual(systemPlugin ? { direct: true, path: systemPlugin } : { direct: false, why: 'no buildx plugin in the docker CLI plugin directories' });
  });

  describe('through `docker buildx`, whenever matrix cannot be sure', () => {
    const cases: [string, (m: Machine) => { bin?: string; env?: Record<string, string>; platform?: NodeJS.Platform }, RegExp][] = [
      ['MATRIX_DOCKER is set', (m) => ({ env: { ...m.env, MATRIX_DOCKER: 'docker' } }), /MATRIX_DOCKER/],
      ['another docker binary is named', () => ({ bin: '/opt/docker' }), /the docker to run is/],
      ['docker on PATH is a script (a wrapper decides what runs)', (m) => (writeFileSync(path.join(m.root, 'bin', 'docker'), '#!/bin/sh\nexec true\n'), {}), /is a script/],
      [
        'docker on PATH is a link to another program (podman, snap)',
        (m) => {
          copyFileSync(ELF, path.join(m.root, 'bin', 'podman'));
          chmodSync(path.join(m.root, 'bin', 'podman'), 0o755);
          mkdirSync(path.join(m.root, 'links'));
          symlinkSync(path.join(m.root, 'bin', 'podman'), path.join(m.root, 'links', 'docker'));
          return { env: { ...m.env, PATH: path.join(m.root, 'links') } };
        },
        /not the docker CLI/,
      ],
      ['no docker on PATH', (m) => ({ env: { ...m.env, PATH: path.join(m.root, 'home') } }), /no `docker` on PATH/],
      ['a relative directory in PATH before docker', (m) => ({ env: { ...m.env, PATH: `bin${path.delimiter}${m.env.PATH}` } }), /relative directory/],
      ['the config file is not JSON', (m) => (writeFileSync(path.join(m.root, 'config', 'config.json'), '{ nope'), {}), /not JSON/],
      [
        'cliPluginsExtraDirs is not a list of absolute directories',
        (m) => (writeFileSync(path.join(m.root, 'config', 'config.json'), '{"cliPluginsExtraDirs": ["plugins"]}'), {}),
        /cliPluginsExtraDirs/,
      ],
      ['buildx already runs as a plugin', (m) => ({ env: { ...m.env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker' } }), /DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND/],
      ['Windows', () => ({ platform: 'win32' }), /Windows/],
    ];
    it.each(cases)('%s', (_name, arrange, why) => {
      const m = machine();
      m.plugin(path.join(m.root, 'config', 'cli-plugins'));
      const a = arrange(m);
      const r = buildxPlugin(a.bin ?? 'docker', a.env ?? m.env, a.platform ?? 'linux');
      expect(r.direct).toBe(false);
      expect(r.direct === false && r.why).toMatch(why);
    });
  });
});

describe('matrix bake with the plugin run directly', () => {
  // The plugin gets what the docker CLI hands it: the whole command line from `buildx`, and
  // DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND (buildx runs as a plugin only with it). The docker on
  // PATH is /bin/false: had matrix run it, the bake would fail.
  it('runs `docker-buildx buildx bake ...` with the variable the CLI sets, and never the CLI', async () => {
    const dir = copySample('hello-go');
    const m = machine();
    const log = path.join(m.root, 'plugin.log');
    m.plugin(
      path.join(m.root, 'config', 'cli-plugins'),
      [
        `echo "args $*" >> '${log}'`,
        `echo "reexec \${DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND-unset}" >> '${log}'`,
        'case "$1 $2" in',
        '"buildx bake") echo \'#0 building with "default" instance using docker driver\' >&2; echo FAKE-BAKE-OUTPUT >&2; exit 0;;',
        'esac',
        'exit 1',
      ].join('\n'),
    );
    const env = { ...m.env, PATH: `${m.env.PATH}${path.delimiter}${process.env.PATH}` };
    expect((await matrix(['gen', '-q'], dir, env)).status).toBe(0);
    const r = await matrix(['bake'], dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('FAKE-BAKE-OUTPUT');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const bake = lines.findIndex((l) => l.startsWith('args buildx bake '));
    expect(bake, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(lines[bake + 1]).toBe('reexec docker');
    // --dry-run prints the command as the user would type it: the same program and arguments.
    const dry = await matrix(['bake', '--dry-run'], dir, env);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(' docker buildx bake ');
    expect(lines[bake]).toMatch(/^args buildx bake -f docker-bake\.hcl /);
    expect(dry.stdout).toMatch(/ docker buildx bake -f docker-bake\.hcl /);
  });
});
