import { ProfileData, sampleCount } from '../profile/profile-data';
import { frameKeys, Granularity } from './granularity';
import { GrowableFloat64, GrowableInt32 } from './growable';
import { IdTable } from './id-table';
import { RefinedStacks, RefineOptions } from './refine';

/**
 * The aggregated model the top table, peek and call graph read: per node key and sample type, flat and cum; the
 * caller -> callee edges. Built in one pass over the samples. (The flame graph reads the stacks themselves:
 * flame-stacks.ts.)
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
  edges: Edges;
}

/** pprof's graph edges between node keys (graph.newGraph): a callee's value counted once per sample. */
export interface Edges {
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
    if (isZero(values, base, T)) continue; // pprof skips samples with no value
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

  result(): Pick<Aggregate, 'flat' | 'cum' | 'edges'> {
    const edges = this.edgeFrom.length;
    return {
      flat: this.flat,
      cum: this.cum,
      edges: {
        from: this.edgeFrom.toArray(),
        to: this.edgeTo.toArray(),
        inline: Uint8Array.from(this.edgeInline.toArray()),
        weight: this.edgeWeight.toArray(edges * this.T),
      },
    };
  }
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

function isZero(values: Float64Array, base: number, count: number): boolean {
  for (let t = 0; t < count; t++) if (values[base + t] !== 0) return false;
  return true;
}
