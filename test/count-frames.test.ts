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
