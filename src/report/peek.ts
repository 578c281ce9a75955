import { hasNoValue, ProfileData, sampleCount } from '../profile/profile-data';
import { compareText } from './graph';
import { frameKeys, Granularity } from './granularity';
import { RefinedStacks, RefineOptions } from './refine';
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
  const T = data.sampleTypes.length;
  const t = request.sampleIndex;
  const { values } = data;
  const stacks = new RefinedStacks(data, request.refine);
  const frames = new Int32Array(stacks.maxDepth);
  const into = new EdgeSums(names.length);
  const out = new EdgeSums(names.length);
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
  if (flat === 0 && cum === 0) return undefined;
  const { unit } = data.sampleTypes[t];
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
