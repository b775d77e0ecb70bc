// `matrix completion`: the script yargs writes, loaded into a real bash.
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// Spawned (the bin), not in process: yargs picks the script by the process's own $SHELL.
import { BIN, matrixBin as matrix } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('matrix completion', () => {
  it('prints a bash script that asks matrix for completions', () => {
    const r = matrix(['completion'], tempDir(), { SHELL: '/bin/bash' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('matrix --get-yargs-completions');
    expect(r.stdout).toContain('complete -o bashdefault -o default -F _matrix_yargs_completions matrix');
  });

  it('prints a zsh script under zsh', () => {
    const r = matrix(['completion'], tempDir(), { SHELL: '/usr/bin/zsh' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('#compdef matrix');
  });

  it("completes commands and each command's options", () => {
    const cmds = matrix(['--get-yargs-completions', 'matrix', ''], tempDir());
    expect(cmds.status, cmds.stderr).toBe(0);
    for (const c of ['gen', 'validate', 'plan', 'bake', 'doctor', 'init', 'ci-matrix', 'merge', 'builder', 'completion', 'schema', 'templates']) expect(cmds.stdout.split('\n')).toContain(c);
    const opts = matrix(['--get-yargs-completions', 'matrix', 'bake', '--'], tempDir());
    expect(opts.stdout.split('\n')).toEqual(expect.arrayContaining(['--push', '--platform', '--dry-run', '--spec']));
  });

  it('works in bash: `matrix ba<TAB>` offers bake', () => {
    const bin = tempDir();
    symlinkSync(BIN, path.join(bin, 'matrix'));
    const script = matrix(['completion'], bin, { SHELL: '/bin/bash' }).stdout;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `${script}\nCOMP_WORDS=(matrix ba); COMP_CWORD=1; _matrix_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}` },
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('bake\n');
  });
});
