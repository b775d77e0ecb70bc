#!/usr/bin/env node
import { fastMain } from '../dist/fast.mjs';

// A closed pipe (`matrix plan | head`) is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = process.argv.slice(2);
const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
};
// Plain `gen` / `gen --check` (pre-commit) run from a code-cached bundle; everything else from dist/cli.mjs.
process.exitCode = (await fastMain(argv, io)) ?? (await (await import('../dist/cli.mjs')).main(argv, io));
