import { hasNoValue, ProfileData, sampleCount } from '../profile/profile-data';
import { GRAPH_DEFAULTS } from './callgraph';
import { frameKeys, Granularity } from './granularity';
import { GrowableInt32 } from './growable';
import { IdTable } from './id-table';
import { RefinedStacks, RefineOptions } from './refine';

/**
 * The aggregated model the summary and the top table read: per node key and sample type, flat and cum, and pprof's
 * inline marks. Built in one pass over the samples. It keeps no caller -> callee edge table: on a profile with many
 * distinct call pairs that outweighs the profile itself, and only peek reads edges (it scans the stacks for the
 * one function, peek.ts); the call graph builds its own (callgraph.ts), the flame graph reads the stacks.
 */
export interface Aggregate {
  typeCount: number;
  /** node key -> name and file */
  names: string[];
  files: string[];
  /** key * typeCount + t */
  flat: Float64Array;
  cum: Float64Array;
  /**
   * pprof's total, per type: the sum of |value| over every sample, before any refinement (report.New computes
   * it before applyFocus), so percentages stay of the whole profile.
   */
  totals: Float64Array;
  /**
   * key * typeCount + t: 1 when pprof's top marks the node "(inline)", 2 "(partial-inline)", 0 neither
   * (report.TextItems: every, or only some, of the calls into it above the edge fraction were inlined).
   */
  inlineLabels: Uint8Array;
}

/** pprof's graph edges between node keys (graph.newGraph): a callee's value counted once per sample. */
interface Edges {
  from: Int32Array;
  to: Int32Array;
  /** 1 when every call along the edge was inlined. */
  inline: Uint8Array;
  /** edge * typeCount + t */
  weight: Float64Array;
}

export interface AggregateOptions {
  granularity?: Granularity;
  refine?: RefineOptions;
}

export function aggregate(data: ProfileData, options: AggregateOptions = {}): Aggregate {
  const { keyOfFrame, names, files } = frameKeys(data, options.granularity ?? 'functions');
  const T = data.sampleTypes.length;
  const stacks = new RefinedStacks(data, options.refine);
  const inlined = stacks.inlined;
  // Only a node that some inlined call enters can be marked "(inline)", so edges are counted into those alone:
  // most edges of a big profile (millions of distinct caller -> callee pairs) need no counting at all.
  const entered = new Uint8Array(names.length);
  for (let f = 0; f < inlined.length; f++) if (inlined[f] === 1) entered[keyOfFrame[f]] = 1;
  const counts = new Counts(names.length, T, data.values);
  if (stacks.unrefined) countEveryFrame(data, keyOfFrame, entered, counts);
  else countRefined(data, stacks, keyOfFrame, entered, counts);
  return { typeCount: T, names, files, totals: counts.totals, flat: counts.flat, cum: counts.cum, inlineLabels: inlineLabels(counts.edges(), counts.flat, T) };
}

/** What one pass over the samples adds up, on typed arrays the hot loops index directly. */
class Counts {
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
function countEveryFrame(data: ProfileData, keyOfFrame: Int32Array, entered: Uint8Array, counts: Counts): void {
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
function countTotals(counts: Counts, s: number): boolean {
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

/** Under name filters: the kept frames of each kept sample, as RefinedStacks gives them. */
function countRefined(data: ProfileData, stacks: RefinedStacks, keyOfFrame: Int32Array, entered: Uint8Array, counts: Counts): void {
  const { values } = data;
  const { T, flat, cum, totals, counted } = counts;
  const inlined = stacks.inlined;
  const frames = new Int32Array(stacks.maxDepth);
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    const base = s * T;
    if (hasNoValue(data, s)) continue;
    for (let t = 0; t < T; t++) totals[t] += Math.abs(values[base + t]);
    const depth = stacks.frames(s, frames);
    if (depth < 0) continue;
    let previous = -1;
    for (let i = 0; i < depth; i++) {
      const f = frames[i];
      const k = keyOfFrame[f];
      if (counted[k] !== s) {
        counted[k] = s;
        for (let t = 0; t < T; t++) cum[k * T + t] += values[base + t];
      }
      if (entered[k] === 1 && previous >= 0 && previous !== k) countEdge(counts, counts.edge(previous, k), s, base, inlined[f] === 1);
      previous = k;
    }
    for (let t = 0; t < T; t++) flat[previous * T + t] += values[base + t];
  }
}

/** Once per sample, as graph.newGraph: a later call along the same edge in the sample changes nothing. */
function countEdge(counts: Counts, e: number, sample: number, base: number, inlined: boolean): void {
  if (counts.edgeCounted[e] === sample) return;
  counts.edgeCounted[e] = sample;
  if (!inlined) counts.edgeInline[e] = 0;
  const { T, values, edgeWeight } = counts;
  for (let t = 0; t < T; t++) edgeWeight[e * T + t] += values[base + t];
}

/**
 * report.TextItems' marks, per key and type: a node is "inline" when every edge into it is an inlined call,
 * "partial-inline" when some are; edges below the edge fraction of the flat sum were trimmed first
 * (newTrimmedGraph).
 */
function inlineLabels(edges: Edges, flat: Float64Array, T: number): Uint8Array {
  const keyCount = flat.length / T;
  const labels = new Uint8Array(flat.length);
  const inline = new Uint8Array(keyCount);
  const direct = new Uint8Array(keyCount);
  for (let t = 0; t < T; t++) {
    let flatSum = 0;
    for (let k = 0; k < keyCount; k++) flatSum += flat[k * T + t];
    const cutoff = Math.abs(Math.trunc(flatSum * GRAPH_DEFAULTS.edgeFraction));
    inline.fill(0);
    direct.fill(0);
    for (let e = 0; e < edges.to.length; e++) {
      const w = edges.weight[e * T + t];
      if (w === 0 || Math.abs(w) < cutoff) continue;
      if (edges.inline[e]) inline[edges.to[e]] = 1;
      else direct[edges.to[e]] = 1;
    }
    for (let k = 0; k < keyCount; k++) if (inline[k]) labels[k * T + t] = direct[k] ? 2 : 1;
  }
  return labels;
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
