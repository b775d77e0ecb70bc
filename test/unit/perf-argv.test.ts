// The fast path for `matrix gen [--check]` must select exactly what yargs
// selects (compared after the command table's own rules, parseArgs), and
// leave everything else to yargs.
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { parser } from '../../src/cli/main.js';
import { COMMANDS, flagName, optionsOf, parseArgs } from '../../src/cli/options.js';
import { fastSelection } from '../../src/fast/argv.js';

async function viaYargs(argv: string[]) {
  let selected: { command: string; args: Record<string, unknown> } | undefined;
  let failed = false;
  await parser(yargs, argv, (s) => (selected = s), '0.0.0')
    .exitProcess(false)
    .fail(() => (failed = true))
    .parseAsync(argv, {}, () => {});
  if (failed || !selected) return undefined;
  return { command: selected.command, args: parseArgs(COMMANDS.gen, selected.args, argv) };
}

const HANDLED = [
  ['gen'],
  ['gen', '--check'],
  ['gen', '--check', '--spec', 'samples/monorepo/matrix.yaml'],
  ['gen', '--spec', 'x.yaml', '--check'],
  ['gen', '--spec=x.yaml'],
  ['gen', '-s', 'dir/matrix.yml', '--check'],
  ['--spec', 'x.yaml', 'gen', '--check'],
  ['gen', '-q'],
  ['gen', '--quiet', '--check'],
  ['gen', '--check', '--no-color'],
  ['gen', '--color'],
  ['gen', '--spec', 'a b/matrix.yaml'],
  ['gen', '--no-check'],
  ['gen', '--no-quiet', '--check'],
  ['gen', '--spec=x=y.yaml'],
];

const FALLBACK = [
  [],
  ['--help'],
  ['gen', '--help'],
  ['gen', '-h'],
  ['--version'],
  ['gen', 'extra'],
  ['gen', 'gen'],
  ['gen', '--check', '--check'],
  ['gen', '--check=false'],
  ['gen', '--check', '--no-check'],
  ['gen', '-q', '--quiet'],
  ['gen', '--color', '--no-color'],
  ['gen', '--check=true'],
  ['gen', '--spec='],
  ['gen', '--spec'],
  ['gen', '--spec', ''],
  ['gen', '--spec', '--check'],
  ['gen', '--spec=-x'],
  ['gen', '--spec', 'a', '--spec', 'b'],
  ['gen', '-qs', 'x'],
  ['gen', '--Check'],
  ['gen', '--chek'],
  ['gen', '--', 'x'],
  ['plan'],
  ['validate'],
  ['bake', 'gen'],
  ['generate'],
];

describe('fastSelection', () => {
  it.each(HANDLED.map((a) => [a.join(' '), a] as const))('selects what yargs selects: %s', async (_name, argv) => {
    const fast = fastSelection(argv);
    expect(fast).toBeDefined();
    expect({ command: fast!.command, args: parseArgs(COMMANDS.gen, fast!.args, argv) }).toEqual(await viaYargs([...argv]));
  });

  it('recognises every option of `gen` in the command table, by every name', () => {
    for (const [key, o] of optionsOf(COMMANDS.gen)) {
      const names = [`--${flagName(key)}`, ...(o.alias ? [`-${o.alias}`] : [])];
      for (const name of names) {
        const argv = o.type === 'boolean' ? ['gen', name] : ['gen', name, 'x.yaml'];
        expect(fastSelection(argv)?.args[key], name).toBe(o.type === 'boolean' ? true : 'x.yaml');
      }
    }
  });

  it.each(FALLBACK.map((a) => [a.join(' ') || '(nothing)', a] as const))('leaves %s to yargs', (_name, argv) => {
    expect(fastSelection(argv)).toBeUndefined();
  });
});
