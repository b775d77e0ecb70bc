'use strict';
exports.greeting = () => `hello from notify on ${process.platform}/${process.arch} (node ${process.version})`;
