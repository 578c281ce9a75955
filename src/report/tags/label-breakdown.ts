import { ProfileData, sampleCount } from '../../profile/profile-data';
import { frameKeys } from '../granularity';
import { compareText } from '../graph';
import { RefinedStacks, RefineOptions } from '../refine';
import { pprofTotal } from '../total';
import { formatValue } from '../units';
import { BYTES_KEY, BYTES_UNIT, LabelSets } from './sample-labels';
import { scaledLabel } from './scale';

export interface LabelsRequest {
  sampleIndex: number;
  refine: RefineOptions;
}

export interface LabelValue {
  value: string;
  total: number;
  /** Of the profile's total, 0..1. */
  share: number;
  formatted: string;
  /** The function with the largest flat among the value's samples, null when none has any. */
  hottest: { name: string; flat: number; formatted: string } | null;
}

export interface LabelKey {
  key: string;
  numeric: boolean;
  total: number;
  values: LabelValue[];
}

export interface LabelBreakdown {
  sampleType: string;
  unit: string;
  total: number;
  keys: LabelKey[];
}

/** Values summed over samples, with their flat by leaf function (functions granularity). */
class Bucket {
  total = 0;
  readonly flat = new Map<number, number>();

  add(value: number, leaf: number): void {
    this.total += value;
    if (leaf >= 0) this.flat.set(leaf, (this.flat.get(leaf) ?? 0) + value);
  }

  merge(other: Bucket): void {
    this.total += other.total;
    for (const [leaf, flat] of other.flat) this.flat.set(leaf, (this.flat.get(leaf) ?? 0) + flat);
  }
}

/**
 * pprof's -tags (report.printTags) over the samples the view's filters keep, from labelled data
 * (tags/labelled-profile.ts): per label key, the value summed over the samples that carry it, and per value of
 * the key; numeric values unscaled in their base unit ("384B", as -tags -unit=B prints them). The total is the
 * profile's, before any filter. Samples are summed per label set and per byte size first, then spread over keys.
 */
export function labelBreakdown(data: ProfileData, request: LabelsRequest): LabelBreakdown {
  const { type, unit } = data.sampleTypes[request.sampleIndex];
  const total = pprofTotal(data, request.sampleIndex);
  const { keyOfFrame, names } = frameKeys(data, 'functions');
  const { bySet, byBytes } = bucketSamples(data, request, keyOfFrame);
  const keys = new Map<string, { numeric: boolean; values: Map<string, Bucket> }>();
  const into = (key: string, value: string, bucket: Bucket, numeric: boolean) => {
    let entry = keys.get(key);
    if (!entry) keys.set(key, (entry = { numeric, values: new Map() }));
    entry.numeric ||= numeric;
    let sum = entry.values.get(value);
    if (!sum) entry.values.set(value, (sum = new Bucket()));
    sum.merge(bucket);
  };
  const sets = new LabelSets(data);
  for (const [set, bucket] of bySet) for (const [key, value] of sets.pairsOf(set)) into(key, value, bucket, false);
  for (const [bytes, bucket] of byBytes) into(BYTES_KEY, scaledLabel(bytes, BYTES_UNIT, 'B'), bucket, true);
  const share = (v: number) => (total === 0 ? 0 : v / total);
  const keyList = [...keys].map(([key, { numeric, values }]): LabelKey => {
    const list = [...values].map(([value, bucket]): LabelValue => ({
      value,
      total: bucket.total,
      share: share(bucket.total),
      formatted: formatValue(bucket.total, unit),
      hottest: hottest(bucket, names, unit),
    }));
    list.sort((a, b) => Math.abs(b.total) - Math.abs(a.total) || compareText(a.value, b.value));
    return { key, numeric, total: list.reduce((sum, v) => sum + v.total, 0), values: list };
  });
  keyList.sort((a, b) => compareText(a.key, b.key));
  return { sampleType: type, unit, total, keys: keyList };
}

/** The kept samples' values by label set and by byte size, with the leaf function each went to. */
function bucketSamples(data: ProfileData, request: LabelsRequest, keyOfFrame: Int32Array): { bySet: Map<number, Bucket>; byBytes: Map<number, Bucket> } {
  const T = data.sampleTypes.length;
  const stacks = new RefinedStacks(data, request.refine);
  const frames = new Int32Array(stacks.unrefined ? 0 : stacks.maxDepth);
  const { sampleStart, sampleLocations, locationFrameStart, sampleLabels, sampleBytes } = data;
  const bySet = new Map<number, Bucket>();
  const byBytes = new Map<number, Bucket>();
  const bucket = (map: Map<number, Bucket>, id: number) => {
    let found = map.get(id);
    if (!found) map.set(id, (found = new Bucket()));
    return found;
  };
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    let leaf = -1;
    if (stacks.unrefined) {
      if (sampleStart[s + 1] > sampleStart[s]) leaf = keyOfFrame[locationFrameStart[sampleLocations[sampleStart[s]]]];
    } else {
      const depth = stacks.frames(s, frames);
      if (depth < 0) continue;
      leaf = keyOfFrame[frames[depth - 1]];
    }
    const v = data.values[s * T + request.sampleIndex];
    if (sampleLabels[s] !== 0) bucket(bySet, sampleLabels[s]).add(v, leaf);
    if (!Number.isNaN(sampleBytes[s])) bucket(byBytes, sampleBytes[s]).add(v, leaf);
  }
  return { bySet, byBytes };
}

function hottest(bucket: Bucket, names: string[], unit: string): LabelValue['hottest'] {
  let best: { leaf: number; flat: number } | undefined;
  for (const [leaf, flat] of bucket.flat) {
    if (flat === 0) continue;
    const heavier = !best || Math.abs(flat) > Math.abs(best.flat);
    if (heavier || (Math.abs(flat) === Math.abs(best!.flat) && compareText(names[leaf], names[best!.leaf]) < 0)) best = { leaf, flat };
  }
  return best ? { name: names[best.leaf], flat: best.flat, formatted: formatValue(best.flat, unit) } : null;
}
