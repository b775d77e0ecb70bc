// The command line. The commands and their options are the table in
// options.ts. A plain invocation (`gen --check`, `plan --json`, `bake api
// --platform linux/arm64`) is read by the table itself (plainInvocation);
// anything else (help, --version, completion, and every usage error yargs
// reports) goes to yargs, configured from the same table (usage.ts), which
// loads only then. Each command runs with the Io it is given and its typed
// options, and its modules load only when it runs: this module is the core
// that every command starts with (scripts/build.mjs, bin/load.cjs).
import { resourceHint } from '../resource-faults.js';
import { builtHelp, packageVersion } from './help-built.js';
import type { Io } from './io.js';
import { commandArgs, plainInvocation, UsageError, type CommandArgs, type CommandName } from './options.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70, fault: 74 } as const;

/**
 * A command's handler: its typed options (from the table), the Io, and whether to colour, asked when
 * needed: deciding may mean asking whether stdout is a terminal, which makes the process's stream
 * (src/cli/stdio.ts), and a cached `gen --check` prints one line without it.
 */
type Handler<K extends CommandName> = (args: CommandArgs[K], io: Io, color: () => boolean) => Promise<number> | number;

/** What each command of the table runs; each loads its module when it runs. */
const HANDLERS: { [K in CommandName]: Handler<K> } = {
  gen: async (a, io, color) => (await import('./gen.js')).runGen(io, a, color),
  validate: async (a, io) => (await import('./validate.js')).runValidate(io, a),
  plan: async (a, io, color) => (await import('./plan-entry.js')).runPlan(io, a, color()),
  bake: async (a, io, color) => (await import('./bake-entry.js')).runBake(io, a, color()),
  doctor: async (a, io, color) => (await import('./doctor.js')).runDoctorCommand(io, a, color()),
  init: async (a, io, color) => (await import('./init.js')).runInit(io, a, color()),
  'ci-matrix': async (a, io) => (await import('./output-entry.js')).withOutputRecord(io, 'ci-matrix', a, async (rio) => (await import('./ci.js')).runCiMatrix(rio, a)),
  merge: async (a, io, color) => (await import('./ci.js')).runMerge(io, a, color()),
  'ci-contexts': async (a, io, color) => (await import('./ci.js')).runCiContexts(io, a, color()),
  builder: async (a, io, color) => (await import('./builder.js')).runBuilder(io, a, color()),
  graph: async (a, io) => (await import('./output-entry.js')).withOutputRecord(io, 'graph', a, async (rio) => (await import('./graph.js')).runGraph(rio, a)),
  verify: async (a, io, color) => (await import('./verify.js')).runVerify(io, a, color()),
  test: async (a, io, color) => (await import('./test.js')).runTest(io, a, color()),
  schema: async (_a, io) => (await import('./validate.js')).runSchema(io),
  templates: async (a, io, color) => (await import('./templates.js')).runTemplates(io, color(), a.names),
};

export async function main(argv: string[], io: Io): Promise<number> {
  const plain = plainInvocation(argv);
  if (plain) return runCommand(plain.command, plain.raw, argv, io);
  // `matrix --version` alone, as yargs prints it (usage.ts), without loading yargs.
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const built = builtHelp(argv, io.columns);
  if (built !== undefined) {
    io.stdout.write(built);
    return 0;
  }
  const { readWithYargs } = await import('./usage.js');
  const read = await readWithYargs(argv, io);
  if (typeof read === 'number') return read;
  return runCommand(read.command, read.args, argv, io);
}

/** The table's rules turn what was parsed into the command's typed options; then its handler runs inside the one error boundary. */
async function runCommand<K extends CommandName>(command: K, raw: Readonly<Record<string, unknown>>, argv: readonly string[], io: Io): Promise<number> {
  let args: CommandArgs[K];
  try {
    args = commandArgs(command, raw, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return (await import('./usage-error.js')).printUsageError(io, argv, command, e);
  }
  const { useColor } = await import('./color.js');
  let decided: boolean | undefined;
  const color = () => {
    decided ??= useColor(io, args.color);
    return decided;
  };
  try {
    return await HANDLERS[command](args, io, color);
  } catch (e) {
    return reportError(e, io, color(), command, argv);
  }
}

/** The one error boundary: user errors and machine faults are the user's to fix; anything else is a bug in matrix. */
async function reportError(e: unknown, io: Io, color: boolean, command: CommandName, argv: readonly string[]): Promise<number> {
  let modules;
  try {
    modules = await Promise.all([import('../fs/read.js'), import('../diagnostics.js'), import('./io.js'), import('./faults.js'), import('../adapters/exit.js'), import('../output/format.js')]);
  } catch (loading) {
    return reportUnloaded(e, loading, io);
  }
  const [{ FileFault }, { UserError }, { printDiagnostics, SpecError }, { describeFault, faultOf }, { EndedError, endExit }, { formatAbnormalEnd }] = modules;
  // A file the machine could not read or write: the same one line as any other fault below.
  if (e instanceof FileFault && e.exitCode === EXIT.fault) {
    const hint = resourceHint(e.errno);
    io.stderr.write(`matrix: ${e.message}\n${hint ? `  hint: ${hint}\n` : ''}`);
    return EXIT.fault;
  }
  // docker, buildx or cosign killed by a signal matrix did not send (74), or one that could not run the command (2): src/adapters/exit.ts.
  if (e instanceof EndedError) {
    io.stderr.write(formatAbnormalEnd(e.end, e.subject ?? `\`matrix ${command}\``));
    return endExit(e.end);
  }
  // A combination of options the command refuses: a usage error like those of the table (usage-error.ts).
  if (e instanceof UserError && e.diagnostics.every((d) => d.code === 'usage' || d.code === 'verify-usage')) {
    (await import('./usage-error.js')).printUsageErrors(io, argv, command, e.diagnostics);
    return e.exitCode;
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
  return internalError(e, io);
}

/**
 * The error when even the code that reports it cannot be loaded: a machine out
 * of file descriptors (ulimit -n) or memory fails every open, the chunks of
 * the error report's too. Said with what is at hand: a UserError's (or a
 * spawn fault's) diagnostics as plain lines, else the resource fault, else
 * the bug, as reportError would.
 */
function reportUnloaded(e: unknown, loading: unknown, io: Io): number {
  const user = e as { diagnostics?: unknown; exitCode?: unknown } | null | undefined;
  if (Array.isArray(user?.diagnostics) && typeof user.exitCode === 'number') {
    // A FileFault out of a resource has that hint already (src/fs/read.ts).
    for (const d of user.diagnostics as { message?: unknown; hint?: unknown }[]) io.stderr.write(`matrix: ${String(d.message)}\n${d.hint ? `  hint: ${String(d.hint)}\n` : ''}`);
    return user.exitCode;
  }
  const hint = [e, loading].map((x) => resourceHint((x as NodeJS.ErrnoException | null | undefined)?.code)).find((h) => h !== undefined);
  if (hint) {
    io.stderr.write(`matrix: ${String((e as Error | undefined)?.message ?? e)}\n  hint: ${hint}\n`);
    return EXIT.fault;
  }
  return internalError(e, io);
}

/** Anything else is a bug in matrix: said so, with the trace to report. */
function internalError(e: unknown, io: Io): number {
  const err = e as Partial<Error> | null | undefined;
  io.stderr.write(`matrix: internal error: ${err?.message ?? String(e)}\nThis is a bug in matrix. Please report it with the command you ran and this trace:\n${err?.stack ?? ''}\n`);
  return EXIT.internal;
}
