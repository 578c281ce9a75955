import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { decodeProfile } from '../src/profile/decode';
import { ProfileData } from '../src/profile/profile-data';
import { referenceDecode } from './support/reference-decode';
import { buildServerProgram, writeServerProfile } from './support/server-program';
import { encodeShaped, ProfileShape, ShapedLabel, ShapedLocation, shapedProfile } from './support/shaped-profile';
import { encodeGzipped, syntheticProfile } from './support/synthetic-profile';

// The service's typed-array decoder against the reference (pprof-format + pprof's CheckValid rules): same data
// for every profile both accept.
const DIR = path.join(__dirname, 'fixtures', 'profiles');
const REAL = fs.readdirSync(DIR).filter((f) => f.endsWith('.pb.gz'));
const options = { maxBytes: 1 << 28 };

function comparable(data: ProfileData): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v]));
}

function outcome(decode: () => ProfileData): { data?: Record<string, unknown>; error?: string } {
  try {
    return { data: comparable(decode()) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

test.each(REAL)('%s decodes to exactly what the reference decoder gives', (file) => {
  const bytes = fs.readFileSync(path.join(DIR, file));
  expect(comparable(decodeProfile(bytes, options))).toEqual(comparable(referenceDecode(bytes, options)));
});

test('labels, inlining, recursion and several sample types decode alike', () => {
  const profile = syntheticProfile(
    [['alloc_space', 'bytes'], ['inuse_space', 'bytes']],
    [
      { stack: ['main.inner+main.outer', 'main.main'], values: [10, 5] },
      { stack: ['main.f', 'main.f', 'main.main'], values: [3, 0] },
    ],
    { defaultSampleType: 'alloc_space', periodType: ['space', 'bytes'], period: 524288, startLines: { 'main.main': 7 } },
  );
  const bytes = encodeGzipped(profile);
  expect(comparable(decodeProfile(bytes, options))).toEqual(comparable(referenceDecode(bytes, options)));
});

test('negative values (diff profiles) are int64, as profile.proto says', () => {
  // pprof-format reads them as uint64 (2^64 - 3); pprof itself, and this decoder, read -3.
  const bytes = encodeGzipped(syntheticProfile([['samples', 'count']], [{ stack: ['main.f'], values: [-3] }]));
  expect(Array.from(decodeProfile(bytes, options).values)).toEqual([-3]);
});

test('mutated real profiles: where both decoders accept, the data is identical (but for pprof-format quirks)', () => {
  const originals = REAL.map((f) => zlib.gunzipSync(fs.readFileSync(path.join(DIR, f))));
  const { bothAccepted, differed, disagreed } = mutations(originals, 3000, 20261122);
  expect(bothAccepted).toBeGreaterThan(100);
  // pprof-format reads a few broken encodings its own way (a field with the wrong wire type, a key whose varint
  // runs over one byte taken as its first byte); this decoder follows the protobuf encoding. Those are rare:
  console.log(`decoder equivalence: ${bothAccepted} accepted by both (${differed} decoded differently), ${disagreed} accepted by only one, of 3000`);
  expect(differed).toBeLessThanOrEqual(bothAccepted / 100);
});

// The shapes of large Go servers' profiles (issue #14): deep stacks, locations with inlined lines, labels of both
// kinds. Real ones from the bench's Go program (bench/generate-server-program.ts, built small), and built ones for
// what it does not write.
describe('profiles shaped like a large Go server\'s, written by Go', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decoder-equivalence-'));
  const HEAP = path.join(dir, 'heap.pb.gz');
  const CPU = path.join(dir, 'cpu.pb.gz');
  // Smaller ones of the same shapes to mutate: a run decodes one twice.
  const SMALL = [path.join(dir, 'small-heap.pb.gz'), path.join(dir, 'small-cpu.pb.gz')];
  beforeAll(async () => {
    await buildServerProgram();
    await Promise.all([
      writeServerProfile('heap', HEAP, { paths: 3000 }),
      writeServerProfile('cpu', CPU, { seconds: 2, hz: 1000, paths: 500, 'min-depth': 28 }),
      writeServerProfile('heap', SMALL[0], { paths: 40 }),
      writeServerProfile('cpu', SMALL[1], { seconds: 0.3, hz: 1000, paths: 20, 'min-depth': 28 }),
    ]);
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const depths = (data: ProfileData) => Array.from({ length: data.sampleStart.length - 1 }, (_, s) => data.sampleStart[s + 1] - data.sampleStart[s]);
  const lineCounts = (data: ProfileData) => new Set(Array.from({ length: data.locationMapping.length }, (_, i) => data.locationFrameStart[i + 1] - data.locationFrameStart[i]));

  test('the deep heap profile (20-45 locations, 2- and 3-line locations, a bytes label per sample) decodes exactly as the reference', () => {
    const bytes = fs.readFileSync(HEAP);
    const ours = decodeProfile(bytes, options);
    expect(comparable(ours)).toEqual(comparable(referenceDecode(bytes, options)));
    expect(Math.max(...depths(ours))).toBeGreaterThanOrEqual(40);
    expect([...lineCounts(ours)].sort()).toEqual([1, 2, 3]);
    const sized = Array.from(ours.sampleBytes).filter((b) => !Number.isNaN(b));
    expect(sized.length).toBeGreaterThanOrEqual(ours.sampleBytes.length - 5);
    expect(new Set(sized).size).toBeGreaterThan(10);
  });

  test('the labelled CPU profile (pprof.Do string labels, 30-plus frames) decodes exactly as the reference', () => {
    const bytes = fs.readFileSync(CPU);
    const ours = decodeProfile(bytes, options);
    expect(comparable(ours)).toEqual(comparable(referenceDecode(bytes, options)));
    const depth = depths(ours).sort((a, b) => a - b);
    expect(depth[Math.floor(depth.length / 2)]).toBeGreaterThanOrEqual(30);
    const labels = new Set(Array.from(ours.sampleLabels, (i) => ours.strings[i]));
    expect(labels.size).toBeGreaterThan(50);
    expect([...labels].filter((l) => /^handler:\/\S*\\ntenant:tenant-\d+\\nworker:\d+$/.test(l)).length).toBeGreaterThanOrEqual(labels.size - 2);
  });

  test('mutated, they decode alike wherever both decoders accept them (but for pprof-format quirks)', () => {
    const originals = SMALL.map((f) => zlib.gunzipSync(fs.readFileSync(f)));
    const data = SMALL.map((f) => decodeProfile(fs.readFileSync(f), options));
    // Still the shapes: deep stacks and 3-line locations in both, bytes labels in the one, string labels in the other.
    for (const d of data) expect(Math.max(...depths(d))).toBeGreaterThanOrEqual(30);
    for (const d of data) expect(lineCounts(d).has(3)).toBe(true);
    expect(Array.from(data[0].sampleBytes).some((b) => b > 0)).toBe(true);
    expect(Array.from(data[1].sampleLabels).some((l) => l > 0)).toBe(true);
    const tally = mutations(originals, 2000, 20261201);
    console.log(`decoder equivalence, server-shaped profiles: ${tally.bothAccepted} accepted by both (${tally.differed} decoded differently), ${tally.disagreed} accepted by only one, of 2000`);
    expect(tally.bothAccepted).toBeGreaterThan(200);
    expect(tally.differed).toBeLessThanOrEqual(tally.bothAccepted / 100);
  });
});

describe('built profiles of the same shapes', () => {
  const expectSame = (bytes: Buffer) => {
    const ours = decodeProfile(bytes, options);
    expect(comparable(ours)).toEqual(comparable(referenceDecode(bytes, options)));
    return ours;
  };
  const labelsOf = (data: ProfileData) => Array.from(data.sampleLabels, (i) => data.strings[i]);
  const two = (ids = [1, 2]): ShapedLocation[] => [{ id: ids[0], lines: ['main.leaf'] }, { id: ids[1], lines: ['main.main'] }];

  test('a string and a numeric label on the same samples', () => {
    const data = expectSame(
      encodeShaped({
        sampleTypes: [['alloc_objects', 'count'], ['alloc_space', 'bytes']],
        locations: two(),
        samples: [
          { stack: [1, 2], values: [1, 64], labels: [{ key: 'tenant', str: 't1' }, { key: 'bytes', num: 64 }, { key: 'handler', str: '/a' }] },
          { stack: [1, 2], values: [2, 96], labels: [{ key: 'bytes', num: 48, unit: 'bytes' }, { key: 'handler', str: '/a' }] },
          { stack: [2], values: [1, 8], labels: [{ key: 'handler', str: '/b' }] },
          { stack: [2], values: [1, 8], labels: [{ key: 'bytes', num: 8 }] },
        ],
      }),
    );
    expect(labelsOf(data)).toEqual(['handler:/a\\ntenant:t1', 'handler:/a', 'handler:/b', '']);
    expect(Array.from(data.sampleBytes)).toEqual([64, 48, NaN, 8]);
  });

  test('several numeric labels on a sample: "bytes" is the one kept, wherever it stands among them', () => {
    // What pprof itself reads (its -tags shows bytes:64B for the first sample, and so on).
    const labels: ShapedLabel[][] = [
      [{ key: 'alloc', num: 3 }, { key: 'bytes', num: 64 }],
      [{ key: 'bytes', num: 64 }, { key: 'alloc', num: 3 }],
      [{ key: 'count', num: 2, unit: 'count' }, { key: 'alloc', num: 3 }, { key: 'bytes', num: 80, unit: 'bytes' }, { key: 'bytes', num: 1 }],
      [{ key: 'bytes', str: 'big', num: 7 }, { key: 'bytes', num: 9 }],
      [{ key: 'bytes', unit: 'bytes' }],
      [{ key: 'alloc', num: 3 }, { key: 'requests', num: 5 }],
      [{ key: 'bytes', num: 0 }, { key: 'bytes', num: 12 }],
    ];
    const data = expectSame(encodeShaped({ sampleTypes: [['alloc_space', 'bytes']], locations: two(), samples: labels.map((l) => ({ stack: [1, 2], values: [5], labels: l })) }));
    expect(Array.from(data.sampleBytes)).toEqual([64, 64, 80, 9, 0, NaN, 12]);
    expect(labelsOf(data)).toEqual(['', '', '', 'bytes:big', '', '', '']);
  });

  test('a "bytes" label whose key is a second copy of "bytes" in the string table (profile.proto does not forbid it)', () => {
    const profile = shapedProfile({ sampleTypes: [['alloc_space', 'bytes']], locations: two(), samples: [{ stack: [1, 2], values: [5], labels: [{ key: 'bytes', num: 64 }] }] });
    profile.sample[0].label[0].key = profile.stringTable.strings.length;
    // string_table is a repeated field: one more entry after the message's own is the next index.
    const data = expectSame(zlib.gzipSync(Buffer.concat([profile.encode(), Buffer.from([(6 << 3) | 2, 5]), Buffer.from('bytes')])));
    expect(Array.from(data.sampleBytes)).toEqual([64]);
  });

  test('a negative numeric label is int64, as profile.proto says (pprof -tags prints -64B)', () => {
    // pprof-format reads it as uint64 (2^64 - 64), as it reads negative values.
    const bytes = encodeShaped({ sampleTypes: [['alloc_space', 'bytes']], locations: two(), samples: [{ stack: [1, 2], values: [5], labels: [{ key: 'bytes', num: -64 }] }] });
    expect(Array.from(decodeProfile(bytes, options).sampleBytes)).toEqual([-64]);
  });

  test('locations of 3 to 12 lines (inlined calls, an inlined recursion among them)', () => {
    const chain = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `main.${prefix}${i}`);
    const locations: ShapedLocation[] = [
      { id: 1, lines: chain(3, 'a') },
      { id: 2, lines: chain(5, 'b') },
      { id: 3, lines: chain(12, 'c') },
      { id: 4, lines: ['main.rec', 'main.rec', 'main.rec', 'main.outer'] },
      { id: 5, lines: [] },
      { id: 6, lines: ['main.main'] },
    ];
    const data = expectSame(
      encodeShaped({
        sampleTypes: [['samples', 'count']],
        locations,
        samples: [
          { stack: [1, 2, 3, 6], values: [1] },
          { stack: [4, 4, 5, 3, 6], values: [2] },
          { stack: [3], values: [3] },
        ],
      }),
    );
    expect(Array.from(data.locationFrameStart)).toEqual([0, 3, 8, 20, 24, 25, 26]);
    expect(Array.from(data.frameInlined.subarray(20, 24))).toEqual([1, 1, 1, 0]);
  });

  test('stacks of 100 to 2000 locations, recursive and not', () => {
    const locations: ShapedLocation[] = Array.from({ length: 600 }, (_, i) => ({ id: i + 1, lines: i % 3 === 0 ? [`main.g${i}`, `main.f${i}`] : [`main.f${i}`] }));
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    const data = expectSame(
      encodeShaped({
        sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
        locations,
        samples: [
          { stack: range(1, 100), values: [1, 10] },
          { stack: range(1, 600), values: [2, 20] },
          { stack: range(1, 2000).map((i) => (i % 7) + 1), values: [3, 30] },
          { stack: range(400, 150).reverse(), values: [4, 40], labels: [{ key: 'handler', str: '/deep' }, { key: 'bytes', num: 1 << 20 }] },
        ],
      }),
    );
    expect(Array.from(data.sampleStart)).toEqual([0, 100, 700, 2700, 2850]);
  });

  test('location, function and mapping ids sparse and out of order (1000, 5, 77777, ...)', () => {
    const ids = [1000, 5, 77777, 3, 65535, 65536, 2 ** 31 - 1];
    const data = expectSame(
      encodeShaped({
        sampleTypes: [['samples', 'count']],
        locations: ids.map((id, i) => ({ id, lines: i % 2 ? [`main.f${i}`, `main.in${i}`] : [`main.f${i}`], mapping: i % 3 === 2 ? 1 : 0 })),
        functionId: (i) => [900, 4, 60000, 2, 123456, 7, 31, 8, 99, 1e6, 11, 12][i],
        mappingIds: [9, 3],
        samples: [
          { stack: [77777, 5, 1000], values: [1] },
          { stack: [2 ** 31 - 1, 3, 65536, 65535, 1000], values: [2] },
          { stack: [5, 5, 3], values: [3] },
        ],
      }),
    );
    expect(Array.from(data.sampleLocations)).toEqual([2, 1, 0, 6, 3, 5, 4, 0, 1, 1, 3]);
  });

  test('location ids beyond 2^31 (profile.proto makes them uint64; pprof reads them)', () => {
    const ids = [2 ** 32 + 5, 7, 2 ** 40];
    const data = expectSame(
      encodeShaped({ sampleTypes: [['samples', 'count']], locations: ids.map((id, i) => ({ id, lines: [`main.f${i}`] })), samples: [{ stack: [2 ** 32 + 5, 7, 2 ** 40], values: [1] }] }),
    );
    expect(Array.from(data.sampleLocations)).toEqual([0, 1, 2]);
  });

  test('random profiles of these shapes decode alike (fast-check)', () => {
    fc.assert(
      fc.property(shapeArbitrary(), (shape) => {
        const bytes = encodeShaped(shape);
        expect(comparable(decodeProfile(bytes, options))).toEqual(comparable(referenceDecode(bytes, options)));
      }),
      { numRuns: 300, seed: 20261202 },
    );
  });

  test('mutated, they decode alike wherever both decoders accept them (but for pprof-format quirks)', () => {
    const shapes = fc.sample(shapeArbitrary(), { numRuns: 20, seed: 20261203 });
    const originals = shapes.map((shape) => shapedProfile(shape).encode()).filter((b) => b.length > 200);
    expect(originals.length).toBeGreaterThan(5);
    const tally = mutations(originals, 3000, 20261204);
    console.log(`decoder equivalence, built shapes: ${tally.bothAccepted} accepted by both (${tally.differed} decoded differently), ${tally.disagreed} accepted by only one, of 3000`);
    expect(tally.bothAccepted).toBeGreaterThan(300);
    expect(tally.differed).toBeLessThanOrEqual(tally.bothAccepted / 100);
  });
});

/** 1 to 3 byte edits of one of the (raw) originals per run: how often both decoders accept, and of those how often they differ. */
function mutations(originals: Uint8Array[], numRuns: number, seed: number) {
  const tally = { bothAccepted: 0, disagreed: 0, differed: 0 };
  fc.assert(
    fc.property(fc.nat(originals.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (i, edits) => {
      const bytes = Buffer.from(originals[i]);
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      const ours = outcome(() => decodeProfile(bytes, options));
      const reference = outcome(() => referenceDecode(bytes, options));
      if (ours.data && reference.data) {
        tally.bothAccepted++;
        if (!isDeepStrictEqual(ours.data, reference.data)) tally.differed++;
      } else if (Boolean(ours.data) !== Boolean(reference.data)) tally.disagreed++;
    }),
    { numRuns, seed },
  );
  return tally;
}

/**
 * Profiles of the new shapes at random: ids dense or sparse and in any order, locations of 0 to 8 lines, stacks up
 * to 150 deep, string and numeric labels mixed on a sample ("bytes" anywhere among them).
 */
function shapeArbitrary(): fc.Arbitrary<ProfileShape> {
  const id = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }));
  const functionName = fc.integer({ min: 0, max: 30 }).map((i) => `main.f${i}`);
  const label: fc.Arbitrary<ShapedLabel> = fc.record({
    key: fc.constantFrom('bytes', 'alloc', 'handler', 'tenant', ''),
    kind: fc.constantFrom('str', 'num', 'unit', 'num+unit', 'str+num'),
    str: fc.constantFrom('/a', '/b', 't1', 'x:y', 'bytes'),
    num: fc.integer({ min: 0, max: 2 ** 40 }),
  }).map(({ key, kind, str, num }) => ({
    key,
    ...(kind.includes('str') ? { str } : {}),
    ...(kind.includes('num') ? { num } : {}),
    ...(kind.includes('unit') ? { unit: key === 'bytes' ? 'bytes' : 'count' } : {}),
  }));
  return fc
    .record({
      ids: fc.uniqueArray(id, { minLength: 1, maxLength: 40 }),
      lines: fc.array(fc.array(functionName, { maxLength: 8 }), { minLength: 40, maxLength: 40 }),
      typeCount: fc.integer({ min: 1, max: 3 }),
      functionIds: fc.uniqueArray(id, { minLength: 31, maxLength: 31 }),
      samples: fc.array(
        fc.record({
          stack: fc.array(fc.nat(), { maxLength: 150 }),
          values: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
          labels: fc.array(label, { maxLength: 5 }),
        }),
        { maxLength: 12 },
      ),
    })
    .map(({ ids, lines, typeCount, functionIds, samples }) => ({
      sampleTypes: (['alloc_objects', 'alloc_space', 'inuse_space'] as const).slice(0, typeCount).map((t): [string, string] => [t, t.endsWith('space') ? 'bytes' : 'count']),
      locations: ids.map((locationId, i) => ({ id: locationId, lines: lines[i] })),
      functionId: (i: number) => functionIds[i],
      samples: samples.map((s) => ({ stack: s.stack.map((k) => ids[k % ids.length]), values: s.values.slice(0, typeCount), labels: s.labels })),
    }));
}
