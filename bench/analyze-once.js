// One measurement in a fresh process: decode + aggregate a profile file as the service's worker does, with the
// built code in dist/ (as the service runs it: no TypeScript compiler loaded to skew the peak), then print the wall
// time of that work and the process's peak RSS as JSON. `npm run bench` builds dist/ first.
'use strict';
const fs = require('node:fs');
const { analyze } = require('../dist/report/analyze');

const bytes = fs.readFileSync(process.argv[2]);
const started = performance.now();
const { data } = analyze(bytes, { maxBytes: 1 << 30 });
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, peakRssKb: process.resourceUsage().maxRSS, samples: data.sampleStart.length - 1 }) + '\n');
