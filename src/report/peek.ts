import { ProfileData } from '../profile/profile-data';
import { Aggregate } from './aggregate';
import { compareText } from './graph';
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

/**
 * pprof's -peek for one node (report.printTree, untrimmed): the edges into and out of it, each with the value
 * that flowed along it, heaviest first. Undefined when the node has no value for this sample type.
 */
export function peek(data: ProfileData, model: Aggregate, sampleIndex: number, name: string): PeekData | undefined {
  const key = model.names.indexOf(name);
  const T = model.typeCount;
  const { unit } = data.sampleTypes[sampleIndex];
  const flat = key >= 0 ? model.flat[key * T + sampleIndex] : 0;
  const cum = key >= 0 ? model.cum[key * T + sampleIndex] : 0;
  if (flat === 0 && cum === 0) return undefined;
  const callers: Array<{ name: string; value: number }> = [];
  const callees: Array<{ name: string; value: number }> = [];
  const { from, to, weight } = model.edges;
  for (let e = 0; e < from.length; e++) {
    const value = weight[e * T + sampleIndex];
    if (value === 0) continue;
    if (to[e] === key) callers.push({ name: model.names[from[e]], value });
    if (from[e] === key) callees.push({ name: model.names[to[e]], value });
  }
  const edge = ({ name: other, value }: { name: string; value: number }): PeekEdge => ({
    name: other,
    value,
    valueText: formatValue(value, unit),
    percent: formatPercent(value, cum),
  });
  const order = (a: { name: string; value: number }, b: { name: string; value: number }) =>
    Math.abs(b.value) - Math.abs(a.value) || compareText(a.name, b.name);
  return {
    function: name,
    flat,
    cum,
    flatText: formatValue(flat, unit),
    cumText: formatValue(cum, unit),
    callers: callers.sort(order).map(edge),
    callees: callees.sort(order).map(edge),
  };
}
