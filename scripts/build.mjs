// Bundles the CLI into dist/ (one entry, split per command so each command
// loads only what it needs).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
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
});
