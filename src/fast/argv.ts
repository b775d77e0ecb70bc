// `matrix gen` and `matrix gen --check` run on every commit in pre-commit
// hooks, where loading yargs would cost more than the whole command. These
// argument lists, written exactly one of the ways below, are recognised here
// and handed on as yargs would parse them; anything else (--help, --version,
// another command, a flag written another way or twice) goes to yargs.
//
//   gen  --check  --quiet | -q  --spec PATH | -s PATH | --spec=PATH  --color | --no-color

export interface FastSelection {
  command: 'gen';
  args: { spec?: string; check: boolean; quiet: boolean; color?: boolean };
}

/** A value yargs takes as is: not empty, not something that reads as a flag. */
const plainValue = (v: string | undefined): v is string => v !== undefined && v !== '' && !v.startsWith('-');

export function fastSelection(argv: readonly string[]): FastSelection | undefined {
  let command: string | undefined;
  let spec: string | undefined;
  let check = false;
  let quiet = false;
  let color: boolean | undefined;
  const seen = new Set<string>();
  const first = (name: string) => !seen.has(name) && Boolean(seen.add(name));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'gen' && command === undefined) command = a;
    else if (a === '--check' && first('check')) check = true;
    else if ((a === '--quiet' || a === '-q') && first('quiet')) quiet = true;
    else if ((a === '--color' || a === '--no-color') && first('color')) color = a === '--color';
    else if ((a === '--spec' || a === '-s') && first('spec')) {
      const v = argv[++i];
      if (!plainValue(v)) return undefined;
      spec = v;
    } else if (a.startsWith('--spec=') && first('spec')) {
      const v = a.slice('--spec='.length);
      if (!plainValue(v)) return undefined;
      spec = v;
    } else return undefined;
  }
  if (command !== 'gen') return undefined;
  return { command: 'gen', args: { ...(spec !== undefined ? { spec } : {}), check, quiet, ...(color !== undefined ? { color } : {}) } };
}
