// The fast path for `matrix gen [--check]` must select exactly what yargs
// selects, and leave everything else to yargs.
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { parser } from '../../src/cli/main.js';
import { fastSelection } from '../../src/fast/argv.js';

async function viaYargs(argv: string[]) {
  let selected: { command: string; args: Record<string, unknown> } | undefined;
  let failed = false;
  await parser(yargs, argv, (s) => (selected = s))
    .exitProcess(false)
    .fail(() => (failed = true))
    .parseAsync(argv, {}, () => {});
  if (failed || !selected) return undefined;
  const a = selected.args;
  // What `run` reads for `gen`.
  return { command: selected.command, spec: a.spec, check: Boolean(a.check), quiet: Boolean(a.quiet), color: a.color };
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
  ['gen', '--no-check'],
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
    const { command, args } = fast!;
    expect({ command, spec: args.spec, check: args.check, quiet: args.quiet, color: args.color }).toEqual(await viaYargs([...argv]));
  });

  it.each(FALLBACK.map((a) => [a.join(' ') || '(nothing)', a] as const))('leaves %s to yargs', (_name, argv) => {
    expect(fastSelection(argv)).toBeUndefined();
  });
});
