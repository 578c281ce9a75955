import { InputError } from '../../errors';
import { compilePattern } from '../pattern';
import { compileTagFilter } from './tag-filter';

/** pprof's label filters, in the order its legend lists them: samples by label, then label keys by name. */
export const TAG_FILTER_KEYS = ['tagfocus', 'tagignore', 'tagshow', 'taghide'] as const;
/** pprof's label pseudo frames: label keys whose values become frames at the root or the leaf. */
export const LABEL_FRAME_KEYS = ['tagroot', 'tagleaf'] as const;
export type TagKey = (typeof TAG_FILTER_KEYS)[number] | (typeof LABEL_FRAME_KEYS)[number];
export type TagOptions = Partial<Record<TagKey, string>>;

/** More keys than anyone groups by, refused: each adds a frame to every sample. */
const MAX_FRAME_KEYS = 16;

export function hasTagOptions(options: TagOptions): boolean {
  return TAG_FILTER_KEYS.some((k) => options[k]) || LABEL_FRAME_KEYS.some((k) => options[k]);
}

/** Compiles every label option, throwing an InputError that names the first bad one. */
export function checkTagOptions(options: TagOptions): void {
  compileTagFilter('tagfocus', options.tagfocus);
  compileTagFilter('tagignore', options.tagignore);
  if (options.tagshow) compilePattern('tagshow', options.tagshow);
  if (options.taghide) compilePattern('taghide', options.taghide);
  for (const key of LABEL_FRAME_KEYS) {
    if (labelFrameKeys(options[key]).length > MAX_FRAME_KEYS) {
      throw new InputError(`too many ${key} keys`, [{ key, message: `at most ${MAX_FRAME_KEYS} comma-separated label keys` }]);
    }
  }
}

/** tagroot/tagleaf's comma-separated keys, empty ones dropped (pprof's dropEmptyStrings). */
export function labelFrameKeys(value: string | undefined): string[] {
  return (value ?? '').split(',').filter((key) => key !== '');
}
