// The network tier (`npm run test:network`, its own step in .ci/run, not part
// of `npm test`): tests that install from the npm registry or a git URL: the
// packed package (scripts/pack-test.sh), the pre-commit hook repository, and
// the husky + lint-staged recipe. Installs take minutes: long timeouts.
import { defineConfig } from 'vitest/config';
import { hoistLazyImportsVite } from './scripts/lazy-imports.mjs';

export default defineConfig({
  // src/lazy.ts: lazyImport(() => import(M)) loads M synchronously; the source runs with M imported statically.
  plugins: [hoistLazyImportsVite],
  test: {
    include: ['test/network/**/*.test.ts'],
    // Builds dist/ once, for the bin these tests install or link.
    globalSetup: ['test/helpers/global-setup.ts'],
    // One install at a time: three at once on a 2-core machine only makes each slower.
    fileParallelism: false,
    testTimeout: 10 * 60_000,
    hookTimeout: 10 * 60_000,
  },
});
