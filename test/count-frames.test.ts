import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeProfile } from '../src/profile/decode';
import { ProfileData } from '../src/profile/profile-data';
import { COUNT_FRAMES_WASM, countFrames } from '../src/report/count-frames';
import { frameKeys } from '../src/report/granularity';
import { encodeGzipped, SyntheticSample, syntheticProfile } from './support/synthetic-profile';

// aggregate()'s unfiltered pass runs in WebAssembly (wasm/count-frames.ts); the JavaScript pass it replaces is the
// reference: both must give the same flat, cum, totals and edges, bit for bit, on any profile.
const options = { maxBytes: 1 << 28 };
const FIXTURES = path.join(__dirname, 'fixtures', 'profiles');

function bothPasses(data: ProfileData) {
  const { keyOfFrame, names } = frameKeys(data, 'functions');
  const entered = new Uint8Array(names.length);
  for (let f = 0; f < keyOfFrame.length; f++) if (data.frameInlined[f] === 1) entered[keyOfFrame[f]] = 1;
  const plain = (r: ReturnType<typeof countFrames>) => ({ flat: Array.from(r.flat), cum: Array.from(r.cum), totals: Array.from(r.totals), edges: Object.fromEntries(Object.entries(r.edges).map(([k, v]) => [k, Array.from(v as Int32Array)])) });
  return { wasm: plain(countFrames(data, keyOfFrame, entered, names.length, 'wasm')), js: plain(countFrames(data, keyOfFrame, entered, names.length, 'js')) };
}

test('the WebAssembly module is built (npm run build) and loads', () => {
  expect(fs.existsSync(COUNT_FRAMES_WASM)).toBe(true);
  expect(WebAssembly.validate(fs.readFileSync(COUNT_FRAMES_WASM))).toBe(true);
});

test.each(fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.pb.gz')))('%s: the WebAssembly pass equals the JavaScript one', (file) => {
  const { wasm, js } = bothPasses(decodeProfile(fs.readFileSync(path.join(FIXTURES, file)), options));
  expect(wasm).toEqual(js);
});

test('random stacks with recursion, inlining, zero and negative values: both passes agree', () => {
  const frame = fc.oneof(
    fc.integer({ min: 0, max: 30 }).map((i) => `main.f${i}`),
    fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 30 })).map(([a, b]) => `main.h${a}+main.f${b}`),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 30 })).map(([a, b, c]) => `main.h${a}+main.h${b}+main.f${c}`),
  );
  const sample = fc.record({ stack: fc.array(frame, { minLength: 0, maxLength: 40 }), values: fc.tuple(fc.integer({ min: -5, max: 50 }), fc.integer({ min: 0, max: 1000 })) });
  fc.assert(
    fc.property(fc.array(sample, { minLength: 1, maxLength: 60 }), (samples) => {
      const synthetic = samples.map((s) => ({ stack: s.stack.length > 0 ? s.stack : ['main.main'], values: [...s.values] }));
      const { wasm, js } = bothPasses(decodeProfile(encodeGzipped(syntheticProfile([['alloc_objects', 'count'], ['alloc_space', 'bytes']], synthetic)), options));
      expect(wasm).toEqual(js);
    }),
    { numRuns: 300, seed: 20261201 },
  );
});

test('more edges than the first tables hold: the module asks for room and goes on', () => {
  // 400 helpers, each inlined somewhere (so edges into them are counted) and called directly from 3,000 callers:
  // tens of thousands of distinct edges, against a first capacity of frames + 1024.
  const samples: SyntheticSample[] = [];
  for (let i = 0; i < 400; i++) samples.push({ stack: [`main.h${i}+main.inliner`, 'main.main'], values: [1] });
  let x = 7;
  for (let i = 0; i < 30_000; i++) {
    x = (x * 48271) % 2147483647;
    samples.push({ stack: [`main.h${x % 400}`, `main.c${Math.floor(x / 400) % 3000}`, 'main.main'], values: [1 + (i % 5)] });
  }
  const { wasm, js } = bothPasses(decodeProfile(encodeGzipped(syntheticProfile([['samples', 'count']], samples)), options));
  expect(wasm.edges.from.length).toBeGreaterThan(20_000);
  expect(wasm).toEqual(js);
});

