import { ProfileData, sampleCount } from '../../profile/profile-data';
import { LabelSets } from './sample-labels';
import { compileTagFilter } from './tag-filter';
import { TagOptions } from './tag-options';

/**
 * pprof's FilterSamplesByTag: per sample, 1 when tagfocus matches it (or is absent) and tagignore does not;
 * undefined when neither is given. A verdict on string labels alone is reached once per label set.
 */
export function keepSamplesByLabels(data: ProfileData, options: TagOptions): Uint8Array | undefined {
  const focus = compileTagFilter('tagfocus', options.tagfocus);
  const ignore = compileTagFilter('tagignore', options.tagignore);
  if (!focus && !ignore) return undefined;
  const sets = new LabelSets(data);
  const bySet = focus?.numeric || ignore?.numeric ? undefined : new Map<number, number>();
  const verdict = (s: number): number => {
    const labels = sets.mapOf(sets.setOf(s));
    const bytes = data.sampleBytes[s];
    return (!focus || focus.test(labels, bytes)) && !(ignore && ignore.test(labels, bytes)) ? 1 : 0;
  };
  const kept = new Uint8Array(sampleCount(data));
  for (let s = 0; s < kept.length; s++) {
    if (!bySet) {
      kept[s] = verdict(s);
      continue;
    }
    const set = sets.setOf(s);
    let known = bySet.get(set);
    if (known === undefined) {
      known = verdict(s);
      bySet.set(set, known);
    }
    kept[s] = known;
  }
  return kept;
}
