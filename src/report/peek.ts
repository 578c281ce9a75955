import { hasNoValue, ProfileData, sampleCount } from '../profile/profile-data';
import { compareText } from './graph';
import { frameKeys, Granularity } from './granularity';
import { REFINE_KEYS, RefinedStacks, RefineOptions } from './refine';
import { formatPercent, formatValue } from './units';

export interface PeekEdge {
  name: string;
  value: number;
  valueText: string;
  /** Of the function's cum, as pprof's -peek prints it. */
  percent: string;
}

export interface PeekData {
  function: string;
  flat: number;
  cum: number;
  flatText: string;
  cumText: string;
  callers: PeekEdge[];
  callees: PeekEdge[];
}

export interface PeekRequest {
  granularity: Granularity;
  refine: RefineOptions;
  sampleIndex: number;
  /** The node's name as the top table shows it. */
  name: string;
}

/**
 * pprof's -peek for one node (report.printTree, untrimmed): the edges into and out of it, each with the value
 * that flowed along it, heaviest first. Undefined when the node has no value for this sample type.
 * One pass over the stacks, counting only the edges that touch the node, by graph.newGraph's rule (consecutive
 * distinct nodes, an edge counted once per sample): no profile-wide edge table is built or kept.
 */
export function peek(data: ProfileData, request: PeekRequest): PeekData | undefined {
  const { keyOfFrame, names } = frameKeys(data, request.granularity);
  const key = names.indexOf(request.name);
  if (key < 0) return undefined;
  const into = new EdgeSums(names.length);
  const out = new EdgeSums(names.length);
  const refined = REFINE_KEYS.some((k) => request.refine[k]);
  const { flat, cum } = refined || !everyLocationHasFrames(data) ? scanFrames(data, request, keyOfFrame, key, into, out) : scanLocations(data, request.sampleIndex, keyOfFrame, key, into, out);
  if (flat === 0 && cum === 0) return undefined;
  const { unit } = data.sampleTypes[request.sampleIndex];
  const edge = ({ name: other, value }: { name: string; value: number }): PeekEdge => ({
    name: other,
    value,
    valueText: formatValue(value, unit),
    percent: formatPercent(value, cum),
  });
  const order = (a: { name: string; value: number }, b: { name: string; value: number }) =>
    Math.abs(b.value) - Math.abs(a.value) || compareText(a.name, b.name);
  return {
    function: request.name,
    flat,
    cum,
    flatText: formatValue(flat, unit),
    cumText: formatValue(cum, unit),
    callers: into.list(names).sort(order).map(edge),
    callees: out.list(names).sort(order).map(edge),
  };
}

/** Every frame of every kept sample, as the refinement keeps them. */
function scanFrames(data: ProfileData, request: PeekRequest, keyOfFrame: Int32Array, key: number, into: EdgeSums, out: EdgeSums): { flat: number; cum: number } {
  const T = data.sampleTypes.length;
  const t = request.sampleIndex;
  const { values } = data;
  const stacks = new RefinedStacks(data, request.refine);
  const frames = new Int32Array(stacks.maxDepth);
  let flat = 0;
  let cum = 0;
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    if (hasNoValue(data, s)) continue; // pprof skips samples with no value
    const depth = stacks.frames(s, frames);
    if (depth < 0) continue;
    const v = values[s * T + t];
    let previous = -1;
    let seen = false;
    for (let i = 0; i < depth; i++) {
      const k = keyOfFrame[frames[i]];
      if (k === key) seen = true;
      if (previous >= 0 && previous !== k) {
        if (k === key) into.add(previous, s, v);
        if (previous === key) out.add(k, s, v);
      }
      previous = k;
    }
    if (seen) cum += v;
    if (keyOfFrame[frames[depth - 1]] === key) flat += v;
  }
  return { flat, cum };
}

/**
 * Unrefined, the same from the profile's own stacks, looking only at the locations that have the node: an edge
 * into or out of it is between two frames of such a location, or between its first or last frame and the next
 * location's. A sample whose value in this type is 0 adds nothing, so it is skipped.
 */
function scanLocations(data: ProfileData, t: number, keyOfFrame: Int32Array, key: number, into: EdgeSums, out: EdgeSums): { flat: number; cum: number } {
  const { values, sampleStart, sampleLocations, locationFrameStart } = data;
  const T = data.sampleTypes.length;
  const locations = locationFrameStart.length - 1;
  const has = new Uint8Array(locations);
  for (let l = 0; l < locations; l++) {
    for (let f = locationFrameStart[l]; f < locationFrameStart[l + 1]; f++) if (keyOfFrame[f] === key) has[l] = 1;
  }
  let flat = 0;
  let cum = 0;
  for (let s = 0, n = sampleStart.length - 1; s < n; s++) {
    const leaf = sampleStart[s];
    const root = sampleStart[s + 1] - 1;
    if (root < leaf) continue;
    let hit = -1;
    for (let p = root; p >= leaf; p--) {
      if (has[sampleLocations[p]] === 1) {
        hit = p;
        break;
      }
    }
    if (hit < 0) continue;
    const v = values[s * T + t];
    if (v === 0) continue;
    cum += v;
    if (keyOfFrame[locationFrameStart[sampleLocations[leaf]]] === key) flat += v;
    // Root first: a sample's locations from its last, each location's frames from its last.
    for (let p = hit; p >= leaf; p--) {
      const l = sampleLocations[p];
      if (has[l] === 0) continue;
      let previous = p < root ? keyOfFrame[locationFrameStart[sampleLocations[p + 1]]] : -1;
      for (let f = locationFrameStart[l + 1] - 1; f >= locationFrameStart[l]; f--) {
        const k = keyOfFrame[f];
        if (previous >= 0 && previous !== k) {
          if (k === key) into.add(previous, s, v);
          if (previous === key) out.add(k, s, v);
        }
        previous = k;
      }
      if (previous === key && p > leaf) {
        const k = keyOfFrame[locationFrameStart[sampleLocations[p - 1] + 1] - 1];
        if (k !== key) out.add(k, s, v);
      }
    }
  }
  return { flat, cum };
}

/** The decoder gives every location a frame; the location scan relies on it. */
function everyLocationHasFrames(data: ProfileData): boolean {
  const { locationFrameStart } = data;
  for (let l = 0; l < locationFrameStart.length - 1; l++) if (locationFrameStart[l + 1] <= locationFrameStart[l]) return false;
  return true;
}

/** Per other node, the value along its edge with the peeked one, each sample counted once. */
class EdgeSums {
  private readonly value: Float64Array;
  private readonly stamp: Int32Array;
  private readonly touched: number[] = [];

  constructor(keyCount: number) {
    this.value = new Float64Array(keyCount);
    this.stamp = new Int32Array(keyCount).fill(-1);
  }

  add(other: number, sample: number, v: number): void {
    if (this.stamp[other] === sample) return;
    if (this.stamp[other] === -1) this.touched.push(other);
    this.stamp[other] = sample;
    this.value[other] += v;
  }

  list(names: string[]): Array<{ name: string; value: number }> {
    return this.touched.filter((k) => this.value[k] !== 0).map((k) => ({ name: names[k], value: this.value[k] }));
  }
}
