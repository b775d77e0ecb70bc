'use strict';
// notify: a tiny HTTP service; with --once it prints its greeting and exits.
const http = require('node:http');
const { greeting } = require('./lib/greeting');

if (process.argv.includes('--once')) {
  console.log(greeting());
  process.exit(0);
}

const port = Number(process.env.PORT || 3000);
http
  .createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ service: 'notify', message: greeting(), path: req.url }) + '\n');
  })
  .listen(port, () => console.log(`${greeting()}, listening on :${port}`));
