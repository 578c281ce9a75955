import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadConfig } from '../src/config';
import { readProfile } from '../src/profile/read-profile';
import { analyze } from '../src/report/analyze';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { builtProfile, warmUp } from '../src/workers/warm-up';

// A decode worker of the service decodes two built-in profiles before it takes jobs (src/workers/warm-up.ts), so
// that the first profile a user sends runs V8's optimized code. What it must not do is change any result.

const FIXTURES = path.join(__dirname, 'fixtures', 'profiles');

test('the built-in profiles have the shapes of the profiles users send', () => {
  const heap = readProfile(zlib.gunzipSync(builtProfile({ samples: 3000, locations: 1500, labels: 'bytes', idBase: 1 })), 1e6);
  expect(heap.sampleStart.length - 1).toBe(3000);
  expect(heap.stackIds).toBeInstanceOf(Uint16Array);
  expect(Array.from(heap.sampleBytes).every((b) => b > 0)).toBe(true);
  // Locations with inlined calls (several lines), and stacks 20 to 40 deep.
  const lines = heap.locations.lineStart.map((start, i) => (i + 1 < heap.locations.lineStart.length ? heap.locations.lineStart[i + 1] : heap.locations.lineFunction.length) - start);
  expect(Math.max(...lines)).toBe(3);
  const cpu = readProfile(zlib.gunzipSync(builtProfile({ samples: 1500, locations: 1200, labels: 'strings', idBase: 70_000 })), 1e6);
  expect(cpu.stackIds).toBeInstanceOf(Int32Array);
  expect(cpu.labelSets.length).toBeGreaterThan(50);
  expect(() => warmUp(1)).not.toThrow();
});

test('a warmed-up pool starts its workers at once and decodes exactly as a cold one', async () => {
  const warm = new AnalyzePool({ size: 1, warmUp: true });
  const cold = new AnalyzePool({ size: 1 });
  try {
    // Started with the pool, before any job.
    expect((warm as unknown as { idle: unknown[] }).idle.length).toBe(1);
    expect((cold as unknown as { idle: unknown[] }).idle.length).toBe(0);
    for (const file of ['heap.pb.gz', 'cpu.pb.gz', 'goroutine.pb.gz']) {
      const bytes = fs.readFileSync(path.join(FIXTURES, file));
      const [a, b] = await Promise.all([warm.analyze(bytes, { maxBytes: 1 << 26 }), cold.analyze(bytes, { maxBytes: 1 << 26 })]);
      expect(a).toEqual(b);
      expect(plain(a)).toEqual(plain(analyze(bytes, { maxBytes: 1 << 26 })));
    }
  } finally {
    await Promise.all([warm.close(), cold.close()]);
  }
});

test('DECODE_WARM_UP is on unless turned off', () => {
  expect(loadConfig({}).decodeWarmUp).toBe(true);
  expect(loadConfig({ DECODE_WARM_UP: 'off' }).decodeWarmUp).toBe(false);
  expect(() => loadConfig({ DECODE_WARM_UP: 'sometimes' })).toThrow(/DECODE_WARM_UP/);
});

/** Typed arrays as plain arrays: a worker's result arrives over postMessage, in buffers of another kind. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
