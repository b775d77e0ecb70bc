// Shared by the engine tests: is there an engine, where are the fixture
// images, and how to run the built CLI in a scratch copy of a sample.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'matrix.mjs');

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
  return { toolchain: env.MATRIX_TOOLCHAIN_IMAGE!, runtime: env.MATRIX_RUNTIME_IMAGE! };
}

/** A private copy of a sample inside its own git repository. */
export function copySample(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `matrix-e2e-${name}-`));
  cpSync(path.join(ROOT, 'samples', name), dir, { recursive: true });
  spawnSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

export function matrix(cwd: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function docker(args: string[], cwd?: string): SpawnSyncReturns<string> {
  // A bounded wait: a container that never exits must fail the test, not hang CI.
  return spawnSync('docker', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
}

/** A tag unique to this run, so runs never read each other's images. */
export function runId(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}`;
}
