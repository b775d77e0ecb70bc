// Issue 15, "Help and docs": --help of every command offers only what the
// command reads, `completion --help` prints help, a list positional does not
// show yargs' meaningless `[default: []]`, number options show as numbers,
// and every example fits its column and runs (at least parses) as written.
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { COMMANDS, type CommandSpec, commandArgs, flagName, plainInvocation } from '../../src/cli/options.js';
import { parse, tidyHelp } from '../../src/cli/usage.js';
import { copySample, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('--help', () => {
  const dir = tempDir();

  it('schema and templates read no spec, so their help does not offer --spec; the others do', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const r = await matrix([name, '--help'], dir);
      expect(r.status, name).toBe(0);
      if (name === 'schema' || name === 'templates') expect(r.stdout, name).not.toContain('--spec');
      else expect(r.stdout, name).toContain('--spec');
      expect(r.stdout, name).not.toContain('[default: []]');
    }
  });

  it('every number option of every command shows as [number], every other option as its own type', async () => {
    let numbers = 0;
    for (const [name, c] of Object.entries(COMMANDS) as [string, CommandSpec][]) {
      const help = (await matrix([name, '--help'], dir)).stdout;
      for (const [key, o] of Object.entries(c.options)) {
        // The option's block runs from its flag to the first type tag after it.
        const type = new RegExp(`--${flagName(key)}\\s[\\s\\S]*?\\[(string|number|boolean)\\]`).exec(help)?.[1];
        expect(type, `${name} --${flagName(key)}`).toBe(o.type);
        if (o.type === 'number') numbers++;
      }
    }
    expect(numbers).toBe(3); // bake --retries, init --depth, ci-matrix --max-levels
  });

  it("every example of every command's help fits its column and is read as written: a command, options and values the table takes", async () => {
    const calls: string[][] = [];
    for (const c of Object.values(COMMANDS) as CommandSpec[]) {
      for (const [example] of c.examples ?? []) {
        // yargs gives the example column at most half the 100 columns: a longer command wraps under its description.
        expect(example.replaceAll('$0', 'matrix').length, example).toBeLessThanOrEqual(50);
        // Each `$0 ...` of the shell line, up to a pipe, redirection, `&&` or the end of `$(...)`.
        for (const m of example.matchAll(/\$0 ([^|&>)]*)/g)) calls.push(m[1]!.trim().split(/\s+/));
      }
    }
    expect(calls.length).toBeGreaterThan(20);
    for (const argv of calls) {
      const plain = plainInvocation(argv);
      const read = plain ?? (await parse(argv, 100));
      const selected = plain ? plain : 'selected' in read ? read.selected : undefined;
      expect(selected, argv.join(' ')).toBeDefined();
      const name = plain ? plain.command : selected!.command;
      expect(() => commandArgs(name, plain ? plain.raw : (selected as { args: Record<string, unknown> }).args, argv), argv.join(' ')).not.toThrow();
    }
  });

  it('the examples that only read run on samples/monorepo as written, exit 0', async () => {
    const dir = copySample('monorepo');
    const readOnly = /^(gen --check|plan(?! --affected)|graph|ci-matrix|templates|schema|bake --dry-run)/;
    let ran = 0;
    for (const c of Object.values(COMMANDS) as CommandSpec[]) {
      for (const [example] of c.examples ?? []) {
        for (const m of example.matchAll(/\$0 ([^|&>)]*)/g)) {
          const words = m[1]!.trim();
          if (!readOnly.test(words)) continue;
          const r = await matrix(words.split(/\s+/), dir);
          expect(r.status, `matrix ${words}: ${r.stderr}`).toBe(0);
          ran++;
        }
      }
    }
    expect(ran).toBeGreaterThan(8);
  });

  it('completion --help prints help, not the script; completion prints the script', async () => {
    const help = await matrix(['completion', '--help'], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^matrix completion\n/);
    expect(help.stdout).not.toContain('###-begin-matrix-completions-###');
    const script = await matrix(['completion'], dir, { SHELL: '/bin/bash' });
    expect(script.stdout).toContain('###-begin-matrix-completions-###');
  });

  it('tidyHelp drops `[default: []]` and keeps the type column where it was', () => {
    const line = '  files  Shard result files                               [array] [required] [default: []]';
    const tidy = tidyHelp(line);
    expect(tidy).toBe('  files  Shard result files                                             [array] [required]');
    expect(tidy.length).toBe(line.length);
    expect(tidyHelp('  --spec  Spec file  [string] [default: "x"]')).toBe('  --spec  Spec file  [string] [default: "x"]');
  });
});
