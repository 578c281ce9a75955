import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { RawProfile, readProfile, ReaderOptions } from '../src/profile/read-profile';
import { READ_SAMPLES_WASM, SampleWindows } from '../src/profile/wasm-samples';
import { LENGTH_DELIMITED, VARINT } from '../src/profile/wire-reader';
import { WireWriter } from '../src/profile/merge/wire-writer';
import { buildServerProgram, writeServerProfile } from './support/server-program';

// readProfile reads the runs of samples in WebAssembly (wasm/read-samples.ts) and hands back to its JavaScript
// reader whatever the module does not judge. The JavaScript reader alone is the oracle here: for every profile,
// well-formed or broken, read through the module with any window size, the tables (or the error message) must be
// exactly what the JavaScript reader gives. decoder-equivalence.test.ts holds the whole decoder to pprof-format's.

const MAX_SAMPLES = 10_000_000;
const FIXTURES = path.join(__dirname, 'fixtures', 'profiles');

function outcome(buf: Uint8Array, reader: ReaderOptions): { raw?: RawProfile; error?: string } {
  try {
    return { raw: readProfile(buf, MAX_SAMPLES, reader) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The module's reading against the JavaScript reader's; returns the tables. */
function expectSameRead(buf: Uint8Array, window?: number): RawProfile | undefined {
  const fast = outcome(buf, { window });
  const plain = outcome(buf, { wasm: false });
  if (!isDeepStrictEqual(fast, plain)) {
    const differing = fast.raw && plain.raw ? Object.keys(plain.raw).filter((k) => !isDeepStrictEqual(fast.raw?.[k as keyof RawProfile], plain.raw?.[k as keyof RawProfile])) : [];
    throw new Error(`read differently (window ${window ?? 'default'}): ${fast.error ?? 'ok'} / ${plain.error ?? 'ok'}; fields ${differing.join(', ')}`);
  }
  return fast.raw;
}

test('the module is built and is what readProfile uses', () => {
  expect(fs.existsSync(READ_SAMPLES_WASM)).toBe(true);
  expect(SampleWindows.open(new Uint8Array(8))).not.toBeNull();
});

test.each(fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.pb.gz')))('the Go runtime\'s %s reads alike, with windows of every size', (file) => {
  const raw = zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, file)));
  for (const window of [undefined, 16, 37, 256, 4096]) expectSameRead(raw, window);
});

describe('profiles shaped like a large Go server\'s, written by Go', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-samples-'));
  const files = { heap: path.join(dir, 'heap.pb.gz'), cpu: path.join(dir, 'cpu.pb.gz'), goroutine: path.join(dir, 'goroutine.pb.gz') };
  beforeAll(async () => {
    await buildServerProgram();
    await Promise.all([
      // Several of the module's 256 KB windows, with samples across their edges.
      writeServerProfile('heap', files.heap, { paths: 20000 }),
      writeServerProfile('cpu', files.cpu, { seconds: 1, hz: 1000, paths: 300, 'min-depth': 28 }),
      writeServerProfile('goroutine', files.goroutine, { goroutines: 2000, paths: 300 }),
    ]);
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the deep heap profile (a bytes label per sample) reads alike, across many windows', () => {
    const buf = zlib.gunzipSync(fs.readFileSync(files.heap));
    expect(buf.length).toBeGreaterThan(3 * 256 * 1024);
    const raw = expectSameRead(buf) as RawProfile;
    expect(raw.sampleStart.length - 1).toBeGreaterThan(19000);
    expect(Array.from(raw.sampleBytes).filter((b) => !Number.isNaN(b)).length).toBeGreaterThan(19000);
    expectSameRead(buf, 1000);
  });

  test('the labelled CPU and the goroutine profiles (locations written between the samples) read alike', () => {
    for (const file of [files.cpu, files.goroutine]) {
      const buf = zlib.gunzipSync(fs.readFileSync(file));
      const raw = expectSameRead(buf) as RawProfile;
      expect(raw.locations.id.length).toBeGreaterThan(100);
      expectSameRead(buf, 500);
    }
    const cpu = expectSameRead(zlib.gunzipSync(fs.readFileSync(files.cpu))) as RawProfile;
    expect(cpu.labelSets.length).toBeGreaterThan(10);
  });
});

