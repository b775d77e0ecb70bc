// Preloaded into a spawned matrix (NODE_OPTIONS=--require ...): when a child
// process with $MATRIX_TEST_SIGNAL_CHILD among its arguments is about to
// report 'close' (it exited and its pipes are drained), the process sends
// itself $MATRIX_TEST_SIGNAL first. The signal is then waiting in libuv's
// queue as matrix's 'close' handler runs: what a Ctrl-C or a CI runner's
// SIGTERM does when it comes as the build ends.
'use strict';
const { ChildProcess } = require('node:child_process');
const at = process.env.MATRIX_TEST_SIGNAL_CHILD;
const sig = process.env.MATRIX_TEST_SIGNAL;
let sent = false;
const emit = ChildProcess.prototype.emit;
ChildProcess.prototype.emit = function (event, ...args) {
  if (event === 'close' && at && sig && !sent && (this.spawnargs ?? []).includes(at)) {
    sent = true;
    process.kill(process.pid, sig);
  }
  return emit.call(this, event, ...args);
};
