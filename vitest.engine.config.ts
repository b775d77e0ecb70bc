import { defineConfig } from 'vitest/config';
import { hoistLazyImportsVite } from './scripts/lazy-imports.mjs';

// Engine tests drive a real Docker engine: long timeouts, one file at a time.
export default defineConfig({
  // src/lazy.ts: lazyImport(() => import(M)) loads M synchronously; the source runs with M imported statically.
  plugins: [hoistLazyImportsVite],
  test: {
    include: ['test/engine/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 15 * 60_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
    // Removes the image tags the suite made, when it ends.
    globalSetup: ['test/engine/global-setup.ts'],
  },
});
