import { ProfileData, sampleCount } from '../profile/profile-data';
import { baseSampleMask } from './diff/base-samples';

/**
 * pprof's total per sample type (report.computeTotal), what every percentage is of: the sum of |value| over every
 * sample, before any refinement; in a diff, over the base's samples only, so "+10%" is of the base.
 */
export function pprofTotals(data: ProfileData): Float64Array {
  return sideTotals(data).pprof;
}

/** pprofTotal for one sample type. */
export function pprofTotal(data: ProfileData, sampleIndex: number): number {
  return pprofTotals(data)[sampleIndex];
}

/**
 * Per sample type: pprof's total; and in a diff the new capture's (the sum of |value| over the samples that are
 * not the base's), which the views show beside pprof's, the base's.
 */
export function sideTotals(data: ProfileData): SideTotals {
  let found = computed.get(data.values);
  if (!found) computed.set(data.values, (found = computeTotals(data)));
  return found;
}

interface SideTotals {
  pprof: Float64Array;
  new: Float64Array;
}

/** Once per profile's values (a pass over every sample), as base-samples.ts keeps its mask. */
const computed = new WeakMap<Float64Array, SideTotals>();

function computeTotals(data: ProfileData): SideTotals {
  const T = data.sampleTypes.length;
  const all = new Float64Array(T);
  const base = new Float64Array(T);
  const mask = baseSampleMask(data);
  const { values } = data;
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    for (let t = 0; t < T; t++) {
      const v = Math.abs(values[s * T + t]);
      all[t] += v;
      if (mask?.[s]) base[t] += v;
    }
  }
  const fresh = all.map((v, t) => v - base[t]);
  if (mask) for (let t = 0; t < T; t++) if (base[t] > 0) all[t] = base[t];
  return { pprof: all, new: fresh };
}
