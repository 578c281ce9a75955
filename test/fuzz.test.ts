import fs from 'node:fs';
import { fuzzTarget, FuzzResult, TARGETS } from './fuzz/fuzz-target';
import { jazzerAddon } from './fuzz/native/build-addon';

// Coverage-guided fuzzing in the test run (test/fuzz/: Jazzer.js on libFuzzer): each target for FUZZ_SECONDS
// (30 s), from the committed seeds. Any crash, hang or run over 1 s the fuzzer finds, and that replays, fails
// the test with the input; test/fuzz-regressions.test.ts is where a fixed one is kept. `npm run fuzz` runs the
// same targets for longer.
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 30);

/** Well under what the seeds alone reach: a lower count means the fuzzer no longer sees src/'s coverage. */
const MIN_COV: Record<(typeof TARGETS)[number], number> = { 'profile-gzip': 300, 'profile-raw': 300, 'goroutine-dump': 50, 'framed-log': 15 };

function describeFindings(r: FuzzResult) {
  return r.findings.map((f) => ({
    input: f.file,
    base64: fs.existsSync(f.file) && fs.statSync(f.file).size <= 4096 ? fs.readFileSync(f.file).toString('base64') : undefined,
    error: f.note ?? f.replay?.error ?? `replays in ${Math.round(f.replay?.fastestMs ?? 0)} ms`,
  }));
}

beforeAll(async () => {
  // Built once per machine (about 20 s; cached under .cache/jazzer-addon/); names the Debian package it lacks.
  await jazzerAddon();
}, 300_000);

test.each(TARGETS)(
  `%s: ${SECONDS} s of fuzzing find no crash, no hang and no run over 1 s`,
  async (target) => {
    const r = await fuzzTarget(target, { seconds: SECONDS });
    const stalls = r.stalls.length > 0 ? `; ${r.stalls.length} timeouts that did not replay (the machine was busy)` : '';
    process.stdout.write(`fuzz ${target}: ${r.runs} runs, ${r.execPerSecond} exec/s, cov: ${r.cov} ft: ${r.ft}${stalls}\n`);
    expect(describeFindings(r)).toEqual([]);
    expect(r.runs).toBeGreaterThan(0);
    expect(r.cov).toBeGreaterThan(MIN_COV[target]);
  },
  (SECONDS + 180) * 1000,
);
