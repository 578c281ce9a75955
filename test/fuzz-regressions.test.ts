import fs from 'node:fs';
import path from 'node:path';
import { ProfileError } from '../src/errors';
import { decodeProfile } from '../src/profile/decode';
import { readProfile } from '../src/profile/read-profile';
import { parseGoroutineDump } from '../src/report/goroutines';
import { fuzz as framedLog } from './fuzz/targets/framed-log';
import { fuzz as goroutineDump } from './fuzz/targets/goroutine-dump';
import { fuzz as profileGzip } from './fuzz/targets/profile-gzip';
import { fuzz as profileRaw } from './fuzz/targets/profile-raw';

// The fuzz targets' invariants (test/fuzz/targets/) on every committed input, without the fuzzer: the seed
// corpora, and the inputs of findings once fixed (test/fuzz/regressions/<target>/, each also asserted below).
// FUZZ_EXTRA_CORPUS=<dir> adds <dir>/<target>/corpus/ (what `npm run fuzz` generated, in test-output/fuzz/):
// run under jest --coverage, that measures the line and branch coverage the fuzzing reached.
const FUZZ = path.join(__dirname, 'fuzz');
const TARGETS = { 'profile-gzip': profileGzip, 'profile-raw': profileRaw, 'goroutine-dump': goroutineDump, 'framed-log': framedLog };

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe.each(Object.entries(TARGETS))('%s', (target, fuzz) => {
  const extra = process.env.FUZZ_EXTRA_CORPUS ? [path.join(process.env.FUZZ_EXTRA_CORPUS, target, 'corpus')] : [];
  const inputs = [path.join(FUZZ, 'corpus', target), path.join(FUZZ, 'regressions', target), ...extra].flatMap(filesUnder);

  test(`its ${inputs.length} committed inputs keep the invariant`, () => {
    expect(inputs.length).toBeGreaterThan(0);
    for (const file of inputs) {
      try {
        fuzz(fs.readFileSync(file));
      } catch (error) {
        throw new Error(`${path.relative(FUZZ, file)}: ${(error as Error).message}`);
      }
    }
  });
});

describe('findings, fixed', () => {
  test('goroutine dump: a "created by" line ending in a long run of spaces parses in linear time', () => {
    // CREATED_BY's lazy (.*?) before \s*$ backtracked over the run: 30 KB took 1.8 s, 100 KB 20 s.
    const text = `goroutine 1 [chan receive]:\nmain.f()\n\t/src/main.go:3 +0x1\ncreated by main.start${' '.repeat(200_000)}x\n`;
    const started = performance.now();
    const dump = parseGoroutineDump(text);
    expect(performance.now() - started).toBeLessThan(500);
    expect(dump.groups[0].createdBy).toBe(`main.start${' '.repeat(200_000)}x`);
    goroutineDump(Buffer.from(text));
  });

  test('goroutine dump: trailing white space and " in goroutine N" still leave the creator alone', () => {
    const dump = parseGoroutineDump('goroutine 7 [select]:\nmain.g()\n\t/src/main.go:9\ncreated by main.start in goroutine 1 \r\n\t/src/main.go:5 +0x5a\n');
    expect(dump.groups[0]).toMatchObject({ createdBy: 'main.start', stack: [{ function: 'main.g', file: '/src/main.go', line: 9 }] });
  });

  test('profile: a field key past 32 bits is an unknown field, skipped, as pprof skips it', () => {
    // Its number wrapped to sample.value (2^32 + 16) in the decoding pass but not in the counting pass: the
    // sample read [5] instead of [7].
    const bytes = fs.readFileSync(path.join(FUZZ, 'regressions', 'profile-raw', 'key-past-32-bits.pb'));
    expect(Array.from(decodeProfile(bytes, { maxBytes: 1 << 20 }).values)).toEqual([7, 9]);
  });

  test('profile: a packed value whose varint runs on past the packed field is refused, by both readers', () => {
    // Sample values packed as [0x12, 0xe8] with 0xe8's continuation running into the next field: the JavaScript
    // reader took 0xe8 0x5d as the value and read on from inside the next field, which turned three of its bytes
    // into stack entries the counting pass never saw; the module's next window then wrote past the stacks' array
    // (a RangeError, found by CI's fuzzing). go tool pprof refuses the file too.
    const bytes = fs.readFileSync(path.join(FUZZ, 'regressions', 'profile-raw', 'packed-value-past-its-end.pb'));
    for (const reader of [{ wasm: false }, {}, { window: 7 }]) {
      expect(() => readProfile(bytes, 1000, reader)).toThrow(ProfileError);
      expect(() => readProfile(bytes, 1000, reader)).toThrow(/truncated \(a packed field runs past its end\) at byte 63/);
    }
  });
});
