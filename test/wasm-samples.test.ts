import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { decodeProfile } from '../src/profile/decode';
import { RawProfile, readProfile, ReaderOptions } from '../src/profile/read-profile';
import { READ_SAMPLES_WASM, SampleWindows } from '../src/profile/wasm-samples';
import { LENGTH_DELIMITED, VARINT } from '../src/profile/wire-reader';
import { WireWriter } from '../src/profile/merge/wire-writer';
import { buildServerProgram, writeServerProfile } from './support/server-program';
import { shapedProfile } from './support/shaped-profile';

// readProfile reads samples, locations, functions, mappings and strings in WebAssembly (wasm/read-samples.ts) and
// hands back to its JavaScript reader whatever the module does not judge. The JavaScript reader alone is the
// oracle here: for every profile, well-formed or broken, read through the module with any window size (small ones
// also fill its table areas), the tables (or the error message) must be exactly what the JavaScript reader gives.
// decoder-equivalence.test.ts holds the whole decoder to pprof-format's.

const MAX_SAMPLES = 10_000_000;
const FIXTURES = path.join(__dirname, 'fixtures', 'profiles');

type Tables = Omit<RawProfile, 'stringsDistinct'>;

/**
 * The tables read, or the error. stringsDistinct is left out: only the module hashes the strings, so the
 * JavaScript reader never tells; where the module does, it must be right.
 */
function outcome(buf: Uint8Array, reader: ReaderOptions): { raw?: Tables; error?: string } {
  try {
    const { stringsDistinct, ...raw } = readProfile(buf, MAX_SAMPLES, reader);
    if (stringsDistinct && new Set(raw.strings).size !== raw.strings.length) throw new Error('strings said to be distinct are not');
    return { raw };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The module's reading against the JavaScript reader's; returns the tables. */
function expectSameRead(buf: Uint8Array, window?: number): Tables | undefined {
  const fast = outcome(buf, { window });
  const plain = outcome(buf, { wasm: false });
  if (!isDeepStrictEqual(fast, plain)) {
    const differing = fast.raw && plain.raw ? Object.keys(plain.raw).filter((k) => !isDeepStrictEqual(fast.raw?.[k as keyof Tables], plain.raw?.[k as keyof Tables])) : [];
    throw new Error(`read differently (window ${window ?? 'default'}): ${fast.error ?? 'ok'} / ${plain.error ?? 'ok'}; fields ${differing.join(', ')}`);
  }
  return fast.raw;
}

test('the module is built and is what readProfile uses', () => {
  expect(fs.existsSync(READ_SAMPLES_WASM)).toBe(true);
  expect(SampleWindows.open(new Uint8Array(8))).not.toBeNull();
});

test('the module reads the samples and tables of Go\'s profiles itself, leaving the JavaScript reader a few fields', () => {
  const read = SampleWindows.prototype.read;
  const taken = { samples: 0, locations: 0, lines: 0, functions: 0, mappings: 0, strings: 0, others: 0 };
  const narrow: boolean[] = [];
  const spy = jest.spyOn(SampleWindows.prototype, 'read').mockImplementation(function (this: SampleWindows, pos, end, wide, narrowValues, valueCount, base, take, other) {
    narrow.push(narrowValues);
    const counted: typeof take = (w) => {
      for (const k of ['samples', 'locations', 'lines', 'functions', 'mappings', 'strings'] as const) taken[k] += w[k];
      take(w);
    };
    return read.call(this, pos, end, wide, narrowValues, valueCount, base, counted, (at) => {
      taken.others++;
      other(at);
    });
  });
  try {
    const raw = readProfile(zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, 'goroutine.pb.gz'))), MAX_SAMPLES);
    expect(taken).toEqual({
      samples: raw.sampleStart.length - 1,
      locations: raw.locations.id.length,
      lines: raw.locations.lineFunction.length,
      functions: raw.functions.id.length,
      mappings: raw.mappings.id.length,
      strings: raw.strings.length,
      others: expect.any(Number),
    });
    expect(taken.others).toBeLessThan(10);
    expect(raw.stringsDistinct).toBe(true);
    // Every value fits 32 bits: read narrow throughout (half the memory while the bytes are held), doubles after.
    expect(narrow.length).toBeGreaterThan(0);
    expect(narrow.every(Boolean)).toBe(true);
    expect(raw.values).toBeInstanceOf(Float64Array);
  } finally {
    spy.mockRestore();
  }
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
    const raw = expectSameRead(buf) as Tables;
    expect(raw.sampleStart.length - 1).toBeGreaterThan(19000);
    expect(Array.from(raw.sampleBytes).filter((b) => !Number.isNaN(b)).length).toBeGreaterThan(19000);
    expectSameRead(buf, 1000);
  });

  test('the labelled CPU and the goroutine profiles (locations written between the samples) read alike', () => {
    for (const file of [files.cpu, files.goroutine]) {
      const buf = zlib.gunzipSync(fs.readFileSync(file));
      const raw = expectSameRead(buf) as Tables;
      expect(raw.locations.id.length).toBeGreaterThan(100);
      expectSameRead(buf, 500);
    }
    const cpu = expectSameRead(zlib.gunzipSync(fs.readFileSync(files.cpu))) as Tables;
    expect(cpu.labelSets.start.length - 1).toBeGreaterThan(10);
  });
});

