// The floor of a profile file, in a fresh process as analyze-once.js runs: what any decoder of it must at least do,
// measured on the same bytes. gunzip alone (zlib.gunzipSync), then one pass of the protobuf reader the decoder uses
// (dist/profile/wire-reader.js) that only walks the fields: every top-level field's key, skipped by its varint or
// length, and within each Sample message its fields (location ids, values, labels) the same way, without decoding
// the packed arrays. Prints the wall time of each part, their sum, the process's peak RSS and the fields walked as
// JSON. `npm run bench` builds dist/ first.
//
// The peak RSS is this process's own high-water mark (VmHWM). Not process.resourceUsage().maxRSS: on Linux that
// carries the parent's RSS at fork over the exec, so a bench parent of 150 MB made every child's peak 150 MB.
'use strict';
const fs = require('node:fs');
const zlib = require('node:zlib');
const { WireReader, LENGTH_DELIMITED } = require('../dist/profile/wire-reader');

const SAMPLE = 2; // Profile.sample

/** The fields of raw protobuf bytes walked: how many, how many samples, how many fields within samples. */
function walk(raw) {
  const reader = new WireReader(raw);
  const counts = { fields: 0, samples: 0, sampleFields: 0 };
  while (!reader.done) {
    const key = reader.key();
    counts.fields++;
    if (key >>> 3 === SAMPLE && (key & 7) === LENGTH_DELIMITED) {
      // The same reader walks the sample's fields (no object per sample), up to the sample's end.
      const end = reader.lengthEnd();
      while (reader.pos < end) {
        reader.skip(reader.key() & 7);
        counts.sampleFields++;
      }
      if (reader.pos !== end) throw reader.broken('a sample field runs past its sample');
      counts.samples++;
    } else {
      reader.skip(key & 7);
    }
  }
  return counts;
}

// Warmed up as analyze-once.js warms the decoder (unless BENCH_COLD=1): the same walk over the decode worker's own
// warm-up profiles first, so that the floor's JavaScript is as compiled as the decoder's.
// In the same rounds: the whole profiles, then the later rounds' shares of them.
if (process.env.BENCH_COLD !== '1') {
  const { WARM_UP_ROUNDS, WARM_UP_SCALE, warmUpProfiles } = require('../dist/workers/warm-up');
  for (let round = 0; round < WARM_UP_ROUNDS; round++) for (const profile of warmUpProfiles(round === 0 ? 1 : WARM_UP_SCALE)) walk(zlib.gunzipSync(profile));
}

const bytes = fs.readFileSync(process.argv[2]);
const started = performance.now();
const raw = zlib.gunzipSync(bytes);
const gunzipped = performance.now();
const { fields, samples, sampleFields } = walk(raw);
const walked = performance.now();
process.stdout.write(
  JSON.stringify({
    ms: walked - started,
    gunzipMs: gunzipped - started,
    walkMs: walked - gunzipped,
    peakRssKb: peakRssKb(),
    rawBytes: raw.length,
    fields,
    samples,
    sampleFields,
  }) + '\n',
);

/** This process's peak RSS in KiB, from its own memory map's high-water mark. */
function peakRssKb() {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!hwm) throw new Error('no VmHWM in /proc/self/status');
  return Number(hwm[1]);
}
