// Matrix keys that Object.prototype also has. An axis or include key is any
// name a spec gives (`constructor`, `__proto__` and `toString` are valid ones),
// read on GitHub as `matrix['KEY']` of the combination itself
// (actions/runner src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs), and a
// combination without an include key reads it as empty. A plain record read
// by such a key found Object.prototype's member instead: an exclude naming
// `constructor` crashed as a bug in matrix, a combination without the include
// key `constructor` got `function Object() { [native code] }` for
// `${{ matrix.constructor }}`, and an include key `__proto__` was dropped.
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const spec = (matrixBlock: string, args = '') => `version: 1\nservices:\n  web:\n    context: .\n    dockerfile: Dockerfile\n    matrix:\n${matrixBlock}${args}`;

async function plan(yaml: string) {
  const repo = tempRepo({ 'matrix.yaml': yaml, Dockerfile: 'FROM scratch\n' });
  return matrix(['plan', '--json', '--no-cache'], repo);
}

describe('matrix keys named like Object.prototype members', () => {
  it('an include key `constructor` or `__proto__` is empty where a combination lacks it, and its value where it has it', async () => {
    const r = await plan(
      spec('      node: ["20", "22"]\n      include: [{ node: "24", constructor: x }, { __proto__: y }]\n', '    args:\n      A: "${{ matrix.constructor }}"\n      B: "${{ matrix.__proto__ }}"\n'),
    );
    expect(r.status, r.stderr).toBe(0);
    const targets = (JSON.parse(r.stdout) as { targets: { name: string; args: Record<string, string> }[] }).targets;
    expect(targets.map((t) => [t.name, t.args])).toEqual([
      ['web-20', { A: '', B: 'y' }],
      ['web-22', { A: '', B: 'y' }],
      ['web-24', { A: 'x', B: '' }],
    ]);
  });

  it('an axis `constructor` missing from an include-only combination does not name it', async () => {
    const r = await plan(spec('      constructor: [a]\n      node: ["20"]\n      include: [{ node: "99" }]\n'));
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { targets: { name: string }[] }).targets.map((t) => t.name)).toEqual(['web-a-20', 'web-99']);
  });

  it('an exclude or latest naming `toString`, which is no axis, is a located error, not an internal one', async () => {
    for (const [block, code] of [
      ['      node: ["20"]\n      exclude: [{ toString: x }]\n', 'unknown-axis'],
      ['      node: ["20", "22"]\n    latest: { toString: "20" }\n', 'ambiguous-latest'],
    ] as const) {
      const r = await plan(spec(block));
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^matrix\\.yaml:\\d+:\\d+: error .*\\[${code}\\]$`, 'm'));
      expect(r.stderr).not.toContain('bug in matrix');
    }
  });
});
