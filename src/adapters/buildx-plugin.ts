// `docker buildx ...` without the docker CLI in between, when matrix can be
// sure which program the CLI would run.
//
// The docker CLI runs a plugin command by finding `docker-buildx` in its
// plugin directories, running it once with `docker-cli-plugin-metadata` to
// check it is a plugin, and then running it as a child with the whole command
// line (`buildx bake ...`) and DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND set to
// how the CLI was called (docker/cli cli-plugins/manager/manager.go
// PluginRunCommand). buildx then runs as a plugin: the same code, flags,
// messages and exit codes as under `docker buildx`. Docker Compose builds
// with bake the same way, running the plugin's path itself
// (docker/compose pkg/compose/build_bake.go). Skipping the CLI's own start
// and the metadata run saves what docs/benchmarks.md, row 4, measures.
//
// The search follows the CLI's: the directories in the config file's
// `cliPluginsExtraDirs` and `cli-plugins` in the config directory
// (DOCKER_CONFIG, else ~/.docker), then the system directories
// (docker/cli cli-plugins/manager/manager_unix.go defaultSystemPluginDirs).
// CLI versions differ in the order of the first two (extra directories first
// up to 26, the config directory first later), so when they hold two
// different plugins matrix cannot tell which one docker runs, and runs
// `docker buildx`. So it does whenever it is not sure: `docker` on PATH is a
// script (a wrapper decides what runs), MATRIX_DOCKER names the binary,
// the config file cannot be read, no plugin is found, or on Windows.
import { accessSync, constants, openSync, readFileSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { searchableEnv } from './process.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The system plugin directories of the docker CLI on Linux and macOS, in its order. */
export const SYSTEM_PLUGIN_DIRS: readonly string[] = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];

/** The variable the docker CLI sets for a plugin it runs: buildx runs as a plugin when it is set (docker/cli manager.go ReexecEnvvar). */
export const REEXEC_ENV = 'DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND';

export type BuildxPlugin =
  | { direct: true; path: string }
  /** Through `docker buildx`, and why (for `matrix doctor`). */
  | { direct: false; why: string };

/**
 * The buildx plugin matrix runs itself for `docker buildx ...`, or why it
 * runs `docker buildx` instead. `bin`: the docker matrix was given.
 */
export function buildxPlugin(bin: string, env: Env, platform: NodeJS.Platform = process.platform): BuildxPlugin {
  const through = (why: string): BuildxPlugin => ({ direct: false, why });
  if (platform === 'win32') return through('on Windows matrix always runs the docker CLI');
  if (env.MATRIX_DOCKER !== undefined) return through('MATRIX_DOCKER names the docker to run');
  if (bin !== 'docker') return through(`the docker to run is \`${bin}\``);
  if (env[REEXEC_ENV] !== undefined) return through(`${REEXEC_ENV} is set already`);
  const docker = onPath('docker', env);
  if (docker === RELATIVE) return through('PATH has a relative directory before docker');
  if (!docker) return through('no `docker` on PATH');
  if (isScript(docker)) return through(`\`${docker}\` is a script, which decides what runs`);
  // A link to another program (podman, snap): its plugins are not the CLI's.
  const program = realOr(docker);
  if (path.basename(program) !== 'docker') return through(`\`${docker}\` is \`${program}\`, not the docker CLI`);
  const home = env.HOME || os.homedir();
  const configDir = env.DOCKER_CONFIG || path.join(home, '.docker');
  let extra: string[] = [];
  const configFile = path.join(configDir, 'config.json');
  let text: string | undefined;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return through(`cannot read ${configFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text !== undefined && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return through(`${configFile} is not JSON docker reads`);
    }
    const dirs = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? goField(parsed as Record<string, unknown>, 'cliPluginsExtraDirs') : undefined;
    if (dirs !== undefined && dirs !== null) {
      if (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string' && path.isAbsolute(d))) return through(`cliPluginsExtraDirs in ${configFile} is not a list of absolute directories`);
      extra = dirs as string[];
    }
  }
  // The user's directories: both CLI orders search them before the system's.
  const users = [...extra, path.join(configDir, 'cli-plugins')].map(pluginIn);
  const unsure = users.find((p) => p.kind === 'unsure');
  if (unsure?.kind === 'unsure') return through(unsure.why);
  const found = distinct(users.filter((p): p is Found => p.kind === 'found'));
  if (found.length > 1) return through(`two different buildx plugins (${found.map((u) => u.path).join(', ')}): docker versions differ in which one they run`);
  if (found[0]) return { direct: true, path: found[0].path };
  for (const dir of SYSTEM_PLUGIN_DIRS) {
    const p = pluginIn(dir);
    if (p.kind === 'unsure') return through(p.why);
    if (p.kind === 'found') return { direct: true, path: p.path };
  }
  return through('no buildx plugin in the docker CLI plugin directories');
}

interface Found {
  kind: 'found';
  path: string;
  real: string;
}

/**
 * `docker-buildx` in `dir`. The CLI takes the first path that exists, whatever
 * it is, and fails there if it is no plugin (manager.go PluginRunCommand stats
 * for IsNotExist only): anything but an executable file (or a link to one) is
 * left to the CLI to say.
 */
function pluginIn(dir: string): Found | { kind: 'none' } | { kind: 'unsure'; why: string } {
  const file = path.join(dir, 'docker-buildx');
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'none' } : { kind: 'unsure', why: `cannot read ${file} (${code ?? 'error'})` };
  }
  if (!isFile) return { kind: 'unsure', why: `${file} is not a file` };
  try {
    accessSync(file, constants.X_OK);
    return { kind: 'found', path: file, real: realpathSync(file) };
  } catch {
    return { kind: 'unsure', why: `${file} is not executable` };
  }
}

/**
 * A field of a JSON object as Go's encoding/json fills a struct field from
 * it: every key that matches the field's name without regard to case sets
 * it, so the last one in the text counts (docker's config file is read so).
 */
function goField(o: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(o).findLast((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : o[key];
}

/** The same program found more than once (a link to it) counts once. */
function distinct(found: Found[]): Found[] {
  const seen = new Set<string>();
  return found.filter((f) => !seen.has(f.real) && (seen.add(f.real), true));
}

const RELATIVE = Symbol('relative');

/**
 * `name` in the directories of PATH that process.ts searches (searchableEnv:
 * the ones execve can take it from), as the process would find it; RELATIVE
 * when a directory searched first is relative (to a directory matrix does not run in).
 */
function onPath(name: string, env: Env): string | typeof RELATIVE | undefined {
  const searched = searchableEnv(name, env);
  if (!searched) return undefined;
  for (const dir of (searched.PATH ?? '').split(':')) {
    if (!dir || !path.isAbsolute(dir)) return RELATIVE;
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function realOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Does the file start with `#!` (a script an interpreter runs)? */
function isScript(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } catch {
    return true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
