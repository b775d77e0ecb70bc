// The command line. The commands and their options are the table in
// options.ts; yargs is configured from it and only parses. Each command runs
// after parsing with the Io it is given and its typed options, and heavy
// modules load only for the command that needs them.
import type Yargs from 'yargs';
import type { Argv } from 'yargs';
import { UserError } from '../diagnostics.js';
import { FileFault } from '../fs/read.js';
import { describeFault, faultOf } from './faults.js';
import { printDiagnostics, SpecError, useColor, type Io } from './io.js';
import { COMMAND_NAMES, COMMANDS, GLOBAL_OPTIONS, USAGE_RULES, commandArgs, flagName, helpText, UsageError, type CommandArgs, type CommandName, type CommandSpec, type OptionSpec } from './options.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70, fault: 74 } as const;

interface Selected {
  command: CommandName;
  args: Readonly<Record<string, unknown>>;
}

/** A command's handler: its typed options (from the table), the Io, and whether to colour. */
type Handler<K extends CommandName> = (args: CommandArgs[K], io: Io, color: boolean) => Promise<number> | number;

/** What each command of the table runs; each loads its module when it runs. */
const HANDLERS: { [K in CommandName]: Handler<K> } = {
  gen: async (a, io, color) => (await import('./gen.js')).runGen(io, a, color),
  validate: async (a, io) => (await import('./validate.js')).runValidate(io, a),
  plan: async (a, io, color) => (await import('./plan.js')).runPlan(io, a, color),
  bake: async (a, io, color) => (await import('./bake.js')).runBake(io, a, color),
  doctor: async (a, io, color) => (await import('./doctor.js')).runDoctorCommand(io, a, color),
  init: async (a, io, color) => (await import('./init.js')).runInit(io, a, color),
  'ci-matrix': async (a, io) => (await import('./ci.js')).runCiMatrix(io, a),
  merge: async (a, io, color) => (await import('./ci.js')).runMerge(io, a, color),
  'ci-contexts': async (a, io, color) => (await import('./ci.js')).runCiContexts(io, a, color),
  builder: async (a, io, color) => (await import('./builder.js')).runBuilder(io, a, color),
  graph: async (a, io) => (await import('./graph.js')).runGraph(io, a),
  verify: async (a, io, color) => (await import('./verify.js')).runVerify(io, a, color),
  test: async (a, io, color) => (await import('./test.js')).runTest(io, a, color),
  schema: async (_a, io) => (await import('./validate.js')).runSchema(io),
  templates: async (_a, io, color) => (await import('./templates.js')).runTemplates(io, color),
};

/** The version of the installed package (package.json), not a copy of it. */
async function packageVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const { packageRoot } = await import('../paths.js');
  const path = await import('node:path');
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** yargs' view of one option: repeated values are collected (never greedy), numbers stay text for parseArgs. */
function yargsOption(o: OptionSpec) {
  return {
    type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const),
    describe: helpText(o),
    ...(o.alias ? { alias: o.alias } : {}),
    ...(o.choices ? { choices: [...o.choices] } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
  };
}

function commandLine(c: CommandSpec): string {
  return [c.name, ...(c.positionals ?? []).map((p) => (p.required ? `<${p.name}${p.variadic ? '..' : ''}>` : `[${p.name}${p.variadic ? '..' : ''}]`))].join(' ');
}

