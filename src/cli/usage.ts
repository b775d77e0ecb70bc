// What yargs does for matrix: help (`--help`, `COMMAND --help`), `--version`,
// shell completion, and the usage errors of anything the table's own reader
// (plainInvocation in options.ts) leaves to it: unknown commands and options,
// a missing command or value, a value outside its choices (said in the
// table's words, in the one shape of usage errors: usage-error.ts). yargs is
// configured from the same table, and main() loads this module (and yargs)
// only for such an invocation: a plain `matrix gen --check` never reads it.
import type Yargs from 'yargs';
import type { Argv } from 'yargs';
import { COMMAND_NAMES, COMMANDS, GLOBAL_OPTIONS, USAGE_RULES, flagName, helpText, UsageError, type CommandName, type CommandSpec, type OptionSpec } from './options.js';
import { HELP_WIDTH, packageVersion } from './help-built.js';

/** The command yargs selected and what it parsed (camel-case keys, repeated options as arrays). */
export interface Selected {
  command: CommandName;
  args: Readonly<Record<string, unknown>>;
}

interface Out {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  columns?: number | undefined;
  /** For the colours of a usage error; none: no colours. */
  env?: Readonly<Record<string, string | undefined>>;
  isTTY?: boolean;
}

/**
 * yargs' view of one option: repeated values are collected (never greedy).
 * A number stays text for parseArgs, which says what is wrong with `x`,
 * `1.5` or `-1` (yargs would make them NaN, 1.5 and -1, and `--depth=` 0);
 * only help, which parses nothing the command reads, shows it as a number.
 */
function yargsOption(o: OptionSpec, help: boolean) {
  return {
    type: o.type === 'boolean' ? ('boolean' as const) : o.type === 'number' && help ? ('number' as const) : ('string' as const),
    describe: helpText(o),
    ...(o.alias ? { alias: o.alias } : {}),
    ...(o.choices ? { choices: [...o.choices] } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
  };
}

function commandLine(c: CommandSpec): string {
  return [c.name, ...(c.positionals ?? []).map((p) => (p.required ? `<${p.name}${p.variadic ? '..' : ''}>` : `[${p.name}${p.variadic ? '..' : ''}]`))].join(' ');
}

/** One command of the table, as yargs' builder (`help`: for its help only). */
function commandBuilder(c: CommandSpec, help: boolean) {
  return (sub: Argv) => {
    let s: Argv = sub;
    for (const p of c.positionals ?? [])
      s = s.positional(p.name, { type: 'string', describe: p.list ? `${p.describe} (separate with spaces or commas)` : p.describe, ...(p.choices ? { choices: [...p.choices] } : {}) });
    for (const [key, o] of Object.entries(c.options)) s = s.option(flagName(key), yargsOption(o, help));
    for (const [cmd, what] of c.examples ?? []) s = s.example(cmd, what);
    if (c.readsSpec === false) s = s.hide('spec');
    return s;
  };
}

export function parser(yargs: typeof Yargs, argv: string[], select: (s: Selected) => void, version: string, columns?: number) {
  const end = argv.indexOf('--');
  const help = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
  let y: Argv = yargs(argv)
    .scriptName('matrix')
    .usage('$0 <command> [options]\n\nCompile matrix.yaml into Dockerfiles and a docker-bake.hcl, then build every target and platform with docker buildx bake.');
  for (const [key, o] of Object.entries(GLOBAL_OPTIONS)) y = y.option(flagName(key), { ...yargsOption(o, help), global: true });
  for (const name of COMMAND_NAMES) {
    const c: CommandSpec = COMMANDS[name];
    if (name === 'graph') y = y.completion('completion', 'Print a shell completion script (bash, zsh): matrix completion >> ~/.bashrc');
    y = y.command(commandLine(c), c.describe, commandBuilder(c, help), (args) => select({ command: name, args }));
  }
  return y
    .demandCommand(1, 'Tell matrix what to do: try `matrix gen`, or `matrix --help`.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version(version)
    .epilog(
      `${USAGE_RULES}\nExit codes: 0 success, 1 check or build failed, 2 invalid spec or usage, 70 internal error, 74 a file or device could not be read or written (permission, read-only, full disk, bad symlink).\nDocs: README.md`,
    )
    .wrap(Math.min(HELP_WIDTH, columns || HELP_WIDTH));
}

/**
 * yargs' help, tidied: a variadic positional shows `[default: []]`, which says
 * nothing (the description says what no value means). The padding is kept, so
 * the type column stays right-aligned.
 */
export function tidyHelp(text: string): string {
  return text.replace(/^(.*?)( \[[a-z]+\](?: \[required\])?) \[default: \[\]\]$/gm, (_m, head: string, types: string) => `${head}${' '.repeat(' [default: []]'.length)}${types}`);
}

/** yargs prints the completion script for `completion --help`; this is its help instead. */
const COMPLETION_HELP = `matrix completion

Print a shell completion script for bash or zsh (commands, options, and their choices).

Examples:
  matrix completion >> ~/.bashrc   bash: complete matrix in every new shell
  matrix completion >> ~/.zshrc    zsh: run it from zsh ($SHELL decides which script is printed)
`;

export type Parsed = { selected?: Selected; output: string } | { error: Error; output: string };

/** argv -> the command and what yargs parsed, or yargs' usage error. */
export async function parse(argv: string[], columns: number | undefined): Promise<Parsed> {
  const picked: { selected?: Selected; error?: Error; output: string } = { output: '' };
  try {
    const { default: yargs } = await import('yargs');
    await parser(yargs, argv, (s) => (picked.selected = s), packageVersion(), columns)
      .exitProcess(false)
      .fail((msg, err) => {
        picked.error = err ?? new Error(msg);
      })
      .parseAsync(argv, {}, (_err, _args, out) => {
        picked.output = out;
      });
  } catch (e) {
    picked.error ??= e instanceof Error ? e : new Error(String(e));
  }
  if (picked.error) return { error: picked.error, output: picked.output };
  return { ...(picked.selected ? { selected: picked.selected } : {}), output: picked.output };
}

/**
 * An invocation the table's reader left to yargs: prints help, the version,
 * the completion script or a usage error and returns the exit code, or
 * returns the command yargs selected, to run as any other.
 */
export async function readWithYargs(argv: string[], out: Out): Promise<number | Selected> {
  if (argv[0] === 'completion' && argv.slice(1).some((a) => a === '--help' || a === '-h')) {
    out.stdout.write(COMPLETION_HELP);
    return 0;
  }
  // An unknown command is a usage error with --help too (yargs would print the general help, exit 0).
  const first = argv[0];
  const unknownCommand = first !== undefined && !first.startsWith('-') && first !== 'completion' && !Object.hasOwn(COMMANDS, first);
  const parsed = unknownCommand ? { error: new Error(`Unknown argument: ${first}`), output: '' } : await parse(argv, out.columns);
  if ('error' in parsed) {
    // Said from the table, as the table's own usage errors are (usage-error.ts); yargs' words only for what the table cannot place.
    const { printUsageError, usageProblem } = await import('./usage-error.js');
    const problem = usageProblem(argv);
    if (problem) return printUsageError(out, argv, problem.command, problem.error);
    const named = Object.hasOwn(COMMANDS, argv[0] ?? '') ? argv[0] : undefined;
    return printUsageError(out, argv, named, new UsageError(parsed.error.message));
  }
  if (parsed.output) out.stdout.write(tidyHelp(parsed.output).trimEnd() + '\n');
  return parsed.selected ?? 0; // --help or --version: 0
}