/** A profile written field by field, for the encodings the Go runtime does not use but profile.proto allows. */
function craftedProfile(options: { hugeSample?: number } = {}): Uint8Array {
  const w = new WireWriter();
  const strings = ['', 'alloc_space', 'bytes', 'main.f', 'main.g', 'handler', '/api', 'tenant', 't1', 'count'];
  const sampleType = w.beginMessage(1);
  w.optional(1, 1);
  w.optional(2, 2);
  w.endMessage(sampleType);
  const location = (id: number, fn: number) => {
    const m = w.beginMessage(4);
    w.optional(1, id);
    const line = w.beginMessage(4);
    w.optional(1, fn);
    w.optional(2, 10);
    w.endMessage(line);
    w.endMessage(m);
  };
  const label = (key: number, fields: { str?: number; num?: number | bigint; unit?: number; junk?: boolean }) => {
    const m = w.beginMessage(3);
    w.optional(1, key);
    if (fields.str) w.optional(2, fields.str);
    if (fields.num !== undefined) w.uint64Optional(3, fields.num);
    if (fields.unit) w.optional(4, fields.unit);
    if (fields.junk) {
      w.key(9, 5);
      w.bytes(new Uint8Array([1, 2, 3, 4]));
    }
    w.endMessage(m);
  };
  const ids = [1, 2, 200, 70000, 2 ** 20, 2 ** 31 - 1];
  const sample = (stack: number[], value: number | bigint, packed: boolean, extra?: () => void) => {
    const m = w.beginMessage(2);
    if (packed) {
      const p = w.beginMessage(1);
      for (const id of stack) w.varint(id);
      w.endMessage(p);
    } else {
      for (const id of stack) {
        w.key(1, VARINT);
        w.varint(id);
      }
    }
    if (typeof value === 'bigint') {
      w.key(2, VARINT);
      w.bigVarint(value);
    } else {
      const v = w.beginMessage(2);
      w.varint(value);
      w.endMessage(v);
    }
    extra?.();
    w.endMessage(m);
  };
  for (let i = 0; i < 300; i++) {
    // Locations between the samples that first use them, as the runtime writes them.
    if (i < ids.length) location(ids[i], 1 + (i % 2));
    const stack = [ids[i % ids.length], ids[(i * 7) % ids.length], ids[(i * 3) % ids.length]].slice(0, 1 + (i % 3));
    sample(stack, i % 5 === 0 ? BigInt(-i - 1) : i * 1000 + 1, i % 4 !== 0, () => {
      if (i % 3 === 0) label(2, { num: i * 64 + 1, unit: 2 });
      if (i % 6 === 0) label(9, { num: 2n ** 60n });
      if (i % 5 === 0) label(5, { str: 6, junk: true });
      if (i % 7 === 0) label(7, { str: 8 });
      if (i % 11 === 0) label(2, { unit: 9 });
      if (i % 13 === 0) {
        // An unknown field of each wire type a sample may carry.
        w.key(7, 1);
        w.bytes(new Uint8Array(8));
        w.key(8, LENGTH_DELIMITED);
        w.varint(2);
        w.bytes(new Uint8Array([5, 6]));
      }
    });
    if (i === 150 && options.hugeSample) sample(Array.from({ length: options.hugeSample }, (_, k) => ids[k % ids.length]), 7, true);
  }
  const fn = (id: number, name: number) => {
    const m = w.beginMessage(5);
    w.optional(1, id);
    w.optional(2, name);
    w.endMessage(m);
  };
  fn(1, 3);
  fn(2, 4);
  for (const s of strings) {
    w.key(6, LENGTH_DELIMITED);
    const bytes = Buffer.from(s);
    w.varint(bytes.length);
    w.bytes(bytes);
  }
  return w.view().slice();
}

test('every encoding profile.proto allows reads alike: unpacked ids and values, 10-byte varints, wide ids, labels of every kind, unknown fields', () => {
  const buf = craftedProfile();
  const raw = expectSameRead(buf) as RawProfile;
  expect(raw.stackIds).toBeInstanceOf(Int32Array);
  expect(Array.from(raw.values).some((v) => v < 0)).toBe(true);
  // The first numeric label keyed "bytes" is the sample's size, a unit-only one included (0).
  expect([raw.sampleBytes[0], raw.sampleBytes[3], raw.sampleBytes[11], raw.sampleBytes[1]]).toEqual([1, 3 * 64 + 1, 0, NaN]);
  expect(raw.labelSets.length).toBeGreaterThan(1);
  for (const window of [16, 50, 333, 2048]) expectSameRead(buf, window);
});

test('a sample larger than a window is read by the JavaScript reader, and the module goes on after it', () => {
  const buf = craftedProfile({ hugeSample: 200_000 });
  expect(buf.length).toBeGreaterThan(256 * 1024);
  const raw = expectSameRead(buf) as RawProfile;
  expect(raw.sampleStart.length - 1).toBe(301);
  expectSameRead(buf, 4096);
});

test('broken profiles (1 to 3 bytes changed, or cut short) fail or read exactly alike, whatever the window', () => {
  const originals = [craftedProfile(), ...['heap.pb.gz', 'cpu.pb.gz', 'goroutine.pb.gz'].map((f) => zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, f))))];
  let failed = 0;
  let read = 0;
  fc.assert(
    fc.property(
      fc.nat(originals.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.constantFrom(undefined, 16, 64, 700),
      (i, edits, cut, window) => {
        let bytes = Buffer.from(originals[i]);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        if (cut !== undefined) bytes = bytes.subarray(0, cut % bytes.length);
        const raw = expectSameRead(bytes, window);
        if (raw) read++;
        else failed++;
      },
    ),
    { numRuns: 2500, seed: 20261202 },
  );
  // Both outcomes are exercised, not only one.
  expect(read).toBeGreaterThan(100);
  expect(failed).toBeGreaterThan(100);
});
