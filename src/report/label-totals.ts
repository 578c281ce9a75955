import { ProfileData, sampleCount } from '../profile/profile-data';
import { LabelSets } from './tags/sample-labels';

/** Per value of one string label, the sum of a sample type over the samples that carry it (a merged profile's per-target totals). */
export function totalsByLabel(data: ProfileData, key: string, sampleIndex: number): Map<string, number> {
  const sets = new LabelSets(data);
  const totals = new Map<string, number>();
  const T = data.sampleTypes.length;
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    const value = sets.mapOf(sets.setOf(s)).get(key)?.[0];
    if (value !== undefined) totals.set(value, (totals.get(value) ?? 0) + data.values[s * T + sampleIndex]);
  }
  return totals;
}
