// `matrix gen` and `matrix gen --check` run on every commit in pre-commit
// hooks, where loading yargs would cost more than the whole command. The
// argument lists below are recognised here and handed on as yargs would parse
// them; anything else (--help, --version, another command, a flag written
// another way or twice, an empty value) goes to yargs. What is recognised is
// derived from the command table (src/cli/options.ts): the options of `gen`
// and the global ones, each at most once, written as
//
//   --NAME | -ALIAS | --no-NAME          (a switch)
//   --NAME VALUE | -ALIAS VALUE | --NAME=VALUE   (a value: not empty, not starting with -)

import { COMMANDS, flagName, optionsOf, type OptionSpec } from '../cli/options.js';

export interface FastSelection {
  command: 'gen';
  args: Record<string, string | boolean>;
}

interface Accepted {
  key: string;
  option: OptionSpec;
  /** The switch's value when the word is a switch; undefined when a value follows. */
  value?: boolean;
}

/** Every word the fast path accepts for `gen`, from the table. */
const WORDS: ReadonlyMap<string, Accepted> = (() => {
  const words = new Map<string, Accepted>();
  for (const [key, option] of optionsOf(COMMANDS.gen)) {
    // Only what yargs hands on unchanged: no lists, no choices, no numbers.
    if (option.repeatable || option.list || option.choices || option.type === 'number') continue;
    const names = [`--${flagName(key)}`, ...(option.alias ? [`-${option.alias}`] : [])];
    for (const name of names) words.set(name, option.type === 'boolean' ? { key, option, value: true } : { key, option });
    if (option.type === 'boolean') words.set(`--no-${flagName(key)}`, { key, option, value: false });
  }
  return words;
})();

/** A value yargs takes as is: not empty, not something that reads as a flag. */
const plainValue = (v: string | undefined): v is string => v !== undefined && v !== '' && !v.startsWith('-');

export function fastSelection(argv: readonly string[]): FastSelection | undefined {
  let command: string | undefined;
  const args: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'gen' && command === undefined) {
      command = a;
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const word = WORDS.get(eq > 0 ? a.slice(0, eq) : a);
    if (!word || word.key in args) return undefined;
    if (word.value !== undefined) {
      if (eq > 0) return undefined;
      args[word.key] = word.value;
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (!plainValue(v)) return undefined;
    args[word.key] = v;
  }
  if (command !== 'gen') return undefined;
  return { command: 'gen', args };
}
