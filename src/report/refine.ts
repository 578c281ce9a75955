import { ProfileData, sampleCount } from '../profile/profile-data';
import { compilePattern } from './pattern';
import { LabelledProfile } from './tags/labelled-profile';
import { keepSamplesByLabels } from './tags/keep-samples';
import { checkTagOptions, LABEL_FRAME_KEYS, TAG_FILTER_KEYS } from './tags/tag-options';

/** pprof's name filters, as its flags and its web UI's URL spell them. */
const NAME_FILTER_KEYS = ['focus', 'ignore', 'hide', 'show', 'show_from'] as const;
type NameFilterKey = (typeof NAME_FILTER_KEYS)[number];
/** pprof's filters, name and label ones, in the order its legend lists them ("Active filters:"). */
export const REFINE_KEYS = [...NAME_FILTER_KEYS, ...TAG_FILTER_KEYS] as const;
/** Every refinement a view takes: the filters, and the label pseudo frames (tagroot, tagleaf). */
export const REFINE_OPTION_KEYS = [...REFINE_KEYS, ...LABEL_FRAME_KEYS] as const;
export type RefineKey = (typeof REFINE_OPTION_KEYS)[number];
/** Regex sources (Go syntax) and pprof's label options; an absent or empty one does not refine. */
export type RefineOptions = Partial<Record<RefineKey, string>>;

type Compiled = Partial<Record<NameFilterKey, RegExp>>;

/** Compiles every option, throwing an InputError that names the first bad one (pprof's compileRegexOption). */
export function compileRefine(options: RefineOptions): Compiled {
  const compiled: Compiled = {};
  for (const key of NAME_FILTER_KEYS) {
    const source = options[key];
    if (source) compiled[key] = compilePattern(key, source);
  }
  checkTagOptions(options);
  return compiled;
}

/** True when some option applies: the stacks are then not the profile's own. */
export function isRefined(options: RefineOptions): boolean {
  return REFINE_OPTION_KEYS.some((k) => options[k]);
}

/**
 * The samples as pprof sees them after its filters (profile/filter.go, applied by driver/driver_focus.go):
 *  - focus/ignore keep a sample when some location matches focus and none matches ignore, judged on the
 *    locations' original lines (FilterSamplesByName);
 *  - hide drops the lines that match, show keeps only those that do; a location left with no line leaves the
 *    sample, and a sample left with no location is dropped;
 *  - show_from then keeps, per sample, the locations from its rootmost match down to the leaf, and within a
 *    matching location the lines up to its rootmost matching one (ShowFrom).
 * A location matches by any line's function name or file name, or by its mapping's file.
 * tagfocus/tagignore keep samples by their labels (tags/keep-samples.ts); the other label options take effect in
 * the data (tags/labelled-profile.ts), which the report jobs hand the views.
 */
export class RefinedStacks {
  private depth = -1;
  /** Per frame, 1 when a kept frame of its location follows it: a call pprof marks inline. */
  readonly inlined: Uint8Array;
  private readonly frameKept?: Uint8Array;
  private readonly locationKept?: Uint8Array;
  private readonly sampleKept?: Uint8Array;
  private readonly showFrom?: Uint8Array;

  /** only: per sample, 1 to keep it; the others are dropped before any filter (one side of a diff). */
  constructor(private readonly data: ProfileData, options: RefineOptions = {}, only?: Uint8Array) {
    const re = compileRefine(options);
    const match = new Matcher(data);
    if (re.focus || re.ignore) this.sampleKept = keepSamples(data, match, re.focus, re.ignore);
    const byLabels = (data as LabelledProfile).keptByLabels ?? keepSamplesByLabels(data, options);
    if (byLabels) this.sampleKept = this.sampleKept ? bothKept(this.sampleKept, byLabels) : byLabels;
    if (only) this.sampleKept = this.sampleKept ? bothKept(this.sampleKept, only) : only;
    if (re.hide || re.show) {
      this.frameKept = keepFrames(data, match, re.hide, re.show);
    }
    if (re.show_from) {
      this.frameKept ??= new Uint8Array(data.frameName.length).fill(1);
      this.showFrom = markShowFrom(data, match, re.show_from, this.frameKept);
    }
    if (this.frameKept) this.locationKept = keptLocations(data, this.frameKept);
    this.inlined = this.frameKept ? inlinedAfterFilters(data, this.frameKept) : data.frameInlined;
  }

  /** The most frames any sample has: the size of the buffer frames() fills (a pass over every stack, made once). */
  get maxDepth(): number {
    if (this.depth < 0) this.depth = maxDepth(this.data);
    return this.depth;
  }

  /** True when no filter applies: every sample keeps every frame, so callers may walk the stacks directly. */
  get unrefined(): boolean {
    return !this.sampleKept && !this.frameKept && !this.showFrom;
  }

  /** Writes sample s's kept frames into out, root first; returns how many, or -1 when the sample is dropped. */
  frames(s: number, out: Int32Array): number {
    if (this.sampleKept && !this.sampleKept[s]) return -1;
    const { sampleStart, sampleLocations, locationFrameStart } = this.data;
    const { frameKept, locationKept, showFrom } = this;
    let top = sampleStart[s + 1] - 1;
    if (showFrom) {
      while (top >= sampleStart[s] && !(showFrom[sampleLocations[top]] && locationKept?.[sampleLocations[top]])) top--;
      if (top < sampleStart[s]) return -1;
    }
    let n = 0;
    for (let l = top; l >= sampleStart[s]; l--) {
      const location = sampleLocations[l];
      for (let f = locationFrameStart[location + 1] - 1; f >= locationFrameStart[location]; f--) {
        if (!frameKept || frameKept[f]) out[n++] = f;
      }
    }
    return n === 0 ? -1 : n;
  }
}

