#!/usr/bin/env node
// CommonJS, not an ES module: Node starts a CommonJS entry a few milliseconds
// sooner, and `matrix gen --check` runs on every commit. Plain `gen` / `gen
// --check` run from a code-cached bundle (dist/fast.cjs); everything else
// from dist/cli.mjs.
'use strict';
const { fastMain } = require('../dist/fast.cjs');

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

(async () => {
  process.exitCode = (await fastMain(argv, io)) ?? (await (await import('../dist/cli.mjs')).main(argv, io));
})().catch((err) => {
  // main() reports every error itself; this is a bug in matrix or a broken install.
  process.exitCode = 70;
  process.stderr.write(`matrix: internal error: ${err && err.stack ? err.stack : err}\n`);
});
