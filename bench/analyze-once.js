// One measurement in a fresh process: decode + aggregate a profile file as the service's worker does, with the
// built code in dist/ (as the service runs it: no TypeScript compiler loaded to skew the peak), then print the wall
// time of that work and the process's peak RSS as JSON. `npm run bench` builds dist/ first.
//
// With a second argument, a goroutine?debug=2 dump: after the profile's figures are taken (its peak RSS included),
// the same process parses the dump as the viewer's goroutine view does (parseGoroutineDump on the text the service
// fetched), timed on its own; the text's UTF-8 decoding, which the fetch does, is timed apart.
//
// The peak RSS (of the first run) is this process's own high-water mark (VmHWM). Not process.resourceUsage().maxRSS: on Linux that
// carries the parent's RSS at fork over the exec, so a bench parent of 150 MB made every child's peak 150 MB.
'use strict';
const fs = require('node:fs');
const { analyze } = require('../dist/report/analyze');
// As a decode worker does when it starts, before it takes a profile: its WebAssembly compiled, and the decoder run on
// the worker's own small profiles (dist/workers/warm-up.js). With BENCH_COLD=1, neither: the first decode of a fresh
// process, as a one-shot command would run it.
if (process.env.BENCH_COLD !== '1') {
  require('../dist/wasm-module').compileWasmModules();
  require('../dist/workers/warm-up').warmUpDecoder({ maxBytes: 1 << 30 });
}

// The decode frees the file's bytes once gunzipped, as a worker frees its own copy of a fetched profile (their
// buffer detached); the later runs read the file again.
const input = fs.readFileSync(process.argv[2]);
// What the process holds before the decode (Node, the loaded code, the file's bytes): the peak less this is what the
// decode itself costs, as it does a running service, which pays for the rest once.
const startRssKb = rssKb();
const started = performance.now();
const { data } = analyze(input, { maxBytes: 1 << 30, releaseInput: true });
const ms = performance.now() - started;
const result = { ms, peakRssKb: peakRssKb(), startRssKb, samples: data.sampleStart.length - 1 };
// Then the same work again in the same process, as a long-running service's worker threads do it: V8 has compiled
// the decoder's hot code by then (the first run above includes that compiling, which dominates small profiles).
// Up to 20 more runs within about 5 s; the figure is the median of the second half.
const bytes = fs.readFileSync(process.argv[2]);
const warm = [];
for (const begun = performance.now(); warm.length < 20 && performance.now() - begun < 5000; ) {
  const again = performance.now();
  analyze(bytes, { maxBytes: 1 << 30 });
  warm.push(performance.now() - again);
}
const settled = warm.slice(Math.floor(warm.length / 2)).sort((a, b) => a - b);
result.warmMs = settled[Math.floor(settled.length / 2)];
if (process.argv[3]) {
  const { parseGoroutineDump } = require('../dist/report/goroutines');
  const dumpBytes = fs.readFileSync(process.argv[3]);
  const decodeStarted = performance.now();
  const text = dumpBytes.toString('utf8');
  const parseStarted = performance.now();
  const dump = parseGoroutineDump(text);
  const parsed = performance.now();
  result.dump = { ms: parsed - parseStarted, utf8Ms: parseStarted - decodeStarted, bytes: dumpBytes.length, goroutines: dump.total, groups: dump.groups.length, peakRssKb: peakRssKb() };
}
process.stdout.write(JSON.stringify(result) + '\n');

/** This process's peak RSS in KiB, from its own memory map's high-water mark. */
function peakRssKb() {
  return statusKb('VmHWM');
}

function rssKb() {
  return statusKb('VmRSS');
}

function statusKb(field) {
  const found = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!found) throw new Error(`no ${field} in /proc/self/status`);
  return Number(found[1]);
}