/** Bytes of a typed array: bit-for-bit equality, NaN and -0 included. */
function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test('random tables of every shape the module takes apart: both passes agree bit for bit', () => {
  // Straight as ProfileData arrays, to reach what decoded profiles rarely do: locations of up to 7 frames, outer
  // keys that are entered (direct calls into inlined functions), keys entered without being inlined, inlined
  // frames not entered, 32-bit stack entries, 1 to 5 values per sample (the unrolled paths and the generic one),
  // fractional, negative and zero values, edge tables that must grow.
  let seed = 20261202;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const int = (n: number) => Math.floor(rnd() * n);
  for (let round = 0; round < 120; round++) {
    const T = 1 + int(5);
    const keyCount = 2 + int(round % 3 === 0 ? 3000 : 40);
    const locations = 1 + int(round % 5 === 0 ? 70000 : 300);
    const maxFrames = 1 + int(7);
    const locationFrameStart = new Int32Array(locations + 1);
    const keys: number[] = [];
    for (let l = 0; l < locations; l++) {
      const n = 1 + int(maxFrames);
      for (let i = 0; i < n; i++) keys.push(rnd() < 0.3 && keys.length > locationFrameStart[l] ? keys[keys.length - 1] : int(keyCount));
      locationFrameStart[l + 1] = keys.length;
    }
    const keyOfFrame = Int32Array.from(keys);
    const entered = new Uint8Array(keyCount);
    const mode = int(3);
    for (let l = 0; l < locations; l++) for (let f = locationFrameStart[l]; f < locationFrameStart[l + 1] - 1; f++) if (mode !== 2 || rnd() < 0.7) entered[keyOfFrame[f]] = 1;
    if (mode >= 1) for (let k = 0; k < keyCount; k++) if (rnd() < 0.2) entered[k] = 1;
    const samples = 1 + int(round % 7 === 0 ? 20000 : 400);
    const sampleStart = new Int32Array(samples + 1);
    const stack: number[] = [];
    for (let s = 0; s < samples; s++) {
      const depth = int(rnd() < 0.05 ? 200 : 40);
      for (let i = 0; i < depth; i++) stack.push(rnd() < 0.2 && i > 0 ? stack[stack.length - 1 - int(Math.min(i, 5))] : int(locations));
      sampleStart[s + 1] = stack.length;
    }
    const wide = locations > 65535 || rnd() < 0.3;
    const values = new Float64Array(samples * T);
    for (let i = 0; i < values.length; i++) {
      const r = rnd();
      values[i] = r < 0.1 ? 0 : r < 0.2 ? -int(100) : r < 0.5 ? rnd() * 1e6 : int(1 << 30);
    }
    for (let s = 0; s < samples; s++) if (rnd() < 0.05) for (let t = 0; t < T; t++) values[s * T + t] = 0;
    const data = {
      sampleTypes: Array.from({ length: T }, () => ({ type: 't', unit: 'u' })),
      sampleStart,
      sampleLocations: wide ? Int32Array.from(stack) : Uint16Array.from(stack),
      locationFrameStart,
      values,
    } as unknown as ProfileData;
    const w = countFrames(data, keyOfFrame, entered, keyCount, 'wasm');
    const j = countFrames(data, keyOfFrame, entered, keyCount, 'js');
    const parts = (r: typeof w) => [r.flat, r.cum, r.totals, r.edges.from, r.edges.to, r.edges.inline, r.edges.weight].map((a) => bytesOf(a).toString('base64'));
    expect({ round, parts: parts(w) }).toEqual({ round, parts: parts(j) });
  }
});
