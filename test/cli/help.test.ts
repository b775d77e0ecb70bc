// Issue 15, "Help and docs": --help of every command offers only what the
// command reads, `completion --help` prints help, and a list positional does
// not show yargs' meaningless `[default: []]`.
import { describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { COMMANDS, type CommandSpec, flagName } from '../../src/cli/options.js';
import { tidyHelp } from '../../src/cli/usage.js';
import { tempDir } from '../helpers/tree.js';

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
