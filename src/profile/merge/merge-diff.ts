import { ProfileError } from '../../errors';
import { decompress } from '../decompress';
import { BASE_LABEL_KEY, BASE_LABEL_VALUE } from '../diff-label';
import { checkCompatible } from './combine-headers';
import { mergeProfilesRaw, MergeInput, MergeOptions } from './merge-profiles';
import { sampleValueSums } from './merge-samples';
import { MergeSource, readSource } from './read-source';


export interface DiffOptions extends MergeOptions {
  /** pprof's -normalize: the new profile is scaled, per sample type, to the base's total first. */
  normalize?: boolean;
}

/**
 * `go tool pprof -diff_base=BASE NEW` as one profile (driver/fetch.go): the base's samples labelled pprof::base,
 * negated, and merged with the new ones, which -normalize first scales by the base's total over theirs. Not
 * gzipped. Other sample types or another period type in the base: an IncompatibleProfilesError naming both.
 */
export function mergeDiff(fresh: MergeInput, base: MergeInput, options: DiffOptions): Uint8Array {
  const [mine, theirs] = [read(fresh, options.maxBytes), read(base, options.maxBytes)];
  checkCompatible(mine, theirs);
  const scale = options.normalize ? normalizeRatios(mine, theirs) : undefined;
  const negate = theirs.sampleTypes.map(() => -1);
  return mergeProfilesRaw(
    [
      { ...fresh, scale },
      { ...base, labels: { ...base.labels, [BASE_LABEL_KEY]: BASE_LABEL_VALUE }, scale: negate },
    ],
    options,
  );
}

/** Profile.Normalize: per sample type, the base's sum over the new one's (0 when the new one has none). */
function normalizeRatios(mine: MergeSource, theirs: MergeSource): number[] {
  const [a, b] = [sampleValueSums(mine), sampleValueSums(theirs)];
  return Array.from(a, (sum, t) => (sum === 0 ? 0 : b[t] / sum));
}

function read(input: MergeInput, maxBytes: number): MergeSource {
  try {
    return readSource(input.name, decompress(input.bytes, maxBytes));
  } catch (error) {
    if (error instanceof ProfileError) throw new ProfileError(`merging profiles: ${input.name}: ${error.message}`, error.details);
    throw error;
  }
}
