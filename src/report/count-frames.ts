import { ProfileData, sampleCount } from '../profile/profile-data';
import { CountedFrames, Counts, countEveryFrame } from './frame-counts';
import { distPath } from '../dist-paths';
import { lazyWasmModule } from '../wasm-module';

/** Built by `npm run build` from wasm/count-frames.ts (AssemblyScript); found from src/ (the tests) and dist/ alike. */
export const COUNT_FRAMES_WASM = distPath('wasm', 'count-frames.wasm');

/**
 * Samples per call into the module, and so per window: V8 runs a call in its first-tier code until the call
 * returns, so short calls let the optimized code take over early; and a small window (here 256 KB of stacks and
 * 128 KB of values for a heap profile) leaves the module's tables in the CPU's cache when JS copies it in (of 2048 to
 * 65536, 4096 measured best on the bench's deep heap and large profiles; 16384 and up were slower).
 */
const CHUNK = 4096;

interface Exports {
  prepare(params: number, locations: number): void;
  /** For any number of values per sample; countFrames<T> for T of 1, 2 and 4, unrolled. */
  countFrames(params: number, start: number, end: number): number;
  countFrames1(params: number, start: number, end: number): number;
  countFrames2(params: number, start: number, end: number): number;
  countFrames4(params: number, start: number, end: number): number;
  rehash(params: number): void;
}

// The parameter block's fields, as wasm/count-frames.ts numbers them.
const F = { T: 0, sampleStart: 1, sampleLocations: 2, wide: 3, locationFrameStart: 4, keyOfFrame: 5, values: 6, entered: 7, location: 8, leaf: 9, frameCall: 10, caller: 11, cum: 12, flat: 13, totals: 14, keys: 15, calls: 16, edgeCounted: 17, edgeWeight: 18, edgeInline: 19, edgeFrom: 20, edgeTo: 21, edgeCount: 22, edgeCapacity: 23, hashKeys: 24, hashSlots: 25, hashMask: 26, keyCount: 27, windowSample: 28, windowEntry: 29 } as const;
/** Stack entries the window holds at least (a sample with more gets a window of its size). */
const WINDOW_ENTRIES = 1 << 20;
const PAGE = 65536;

const compiled = lazyWasmModule(COUNT_FRAMES_WASM);

/**
 * aggregate()'s pass over an unfiltered profile: every frame of every sample. In WebAssembly when the module is
 * built (several times faster than JavaScript on a million deep stacks), else in JavaScript;
 * test/count-frames.test.ts holds the two to identical results.
 */
export function countFrames(data: ProfileData, keyOfFrame: Int32Array, entered: Uint8Array, keyCount: number, pass: 'wasm' | 'js' = 'wasm'): CountedFrames {
  const wasm = pass === 'wasm' ? compiled() : null;
  if (wasm) return new WasmPass(wasm, data, keyOfFrame, entered, keyCount).run();
  const counts = new Counts(keyCount, data.sampleTypes.length, data.values);
  countEveryFrame(data, keyOfFrame, entered, counts);
  return counts.result();
}

interface WindowViews {
  buffer: ArrayBuffer;
  params: Int32Array;
  entries: Uint16Array | Int32Array;
  values: Float64Array;
}

/**
 * The module's memory, laid out by hand: the key stamps at address 0 and the parameter block after them, the small
 * inputs copied in whole, the stacks and values a window at a time (so it stays a few MB beside a profile of
 * hundreds), the outputs read back, the edge tables grown on demand.
 */
class WasmPass {
  private readonly memory: WebAssembly.Memory;
  private readonly exports: Exports;
  private readonly T: number;
  private size = 0;
  /** The parameter block's address. */
  private readonly p: number;
  private readonly at: Record<keyof typeof F, number>;
  private readonly windowEntries: number;
  private views?: WindowViews;

