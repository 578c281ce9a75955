import { ProfileData, sampleCount } from '../profile/profile-data';
import { frameKeys, Granularity } from './granularity';
import { GrowableFloat64, GrowableInt32 } from './growable';

/**
 * The aggregated model every view reads: per node key and sample type, flat and cum; the call tree with each
 * node's total and self values. Built in one pass over the samples.
 */
export interface Aggregate {
  typeCount: number;
  /** node key -> name and file */
  names: string[];
  files: string[];
  /** key * typeCount + t */
  flat: Float64Array;
  cum: Float64Array;
  /** Sum of every sample's value, per type. */
  totals: Float64Array;
  tree: CallTree;
}

/** Node 0 is the root (key -1); a node's parent always has a smaller index. */
export interface CallTree {
  parent: Int32Array;
  key: Int32Array;
  /** node * typeCount + t */
  total: Float64Array;
  self: Float64Array;
}

export interface AggregateOptions {
  granularity?: Granularity;
  /** Keep only samples for which this says true (refinements such as focus/ignore). */
  keepSample?: (sample: number) => boolean;
}

export function aggregate(data: ProfileData, options: AggregateOptions = {}): Aggregate {
  const { keyOfFrame, names, files } = frameKeys(data, options.granularity ?? 'functions');
  const T = data.sampleTypes.length;
  const keyCount = names.length;
  const flat = new Float64Array(keyCount * T);
  const cum = new Float64Array(keyCount * T);
  const totals = new Float64Array(T);
  // Stamp of the last sample that counted a key: cum counts a function once per sample, even when recursive.
  const counted = new Int32Array(keyCount).fill(-1);

  const parent = new GrowableInt32();
  const key = new GrowableInt32();
  const total = new GrowableFloat64();
  const self = new GrowableFloat64();
  const children = new Map<number, number>();
  parent.push(-1);
  key.push(-1);

  const { sampleStart, sampleLocations, locationFrameStart, values } = data;
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    if (options.keepSample && !options.keepSample(s)) continue;
    const base = s * T;
    if (isZero(values, base, T)) continue; // pprof drops samples with no value
    for (let t = 0; t < T; t++) totals[t] += values[base + t];
    let node = 0;
    for (let l = sampleStart[s + 1] - 1; l >= sampleStart[s]; l--) {
      const location = sampleLocations[l];
      for (let f = locationFrameStart[location + 1] - 1; f >= locationFrameStart[location]; f--) {
        const k = keyOfFrame[f];
        node = child(node, k);
        for (let t = 0; t < T; t++) total.add(node * T + t, values[base + t]);
        if (counted[k] !== s) {
          counted[k] = s;
          for (let t = 0; t < T; t++) cum[k * T + t] += values[base + t];
        }
      }
    }
    for (let t = 0; t < T; t++) self.add(node * T + t, values[base + t]);
    const leaf = key.get(node);
    if (leaf >= 0) for (let t = 0; t < T; t++) flat[leaf * T + t] += values[base + t];
  }

  function child(of: number, k: number): number {
    const id = of * keyCount + k;
    let found = children.get(id);
    if (found === undefined) {
      found = parent.push(of);
      key.push(k);
      children.set(id, found);
    }
    return found;
  }

  const nodes = parent.length;
  for (let t = 0; t < T; t++) total.add(t, totals[t]); // the root holds everything
  return {
    typeCount: T,
    names,
    files,
    flat,
    cum,
    totals,
    tree: { parent: parent.toArray(), key: key.toArray(), total: total.toArray(nodes * T), self: self.toArray(nodes * T) },
  };
}

function isZero(values: Float64Array, base: number, count: number): boolean {
  for (let t = 0; t < count; t++) if (values[base + t] !== 0) return false;
  return true;
}
