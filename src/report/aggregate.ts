import { ProfileData, sampleCount } from '../profile/profile-data';
import { frameKeys, Granularity } from './granularity';
import { GrowableFloat64, GrowableInt32 } from './growable';
import { IdTable } from './id-table';
import { RefinedStacks, RefineOptions } from './refine';

/**
 * The aggregated model every view reads: per node key and sample type, flat and cum; the caller -> callee
 * edges; the call tree with each node's total and self values. Built in one pass over the samples.
 */
export interface Aggregate {
  /** False when built withoutTree: the tree is empty. */
  complete: boolean;
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
  tree: CallTree;
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

/**
 * Node 0 is the root (key -1); a node's parent always has a smaller index. Its total is what the kept samples
 * add up to. Bottom-up (inverted) trees start at the leaves.
 */
export interface CallTree {
  inverted: boolean;
  parent: Int32Array;
  key: Int32Array;
  /** node * typeCount + t */
  total: Float64Array;
  self: Float64Array;
}

export interface AggregateOptions {
  granularity?: Granularity;
  refine?: RefineOptions;
  /** Build the call tree bottom-up, from the leaves. */
  inverted?: boolean;
  /** Leave the call tree out: totals, flat, cum and edges are what the summary, top and peek need. */
  withoutTree?: boolean;
}

export function aggregate(data: ProfileData, options: AggregateOptions = {}): Aggregate {
  const { keyOfFrame, names, files } = frameKeys(data, options.granularity ?? 'functions');
  const T = data.sampleTypes.length;
  const stacks = new RefinedStacks(data, options.refine);
  const builder = new Builder(names.length, T, options.inverted ?? false, !options.withoutTree);
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
  return { complete: !options.withoutTree, typeCount: T, names, files, totals, ...builder.result() };
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
  private readonly parent = new GrowableInt32();
  private readonly key = new GrowableInt32();
  /** Top-down: the edge each tree node's call is, -1 for none (a root's child, a direct recursion). */
  private readonly nodeEdge = new GrowableInt32();
  private readonly total = new GrowableFloat64();
  private readonly self = new GrowableFloat64();
  private readonly children = new IdTable(1 << 16);
  private readonly path: number[] = [];
  private sample = -1;
  private base = 0;
  private values: Float64Array = new Float64Array(0);
  private previousKey = -1;
  private current = 0;

  constructor(
    private readonly keyCount: number,
    private readonly T: number,
    private readonly inverted: boolean,
    private readonly withTree: boolean,
  ) {
    this.edgeIndex = new EdgeIndex(keyCount);
    this.flat = new Float64Array(keyCount * T);
    this.cum = new Float64Array(keyCount * T);
    this.counted = new Int32Array(keyCount).fill(-1);
    this.parent.push(-1);
    this.key.push(-1);
    this.nodeEdge.push(-1);
  }

  beginSample(sample: number, base: number, values: Float64Array): void {
    this.sample = sample;
    this.base = base;
    this.values = values;
    this.previousKey = -1;
    this.path.length = 0;
    if (this.withTree) this.add(this.total, 0);
  }

  frame(k: number, inlined: boolean): void {
    if (this.counted[k] !== this.sample) {
      this.counted[k] = this.sample;
      this.addFixed(this.cum, k);
    }
    if (this.inverted || !this.withTree) {
      if (this.previousKey >= 0 && this.previousKey !== k) this.countEdge(this.edge(this.previousKey, k), inlined);
      if (this.withTree) this.path.push(k);
    } else {
      // Top-down, a tree node stands for one caller -> callee pair: look its edge up once, when it is made.
      const e = this.nodeEdge.get(this.descend(k));
      if (e >= 0) this.countEdge(e, inlined);
    }
    this.previousKey = k;
  }

  endSample(leafKey: number): void {
    this.addFixed(this.flat, leafKey);
    if (!this.withTree) return;
    if (this.inverted) {
      for (let i = this.path.length - 1; i >= 0; i--) this.descend(this.path[i]);
    }
    this.add(this.self, this.current);
    this.current = 0;
  }

  private descend(k: number): number {
    const id = this.current * this.keyCount + k;
    let node = this.children.get(id);
    if (node < 0) {
      const parentKey = this.key.get(this.current);
      node = this.parent.push(this.current);
      this.key.push(k);
      this.nodeEdge.push(!this.inverted && parentKey >= 0 && parentKey !== k ? this.edge(parentKey, k) : -1);
      this.children.set(id, node);
    }
    this.current = node;
    this.add(this.total, node);
    return node;
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
    this.add(this.edgeWeight, e);
  }

  private add(target: GrowableFloat64, index: number): void {
    const { T, base, values } = this;
    for (let t = 0; t < T; t++) target.add(index * T + t, values[base + t]);
  }

  private addFixed(target: Float64Array, index: number): void {
    const { T, base, values } = this;
    for (let t = 0; t < T; t++) target[index * T + t] += values[base + t];
  }

  result(): Pick<Aggregate, 'flat' | 'cum' | 'edges' | 'tree'> {
    const nodes = this.withTree ? this.parent.length : 0;
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
      tree: {
        inverted: this.inverted,
        parent: this.withTree ? this.parent.toArray() : new Int32Array(0),
        key: this.withTree ? this.key.toArray() : new Int32Array(0),
        total: this.total.toArray(nodes * this.T),
        self: this.self.toArray(nodes * this.T),
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
