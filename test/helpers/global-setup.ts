// Build the bundle once before any test: the CLI tests run bin/matrix.cjs,
// which loads dist/. Never test a stale bundle.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node scripts/build.mjs failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}
