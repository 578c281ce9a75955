import { ProfileData } from '../profile/profile-data';
import { Aggregate } from './aggregate';
import { GRAPH_DEFAULTS } from './callgraph';
import { compareText } from './graph';
import { formatPercent, formatValue } from './units';

export interface TopRow {
  name: string;
  file: string;
  flat: number;
  cum: number;
  flatPercent: string;
  sumPercent: string;
  cumPercent: string;
  flatText: string;
  cumText: string;
  /** pprof's " (inline)" or " (partial-inline)": all, or only some, of the calls into it were inlined. */
  inline?: 'inline' | 'partial-inline';
}

export interface TopTable {
  sampleType: string;
  unit: string;
  total: number;
  totalText: string;
  rows: TopRow[];
}

/** pprof's -top for one sample type: every function with a value, by flat (then name, then cum). */
export function topTable(data: ProfileData, model: Aggregate, sampleIndex: number, limit = Infinity): TopTable {
  const T = model.typeCount;
  const { type, unit } = data.sampleTypes[sampleIndex];
  const total = model.totals[sampleIndex];
  const keys: number[] = [];
  for (let k = 0; k < model.names.length; k++) {
    if (model.flat[k * T + sampleIndex] !== 0 || model.cum[k * T + sampleIndex] !== 0) keys.push(k);
  }
  const flatOf = (k: number) => model.flat[k * T + sampleIndex];
  const cumOf = (k: number) => model.cum[k * T + sampleIndex];
  keys.sort(
    (a, b) =>
      Math.abs(flatOf(b)) - Math.abs(flatOf(a)) ||
      compareText(model.names[a], model.names[b]) ||
      Math.abs(cumOf(b)) - Math.abs(cumOf(a)),
  );
  const inline = inlineLabels(model, sampleIndex);
  let running = 0;
  const rows = keys.slice(0, limit).map((k): TopRow => {
    const flat = flatOf(k);
    const cum = cumOf(k);
    running += flat;
    return {
      name: model.names[k],
      file: model.files[k],
      flat,
      cum,
      flatText: formatValue(flat, unit),
      cumText: formatValue(cum, unit),
      flatPercent: formatPercent(flat, total),
      sumPercent: formatPercent(running, total),
      cumPercent: formatPercent(cum, total),
      ...(inline.has(k) ? { inline: inline.get(k) } : {}),
    };
  });
  return { sampleType: type, unit, total, totalText: formatValue(total, unit), rows };
}

/**
 * report.TextItems: a node is "inline" when every edge into it is an inlined call, "partial-inline" when some
 * are; edges below the edge fraction of the flat sum were trimmed first (newTrimmedGraph).
 */
function inlineLabels(model: Aggregate, sampleIndex: number): Map<number, 'inline' | 'partial-inline'> {
  const T = model.typeCount;
  let flatSum = 0;
  for (let k = 0; k < model.names.length; k++) flatSum += model.flat[k * T + sampleIndex];
  const cutoff = Math.abs(Math.trunc(flatSum * GRAPH_DEFAULTS.edgeFraction));
  const inlined = new Map<number, { inline: boolean; direct: boolean }>();
  const { to, inline, weight } = model.edges;
  for (let e = 0; e < to.length; e++) {
    const w = weight[e * T + sampleIndex];
    if (w === 0 || Math.abs(w) < cutoff) continue;
    const seen = inlined.get(to[e]) ?? { inline: false, direct: false };
    if (inline[e]) seen.inline = true;
    else seen.direct = true;
    inlined.set(to[e], seen);
  }
  const labels = new Map<number, 'inline' | 'partial-inline'>();
  for (const [k, seen] of inlined) if (seen.inline) labels.set(k, seen.direct ? 'partial-inline' : 'inline');
  return labels;
}
