import { ProfileData } from '../../profile/profile-data';
import { keepSamplesByLabels } from './keep-samples';
import { withShownLabelKeys } from './label-keys';
import { withLabelFrames } from './label-frames';
import { hasTagOptions, labelFrameKeys, TagOptions } from './tag-options';

/** A profile as pprof's label options leave it, with the samples its label filters keep. */
export interface LabelledProfile extends ProfileData {
  /** Per sample, 1 when tagfocus/tagignore keep it; absent when neither is given. RefinedStacks honours it. */
  keptByLabels?: Uint8Array;
}

/**
 * The label options in pprof's order (driver.go, driver_focus.go applyFocus): tagroot/tagleaf frames first (so name
 * filters can match them), then tagfocus/tagignore on the full labels, then tagshow/taghide drop keys. Samples keep
 * their indices: the filters' verdict is a mask, as for the name filters, so totals stay the whole profile's.
 * Without label options, the data itself.
 */
export function labelledProfile(data: ProfileData, options: TagOptions): LabelledProfile {
  if (!hasTagOptions(options)) return data;
  const framed = withLabelFrames(data, labelFrameKeys(options.tagroot), labelFrameKeys(options.tagleaf));
  const keptByLabels = keepSamplesByLabels(data, options);
  const shown = withShownLabelKeys(framed, options);
  return keptByLabels ? { ...shown, keptByLabels } : shown;
}
