// Bundles the CLI into dist/ (one entry, split per command so each command
// loads only what it needs). Files are replaced by rename, never truncated in
// place, so a matrix process running while we rebuild never reads half a file.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as __matrixCreateRequire } from 'node:module'; const require = __matrixCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  write: false,
});

const wanted = new Set();
for (const file of result.outputFiles) {
  wanted.add(file.path);
  mkdirSync(path.dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}
// Chunks of earlier builds: hashed names, so removing them never touches a current file.
for (const dir of [dist, path.join(dist, 'chunks')]) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name.endsWith('.mjs') && !wanted.has(p)) rmSync(p, { force: true });
  }
}
