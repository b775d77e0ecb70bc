// Usage errors, in one shape whoever finds them: the table's rules
// (options.ts parseArgs), yargs (usage.ts: an unknown command or option, a
// value outside its choices, a missing positional), or a command that refuses
// a combination of options (`userError('usage', ...)`). Each is a diagnostic
// like any other error (`matrix: error MESSAGE [usage]` and its hint), names
// the command, and ends with where to read its usage; exit 2. This module
// loads only for a usage error: a plain invocation never reads it.
import { closest, colors, type Diagnostic, diagnostic, formatDiagnostic } from '../diagnostics.js';
import { useColor } from './color.js';
import type { Io } from './io.js';
import { COMMAND_NAMES, COMMANDS, type CommandSpec, flagName, flagWords, GLOBAL_OPTIONS, type OptionSpec, UsageError, valueExample } from './options.js';

export const USAGE_EXIT = 2;

/** Where a usage error is written; without an environment (a test's), no colours. */
interface Out {
  stderr: { write(s: string): unknown };
  env?: Io['env'];
  isTTY?: boolean;
}

/** Colours as the command would have had them: --color / --no-color (not parsed yet), else NO_COLOR, FORCE_COLOR, a terminal. */
function colorOf(io: Out, argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  const flag = words.includes('--no-color') ? false : words.includes('--color') ? true : undefined;
  if (!io.env) return flag ?? false;
  return useColor({ ...io, env: io.env, isTTY: io.isTTY ?? false } as Io, flag);
}

/**
 * Print usage errors of `command` (undefined: no command was named) and
 * return exit code 2. Each message names the command; the last hint says
 * where its usage is.
 */
export function printUsageErrors(io: Out, argv: readonly string[], command: string | undefined, errors: readonly UsageProblem[]): number {
  const color = colorOf(io, argv);
  const c = colors(color);
  const lines = errors.map((e) =>
    formatDiagnostic(diagnostic({ code: e.code, message: command ? `in \`matrix ${command}\`: ${e.message}` : e.message, ...(e.hint ? { hint: e.hint } : {}) }), { color }),
  );
  lines.push(`  ${c.cyan('hint:')} see \`matrix ${command ? `${command} ` : ''}--help\``);
  io.stderr.write(`${lines.join('\n')}\n`);
  return USAGE_EXIT;
}

/** What a usage error says: printUsageErrors makes it a diagnostic (one constructor, diagnostic()). */
interface UsageProblem {
  code: Diagnostic['code'];
  message: string;
  hint?: string | undefined;
}

/** One UsageError of `command`, printed as every usage error is. */
export function printUsageError(io: Out, argv: readonly string[], command: string | undefined, e: UsageError): number {
  return printUsageErrors(io, argv, command, [{ code: 'usage', message: e.message, hint: e.hint }]);
}

// ---- What yargs refused, said from the table.

/** A usage problem of argv, and the command it belongs to (undefined: before or without one). */
export interface Problem {
  command: string | undefined;
  error: UsageError;
}

/** Words that name an option of every command (help, version and the global options). */
const TOP_FLAGS = new Map<string, OptionSpec>([
  ...Object.entries(GLOBAL_OPTIONS).map(([k, o]) => [`--${flagName(k)}`, o] as [string, OptionSpec]),
  ['-s', GLOBAL_OPTIONS.spec],
  ['--help', { type: 'boolean', describe: '' }],
  ['-h', { type: 'boolean', describe: '' }],
  ['--version', { type: 'boolean', describe: '' }],
]);

const COMMAND_WORDS = [...COMMAND_NAMES, 'completion'];

/**
 * The first usage problem of argv, found with the table: what yargs reported,
 * in the words of the table's own errors. Undefined when the table finds none
 * (the caller then reports yargs' message).
 */
