/** A value type as pprof names it: `inuse_space`/`bytes`, `cpu`/`nanoseconds`, ... */
export interface ValueType {
  type: string;
  unit: string;
}

/**
 * A decoded, validated profile held in flat typed arrays rather than an object per sample, so a
 * million-sample profile stays small and can cross a worker boundary without copying.
 *
 * Frames are a location's lines, leaf first: a location with inlined calls has several frames, the last being
 * the function they were inlined into (pprof's Location.line order).
 */
export interface ProfileData {
  sampleTypes: ValueType[];
  /** Index into sampleTypes that pprof shows by default. */
  defaultSampleIndex: number;
  periodType?: ValueType;
  period: number;
  timeNanos: number;
  durationNanos: number;
  mainBinary?: { file: string; buildId: string };
  comments: string[];
  /** Function and file names; index 0 is "". */
  strings: string[];

  frameName: Int32Array;
  frameFile: Int32Array;
  frameLine: Int32Array;
  /** 1 when the frame was inlined into the next frame of its location. */
  frameInlined: Uint8Array;
  /** Location i owns frames [locationFrameStart[i], locationFrameStart[i+1]). */
  locationFrameStart: Int32Array;

  /** Sample i's stack is sampleLocations[sampleStart[i] .. sampleStart[i+1]), leaf first. */
  sampleStart: Int32Array;
  sampleLocations: Int32Array;
  /** sampleTypes.length values per sample. */
  values: Float64Array;
}

export function sampleCount(data: ProfileData): number {
  return data.sampleStart.length - 1;
}

/** The typed arrays of a ProfileData, to transfer rather than copy between threads. */
export function transferables(data: ProfileData): ArrayBuffer[] {
  return [
    data.frameName,
    data.frameFile,
    data.frameLine,
    data.frameInlined,
    data.locationFrameStart,
    data.sampleStart,
    data.sampleLocations,
    data.values,
  ].map((array) => array.buffer as ArrayBuffer);
}
