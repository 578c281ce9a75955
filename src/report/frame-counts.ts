import { ProfileData, sampleCount } from '../profile/profile-data';
import { GrowableInt32 } from '../profile/growable';
import { IdTable } from './id-table';

/** What aggregate() adds up in its pass over the samples, and that pass without filters in JavaScript. */

/** pprof's graph edges between node keys (graph.newGraph): a callee's value counted once per sample. */
export interface Edges {
  from: Int32Array;
  to: Int32Array;
  /** 1 when every call along the edge was inlined. */
  inline: Uint8Array;
  /** edge * typeCount + t */
  weight: Float64Array;
}

/** What one pass over the samples adds up, on typed arrays the hot loops index directly. */
/** Per node key and sample type (key * T + t): flat and cum; the totals per type; the counted edges. */
export interface CountedFrames {
  flat: Float64Array;
  cum: Float64Array;
  totals: Float64Array;
  edges: Edges;
}

export class Counts {
  readonly flat: Float64Array;
  readonly cum: Float64Array;
  readonly totals: Float64Array;
  /** Stamps of the last sample that counted a key or an edge: counted once per sample, even when recursive. */
  readonly counted: Int32Array;
  edgeCounted = new Int32Array(256);
  edgeWeight: Float64Array;
  edgeInline = new Uint8Array(256);
  private readonly edgeFrom = new GrowableInt32();
  private readonly edgeTo = new GrowableInt32();
  private readonly edgeIndex: EdgeIndex;

  constructor(
    keyCount: number,
    readonly T: number,
    readonly values: Float64Array,
  ) {
    this.flat = new Float64Array(keyCount * T);
    this.cum = new Float64Array(keyCount * T);
    this.totals = new Float64Array(T);
    this.counted = new Int32Array(keyCount).fill(-1);
    this.edgeWeight = new Float64Array(256 * T);
    this.edgeIndex = new EdgeIndex(keyCount);
  }

  /** The edge from -> to, made (inline until a direct call along it is counted) the first time. */
  edge(from: number, to: number): number {
    let e = this.edgeIndex.get(from, to);
    if (e >= 0) return e;
    e = this.edgeFrom.push(from);
    this.edgeTo.push(to);
    this.edgeIndex.set(from, to, e);
    if (e === this.edgeCounted.length) {
      this.edgeCounted = grown(this.edgeCounted, new Int32Array(e * 2));
      this.edgeInline = grown(this.edgeInline, new Uint8Array(e * 2));
      this.edgeWeight = grown(this.edgeWeight, new Float64Array(e * 2 * this.T));
    }
    this.edgeCounted[e] = -1;
    this.edgeInline[e] = 1;
    return e;
  }

  result(): CountedFrames {
    return { flat: this.flat, cum: this.cum, totals: this.totals, edges: this.edges() };
  }

  edges(): Edges {
    const count = this.edgeFrom.length;
    return { from: this.edgeFrom.toArray(), to: this.edgeTo.toArray(), inline: this.edgeInline.slice(0, count), weight: this.edgeWeight.slice(0, count * this.T) };
  }
}

function grown<A extends Int32Array | Uint8Array | Float64Array>(from: A, to: A): A {
  to.set(from);
  return to;
}

/**
 * The unfiltered pass, the hot loop of a big profile (tens of millions of frames): every frame of every location,
 * root first, without a frame buffer. The edge into a location's inner frames (its inlined calls) is the same in
 * every sample, so it is looked up once per frame of the profile rather than once per frame of every sample.
 */
