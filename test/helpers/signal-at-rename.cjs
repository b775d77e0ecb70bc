// Preloaded into a spawned matrix (NODE_OPTIONS=--require ...): once a file
// whose name contains $MATRIX_TEST_SIGNAL_AT is renamed into place (by
// renameSync, or by rename as its callback comes), the process sends itself
// $MATRIX_TEST_SIGNAL. A signal at an exact point of a run, where a signal
// from outside lands anywhere (or after the end).
'use strict';
const fs = require('node:fs');
const at = process.env.MATRIX_TEST_SIGNAL_AT;
const sig = process.env.MATRIX_TEST_SIGNAL;
let sent = false;
const due = (to) => {
  if (!at || !sig || sent || !String(to).includes(at)) return false;
  sent = true;
  return true;
};
const renameSync = fs.renameSync;
fs.renameSync = function (from, to) {
  const r = renameSync.call(this, from, to);
  if (due(to)) process.kill(process.pid, sig);
  return r;
};
const rename = fs.rename;
fs.rename = function (from, to, cb) {
  return rename.call(this, from, to, (e) => {
    if (!e && due(to)) process.kill(process.pid, sig);
    cb(e);
  });
};
