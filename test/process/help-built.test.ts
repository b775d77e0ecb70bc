// `matrix --help` and `matrix COMMAND --help` print what the build had yargs
// print (dist/help.json, src/cli/help-built.ts): the same bytes as yargs
// gives now, for every form, or the built text would drift from the table.
import { describe, expect, it } from 'vitest';
import { builtHelp, helpForms, helpKey } from '../../src/cli/help-built.js';
import { readWithYargs } from '../../src/cli/usage.js';
import { matrixBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tree.js';

/** What yargs prints for `argv` without a terminal, and its exit code. */
async function yargsHelp(argv: string[]): Promise<{ code: unknown; stdout: string }> {
  let stdout = '';
  const code = await readWithYargs(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, columns: undefined });
  return { code, stdout };
}

describe('help printed by the build', () => {
  it('every form: the bin prints exactly what yargs prints, exit 0', async () => {
    const forms = helpForms();
    expect(forms.length).toBeGreaterThan(20);
    const cwd = tempDir();
    for (const argv of forms) {
      const want = await yargsHelp(argv);
      expect(want.code, argv.join(' ')).toBe(0);
      const got = matrixBin(argv, cwd);
      expect(got.status, argv.join(' ')).toBe(0);
      expect(got.stdout, argv.join(' ')).toBe(want.stdout);
      expect(builtHelp(argv, undefined), argv.join(' ')).toBe(want.stdout);
    }
  }, 120_000);

  it('only those forms, and only at 100 columns or more (or no terminal); anything else is yargs', () => {
    expect(helpKey(['gen', '--check', '--help'])).toBeUndefined();
    expect(helpKey(['nosuch', '--help'])).toBeUndefined();
    expect(helpKey(['--help', 'gen'])).toBeUndefined();
    expect(helpKey(['gen'])).toBeUndefined();
    expect(builtHelp(['--help'], 99)).toBeUndefined();
    expect(builtHelp(['--help'], 100)).toBe(builtHelp(['--help'], undefined));
    expect(builtHelp(['--help'], 240)).toBe(builtHelp(['--help'], undefined));
  });
});