export function usageProblem(argv: readonly string[]): Problem | undefined {
  let i = 0;
  // Global options may come before the command.
  for (; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--'; i++) {
    const word = argv[i]!;
    const flag = word.startsWith('--') ? word.split('=')[0]! : word;
    const o = TOP_FLAGS.get(flag) ?? (flag === '--no-color' ? GLOBAL_OPTIONS.color : undefined);
    if (!o) return { command: undefined, error: unknownOption(flag, [...TOP_FLAGS.keys()]) };
    if (o.type === 'boolean' || word.includes('=')) continue;
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('-') && next !== '-')) return { command: undefined, error: new UsageError('--spec needs a value', valueExample('--spec', o)) };
    i++;
  }
  const name = argv[i];
  if (name === undefined || name === '--')
    return { command: undefined, error: new UsageError('no command given', 'try `matrix gen` (write the generated files) or `matrix plan` (show what would be built)') };
  if (!COMMAND_WORDS.includes(name)) {
    const near = closestFlag(name, COMMAND_WORDS);
    return { command: undefined, error: new UsageError(`unknown command ${JSON.stringify(name)}`, near ? `did you mean \`matrix ${near}\`?` : undefined) };
  }
  if (name === 'completion') {
    const extra = argv.slice(i + 1).find((w) => !TOP_FLAGS.has(w));
    return extra === undefined
      ? undefined
      : { command: name, error: new UsageError(`unexpected argument ${JSON.stringify(extra)}`, '`matrix completion` takes no arguments; it prints the script for $SHELL') };
  }
  const command: CommandSpec = COMMANDS[name as keyof typeof COMMANDS];
  const error = commandProblem(command, argv.slice(i + 1));
  return error ? { command: name, error } : undefined;
}

/** The word of `known` that `word` is likely a slip for, compared without their dashes (`--x` is not near `--h`). */
function closestFlag(word: string, known: readonly string[]): string | undefined {
  const bare = (w: string) => w.replace(/^-+/, '');
  const byBare = new Map(known.filter((k) => k.startsWith('--') || !word.startsWith('--')).map((k) => [bare(k), k]));
  // A letter is near every other letter: no guess for `-x`.
  const near = bare(word).length < 3 ? undefined : closest(bare(word), byBare.keys());
  return near === undefined ? undefined : byBare.get(near);
}

/** `unknown option --chek`, with the option it is likely a slip for. */
function unknownOption(flag: string, known: readonly string[], extra?: string): UsageError {
  const near = closestFlag(flag, known);
  const hint = [near ? `did you mean \`${near}\`?` : undefined, extra].filter(Boolean).join(' ');
  return new UsageError(`unknown option ${flag}`, hint || undefined);
}

/** The first usage problem of a command's words (after its name), or undefined. */
function commandProblem(command: CommandSpec, words: readonly string[]): UsageError | undefined {
  const flags = flagWords(command);
  for (const w of ['--help', '-h', '--version']) flags.set(w, ['help', { type: 'boolean', describe: '' }]);
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') {
      positionals.push(...words.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      positionals.push(word);
      continue;
    }
    const found = optionProblem(command, flags, word, words[i + 1]);
    if (found instanceof UsageError) return found;
    i += found;
  }
  return positionalProblem(command, positionals);
}