/** A profile written field by field, for the encodings the Go runtime does not use but profile.proto allows. */
function craftedProfile(options: { hugeSample?: number; bigValues?: bigint[] } = {}): Uint8Array {
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
    const big = options.bigValues && i % 37 === 17 ? options.bigValues[Math.floor(i / 37) % options.bigValues.length] : undefined;
    sample(stack, big ?? (i % 5 === 0 ? BigInt(-i - 1) : i * 1000 + 1), i % 4 !== 0, () => {
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
  const raw = expectSameRead(buf) as Tables;
  expect(raw.stackIds).toBeInstanceOf(Int32Array);
  expect(Array.from(raw.values).some((v) => v < 0)).toBe(true);
  // The first numeric label keyed "bytes" is the sample's size, a unit-only one included (0).
  expect([raw.sampleBytes[0], raw.sampleBytes[3], raw.sampleBytes[11], raw.sampleBytes[1]]).toEqual([1, 3 * 64 + 1, 0, NaN]);
  expect(raw.labelSets.start.length - 1).toBeGreaterThan(1);
  for (const window of [16, 50, 333, 2048]) expectSameRead(buf, window);
});

test('values past 32 bits, which the module leaves to the JavaScript reader, read alike and exactly, whatever the window', () => {
  // The module writes values as int32 while the profile's bytes are held; a sample with one outside that range is
  // read by the JavaScript reader, and the values are doubles from then on.
  const bigValues = [2n ** 31n, -(2n ** 31n) - 1n, 2n ** 40n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 31n - 1n, -(2n ** 31n)];
  const buf = craftedProfile({ bigValues });
  const raw = expectSameRead(buf) as Tables;
  expect(raw.values).toBeInstanceOf(Float64Array);
  for (const big of bigValues) expect(Array.from(raw.values)).toContain(Number(big));
  for (const window of [16, 50, 333, 2048]) expectSameRead(buf, window);
});

test('a sample larger than a window is read by the JavaScript reader, and the module goes on after it', () => {
  const buf = craftedProfile({ hugeSample: 200_000 });
  expect(buf.length).toBeGreaterThan(256 * 1024);
  const raw = expectSameRead(buf) as Tables;
  expect(raw.sampleStart.length - 1).toBe(301);
  expectSameRead(buf, 4096);
});

/** Message `field`, its contents written by fill(). */
function writeMessage(w: WireWriter, field: number, fill: () => void): void {
  const m = w.beginMessage(field);
  fill();
  w.endMessage(m);
}

/**
 * A profile of every kind of table row profile.proto allows: locations of no line, one and several (inlined), with
 * every optional field and unknown ones, functions and mappings with values past what the module writes (read by
 * the JavaScript reader), keys written in more bytes than they need, strings of every kind of UTF-8.
 */
function craftedTables(): Uint8Array {
  const w = new WireWriter();
  const unknownFields = (from: number) => {
    w.key(from, 1);
    w.bytes(new Uint8Array(8));
    w.key(from + 1, 5);
    w.bytes(new Uint8Array(4));
    w.key(from + 2, LENGTH_DELIMITED);
    w.varint(2);
    w.bytes(new Uint8Array([7, 8]));
    w.key(from + 3, VARINT);
    w.bigVarint(2n ** 63n);
  };
  // paddedKey: the key written in two bytes (0x80 | key, 0), the same field to a protobuf decoder.
  const message = (field: number, fill: () => void, paddedKey = false) => {
    if (paddedKey) {
      w.bytes(new Uint8Array([((field << 3) | LENGTH_DELIMITED) | 0x80, 0]));
      const mark = w.length;
      w.bytes(new Uint8Array(1));
      fill();
      const size = w.length - mark - 1;
      expect(size).toBeLessThan(128);
      w.buf[mark] = size;
      return;
    }
    writeMessage(w, field, fill);
  };
  message(1, () => {
    w.optional(1, 1);
    w.optional(2, 2);
  });
  for (let i = 0; i < 40; i++) {
    message(3, () => {
      w.optional(1, i + 1);
      w.optional(2, 0x400000 * (i + 1));
      w.uint64Optional(3, 2n ** 47n + BigInt(i));
      w.optional(4, i);
      w.optional(5, 3 + (i % 5));
      w.optional(6, 4 + (i % 3));
      for (let f = 7; f <= 10; f++) w.optional(f, i % 2);
      if (i % 4 === 0) unknownFields(11);
      // Past what the module writes: an id past 2^31, a string index past 2^31.
      if (i === 7) w.optional(1, 2 ** 31 + 7);
      if (i === 9) w.optional(5, 2 ** 33);
    }, i % 10 === 3);
  }
  for (let i = 0; i < 120; i++) {
    message(5, () => {
      w.optional(1, i + 1);
      w.optional(2, 3 + (i % 9));
      w.optional(3, 3 + (i % 7));
      w.optional(4, 5 + (i % 4));
      w.optional(5, i * 10);
      if (i % 5 === 0) unknownFields(6);
      if (i % 11 === 0) w.optional(2, 4); // repeated: the last wins
      if (i === 13) w.optional(5, -5); // a negative start line, ten bytes
      if (i === 17) w.optional(3, 2 ** 40);
    }, i % 13 === 5);
  }
  for (let i = 0; i < 300; i++) {
    message(4, () => {
      w.optional(1, i + 1);
      w.optional(2, 1 + (i % 40));
      w.uint64Optional(3, 0x401000n + BigInt(i) * 16n);
      for (let l = 0; l < i % 4; l++) {
        message(4, () => {
          w.optional(1, 1 + ((i + l) % 120));
          w.optional(2, 10 + l);
          if (i % 3 === 0) w.optional(3, 7);
          if (i % 17 === 0) unknownFields(4);
          if (i === 40 && l === 1) w.optional(2, -1); // a negative line
          if (i === 41) w.optional(1, 2 ** 35);
        });
      }
      if (i % 7 === 0) w.optional(5, 1);
      if (i % 9 === 0) unknownFields(6);
      if (i === 50) w.optional(2, 2 ** 32 + 1);
    }, i % 29 === 2);
    // A sample now and then between the locations, as the runtime writes them.
    if (i % 10 === 9) {
      message(2, () => {
        const ids = w.beginMessage(1);
        w.varint(i + 1);
        w.varint(i);
        w.endMessage(ids);
        w.optional(2, i);
      }, i % 30 === 29);
    }
  }
  const strings = ['', 'samples', 'count', 'main.f', 'main.g', '/src/main.go', 'café', '日本語', 'x'.repeat(300), 'a\u0000b'];
  for (const s of strings) {
    message(6, () => w.bytes(Buffer.from(s)), s === 'main.g');
  }
  // Bytes that are not UTF-8, and a byte-order mark, decoded as TextDecoder decodes them.
  for (const bytes of [[0xff, 0x41], [0xef, 0xbb, 0xbf, 0x41], [0xc3], [0x41, 0x80, 0x42]]) {
    w.key(6, LENGTH_DELIMITED);
    w.varint(bytes.length);
    w.bytes(new Uint8Array(bytes));
  }
  return w.view().slice();
}

test('every encoding of locations, lines, functions, mappings and strings reads alike, whatever the window', () => {
  const buf = craftedTables();
  const raw = expectSameRead(buf) as Tables;
  expect(raw.locations.id.length).toBe(300);
  expect(raw.locations.lineStart.length).toBe(301);
  expect(raw.functions.startLine[13]).toBe(-5);
  expect(raw.mappings.id[7]).toBe(2 ** 31 + 7);
  expect(raw.strings.slice(6, 8)).toEqual(['café', '日本語']);
  for (const window of [16, 40, 100, 333, 2048]) expectSameRead(buf, window);
});

/** A small profile of two functions whose names are the given strings (indices 3 and 4 of its string table). */
function twoFunctions(names: [string, string]): Uint8Array {
  const w = new WireWriter();
  const message = (field: number, fill: () => void) => writeMessage(w, field, fill);
  message(1, () => {
    w.optional(1, 1);
    w.optional(2, 2);
  });
  for (const id of [1, 2]) {
    message(4, () => {
      w.optional(1, id);
      message(4, () => w.optional(1, id));
    });
    message(5, () => {
      w.optional(1, id);
      w.optional(2, 2 + id);
    });
  }
  message(2, () => {
    w.optional(1, 1);
    w.optional(1, 2);
    w.optional(2, 5);
  });
  for (const text of ['', 'samples', 'count', ...names]) message(6, () => w.bytes(Buffer.from(text)));
  return w.view().slice();
}

test('strings alike are told apart from distinct ones, and deduplicated either way', () => {
  expect(readProfile(twoFunctions(['main.f', 'main.g']), MAX_SAMPLES).stringsDistinct).toBe(true);
  for (const names of [['main.f', 'main.f'], ['main.f', 'samples'], ['é', 'main.g']] as Array<[string, string]>) {
    const buf = twoFunctions(names);
    expect(readProfile(buf, MAX_SAMPLES).stringsDistinct).toBe(false);
    expectSameRead(buf);
  }
  const data = decodeProfile(twoFunctions(['main.f', 'main.f']), { maxBytes: 1 << 20 });
  expect(data.strings).toEqual(['', 'main.f']);
  expect(Array.from(data.frameName)).toEqual([1, 1]);
});

test('a label or a line whose last byte is a key of the wrong wire type fails alike (the module once read it)', () => {
  const buf = twoFunctions(['main.f', 'main.g']);
  for (const [field, bytes] of [[3, [0x08, 0x01, 0x0e]], [4, [0x08, 0x01, 0x16]]] as const) {
    // A sample (or a location) appended after the string table, its last message ending in field 1 of wire type 6.
    const w = new WireWriter();
    writeMessage(w, field === 3 ? 2 : 4, () => {
      if (field === 3) w.optional(2, 1);
      else w.optional(1, 9);
      w.key(field, LENGTH_DELIMITED);
      w.varint(bytes.length);
      w.bytes(new Uint8Array(bytes));
    });
    const broken = Buffer.concat([buf, w.view()]);
    for (const window of [undefined, 16, 64]) expect(expectSameRead(broken, window)).toBeUndefined();
  }
});

test('the module\'s memory, kept between profiles, reads each profile afresh', () => {
  const profiles = [craftedTables(), craftedProfile(), ...['goroutine.pb.gz', 'heap.pb.gz'].map((f) => zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, f))))];
  for (let round = 0; round < 2; round++) for (const buf of profiles) expectSameRead(buf);
});

