import { hasNoValue, ProfileData, sampleCount, sharedInt32, sharedUint16 } from '../profile/profile-data';
import { frameKeys, Granularity } from './granularity';
import { GrowableInt32 } from '../profile/growable';
import { RefinedStacks, RefineOptions } from './refine';

export interface FlameStacksOptions {
  granularity: Granularity;
  refine: RefineOptions;
  /** Leaf first: the bottom-up (inverted) flame graph. */
  inverted: boolean;
}

/**
 * Every kept sample's stack as node keys, root first (leaf first when inverted), in shared arrays. This is the
 * full call tree, implicitly: a flame graph of any zoom is cut from it by partitioning samples (flamegraph.ts),
 * so nothing narrow is ever lost, and no object or tree node per call path is built up front (a 1M-sample heap
 * profile has about 11M distinct call paths).
 */
export interface FlameStacks {
  inverted: boolean;
  /** node key -> name, file and a line in it (0: none), at the granularity asked for */
  names: string[];
  files: string[];
  lines: number[];
  /** Per kept stack: the sample it came from (values are read there). */
  sample: Int32Array;
  /** Keys of stack i are keys[start[i] .. start[i + 1]). */
  start: Int32Array;
  keys: Uint16Array | Int32Array;
}

export function flameStacks(data: ProfileData, options: FlameStacksOptions): FlameStacks {
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
    inverted: options.inverted,
    names,
    files,
    lines,
    sample: toShared(kept),
    start: toShared(starts),
    keys: names.length <= 0x10000 ? toSharedUint16(keys) : toShared(keys),
  };
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
