// One measurement in a fresh process: decode + aggregate a profile file as the service's worker does, then print
// the wall time of that work and the process's peak RSS as JSON.
import fs from 'node:fs';
import { analyze } from '../src/report/analyze';

const bytes = fs.readFileSync(process.argv[2]);
const started = performance.now();
const { data } = analyze(bytes, { maxBytes: 1 << 30 });
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, peakRssKb: process.resourceUsage().maxRSS, samples: data.sampleStart.length - 1 }) + '\n');
