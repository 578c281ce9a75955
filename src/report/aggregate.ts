import { hasNoValue, ProfileData, sampleCount } from '../profile/profile-data';
import { GRAPH_DEFAULTS } from './callgraph';
import { frameKeys, Granularity } from './granularity';
import { GrowableFloat64, GrowableInt32 } from './growable';
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
  const builder = new Builder(names.length, T);
  const frames = new Int32Array(stacks.maxDepth);
  const totals = new Float64Array(T);
  const { values } = data;
  const inlined = stacks.inlined;
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    const base = s * T;
    if (hasNoValue(data, s)) continue; // pprof skips samples with no value
    for (let t = 0; t < T; t++) totals[t] += Math.abs(values[base + t]);
    const depth = stacks.frames(s, frames);
    if (depth < 0) continue;
    builder.beginSample(s, base, values);
    for (let i = 0; i < depth; i++) {
      const f = frames[i];
      builder.frame(keyOfFrame[f], inlined[f] === 1);
    }
    builder.endSample(keyOfFrame[frames[depth - 1]]);
  }
  return { typeCount: T, names, files, totals, ...builder.result() };
}

/** Accumulates one sample at a time, its frames root first. */
class Builder {
  private readonly flat: Float64Array;
  private readonly cum: Float64Array;
  // Stamps of the last sample that counted a key or an edge: counted once per sample, even when recursive.
  private readonly counted: Int32Array;
  private readonly edgeCounted = new GrowableInt32();
  private readonly edgeIndex: EdgeIndex;
  private readonly edgeFrom = new GrowableInt32();
  private readonly edgeTo = new GrowableInt32();
  private readonly edgeInline = new GrowableInt32();
  private readonly edgeWeight = new GrowableFloat64();
  private sample = -1;
  private base = 0;
  private values: Float64Array = new Float64Array(0);
  private previousKey = -1;

  constructor(
    keyCount: number,
    private readonly T: number,
  ) {
    this.edgeIndex = new EdgeIndex(keyCount);
    this.flat = new Float64Array(keyCount * T);
    this.cum = new Float64Array(keyCount * T);
    this.counted = new Int32Array(keyCount).fill(-1);
  }

  beginSample(sample: number, base: number, values: Float64Array): void {
    this.sample = sample;
    this.base = base;
    this.values = values;
    this.previousKey = -1;
  }

  frame(k: number, inlined: boolean): void {
    if (this.counted[k] !== this.sample) {
      this.counted[k] = this.sample;
      this.addFixed(this.cum, k);
    }
    if (this.previousKey >= 0 && this.previousKey !== k) this.countEdge(this.edge(this.previousKey, k), inlined);
    this.previousKey = k;
  }

  endSample(leafKey: number): void {
    this.addFixed(this.flat, leafKey);
  }

  private edge(from: number, to: number): number {
    let e = this.edgeIndex.get(from, to);
    if (e < 0) {
      e = this.edgeFrom.push(from);
      this.edgeTo.push(to);
      this.edgeInline.push(1);
      this.edgeCounted.push(-1);
      this.edgeIndex.set(from, to, e);
    }
    return e;
  }

  /** Once per sample, as graph.newGraph: a later call along the same edge in the sample changes nothing. */
  private countEdge(e: number, inlined: boolean): void {
    if (this.edgeCounted.get(e) === this.sample) return;
    this.edgeCounted.set(e, this.sample);
    if (!inlined) this.edgeInline.set(e, 0);
    const { T, base, values } = this;
    for (let t = 0; t < T; t++) this.edgeWeight.add(e * T + t, values[base + t]);
  }

  private addFixed(target: Float64Array, index: number): void {
    const { T, base, values } = this;
    for (let t = 0; t < T; t++) target[index * T + t] += values[base + t];
  }

  result(): Pick<Aggregate, 'flat' | 'cum' | 'inlineLabels'> {
    const count = this.edgeFrom.length;
    const edges: Edges = {
      from: this.edgeFrom.toArray(),
      to: this.edgeTo.toArray(),
      inline: Uint8Array.from(this.edgeInline.toArray()),
      weight: this.edgeWeight.toArray(count * this.T),
    };
    return { flat: this.flat, cum: this.cum, inlineLabels: inlineLabels(edges, this.flat, this.T) };
  }
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
