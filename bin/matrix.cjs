#!/usr/bin/env node
// CommonJS, not an ES module: Node starts a CommonJS entry a few milliseconds
// sooner, and `matrix gen --check` runs on every commit. Every command starts
// the same way: the one bundle, with its code cache (bin/load.cjs).
'use strict';
const { main, processIo } = require('./load.cjs').loadBundle().exports;

// stdout and stderr: a closed pipe drops further output quietly, a full disk
// is a one-line fault (src/cli/stdio.ts).
let io;
try {
  io = processIo(process);
} catch (err) {
  // The working directory was removed under the shell: a fault of the machine, not a bug.
  process.stderr.write(`matrix: cannot read the current directory: ${err && err.code === 'ENOENT' ? 'it no longer exists (ENOENT)' : err?.message}\n`);
  process.exit(74);
}

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() reports every error itself; this is a bug in matrix or a broken install.
    process.exitCode = 70;
    process.stderr.write(`matrix: internal error: ${err?.stack ? err.stack : err}\n`);
  },
);
