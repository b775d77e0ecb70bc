// Ordinary suite: unit, golden and CLI tests. The engine (e2e) tests that need
// a Docker daemon and a registry have their own config (vitest.engine.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/security/**/*.test.ts', 'test/ecosystem/**/*.test.ts'],
    exclude: ['test/engine/**', 'node_modules/**', 'dist/**'],
    // Builds dist/ once, for the CLI tests that run bin/matrix.cjs.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
