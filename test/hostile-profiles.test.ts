import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { ProfileError } from '../src/errors';
import { analyze } from '../src/report/analyze';
import { topTable } from '../src/report/top';

// Property test: random bytes and mutations of real profiles either decode into a usable model or fail with a
// ProfileError naming the problem; nothing else escapes, and nothing takes a second.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100_000);
const DIR = path.join(__dirname, 'fixtures', 'profiles');
const REAL = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.pb.gz'))
  .map((f) => zlib.gunzipSync(fs.readFileSync(path.join(DIR, f))));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(original: Buffer, steps: Mutation[]): Buffer {
  let bytes = Buffer.from(original);
  for (const step of steps) {
    const at = step.at % Math.max(1, bytes.length);
    if (step.kind === 'flip') for (let i = 0; i < step.count; i++) bytes[(at + i * 7) % bytes.length] ^= 1 << step.bit;
    if (step.kind === 'truncate') bytes = bytes.subarray(0, at);
    if (step.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(step.bytes), bytes.subarray(at)]);
    if (step.kind === 'overwrite') Buffer.from(step.bytes).copy(bytes, at);
  }
  return bytes;
}

const input = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(REAL.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([i, steps, gzip]) => {
    const bytes = mutate(REAL[i], steps);
    return gzip ? zlib.gzipSync(bytes) : bytes;
  }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)) },
);

test(`${RUNS} random and mutated real profiles: a model or a ProfileError, each within 1 s`, () => {
  let decoded = 0;
  let refused = 0;
  let slowest = 0;
  fc.assert(
    fc.property(input, (bytes) => {
      const started = performance.now();
      try {
        const { data, model } = analyze(bytes, { maxBytes: 16 * 1024 * 1024 });
        topTable(data, model, data.defaultSampleIndex);
        decoded++;
      } catch (error) {
        if (!(error instanceof ProfileError)) throw error;
        expect(error.message).toMatch(/^(decompressing|parsing|invalid|decoding) profile/);
        refused++;
      }
      slowest = Math.max(slowest, performance.now() - started);
      expect(performance.now() - started).toBeLessThan(1000);
    }),
    { numRuns: RUNS },
  );
  expect(decoded).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
}, 900_000);