  constructor(
    wasm: WebAssembly.Module,
    private readonly data: ProfileData,
    keyOfFrame: Int32Array,
    entered: Uint8Array,
    private readonly keyCount: number,
  ) {
    const T = (this.T = data.sampleTypes.length);
    const frames = keyOfFrame.length;
    // Per key the last sample that counted it, at address 0 (where the module expects it), then the parameters.
    const counted = this.take(keyCount * 4);
    this.p = this.take(32 * 4);
    const inputs = { sampleStart: data.sampleStart, locationFrameStart: data.locationFrameStart, keyOfFrame, entered };
    const at: Partial<Record<keyof typeof F, number>> = {};
    for (const [name, array] of Object.entries(inputs)) at[name as keyof typeof F] = this.take(array.byteLength);
    let longest = 0;
    const { sampleStart } = data;
    for (let s = 0, n = sampleCount(data); s < n; s++) {
      const length = sampleStart[s + 1] - sampleStart[s];
      if (length > longest) longest = length;
    }
    this.windowEntries = Math.max(WINDOW_ENTRIES, longest);
    at.sampleLocations = this.take(this.windowEntries * data.sampleLocations.BYTES_PER_ELEMENT);
    at.values = this.take(CHUNK * T * 8);
    const locations = data.locationFrameStart.length - 1;
    at.location = this.take(locations * 16);
    at.leaf = this.take(locations * 4);
    at.frameCall = this.take(frames * 4);
    at.caller = this.take(locations * 8);
    at.cum = this.take(keyCount * T * 8);
    at.flat = this.take(keyCount * T * 8);
    at.totals = this.take(T * 8);
    // A sample's frames, a bound: its locations times the most frames a location has. (The module writes a word
    // past its lists, two past the calls.)
    let widest = 1;
    for (let l = 0; l < locations; l++) widest = Math.max(widest, data.locationFrameStart[l + 1] - data.locationFrameStart[l]);
    at.keys = this.take((Math.min(keyCount, longest * widest) + 1) * 4);
    at.calls = this.take((longest * widest + 2) * 4);
    const capacity = Math.max(1024, frames + 1024); // prepare makes at most one edge per frame
    const edgeBytes = WasmPass.edgeBytes(capacity, T);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil((this.size + edgeBytes + 64) / PAGE) });
    this.exports = new WebAssembly.Instance(wasm, { env: { memory: this.memory, abort: () => { throw new Error('count-frames.wasm aborted'); } } }).exports as unknown as Exports;
    this.at = at as Record<keyof typeof F, number>;
    for (const [name, array] of Object.entries(inputs)) this.bytes(at[name as keyof typeof F] as number, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    this.i32(counted, keyCount).fill(-1);
    this.i32(this.at.caller, locations * 2).fill(-1);
    this.placeEdges(capacity);
    const params = this.params();
    for (const name of Object.keys(F) as Array<keyof typeof F>) if (this.at[name] !== undefined) params[F[name]] = this.at[name];
    params[F.T] = T;
    params[F.wide] = data.sampleLocations instanceof Int32Array ? 1 : 0;
    params[F.edgeCount] = 0;
    params[F.keyCount] = keyCount;
  }

  run(): CountedFrames {
    const { exports } = this;
    exports.prepare(this.p, this.data.locationFrameStart.length - 1);
    const n = sampleCount(this.data);
    const countSamples = ({ 1: exports.countFrames1, 2: exports.countFrames2, 4: exports.countFrames4 } as Partial<Record<number, Exports['countFrames']>>)[this.T] ?? exports.countFrames;
    for (let s = 0; s < n; ) {
      const end = this.fillWindow(s, n);
      const next = countSamples(this.p, s, end);
      if (next === s) this.growEdges();
      s = next;
    }
    const T = this.T;
    const K = this.keyCount;
    const count = this.params()[F.edgeCount];
    const p = this.params();
    return {
      flat: this.f64(this.at.flat, K * T).slice(),
      cum: this.f64(this.at.cum, K * T).slice(),
      totals: this.f64(this.at.totals, T).slice(),
      edges: {
        from: this.i32(p[F.edgeFrom], count).slice(),
        to: this.i32(p[F.edgeTo], count).slice(),
        inline: this.bytes(p[F.edgeInline], count).slice(),
        weight: this.f64(p[F.edgeWeight], count * T).slice(),
      },
    };
  }

  /** Copies the stacks and values of samples [start, end) into the window, as many as it holds; returns end. */
  private fillWindow(start: number, n: number): number {
    const { sampleStart, sampleLocations, values } = this.data;
    let end = Math.min(n, start + CHUNK);
    while (end > start + 1 && sampleStart[end] - sampleStart[start] > this.windowEntries) end = start + Math.ceil((end - start) / 2);
    const views = this.windowViews();
    views.params[F.windowSample] = start;
    views.params[F.windowEntry] = sampleStart[start];
    views.entries.set(sampleLocations.subarray(sampleStart[start], sampleStart[end]));
    views.values.set(values.subarray(start * this.T, end * this.T));
    return end;
  }

  /** Views of the window and the parameters, made again only when growing the memory has replaced its buffer. */
  private windowViews(): WindowViews {
    const { buffer } = this.memory;
    if (this.views?.buffer !== buffer) {
      const Entries = this.data.sampleLocations instanceof Int32Array ? Int32Array : Uint16Array;
      this.views = { buffer, params: this.params(), entries: new Entries(buffer, this.at.sampleLocations, this.windowEntries), values: new Float64Array(buffer, this.at.values, CHUNK * this.T) };
    }
    return this.views;
  }

  private static edgeBytes(capacity: number, T: number): number {
    return capacity * (4 + T * 8 + 1 + 4 + 4) + 2 * WasmPass.hashSize(capacity) * (8 + 4) + 64;
  }

  private static hashSize(capacity: number): number {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    return size;
  }

  /** Room for the edge tables at the end of memory, growing it when needed; the hash table emptied. */
  private placeEdges(capacity: number): void {
    const T = this.T;
    const hash = WasmPass.hashSize(capacity);
    this.at.edgeCounted = this.take(capacity * 4);
    this.at.edgeWeight = this.take(capacity * T * 8);
    this.at.edgeInline = this.take(capacity);
    this.at.edgeFrom = this.take(capacity * 4);
    this.at.edgeTo = this.take(capacity * 4);
    this.at.hashKeys = this.take(hash * 8);
    this.at.hashSlots = this.take(hash * 4);
    const missing = this.size - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
    this.i32(this.at.hashSlots, hash).fill(-1);
    this.at.edgeCapacity = capacity;
    this.at.hashMask = hash - 1;
  }

  /** Twice the edge capacity: the tables copied to their new place, the hash table rebuilt by the module. */
  private growEdges(): void {
    const p = this.params();
    const old = { counted: p[F.edgeCounted], weight: p[F.edgeWeight], inline: p[F.edgeInline], from: p[F.edgeFrom], to: p[F.edgeTo], capacity: p[F.edgeCapacity] };
    this.placeEdges(old.capacity * 2);
    const T = this.T;
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.copyWithin(this.at.edgeCounted, old.counted, old.counted + old.capacity * 4);
    bytes.copyWithin(this.at.edgeWeight, old.weight, old.weight + old.capacity * T * 8);
    bytes.copyWithin(this.at.edgeInline, old.inline, old.inline + old.capacity);
    bytes.copyWithin(this.at.edgeFrom, old.from, old.from + old.capacity * 4);
    bytes.copyWithin(this.at.edgeTo, old.to, old.to + old.capacity * 4);
    const params = this.params();
    for (const name of ['edgeCounted', 'edgeWeight', 'edgeInline', 'edgeFrom', 'edgeTo', 'edgeCapacity', 'hashKeys', 'hashSlots', 'hashMask'] as const) params[F[name]] = this.at[name];
    this.exports.rehash(this.p);
  }

  private take(bytes: number): number {
    const at = Math.ceil(this.size / 8) * 8;
    this.size = at + bytes;
    return at;
  }

  // Views made afresh each time: growing the memory replaces its buffer.
  private params(): Int32Array {
    return new Int32Array(this.memory.buffer, this.p, 32);
  }

  private bytes(at: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, at, length);
  }

  private i32(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }

  private f64(at: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, length);
  }
}
