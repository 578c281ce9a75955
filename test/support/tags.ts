// Labels as decoded, read back through the service's own label code (src/report/tags/), in the shapes the tests
// compare with `go tool pprof -tags` and its label filters.
import { ProfileData, sampleCount, sharedFloat64, sharedInt32 } from '../../src/profile/profile-data';
import { labelBreakdown } from '../../src/report/tags/label-breakdown';
import { withLabelKeys as keepLabelKeys } from '../../src/report/tags/label-keys';
import { parseJoinedLabels } from '../../src/report/tags/sample-labels';
import { GoPprofTags } from './go-pprof';

/** Sample s's string labels as [key, value]. */
export function labelPairs(data: ProfileData, s: number): Array<[string, string]> {
  return parseJoinedLabels(data.strings[data.sampleLabels[s]]);
}

/** Our label breakdown in goPprofTags' shape (numeric "bytes" values unscaled, "384B"). */
export function ourTags(data: ProfileData, sampleIndex: number): GoPprofTags {
  const breakdown = labelBreakdown(data, { sampleIndex, refine: {} });
  const keys: GoPprofTags['keys'] = {};
  for (const k of breakdown.keys) keys[k.key] = { total: k.total, values: Object.fromEntries(k.values.map((v) => [v.value, v.total])) };
  return { total: breakdown.total, keys };
}

/** The data with only the label keys `keep` accepts (string and numeric alike), as -tagshow/-taghide leave it. */
export const withLabelKeys = keepLabelKeys;

/** The data with only the samples `keep` accepts: a reference for pprof's -tagfocus/-tagignore by hand-written rules. */
export function withSamples(data: ProfileData, keep: (s: number) => boolean): ProfileData {
  const kept: number[] = [];
  for (let s = 0, n = sampleCount(data); s < n; s++) if (keep(s)) kept.push(s);
  const T = data.sampleTypes.length;
  const sampleStart = sharedInt32(kept.length + 1);
  const sampleLocations = sharedInt32(kept.reduce((n, s) => n + data.sampleStart[s + 1] - data.sampleStart[s], 0));
  const values = sharedFloat64(kept.length * T);
  const sampleLabels = sharedInt32(kept.length);
  const sampleBytes = sharedFloat64(kept.length);
  let cursor = 0;
  kept.forEach((s, i) => {
    sampleStart[i] = cursor;
    for (let k = data.sampleStart[s]; k < data.sampleStart[s + 1]; k++) sampleLocations[cursor++] = data.sampleLocations[k];
    for (let t = 0; t < T; t++) values[i * T + t] = data.values[s * T + t];
    sampleLabels[i] = data.sampleLabels[s];
    sampleBytes[i] = data.sampleBytes[s];
  });
  sampleStart[kept.length] = cursor;
  return { ...data, sampleStart, sampleLocations, values, sampleLabels, sampleBytes };
}
