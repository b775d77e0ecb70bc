// The fixture build-arg table has one source, scripts/fixture-args.mjs: the
// engine tests and the benchmark both take their `--set` flags from it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureSetFlags } from '../../scripts/fixture-args.mjs';
import { REPO_ROOT } from '../helpers/tree.js';

describe('one fixture build-arg table', () => {
  it('every base-image arg of the templates points at a fixture image', () => {
    const flags = fixtureSetFlags({ toolchain: 'T', runtime: 'R' });
    expect(flags.filter((f) => f !== '--set')).toContain('*.args.GO_IMAGE=T');
    expect(flags.filter((f) => f !== '--set')).toContain('*.args.STATIC_IMAGE=R');
    expect(flags.length % 2).toBe(0);
  });

  it.each(['scripts/bench.mjs', 'test/engine/engine.ts'])('%s takes the table from scripts/fixture-args.mjs instead of a copy', (file) => {
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    expect(text).toContain('fixture-args.mjs');
    // A table is keys with values (`NAME: image`); a single --set override elsewhere is not a copy.
    expect(text).not.toMatch(/\b(PYTHON_RUNTIME_IMAGE|NODE_RUNTIME_IMAGE|STATIC_IMAGE):\s/);
  });
});
