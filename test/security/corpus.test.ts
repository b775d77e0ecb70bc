// Hostile and malformed specs, run through the built CLI: each must be refused
// with exit 2, a located diagnostic with its code and a hint, and no change
// at all to the repository (or to anything a symlink in it points at).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SPEC_BYTES } from '../../src/load/load.js';
import { hashTree, removeTempDirs, tempDir, tempRepo, type Tree } from '../helpers/tree.js';
import { BASE_TREE, CASE_TREES } from './corpus-tree.js';
import { EXPECTED, type Expected } from './corpus/expected.js';
import { diagnosticBlocks, matrixAsync, STACK_FRAME } from './run.js';

afterAll(removeTempDirs);

const CORPUS = path.join(import.meta.dirname, 'corpus');
const cases = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

// A hostile spec must not need much memory to be refused (and a bomb must not take the machine down).
const LIMITED = { NODE_OPTIONS: '--max-old-space-size=128' };

function repoFor(name: string, spec: string | Buffer): { repo: string; outside: string } {
  const outside = tempDir('matrix-outside-');
  writeFileSync(path.join(outside, 'Dockerfile'), 'FROM scratch\n# outside the repository\n');
  const extra = JSON.parse(JSON.stringify(CASE_TREES[name] ?? {}).replaceAll('$OUTSIDE', outside)) as Tree;
  const repo = tempRepo({ ...BASE_TREE, ...extra });
  writeFileSync(path.join(repo, 'matrix.yaml'), spec);
  return { repo, outside };
}

async function expectRefused(name: string, spec: string | Buffer, e: Expected): Promise<void> {
  const { repo, outside } = repoFor(name, spec);
  const before = hashTree(repo);
  const beforeOutside = hashTree(outside);
  const r = await matrixAsync(['gen'], repo, LIMITED);
  const why = `${name}${e.bug ? ` (known bug: ${e.bug})` : ''}\nexit ${r.status ?? r.signal}\n${r.stderr.slice(0, 3000)}`;
  expect(r.status, why).toBe(2);
  const where = `${e.file ?? 'matrix.yaml'}:${e.line}:${e.column}: error `;
  const block = diagnosticBlocks(r.stderr).find((b) => b[0]!.startsWith(where) && b[0]!.endsWith(`[${e.code}]`));
  expect(block, `${why}\nexpected a diagnostic starting ${JSON.stringify(where)} with [${e.code}]`).toBeDefined();
  expect(
    block!.some((l) => l.startsWith('  hint: ')),
    `${why}\nthe diagnostic has no hint`,
  ).toBe(true);
  expect(r.stderr, why).not.toMatch(STACK_FRAME);
  expect(r.stdout, why).toBe('');
  expect(hashTree(repo), `${name}: the repository changed`).toBe(before);
  expect(hashTree(outside), `${name}: a directory outside the repository changed`).toBe(beforeOutside);
}

describe('hostile spec corpus (test/security/corpus)', () => {
  it('has at least 40 cases, each with an expected diagnostic, and no stale expectations', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(
      cases.filter((c) => !EXPECTED[c]),
      'cases without an expectation',
    ).toEqual([]);
    expect(
      Object.keys(EXPECTED).filter((c) => !cases.includes(c)),
      'expectations without a case',
    ).toEqual([]);
  });

  it.concurrent.each(cases)('%s is refused where it is wrong, and nothing changes', async (name) => {
    await expectRefused(name, readFileSync(path.join(CORPUS, `${name}.yaml`)), EXPECTED[name]!);
  });

  it.concurrent('a spec larger than 32 MiB (generated here) is refused before parsing', async () => {
    const head = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    labels:\n      big: "';
    const spec = Buffer.concat([Buffer.from(head), Buffer.alloc(MAX_SPEC_BYTES, 'x'), Buffer.from('"\n')]);
    await expectRefused('huge-file', spec, { code: 'spec-too-large', line: 1, column: 1 });
  });
});
