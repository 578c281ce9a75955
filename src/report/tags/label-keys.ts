import { ProfileData, sampleCount, sharedFloat64, sharedInt32 } from '../../profile/profile-data';
import { compilePattern } from '../pattern';
import { BYTES_KEY, LabelSets } from './sample-labels';
import { StringTable } from './string-table';
import { TagOptions } from './tag-options';

/** pprof's FilterTagsByName: a key stays when tagshow (if given) matches it and taghide (if given) does not. */
export function withShownLabelKeys(data: ProfileData, options: TagOptions): ProfileData {
  if (!options.tagshow && !options.taghide) return data;
  const show = options.tagshow ? compilePattern('tagshow', options.tagshow) : undefined;
  const hide = options.taghide ? compilePattern('taghide', options.taghide) : undefined;
  return withLabelKeys(data, (key) => (!show || show.test(key)) && !hide?.test(key));
}

/** The data with only the label keys `keep` accepts, string and numeric alike; each label set re-joined once. */
export function withLabelKeys(data: ProfileData, keep: (key: string) => boolean): ProfileData {
  const table = new StringTable(data.strings);
  const sets = new LabelSets(data);
  const kept = new Map<number, number>();
  const keptSet = (set: number): number => {
    let id = kept.get(set);
    if (id === undefined) {
      const pairs = sets.pairsOf(set).filter(([key]) => keep(key));
      id = pairs.length === 0 ? 0 : table.intern(pairs.map(([key, value]) => `${key}:${value}`).join('\\n'));
      kept.set(set, id);
    }
    return id;
  };
  const n = sampleCount(data);
  const sampleLabels = sharedInt32(n);
  for (let s = 0; s < n; s++) sampleLabels[s] = keptSet(data.sampleLabels[s]);
  const sampleBytes = keep(BYTES_KEY) ? data.sampleBytes : sharedFloat64(n).fill(NaN);
  return { ...data, strings: table.strings, sampleLabels, sampleBytes };
}
