import { hasNoValue, ProfileData, sampleCount } from '../profile/profile-data';
import { GRAPH_DEFAULTS } from './callgraph';
import { Aggregate } from './aggregate-model';
import { frameKeys, Granularity } from './granularity';
import { countEdge, CountedFrames, Counts, countTotals, Edges } from './frame-counts';
import { countFrames } from './count-frames';
import { RefinedStacks, RefineOptions } from './refine';
import { baseSampleMask, isDiffProfile } from './diff/base-samples';
import { pprofTotals } from './total';

export type { Aggregate } from './aggregate-model';

export interface AggregateOptions {
  granularity?: Granularity;
  refine?: RefineOptions;
  /** A diff's base samples alone (their values negative, as in the diff): the base side of a diff's top table. */
  baseOnly?: boolean;
}

export function aggregate(data: ProfileData, options: AggregateOptions = {}): Aggregate {
  const { keyOfFrame, names, files } = frameKeys(data, options.granularity ?? 'functions');
  const T = data.sampleTypes.length;
  const stacks = new RefinedStacks(data, options.refine, options.baseOnly ? baseSampleMask(data) : undefined);
  const entered = enteredByInlining(stacks.inlined, keyOfFrame, names.length);
  let counted: CountedFrames;
  if (stacks.unrefined) counted = countFrames(data, keyOfFrame, entered, names.length);
  else {
    const counts = new Counts(names.length, T, data.values);
    countRefined(data, stacks, keyOfFrame, entered, counts);
    counted = counts.result();
  }
  const { flat, cum, edges } = counted;
  // In a diff, pprof's totals are of the base alone (total.ts); the count's are of every sample.
  const totals = isDiffProfile(data) ? pprofTotals(data) : counted.totals;
  return { typeCount: T, names, files, totals, flat, cum, inlineLabels: inlineLabels(edges, flat, T) };
}

/**
 * Per key, 1 when some inlined call enters it. Only such a node can be marked "(inline)", so edges are counted into
 * those alone: most edges of a big profile (millions of distinct caller -> callee pairs) need no counting at all.
 */
function enteredByInlining(inlined: Uint8Array, keyOfFrame: Int32Array, keys: number): Uint8Array {
  const entered = new Uint8Array(keys);
  for (let f = 0; f < inlined.length; f++) if (inlined[f] === 1) entered[keyOfFrame[f]] = 1;
  return entered;
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