/** Profiles written by pprof-format, of ids up to 2^31 (five-byte varints), inlined lines and labels of both kinds. */
function builtShapes(): Uint8Array[] {
  return [3, 7, 11].map((seed) => {
    const ids = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 2 ** 31 - 1 - i * seed : 1 + ((i * seed * 7919) % 3000)));
    return shapedProfile({
      sampleTypes: [['alloc_objects', 'count'], ['alloc_space', 'bytes']],
      locations: ids.map((id, i) => ({ id, lines: Array.from({ length: i % 4 }, (_, l) => `main.f${(i + l * seed) % 17}`) })),
      functionId: (i) => (i % 2 ? 2 ** 31 - 2 - i : 1 + i * seed),
      samples: Array.from({ length: 12 }, (_, s) => ({
        stack: Array.from({ length: 1 + ((s * seed) % 25) }, (_, k) => ids[(s + k * seed) % ids.length]),
        values: [s, s * 1000],
        labels: [{ key: 'bytes', num: s * 64 }, ...(s % 2 ? [{ key: 'handler', str: `/h${s % 3}` }] : []), ...(s % 3 ? [{ key: 'n', num: s, unit: 'count' }] : [])],
      })),
    }).encode();
  });
}

test('broken profiles (1 to 3 bytes changed, or cut short) fail or read exactly alike, whatever the window', () => {
  const originals = [craftedProfile(), craftedTables(), ...builtShapes(), ...['heap.pb.gz', 'cpu.pb.gz', 'goroutine.pb.gz'].map((f) => zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, f))))];
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
    { numRuns: 4000, seed: 20261202 },
  );
  // Both outcomes are exercised, not only one.
  expect(read).toBeGreaterThan(100);
  expect(failed).toBeGreaterThan(100);
});