/** Regex results per string, computed once: names repeat across frames. */
class Matcher {
  private readonly cache = new Map<RegExp, Int8Array>();
  constructor(private readonly data: ProfileData) {}

  string(re: RegExp, index: number): boolean {
    let results = this.cache.get(re);
    if (!results) {
      results = new Int8Array(this.data.strings.length).fill(-1);
      this.cache.set(re, results);
    }
    if (results[index] < 0) results[index] = re.test(this.data.strings[index]) ? 1 : 0;
    return results[index] === 1;
  }

  unsymbolized(f: number): boolean {
    return this.data.frameName[f] === 0 && this.data.frameFile[f] === 0;
  }

  /** A frame with a function matches by its name or file; one without (unsymbolized) never does. */
  frame(re: RegExp, f: number): boolean {
    if (this.unsymbolized(f)) return false;
    return this.string(re, this.data.frameName[f]) || this.string(re, this.data.frameFile[f]);
  }

  mapping(re: RegExp, location: number): boolean {
    const file = this.data.locationMapping[location];
    return file !== 0 && this.string(re, file);
  }

  location(re: RegExp, location: number): boolean {
    const { locationFrameStart } = this.data;
    for (let f = locationFrameStart[location]; f < locationFrameStart[location + 1]; f++) if (this.frame(re, f)) return true;
    return this.mapping(re, location);
  }
}

function keepSamples(data: ProfileData, match: Matcher, focus?: RegExp, ignore?: RegExp): Uint8Array {
  const locations = data.locationMapping.length;
  // 1 focused, 2 ignored, 0 neither (pprof's focusOrIgnore map)
  const verdict = new Uint8Array(locations);
  for (let l = 0; l < locations; l++) {
    if (ignore && match.location(ignore, l)) verdict[l] = 2;
    else if (!focus || match.location(focus, l)) verdict[l] = 1;
  }
  const kept = new Uint8Array(sampleCount(data));
  for (let s = 0; s < kept.length; s++) {
    let focused = 0;
    for (let i = data.sampleStart[s]; i < data.sampleStart[s + 1]; i++) {
      const v = verdict[data.sampleLocations[i]];
      if (v === 2) {
        focused = 0;
        break;
      }
      if (v === 1) focused = 1;
    }
    kept[s] = focused;
  }
  return kept;
}

function bothKept(a: Uint8Array, b: Uint8Array): Uint8Array {
  for (let s = 0; s < a.length; s++) a[s] &= b[s];
  return a;
}

function keepFrames(data: ProfileData, match: Matcher, hide?: RegExp, show?: RegExp): Uint8Array {
  const kept = new Uint8Array(data.frameName.length).fill(1);
  const { locationFrameStart } = data;
  for (let l = 0; l < locationFrameStart.length - 1; l++) {
    const hideAll = hide !== undefined && match.mapping(hide, l);
    const showAll = show !== undefined && match.mapping(show, l);
    for (let f = locationFrameStart[l]; f < locationFrameStart[l + 1]; f++) {
      if (hide && (hideAll || match.frame(hide, f))) kept[f] = 0;
      // Under show an unsymbolized location keeps nothing: it has no line to keep (matchedLines).
      if (show && !(showAll && !match.unsymbolized(f)) && !match.frame(show, f)) kept[f] = 0;
    }
  }
  return kept;
}

/** Marks the locations show_from matches and trims a matching location's lines above its rootmost match. */
function markShowFrom(data: ProfileData, match: Matcher, re: RegExp, frameKept: Uint8Array): Uint8Array {
  const { locationFrameStart } = data;
  const marked = new Uint8Array(locationFrameStart.length - 1);
  for (let l = 0; l < marked.length; l++) {
    if (match.mapping(re, l)) {
      marked[l] = 1;
      continue;
    }
    for (let f = locationFrameStart[l + 1] - 1; f >= locationFrameStart[l]; f--) {
      if (!frameKept[f] || !match.frame(re, f)) continue;
      marked[l] = 1;
      for (let above = f + 1; above < locationFrameStart[l + 1]; above++) frameKept[above] = 0;
      break;
    }
  }
  return marked;
}

function keptLocations(data: ProfileData, frameKept: Uint8Array): Uint8Array {
  const { locationFrameStart } = data;
  const kept = new Uint8Array(locationFrameStart.length - 1);
  for (let l = 0; l < kept.length; l++) {
    for (let f = locationFrameStart[l]; f < locationFrameStart[l + 1]; f++) if (frameKept[f]) kept[l] = 1;
  }
  return kept;
}

/** With lines dropped, a location's last kept line is its outermost call, no longer inlined (pprof edits Location.Line). */
function inlinedAfterFilters(data: ProfileData, frameKept: Uint8Array): Uint8Array {
  const { locationFrameStart } = data;
  const inlined = new Uint8Array(frameKept.length);
  for (let l = 0; l < locationFrameStart.length - 1; l++) {
    let keptAfter = false;
    for (let f = locationFrameStart[l + 1] - 1; f >= locationFrameStart[l]; f--) {
      if (!frameKept[f]) continue;
      inlined[f] = keptAfter ? 1 : 0;
      keptAfter = true;
    }
  }
  return inlined;
}

function maxDepth(data: ProfileData): number {
  const { sampleStart, sampleLocations, locationFrameStart } = data;
  let max = 0;
  for (let s = 0; s < sampleStart.length - 1; s++) {
    let depth = 0;
    for (let i = sampleStart[s]; i < sampleStart[s + 1]; i++) {
      const l = sampleLocations[i];
      depth += locationFrameStart[l + 1] - locationFrameStart[l];
    }
    if (depth > max) max = depth;
  }
  return max;
}
