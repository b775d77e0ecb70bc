// Ordinary suite (`npm test`), in tiers: unit and golden tests; CLI tests in
// process through main(argv, io) (test/helpers/cli.ts `matrix()`); a small
// spawned tier where the process itself matters (test/process/, and the
// signal, pipe and start-up cases that use `matrixBin()` or spawn the bin).
// Own configs: the engine (e2e) tests that need a Docker daemon and a registry
// (vitest.engine.config.ts) and the tests that install from the network
// (vitest.network.config.ts).
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { hoistLazyImportsVite } from './scripts/lazy-imports.mjs';

export default defineConfig({
  // src/lazy.ts: lazyImport(() => import(M)) loads M synchronously; the source runs with M imported statically.
  plugins: [hoistLazyImportsVite],
  test: {
    include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/process/**/*.test.ts', 'test/security/**/*.test.ts', 'test/ecosystem/**/*.test.ts'],
    exclude: ['test/engine/**', 'test/network/**', 'test/bench/**', 'node_modules/**', 'dist/**'],
    // Builds dist/ once per run, for the spawned tests that run bin/matrix.cjs.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Two files at once even on two cores (vitest's default is one fewer than the cores: one worker
    // there, and every in-process test ran on one core while the other waited for spawned children).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
