// Usage errors have one shape, whoever finds them: the table's reader and
// rules (src/cli/options.ts), yargs (src/cli/usage.ts), or a command that
// refuses a combination of options. Each is `matrix: error in `matrix CMD`:
// MESSAGE [usage]` (verify's: [verify-usage]), its hints, and last `hint: see `matrix CMD --help``;
// exit 2, nothing on stdout, nothing written. Every command's bad cases run
// through the built bin, as a user runs them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMANDS, type CommandSpec, flagName, optionsOf } from '../../src/cli/options.js';
import { BIN, matrix, runEnv } from '../helpers/cli.js';
import { copySample, hashTree, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const run = promisify(execFile);

/** The built bin, as a child process; several at once (each waits mostly on its own start-up). */
async function bin(argv: readonly string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...argv], { cwd, env: runEnv(), encoding: 'utf8', timeout: 30_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof x.code !== 'number') throw e;
    return { status: x.code, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** The one shape: the error line, any hints, and where the command's usage is. */
function usageShape(command: string | undefined): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = command ? `in \`matrix ${esc(command)}\`: ` : '';
  const help = command ? `matrix ${esc(command)} --help` : 'matrix --help';
  // verify's own code for its usage errors is kept: codes are never renamed (src/diagnostics.ts).
  return new RegExp(`^matrix: error ${named}\\S.* \\[(verify-)?usage\\]\\n(  hint: .+\\n)*  hint: see \`${help}\`\\n$`);
}

/** What a command needs to be run at all: its required positionals. */
function required(c: CommandSpec): string[] {
  return (c.positionals ?? []).filter((p) => p.required).map((p) => p.choices?.[0] ?? 'shard.json');
}

/** A flag with two neighbouring letters swapped (`--chekc`): a slip did-you-mean should catch. */
function misspelt(flag: string): string {
  const i = flag.length - 2;
  return `${flag.slice(0, i)}${flag[i + 1]}${flag[i]}`;
}

interface Case {
  command: string | undefined;
  argv: string[];
  says: RegExp;
}

/** Every command's bad cases: an unknown option, a slip, a value missing, a bad choice, a bad number, an extra word, options that conflict. */
function casesOf(name: string, c: CommandSpec): Case[] {
  const req = required(c);
  const own = Object.entries(c.options);
  const cases: Case[] = [{ command: name, argv: [name, ...req, '--no-such-option'], says: /unknown option --no-such-option/ }];
  const long = own.map(([k]) => `--${flagName(k)}`).find((f) => f.length >= 7);
  if (long) cases.push({ command: name, argv: [name, ...req, misspelt(long)], says: new RegExp(`unknown option ${misspelt(long)} \\[usage\\]\\n  hint: did you mean \`${long}\`\\?`) });
  const valued = optionsOf(c).filter(([, o]) => o.type !== 'boolean');
  for (const [k] of valued.slice(0, 2)) cases.push({ command: name, argv: [name, ...req, `--${flagName(k)}`], says: new RegExp(`--${flagName(k)} needs a value`) });
  for (const [k, o] of own.filter(([, x]) => x.choices))
    cases.push({ command: name, argv: [name, ...req, `--${flagName(k)}`, 'bogus'], says: new RegExp(`--${flagName(k)} "bogus": expected one of ${o.choices!.join(', ')}`) });
  for (const [k] of own.filter(([, x]) => x.type === 'number')) {
    for (const v of ['x', '-1', '1.5', '1e2'])
      cases.push({ command: name, argv: [name, ...req, `--${flagName(k)}`, v], says: new RegExp(`--${flagName(k)} takes a whole number.*, not "${v.replace('.', '\\.')}"`) });
  }
  const extra = (c.positionals ?? []).some((p) => p.variadic) ? undefined : [name, ...req, ...(c.positionals ?? []).filter((p) => !p.required).map(() => 'one'), 'extra'];
  if (extra) cases.push({ command: name, argv: extra, says: /unexpected argument "extra"/ });
  const switches = optionsOf(c).filter(([, o]) => o.type === 'boolean');
  const [sw] = switches.map(([k]) => `--${flagName(k)}`);
  if (sw) {
    cases.push({ command: name, argv: [name, ...req, sw, `--no-${sw.slice(2)}`], says: new RegExp(`${sw} was given more than once`) });
    cases.push({ command: name, argv: [name, ...req, `${sw}=yes`], says: new RegExp(`${sw} is a switch and takes no value "yes"`) });
  }
  return cases;
}

const CASES: Case[] = [
  ...COMMAND_NAMES.flatMap((name) => casesOf(name, COMMANDS[name])),
  { command: undefined, argv: [], says: /no command given/ },
  { command: undefined, argv: ['frobnicate'], says: /unknown command "frobnicate"/ },
  { command: undefined, argv: ['frobnicate', '--help'], says: /unknown command "frobnicate"/ },
  { command: undefined, argv: ['bkae'], says: /unknown command "bkae" \[usage\]\n {2}hint: did you mean `matrix bake`\?/ },
  { command: undefined, argv: ['--no-such-option'], says: /unknown option --no-such-option/ },
  { command: undefined, argv: ['-s'], says: /--spec needs a value/ },
  { command: 'completion', argv: ['completion', 'extra'], says: /unexpected argument "extra"/ },
  { command: 'gen', argv: ['gen', 'check'], says: /unexpected argument "check" \[usage\]\n {2}hint: did you mean `--check`\?/ },
  { command: 'builder', argv: ['builder', 'upp'], says: /ACTION "upp": expected one of up, rm \[usage\]\n {2}hint: did you mean `matrix builder up`\?/ },
  { command: 'bake', argv: ['bake', '--progress', 'plian'], says: /did you mean `--progress plain`\?/ },
  { command: 'bake', argv: ['bake', '--retries', '11'], says: /--retries takes a whole number from 0 to 10, not "11"/ },
  { command: 'ci-matrix', argv: ['ci-matrix', '--max-levels', '0'], says: /--max-levels takes a whole number from 1 to 256, not "0"/ },
  // GitHub runs at most 256 jobs per workflow run (docs.github.com/actions/reference/limits); 1e20 wrote level lines without end.
  { command: 'ci-matrix', argv: ['ci-matrix', '--layered', '--max-levels', '99999999999999999999'], says: /--max-levels takes a whole number from 1 to 256, not "99999999999999999999"/ },
  { command: 'ci-matrix', argv: ['ci-matrix', '--layered', '--max-levels', '257'], says: /--max-levels takes a whole number from 1 to 256, not "257"/ },
  { command: 'bake', argv: ['bake', '--list'], says: /unknown option --list \[usage\]\n {2}hint: `matrix plan` lists every target/ },
  // Options that do not go together, refused by the command itself: the same shape.
  { command: 'bake', argv: ['bake', '--push-by-digest', '--push'], says: /--push-by-digest cannot be combined with --load, --print or --push/ },
  { command: 'ci-matrix', argv: ['ci-matrix', '--max-levels', '2'], says: /--max-levels needs --layered/ },
  { command: 'ci-contexts', argv: ['ci-contexts', 'shard.json'], says: /needs --target/ },
  { command: 'verify', argv: ['verify', '--against', 'v1', '--metadata-file', 'm.json'], says: /give --against or --metadata-file, not both/ },
];

describe('usage errors: one shape for every command and every check', () => {
  it('the cases cover every command, and each kind of mistake', () => {
    for (const name of COMMAND_NAMES)
      expect(
        CASES.some((c) => c.command === name),
        name,
      ).toBe(true);
    for (const kind of [/unknown option/, /did you mean/, /needs a value/, /expected one of/, /whole number/, /unexpected argument/, /more than once/, /unknown command/, /cannot be combined/]) {
      expect(
        CASES.some((c) => kind.test(c.says.source)),
        kind.source,
      ).toBe(true);
    }
  });

  it('through the built bin: exit 2, nothing on stdout, one shape, and the tree is left as it was', async () => {
    const dir = copySample('monorepo');
    const before = hashTree(dir);
    const failures: string[] = [];
    for (let i = 0; i < CASES.length; i += 4) {
      await Promise.all(
        CASES.slice(i, i + 4).map(async ({ command, argv, says }) => {
          const r = await bin(argv, dir);
          const line = `matrix ${argv.join(' ')}`;
          if (r.status !== 2 || r.stdout !== '' || !usageShape(command).test(r.stderr) || !says.test(r.stderr))
            failures.push(`${line}\n  exit ${r.status}, stdout ${JSON.stringify(r.stdout.slice(0, 80))}\n${r.stderr}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(hashTree(dir)).toBe(before);
  }, 180_000);

  it('every option that takes a value, of every command, given none: the same shape (yargs gives no default in its place)', async () => {
    const dir = copySample('monorepo');
    const before = hashTree(dir);
    for (const name of COMMAND_NAMES) {
      const c: CommandSpec = COMMANDS[name];
      for (const [k, o] of optionsOf(c)) {
        if (o.type === 'boolean') continue;
        for (const tail of [[], ['--json']]) {
          const argv = [name, ...required(c), `--${flagName(k)}`, ...tail];
          const r = await matrix(argv, dir);
          expect([r.status, r.stdout], argv.join(' ')).toEqual([2, '']);
          expect(r.stderr, argv.join(' ')).toMatch(usageShape(name));
          expect(r.stderr, argv.join(' ')).toContain(`--${flagName(k)} needs a value`);
        }
      }
    }
    expect(hashTree(dir)).toBe(before);
  }, 120_000);

  it("a number option: the table's reader (`--retries=-1`) and yargs (`--retries -1`) refuse a bad value with the same words", async () => {
    const dir = copySample('monorepo');
    for (const [cmd, flag] of [
      ['bake', '--retries'],
      ['init', '--depth'],
      ['ci-matrix', '--max-levels'],
    ] as const) {
      for (const v of ['-1', '1.5', 'x', '0x10', '99']) {
        const joined = await matrix([cmd, `${flag}=${v}`], dir);
        const apart = await matrix([cmd, flag, v], dir);
        expect([apart.status, apart.stdout, apart.stderr], `${cmd} ${flag} ${v}`).toEqual([joined.status, joined.stdout, joined.stderr]);
        if (v !== '99' || cmd === 'bake') expect(joined.stderr, `${cmd} ${flag} ${v}`).toMatch(new RegExp(`^matrix: error in \`matrix ${cmd}\`: ${flag} takes a whole number`));
      }
    }
    // What was accepted still is.
    expect((await matrix(['init', '--dry-run', '--depth', '007'], dir)).status).toBe(0);
  });

  it('--check=true and --no-check still read as before; a colour flag colours the error as it would any other', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen', '--check=true'], dir)).status).toBe(0);
    const coloured = await matrix(['gen', '--color', '--chek'], dir);
    expect(coloured.stderr).toContain('\u001b[31merror\u001b[39m');
    expect((await matrix(['gen', '--no-color', '--chek'], dir, { FORCE_COLOR: '1' })).stderr).not.toContain('\u001b[');
  });
});
