// Labels as decoded (ProfileData.sampleLabels, .sampleBytes), read back per sample, for comparing with what
// `go tool pprof` sees in the same bytes: its -tags report, and its label filters (-tagfocus, -tagignore, -tagshow,
// -taghide), which the service does not offer: the tests apply them to the decoded samples here, by pprof's rules
// (driver_focus.go compileTagFilter, profile/filter.go FilterSamplesByTag and FilterTagsByName), and hold the
// result to pprof's report on the file.
import { ProfileData, sampleCount, sharedFloat64, sharedInt32 } from '../../src/profile/profile-data';
import { GoPprofTags } from './go-pprof';

/** Sample s's string labels as [key, value], from pprof's joined "k:v\nk:v" (a literal backslash-n). */
export function labelPairs(data: ProfileData, s: number): Array<[string, string]> {
  const joined = data.strings[data.sampleLabels[s]];
  if (!joined) return [];
  return joined.split('\\n').map((pair) => {
    const colon = pair.indexOf(':');
    return [pair.slice(0, colon), pair.slice(colon + 1)];
  });
}

/** pprof's -tags on the decoded data: string labels by value, the numeric "bytes" label by size ("384B", unscaled as -unit=ns prints it). */
export function ourTags(data: ProfileData, sampleIndex: number): GoPprofTags {
  const T = data.sampleTypes.length;
  const tags: GoPprofTags = { total: 0, keys: {} };
  const add = (key: string, value: string, v: number) => {
    const k = (tags.keys[key] ??= { total: 0, values: {} });
    k.total += v;
    k.values[value] = (k.values[value] ?? 0) + v;
  };
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    const v = data.values[s * T + sampleIndex];
    tags.total += Math.abs(v);
    for (const [key, value] of labelPairs(data, s)) add(key, value, v);
    if (!Number.isNaN(data.sampleBytes[s])) add('bytes', `${data.sampleBytes[s]}B`, v);
  }
  return tags;
}

/** The data with only the samples `keep` accepts, as pprof's -tagfocus/-tagignore leave the profile. */
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

/** The data with only the label keys `keep` accepts (string and numeric alike), as -tagshow/-taghide leave it. */
export function withLabelKeys(data: ProfileData, keep: (key: string) => boolean): ProfileData {
  const strings = [...data.strings];
  const index = new Map(strings.map((s, i) => [s, i]));
  const n = sampleCount(data);
  const sampleLabels = sharedInt32(n);
  const sampleBytes = sharedFloat64(n);
  for (let s = 0; s < n; s++) {
    const joined = labelPairs(data, s)
      .filter(([key]) => keep(key))
      .map(([key, value]) => `${key}:${value}`)
      .sort()
      .join('\\n');
    let id = index.get(joined);
    if (id === undefined) {
      id = strings.push(joined) - 1;
      index.set(joined, id);
    }
    sampleLabels[s] = id;
    sampleBytes[s] = keep('bytes') ? data.sampleBytes[s] : NaN;
  }
  return { ...data, strings, sampleLabels, sampleBytes };
}
