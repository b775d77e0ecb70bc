// The benchmark tier's own tests (`npm run bench:limits`): duration bounds,
// which depend on the machine and its load, so they are kept out of `npm test`.
// One file at a time, so tests do not share the CPU with each other.
import { defineConfig } from 'vitest/config';
import { hoistLazyImportsVite } from './scripts/lazy-imports.mjs';

export default defineConfig({
  // src/lazy.ts: lazyImport(() => import(M)) loads M synchronously; the source runs with M imported statically.
  plugins: [hoistLazyImportsVite],
  test: {
    include: ['test/bench/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