export function countEveryFrame(data: ProfileData, keyOfFrame: Int32Array, entered: Uint8Array, counts: Counts): void {
  const { sampleStart, sampleLocations, locationFrameStart, values } = data;
  const { T, counted } = counts;
  const inlineEdge = new Int32Array(keyOfFrame.length).fill(-1);
  for (let location = 0; location < locationFrameStart.length - 1; location++) {
    for (let f = locationFrameStart[location]; f < locationFrameStart[location + 1] - 1; f++) {
      const to = keyOfFrame[f];
      const from = keyOfFrame[f + 1];
      if (entered[to] === 1 && from !== to) inlineEdge[f] = counts.edge(from, to);
    }
  }
  // The sample's distinct keys, gathered first and then given its values in one go: a key occurs at most once.
  const keys = new Int32Array(counted.length);
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    if (countTotals(counts, s)) continue; // pprof skips samples with no value
    const base = s * T;
    let distinct = 0;
    let previous = -1;
    for (let l = sampleStart[s + 1] - 1; l >= sampleStart[s]; l--) {
      const location = sampleLocations[l];
      const first = locationFrameStart[location];
      let f = locationFrameStart[location + 1] - 1;
      // The location's outermost frame: called (not inlined) from the previous location's innermost one.
      let k = keyOfFrame[f];
      if (counted[k] !== s) {
        counted[k] = s;
        keys[distinct++] = k;
      }
      if (entered[k] === 1 && previous >= 0 && previous !== k) countEdge(counts, counts.edge(previous, k), s, base, false);
      previous = k;
      for (f--; f >= first; f--) {
        k = keyOfFrame[f];
        if (counted[k] !== s) {
          counted[k] = s;
          keys[distinct++] = k;
        }
        const e = inlineEdge[f];
        if (e >= 0) countEdge(counts, e, s, base, true);
        previous = k;
      }
    }
    addValues(counts.cum, keys, distinct, values, base, T);
    if (previous >= 0) for (let t = 0; t < T; t++) counts.flat[previous * T + t] += values[base + t];
  }
}

/** Adds sample s's absolute values to the totals; true when every value is zero. */
export function countTotals(counts: Counts, s: number): boolean {
  const { T, values, totals } = counts;
  let zero = true;
  for (let t = 0; t < T; t++) {
    const v = values[s * T + t];
    if (v !== 0) zero = false;
    totals[t] += Math.abs(v);
  }
  return zero;
}

/** target[key * T + t] += values[base + t] for the first count keys. */
function addValues(target: Float64Array, keys: ArrayLike<number>, count: number, values: Float64Array, base: number, T: number): void {
  if (T === 1) {
    const v = values[base];
    for (let i = 0; i < count; i++) target[keys[i]] += v;
  } else if (T === 2) {
    const v0 = values[base];
    const v1 = values[base + 1];
    for (let i = 0; i < count; i++) {
      const at = keys[i] * 2;
      target[at] += v0;
      target[at + 1] += v1;
    }
  } else if (T === 4) {
    // Go's heap profiles: alloc_objects, alloc_space, inuse_objects, inuse_space.
    const v0 = values[base];
    const v1 = values[base + 1];
    const v2 = values[base + 2];
    const v3 = values[base + 3];
    for (let i = 0; i < count; i++) {
      const at = keys[i] * 4;
      target[at] += v0;
      target[at + 1] += v1;
      target[at + 2] += v2;
      target[at + 3] += v3;
    }
  } else {
    for (let i = 0; i < count; i++) for (let t = 0; t < T; t++) target[keys[i] * T + t] += values[base + t];
  }
}

/** Once per sample, as graph.newGraph: a later call along the same edge in the sample changes nothing. */
export function countEdge(counts: Counts, e: number, sample: number, base: number, inlined: boolean): void {
  if (counts.edgeCounted[e] === sample) return;
  counts.edgeCounted[e] = sample;
  if (!inlined) counts.edgeInline[e] = 0;
  const { T, values, edgeWeight } = counts;
  for (let t = 0; t < T; t++) edgeWeight[e * T + t] += values[base + t];
}

/** (from, to) -> edge: a dense matrix while functions are few enough (the usual case), else a hash table. */
class EdgeIndex {
  private static readonly DENSE_LIMIT = 1 << 22;
  private readonly dense?: Int32Array;
  private readonly sparse?: IdTable;

  constructor(private readonly keyCount: number) {
    if (keyCount * keyCount <= EdgeIndex.DENSE_LIMIT) this.dense = new Int32Array(keyCount * keyCount).fill(-1);
    else this.sparse = new IdTable();
  }

  get(from: number, to: number): number {
    const id = from * this.keyCount + to;
    return this.dense ? this.dense[id] : (this.sparse as IdTable).get(id);
  }

  set(from: number, to: number, edge: number): void {
    const id = from * this.keyCount + to;
    if (this.dense) this.dense[id] = edge;
    else this.sparse?.set(id, edge);
  }
}
