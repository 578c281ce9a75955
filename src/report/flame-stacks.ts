import { hasNoValue, ProfileData, sampleCount, sharedInt32, sharedUint16 } from '../profile/profile-data';
import { frameKeys, Granularity } from './granularity';
import { GrowableInt32 } from '../profile/growable';
import { StackTrie, stackTrie } from './stack-trie';
import { isRefined, RefinedStacks, RefineOptions } from './refine';

export interface FlameStacksOptions {
  granularity: Granularity;
  refine: RefineOptions;
  /** Leaf first: the bottom-up (inverted) flame graph. */
  inverted: boolean;
}

/**
 * Every kept sample's stack as node keys, root first (leaf first when inverted). This is the full call tree,
 * implicitly: a flame graph of any zoom is cut from it by partitioning samples (flamegraph.ts), so nothing narrow
 * is ever lost, and no object or tree node per call path is built up front (a 1M-sample heap profile has about
 * 11M distinct call paths). Held in one of two forms, read alike by the cut (stack-frontier.ts) and the search.
 */
export type FlameStacks = KeyStacks | LocationStacks;

interface StackNames {
  inverted: boolean;
  /** node key -> name, file and a line in it (0: none), at the granularity asked for */
  names: string[];
  files: string[];
  lines: number[];
}

/** A refined view: the kept frames of every kept sample, written out as keys, in shared arrays. */
export interface KeyStacks extends StackNames {
  form: 'keys';
  /** Per kept stack: the sample it came from (values are read there). */
  sample: Int32Array;
  /** Keys of stack i are keys[start[i] .. start[i + 1]). */
  start: Int32Array;
  keys: Uint16Array | Int32Array;
}

/**
 * A view with no refinement: stack i is sample i, read in place from the profile's own stacks (a location index
 * per frame of the call, data.sampleLocations), each location standing for its keys, with the trie of the paths
 * samples share. Per sample it keeps about 9 bytes (its place in the trie), where written out as keys a deep
 * 1M-sample profile's stacks would take more than its decoded size again (2 bytes a frame).
 * Samples with no value in any type, which pprof skips, are read with their value of 0, which every reader skips.
 */
export interface LocationStacks extends StackNames {
  form: 'locations';
  granularity: Granularity;
  /** Location l's keys, in stack order (root first, or leaf first when inverted): locationKeys[locationKeyStart[l] ..]. */
  locationKeyStart: Int32Array;
  locationKeys: Int32Array;
  /** The paths many samples share, which a cut takes together. */
  trie: StackTrie;
}

export function flameStacks(data: ProfileData, options: FlameStacksOptions): FlameStacks {
  // Label frames are in the data the stacks were built from, not in the profile the cut reads: written out as keys.
  if (!isRefined(options.refine) && everyLocationHasFrames(data)) return locationStacks(data, options);
  return keyStacks(data, options);
}

/** The keys of every stack, written out (refined views; and the cut's fallback for an outsized answer). */
export function keyStacks(data: ProfileData, options: FlameStacksOptions): KeyStacks {
  const { keyOfFrame, names, files, lines } = frameKeys(data, options.granularity);
  const stacks = new RefinedStacks(data, options.refine);
  const frames = new Int32Array(stacks.maxDepth);
  const kept = new GrowableInt32(1024);
  const starts = new GrowableInt32(1024);
  const keys = new GrowableInt32(1 << 16);
  starts.push(0);
  for (let s = 0, n = sampleCount(data); s < n; s++) {
    if (hasNoValue(data, s)) continue; // pprof skips samples with no value
    const depth = stacks.frames(s, frames);
    if (depth < 0) continue;
    if (options.inverted) for (let i = depth - 1; i >= 0; i--) keys.push(keyOfFrame[frames[i]]);
    else for (let i = 0; i < depth; i++) keys.push(keyOfFrame[frames[i]]);
    kept.push(s);
    starts.push(keys.length);
  }
  return {
    form: 'keys',
    inverted: options.inverted,
    names,
    files,
    lines,
    sample: toShared(kept),
    start: toShared(starts),
    keys: names.length <= 0x10000 ? toSharedUint16(keys) : toShared(keys),
  };
}

function locationStacks(data: ProfileData, options: FlameStacksOptions): LocationStacks {
  const { keyOfFrame, names, files, lines } = frameKeys(data, options.granularity);
  const { locationFrameStart } = data;
  const locations = locationFrameStart.length - 1;
  const locationKeyStart = sharedInt32(locations + 1);
  const locationKeys = sharedInt32(locationFrameStart[locations]);
  // A location's frames are leaf first: root first reads them backwards, as RefinedStacks.frames does.
  for (let l = 0, at = 0; l < locations; l++) {
    locationKeyStart[l] = at;
    const from = locationFrameStart[l];
    const to = locationFrameStart[l + 1];
    if (options.inverted) for (let f = from; f < to; f++) locationKeys[at++] = keyOfFrame[f];
    else for (let f = to - 1; f >= from; f--) locationKeys[at++] = keyOfFrame[f];
    locationKeyStart[l + 1] = at;
  }
  return { form: 'locations', granularity: options.granularity, inverted: options.inverted, names, files, lines, locationKeyStart, locationKeys, trie: stackTrie(data, locationKeyStart, locationKeys, options.inverted) };
}

/** The decoder gives every location a frame (an unsymbolized one has one without a name); read in place only then. */
function everyLocationHasFrames(data: ProfileData): boolean {
  const { locationFrameStart } = data;
  for (let l = 0; l < locationFrameStart.length - 1; l++) if (locationFrameStart[l + 1] <= locationFrameStart[l]) return false;
  return true;
}

function toShared(source: GrowableInt32): Int32Array {
  const out = sharedInt32(source.length);
  out.set(source.view());
  return out;
}

function toSharedUint16(source: GrowableInt32): Uint16Array {
  const out = sharedUint16(source.length);
  out.set(source.view());
  return out;
}
