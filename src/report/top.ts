import { ProfileData } from '../profile/profile-data';
import { Aggregate } from './aggregate-model';
import { compareText } from './graph';
import { sideTotals } from './total';
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
  /** In a diff (flat and cum above are new - base, as pprof's -diff_base gives them): each side's own values. */
  diff?: TopRowDiff;
}

/** One row of a diff's top table: the new capture's and the base's flat and cum, and the change relative to the base. */
export interface TopRowDiff {
  newFlat: number;
  baseFlat: number;
  newCum: number;
  baseCum: number;
  newFlatText: string;
  baseFlatText: string;
  newCumText: string;
  baseCumText: string;
  /** (new - base) / base; null when the base has none (a function that is new). */
  flatChange: number | null;
  cumChange: number | null;
}

export interface TopTable {
  sampleType: string;
  unit: string;
  total: number;
  totalText: string;
  rows: TopRow[];
  /** In a diff: pprof's total is the base's (total above); this is the new capture's, in the same view. */
  diff?: { newTotal: number; newTotalText: string };
}

/**
 * pprof's -top for one sample type: every function with a value, by flat (then name, then cum). In a diff, model
 * is of new - base (pprof's -diff_base) and base, of the base's samples alone, gives each row both sides.
 */
export function topTable(data: ProfileData, model: Aggregate, sampleIndex: number, limit = Infinity, base?: Aggregate): TopTable {
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
      ...inlineMark(model.inlineLabels[k * T + sampleIndex]),
      ...(base ? { diff: rowDiff(flat, cum, -base.flat[k * T + sampleIndex], -base.cum[k * T + sampleIndex], unit) } : {}),
    };
  });
  const table: TopTable = { sampleType: type, unit, total, totalText: formatValue(total, unit), rows };
  if (base) {
    const newTotal = sideTotals(data).new[sampleIndex];
    table.diff = { newTotal, newTotalText: formatValue(newTotal, unit) };
  }
  return table;
}

/** A diff row's sides: the base's values (made positive again) and the new capture's, delta + base. */
function rowDiff(flat: number, cum: number, baseFlat: number, baseCum: number, unit: string): TopRowDiff {
  const newFlat = flat + baseFlat;
  const newCum = cum + baseCum;
  return {
    newFlat,
    baseFlat,
    newCum,
    baseCum,
    newFlatText: formatValue(newFlat, unit),
    baseFlatText: formatValue(baseFlat, unit),
    newCumText: formatValue(newCum, unit),
    baseCumText: formatValue(baseCum, unit),
    flatChange: baseFlat === 0 ? null : flat / baseFlat,
    cumChange: baseCum === 0 ? null : cum / baseCum,
  };
}

function inlineMark(code: number): Pick<TopRow, 'inline'> {
  if (code === 1) return { inline: 'inline' };
  if (code === 2) return { inline: 'partial-inline' };
  return {};
}
