// A stand-in for a Go program's net/http/pprof: serves the real Go profiles kept in test/fixtures/profiles under
// the standard /debug/pprof/<name> paths, so the demo needs neither a cluster nor a Go toolchain.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures', 'profiles');
// /debug/pprof/<name> -> fixture; "profile" is the CPU profile (its ?seconds= is ignored: the fixture is ready).
const PROFILES = {
  profile: 'cpu.pb.gz',
  heap: 'heap.pb.gz',
  goroutine: 'goroutine.pb.gz',
  allocs: 'allocs.pb.gz',
  block: 'block.pb.gz',
  mutex: 'mutex.pb.gz',
  threadcreate: 'threadcreate.pb.gz',
};

/** Listens on 127.0.0.1:port (0 for any) and resolves with the server and its base URL. */
function startPprofSource(port) {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    const name = pathname.replace(/^\/debug\/pprof\/?/, '');
    if (!pathname.startsWith('/debug/pprof')) return res.writeHead(404).end('not found\n');
    if (name === '') return res.writeHead(200, { 'content-type': 'text/plain' }).end(`${Object.keys(PROFILES).join('\n')}\n`);
    const file = PROFILES[name];
    if (!file) return res.writeHead(404).end(`no profile ${name}\n`);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    fs.createReadStream(path.join(FIXTURES, file)).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

module.exports = { startPprofSource };
