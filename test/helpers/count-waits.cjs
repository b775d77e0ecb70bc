// Preloaded into a spawned matrix (NODE_OPTIONS=--require ...): counts its
// Atomics.wait calls, the way matrix sleeps synchronously (retrying the gen
// lock), and writes the count to $MATRIX_TEST_WAITS when the process exits.
// Tests assert the work done ("never waited"), not how long it took.
'use strict';
const { writeFileSync } = require('node:fs');
const file = process.env.MATRIX_TEST_WAITS;
let waits = 0;
const wait = Atomics.wait;
Atomics.wait = function (...args) {
  waits++;
  return wait.apply(this, args);
};
process.on('exit', () => {
  if (file) writeFileSync(file, String(waits));
});
