// Shared by the engine tests: is there an engine, where are the fixture
// images, and how to run the built CLI in a scratch copy of a sample.
import { type SpawnOptions, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureSetFlags } from '../../scripts/fixture-args.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'matrix.cjs');

export function engineAvailable(): boolean {
  const r = spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  return spawnSync('docker', ['info'], { encoding: 'utf8' }).status === 0;
}

/** Under CI a missing engine is a failure, never a skip. Elsewhere the suite is skipped. */
export function requireEngine(): boolean {
  const ok = engineAvailable();
  if (!ok && process.env.CI === 'true') {
    throw new Error('CI=true but no Docker engine with buildx answers; .ci/run must start it (scripts/engine-up.sh)');
  }
  return ok;
}

export interface Fixtures {
  toolchain: string;
  runtime: string;
  /** linux/amd64 + linux/arm64: npm, pip, a C compiler, a JRE and PHP, for work that runs as the target platform. */
  platform: string;
  /** linux/amd64: JDK and Maven with Debian's local Maven repository. */
  jdk: string;
}

export function fixtures(): Fixtures {
  const file = path.join(ROOT, 'test', 'engine', 'fixtures.env');
  if (!existsSync(file)) throw new Error('test/engine/fixtures.env is missing: run scripts/fixtures.sh');
  const env = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
  // Read when a test uses it, so a test that needs only some images runs with an older fixtures.env.
  const image = (key: string): string => {
    if (!env[key]) throw new Error(`test/engine/fixtures.env has no ${key}: run scripts/fixtures.sh`);
    return env[key];
  };
  return {
    get toolchain() {
      return image('MATRIX_TOOLCHAIN_IMAGE');
    },
    get runtime() {
      return image('MATRIX_RUNTIME_IMAGE');
    },
    get platform() {
      return image('MATRIX_PLATFORM_IMAGE');
    },
    get jdk() {
      return image('MATRIX_JDK_IMAGE');
    },
  };
}

/** A private copy of a sample inside its own git repository. */
export function copySample(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `matrix-e2e-${name}-`));
  cpSync(path.join(ROOT, 'samples', name), dir, { recursive: true });
  spawnSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

/**
 * Commands that build or talk to a registry for as long as a build takes. In
 * spawnSync they block the test worker, and a block longer than vitest's RPC
 * timeout (60 s) fails the whole run ("Timeout calling onTaskUpdate", seen in
 * CI) even when every test passed: they go through matrixAsync.
 */
function buildsOrPushes(args: readonly string[]): boolean {
  const [command] = args;
  if (command === 'bake') return !args.includes('--print');
  if (command === 'merge') return !args.includes('--dry-run');
  return command === 'verify' || command === 'test' || command === 'builder';
}

export function matrix(cwd: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  if (buildsOrPushes(args)) throw new Error(`matrix ${args[0]} builds or pushes: run it with matrixAsync, not in spawnSync`);
  const once = (): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [CLI, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
  const first = once();
  return retriesRegistryRace(args, first) ? once() : first;
}

/**
 * The local test registry (the distribution registry 2.8 from Debian, on its
 * filesystem driver) writes a tag's link file in place: truncate, then write.
 * dockerd's containerd image store pushes every manifest of an index to the
 * same tag at once (containerd's pusher uses the tag path for each of them),
 * so a HEAD on that tag can read an empty link and the registry answers 500
 * "invalid checksum digest format" (seen in its log). That is a fault of the
 * test registry, not of matrix or of the build: a push that failed with
 * exactly this signature is run once more (the cache makes the rerun cheap),
 * and the rerun must pass on its own. Any other failure is returned as is.
 */
const REGISTRY_RACE = /unexpected status from HEAD request to http:\/\/(?:localhost|127\.0\.0\.1):5000\/v2\/\S+\/manifests\/\S+: 500 Internal Server Error/;

export function retriesRegistryRace(args: readonly string[], r: { status: number | null; stdout: string; stderr: string }): boolean {
  if (r.status === 0 || !args.includes('--push')) return false;
  if (!REGISTRY_RACE.test(r.stderr) && !REGISTRY_RACE.test(r.stdout)) return false;
  process.stderr.write(`engine test: the local registry answered 500 on a concurrent tag push (a known race of its filesystem driver); running "matrix ${args.slice(0, 2).join(' ')} ..." once more\n`);
  return true;
}

export function docker(args: string[], cwd?: string): SpawnSyncReturns<string> {
  // A bounded wait: a container that never exits must fail the test, not hang CI.
  return spawnSync('docker', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
}

/** A child's exit status and whole output, awaited (no spawnSync: a long run would block the worker). */
export function spawnCollected(file: string, args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** docker, awaited: several `docker run` under QEMU in a row would block the worker as spawnSync. */
export function dockerAsync(args: string[], cwd?: string): Promise<RunResult> {
  return spawnCollected('docker', args, { cwd, timeout: 180_000 });
}

/** A tag unique to this run, so runs never read each other's images. */
export function runId(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}`;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI without blocking the test worker: a long build in spawnSync
 * starves vitest's own messages ("Timeout calling onTaskUpdate").
 */
export async function matrixAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const first = await spawnCli(cwd, args, env);
  return retriesRegistryRace(args, first) ? spawnCli(cwd, args, env) : first;
}

function spawnCli(cwd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return spawnCollected(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
}

/** Point every template's base images at the local fixtures (only build args change; the table is scripts/fixture-args.mjs, shared with the benchmark). */
export function fixtureSets(): string[] {
  return fixtureSetFlags(fixtures());
}
