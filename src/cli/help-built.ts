// `matrix --help` and `matrix COMMAND --help` as the build printed them
// (scripts/build.mjs writes dist/help.json by running yargs, src/cli/usage.ts,
// on every such form). Help is text for a width: the build's is for no
// terminal, which wraps at 100 columns, as a terminal of 100 columns or more
// does. Anything else (a narrower terminal, another form, no dist/help.json:
// a run from the sources) goes to yargs, which loads only then.
import path from 'node:path';
import { readRegularText } from '../fs/read.js';
import { packageRoot } from '../paths.js';
import { COMMAND_NAMES } from './options.js';

/** The widest help yargs lays out (src/cli/usage.ts); no terminal means this width too. */
export const HELP_WIDTH = 100;

/** The help forms the build prints: `--help`, `-h`, and each command's. */
export function helpForms(): string[][] {
  return [
    ['--help'],
    ['-h'],
    ...COMMAND_NAMES.flatMap((c) => [
      [c, '--help'],
      [c, '-h'],
    ]),
  ];
}

/** The key of a help form, or undefined for any other argv. */
export function helpKey(argv: readonly string[]): string | undefined {
  const flag = argv.at(-1);
  if (flag !== '--help' && flag !== '-h') return undefined;
  if (argv.length === 1) return flag;
  if (argv.length === 2 && (COMMAND_NAMES as readonly string[]).includes(argv[0]!)) return argv.join(' ');
  return undefined;
}

/** The help the build printed for `argv` at `columns`, or undefined (ask yargs). */
export function builtHelp(argv: readonly string[], columns: number | undefined): string | undefined {
  const key = helpKey(argv);
  if (key === undefined || (columns !== undefined && columns < HELP_WIDTH)) return undefined;
  let texts: unknown;
  try {
    texts = JSON.parse(readRegularText(path.join(packageRoot(), 'dist', 'help.json')));
  } catch {
    return undefined;
  }
  const text = (texts as Record<string, unknown> | null)?.[key];
  return typeof text === 'string' ? text : undefined;
}

/** The version of the installed package (package.json), not a copy of it: what `--version` prints. */
export function packageVersion(): string {
  return (JSON.parse(readRegularText(path.join(packageRoot(), 'package.json'))) as { version: string }).version;
}