export function parser(yargs: typeof Yargs, argv: string[], select: (s: Selected) => void, version: string, columns?: number) {
  let y: Argv = yargs(argv)
    .scriptName('matrix')
    .usage('$0 <command> [options]\n\nCompile matrix.yaml into Dockerfiles and a docker-bake.hcl, then build every target and platform with docker buildx bake.');
  for (const [key, o] of Object.entries(GLOBAL_OPTIONS)) y = y.option(flagName(key), { ...yargsOption(o), global: true });
  for (const name of COMMAND_NAMES) {
    const c: CommandSpec = COMMANDS[name];
    if (name === 'graph') y = y.completion('completion', 'Print a shell completion script (bash, zsh): matrix completion >> ~/.bashrc');
    y = y.command(
      commandLine(c),
      c.describe,
      (sub) => {
        let s: Argv = sub;
        for (const p of c.positionals ?? [])
          s = s.positional(p.name, { type: 'string', describe: p.list ? `${p.describe} (or comma-separate)` : p.describe, ...(p.choices ? { choices: [...p.choices] } : {}) });
        for (const [key, o] of Object.entries(c.options)) s = s.option(flagName(key), yargsOption(o));
        for (const [cmd, what] of c.examples ?? []) s = s.example(cmd, what);
        if (c.readsSpec === false) s = s.hide('spec');
        return s;
      },
      (args) => select({ command: name, args }),
    );
  }
  return y
    .demandCommand(1, 'Tell matrix what to do: try `matrix gen`, or `matrix --help`.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version(version)
    .epilog(
      `${USAGE_RULES}\nExit codes: 0 success, 1 check or build failed, 2 invalid spec or usage, 74 a file or device could not be read or written (permission, read-only, full disk, bad symlink), 70 internal error.\nDocs: README.md`,
    )
    .wrap(Math.min(100, columns || 100));
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

export async function main(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'completion' && argv.slice(1).some((a) => a === '--help' || a === '-h')) {
    io.stdout.write(COMPLETION_HELP);
    return EXIT.ok;
  }
  const parsed = await parse(argv, io.columns);
  if ('error' in parsed) {
    if (parsed.output) io.stderr.write(tidyHelp(parsed.output).trimEnd() + '\n\n');
    io.stderr.write(`matrix: ${parsed.error.message}\n`);
    return EXIT.usage;
  }
  if (parsed.output) io.stdout.write(tidyHelp(parsed.output).trimEnd() + '\n');
  if (!parsed.selected) return EXIT.ok; // --help or --version
  return runCommand(parsed.selected.command, parsed.selected.args, argv, io);
}

type Parsed = { selected?: Selected; output: string } | { error: Error; output: string };

/** argv -> the command and what yargs parsed, or yargs' usage error. */
async function parse(argv: string[], columns: number | undefined): Promise<Parsed> {
  const picked: { selected?: Selected; error?: Error; output: string } = { output: '' };
  try {
    const { default: yargs } = await import('yargs');
    await parser(yargs, argv, (s) => (picked.selected = s), await packageVersion(), columns)
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

/** The table's rules turn what was parsed into the command's typed options; then its handler runs inside the one error boundary. */
async function runCommand<K extends CommandName>(command: K, raw: Selected['args'], argv: readonly string[], io: Io): Promise<number> {
  let args: CommandArgs[K];
  try {
    args = commandArgs(command, raw, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`matrix ${command}: ${e.message}${e.hint ? ` (${e.hint})` : ''}\n`);
    return EXIT.usage;
  }
  const color = useColor(io, args.color);
  try {
    return await HANDLERS[command](args, io, color);
  } catch (e) {
    return reportError(e, io, color);
  }
}

/** The one error boundary: user errors and machine faults are the user's to fix; anything else is a bug in matrix. */
function reportError(e: unknown, io: Io, color: boolean): number {
  // A file the machine could not read or write: the same one line as any other fault below.
  if (e instanceof FileFault && e.exitCode === EXIT.fault) {
    io.stderr.write(`matrix: ${e.message}\n`);
    return EXIT.fault;
  }
  if (e instanceof UserError) {
    printDiagnostics(io, e.diagnostics, color, e instanceof SpecError ? e.sources : undefined);
    return e.exitCode;
  }
  // A machine fault (permission, read-only or full file system, a bad symlink) with its path: the user's to fix.
  const fault = faultOf(e, io.cwd);
  if (fault) {
    io.stderr.write(`matrix: ${describeFault(fault)}\n`);
    return EXIT.fault;
  }
  const err = e as Partial<Error> | null | undefined;
  io.stderr.write(`matrix: internal error: ${err?.message ?? String(e)}\nThis is a bug in matrix. Please report it with the command you ran and this trace:\n${err?.stack ?? ''}\n`);
  return EXIT.internal;
}
