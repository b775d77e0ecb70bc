// The entry of the one bundle (scripts/build.mjs -> dist/matrix.cjs) that
// bin/matrix.cjs loads for every command.
export { main } from './cli/main.js';
export { processIo } from './cli/stdio.js';
export { helpForms, helpKey } from './cli/help-built.js';
