import { ProfileData, sampleCount } from '../../profile/profile-data';
import { BASE_LABEL_KEY, BASE_LABEL_VALUE } from '../../profile/diff-label';
import { LabelSets } from '../tags/sample-labels';

const masks = new WeakMap<Float64Array, Uint8Array | null>();

/**
 * Per sample, 1 when it came from the diff base (profile.Sample.DiffBaseSample: one of its "pprof::base" values is
 * "true"); undefined when no sample did, so the profile is not a diff. Computed once per profile's values array
 * (a worker sees the same shared buffer under a new object, and computes it again: one pass over the label sets).
 */
export function baseSampleMask(data: ProfileData): Uint8Array | undefined {
  const known = masks.get(data.values);
  if (known !== undefined) return known ?? undefined;
  const sets = new LabelSets(data);
  // Per label string: 0 not looked at yet, 1 not the base's, 2 the base's. Most profiles have no "pprof::base" in
  // any of them, and a string without it is not parsed.
  const states = new Uint8Array(data.strings.length);
  const n = sampleCount(data);
  let mask: Uint8Array | null = null;
  for (let s = 0; s < n; s++) {
    const set = data.sampleLabels[s];
    if (set === 0) continue;
    let state = states[set];
    if (state === 0) {
      const base = data.strings[set].includes(BASE_LABEL_KEY) && sets.mapOf(set).get(BASE_LABEL_KEY)?.includes(BASE_LABEL_VALUE) === true;
      state = states[set] = base ? 2 : 1;
    }
    if (state === 2) (mask ??= new Uint8Array(n))[s] = 1;
  }
  masks.set(data.values, mask);
  return mask ?? undefined;
}

/** True when the profile holds a diff base's samples (what `go tool pprof -diff_base` makes, or a diff request). */
export function isDiffProfile(data: ProfileData): boolean {
  return baseSampleMask(data) !== undefined;
}
