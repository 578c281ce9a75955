// `npm run demo`: go-profiler end to end on one machine. Starts a local pprof source (real Go profiles) and the
// built service (dist/main.js), asks for a Heap, a CPU and a Goroutine profile as KubeDiag would, prints the
// viewers' addresses, and keeps running until Ctrl-C.
//
// PORT (default 8090) is the service's port, DEMO_PPROF_PORT (default 6060) the pprof source's; 0 picks a free one.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { startPprofSource } = require('./pprof-source');

const ROOT = path.join(__dirname, '..');
const PARAM = 'param.diagnoser.runtime.go_profiler.';
const RESULT = 'diagnoser.runtime.go_profiler.result.';
let service;
const REQUESTS = [
  { type: 'Heap' },
  { type: 'Profile', duration_seconds: '30' },
  { type: 'Goroutine' },
];

async function main() {
  const source = await startPprofSource(Number(process.env.DEMO_PPROF_PORT ?? 6060));
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-demo-'));
  service = await startService({ PORT: process.env.PORT ?? '8090', DATA_ROOT: dataRoot });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the demo.');
    // The service closes its viewers on SIGTERM; a Ctrl-C in the terminal has already sent it SIGINT.
    service.child.kill('SIGTERM');
    await service.exited;
    source.server.close();
    fs.rmSync(dataRoot, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  service.exited.then((code) => stopping || fail(new Error(`the service exited unexpectedly (${code})`)));

  console.log('go-profiler demo');
  console.log(`  pprof source: ${source.url}/debug/pprof/ (real Go profiles from test/fixtures/profiles)`);
  console.log(`  go-profiler:  ${service.url}/processor/goProfiler\n`);
  for (const request of REQUESTS) await profile(service.url, source.url, request);
  console.log('\nAsk for another one yourself, e.g. the allocations:');
  console.log(`  curl -s ${service.url}/processor/goProfiler -d '{"${PARAM}source": "${source.url}", "${PARAM}type": "Allocs"}'\n`);
  console.log('Ctrl-C stops the demo.');
}

/** POSTs one request with string values, as KubeDiag's executor does, and prints the answer's address and top function. */
async function profile(serviceUrl, sourceUrl, request) {
  const body = { [`${PARAM}source`]: sourceUrl, [`${PARAM}expiration_seconds`]: '3600' };
  for (const [key, value] of Object.entries(request)) body[`${PARAM}${key}`] = value;
  const response = await fetch(`${serviceUrl}/processor/goProfiler`, { method: 'POST', body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${request.type}: ${response.status} ${answer.error}`);
  const summary = JSON.parse(answer[`${RESULT}summary`]);
  const top = summary.top[0];
  console.log(`${request.type.padEnd(10)} ${answer[`${RESULT}endpoint`]}`);
  if (top) console.log(`${''.padEnd(10)} top: ${top.function} (${top.flat_percent} of ${summary.total_text} ${summary.sample_type})`);
}

/** The built service as a child process; its JSON log is read for the port and otherwise shown only when it warns. */
function startService(env) {
  const main = path.join(ROOT, 'dist', 'main.js');
  if (!fs.existsSync(main)) throw new Error('dist/main.js is missing: run `npm run demo` (it builds first)');
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { ...process.env, ADVERTISE_ADDRESS: '127.0.0.1', VIEWER_BIND_ADDRESS: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    exited.then((code) => reject(new Error(`the service exited (${code}) before listening; is port ${env.PORT} in use?`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = parseJson(line);
      if (entry.msg === 'go-profiler listening') resolve({ child, exited, url: `http://127.0.0.1:${entry.port}` });
      else if (entry.level >= 40) console.error(`service: ${entry.msg}${entry.error ? `: ${entry.error}` : ''}`);
    });
  });
}

function parseJson(line) {
  try {
    return JSON.parse(line);
  } catch {
    return { msg: line, level: 40 };
  }
}

function fail(error) {
  console.error(`demo: ${error.message}`);
  service?.child.kill('SIGTERM');
  process.exit(1);
}

main().catch(fail);
