import { defineConfig } from 'vitest/config';

// Engine tests drive a real Docker engine: long timeouts, one file at a time.
export default defineConfig({
  test: {
    include: ['test/engine/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 15 * 60_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