/** The problem of one option word (and the value after it), or how many words after it it took. */
function optionProblem(command: CommandSpec, flags: Map<string, [string, OptionSpec]>, word: string, next: string | undefined): UsageError | number {
  const eq = word.startsWith('--') ? word.indexOf('=') : -1;
  const flag = eq < 0 ? word : word.slice(0, eq);
  if (!flag.startsWith('--') && flag.length > 2) {
    // -qs: each letter a short option; the last may take the next word.
    for (const ch of flag.slice(1, -1)) if (!flags.has(`-${ch}`)) return unknownOption(`-${ch}`, [...flags.keys()]);
    return optionProblem(command, flags, `-${flag.at(-1)}`, next);
  }
  const known = flags.get(flag) ?? flags.get(`--${flagName(flag.slice(2))}`);
  const negated = flag.startsWith('--no-') ? flags.get(`--${flag.slice(5)}`) : undefined;
  if (!known) {
    if (negated?.[1].type === 'boolean') return eq < 0 ? 0 : new UsageError(`${flag} is a switch and takes no value ${JSON.stringify(word.slice(eq + 1))}`, `give ${flag} or --${flag.slice(5)}`);
    return unknownOption(flag, [...flags.keys()], command.name === 'bake' ? bakeOnly(flag.slice(2)) : undefined);
  }
  const [key, o] = known;
  if (o.type === 'boolean') return 0;
  const name = `--${flagName(key)}`;
  const value = eq >= 0 ? word.slice(eq + 1) : next;
  if (value === undefined || (eq < 0 && value.startsWith('-') && value !== '-' && !/^-\d/.test(value))) return new UsageError(`${name} needs a value`, valueExample(name, o));
  if (o.choices && !o.choices.includes(value)) return badChoice(name, value, o.choices, (near) => `${name} ${near}`);
  return eq >= 0 ? 0 : 1;
}

/** `--progress "fancy": expected one of ...`, as the table's rules say it (options.ts). */
function badChoice(name: string, value: string, choices: readonly string[], instead: (near: string) => string): UsageError {
  const near = closest(value, choices);
  return new UsageError(`${name} ${JSON.stringify(value)}: expected one of ${choices.join(', ')}`, near ? `did you mean \`${instead(near)}\`?` : undefined);
}

/** Too many positionals, a missing one, or one outside its choices. */
function positionalProblem(command: CommandSpec, words: readonly string[]): UsageError | undefined {
  const specs = command.positionals ?? [];
  let rest = [...words];
  for (const p of specs) {
    const upper = p.name.toUpperCase();
    if (rest.length === 0) {
      if (!p.required) continue;
      const what = p.choices ? `one of ${p.choices.join(', ')}` : `${p.describe[0]!.toLowerCase()}${p.describe.slice(1)}`;
      const example = command.examples?.[0]?.[0].replaceAll('$0', 'matrix');
      return new UsageError(`missing ${upper} (${what})`, example ? `e.g. \`${example}\`` : undefined);
    }
    if (p.choices && !p.choices.includes(rest[0]!)) return badChoice(upper, rest[0]!, p.choices, (near) => `matrix ${command.name} ${near}`);
    rest = p.variadic ? [] : rest.slice(1);
  }
  if (!rest.length) return undefined;
  const word = rest[0]!;
  // `gen check`: an option without its dashes.
  const option = Object.keys(command.options)
    .map((k) => `--${flagName(k)}`)
    .find((f) => f === `--${word}`);
  const takes = specs.length ? `takes one ${specs.map((p) => p.name.toUpperCase()).join(' ')}` : 'takes no arguments';
  return new UsageError(`unexpected argument ${JSON.stringify(word)}`, option ? `did you mean \`${option}\`?` : `\`matrix ${command.name}\` ${takes}`);
}

/**
 * `docker buildx bake` options that `matrix bake` does not take (buildx
 * docs/reference/buildx_bake.md): what to use instead.
 */
const CHECK_HINT = "matrix bake only builds; run bake's build checks on the generated bake file: `docker buildx bake -f docker-bake.hcl --check` (buildx 0.16 and later) in the spec's directory";
const BAKE_ONLY: Readonly<Record<string, string>> = {
  list: '`matrix plan` lists every target with its platforms (`matrix plan --json` for a script); a service name is a group of its targets',
  call: CHECK_HINT,
  check: CHECK_HINT,
  var: 'bake also reads a variable from the environment variable of the same name: `NAME=value matrix bake` (the git values are MATRIX_GIT_*)',
};

/** The hint for a bake option matrix does not take (`list`, from --list), else undefined. */
export function bakeOnly(name: string): string | undefined {
  return Object.hasOwn(BAKE_ONLY, name) ? `${BAKE_ONLY[name]} (\`--${name}\` is an option of docker buildx bake, not of matrix bake)` : undefined;
}
