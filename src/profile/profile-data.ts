/** A value type as pprof names it: `inuse_space`/`bytes`, `cpu`/`nanoseconds`, ... */
export interface ValueType {
  type: string;
  unit: string;
}

/**
 * A decoded, validated profile held in flat typed arrays rather than an object per sample, so a
 * million-sample profile stays small. The arrays live on SharedArrayBuffers: worker threads read them in place,
 * without a copy, when they build refined views.
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
  /** Function, file, mapping and label strings; index 0 is "". */
  strings: string[];

  /** Function name; 0 ("") for a frame with no function (an unsymbolized location). */
  frameName: Int32Array;
  frameFile: Int32Array;
  frameLine: Int32Array;
  /** The line its function starts at (Function.start_line), 0 when the profile does not say (Go before 1.20). */
  frameStartLine: Int32Array;
  /** 1 when the frame was inlined into the next frame of its location. */
  frameInlined: Uint8Array;
  /** Location i owns frames [locationFrameStart[i], locationFrameStart[i+1]). */
  locationFrameStart: Int32Array;
  /** The file of location i's mapping (the binary), 0 when none: pprof's name filters match it too. */
  locationMapping: Int32Array;

  /** Sample i's stack is sampleLocations[sampleStart[i] .. sampleStart[i+1]), leaf first. */
  sampleStart: Int32Array;
  sampleLocations: Int32Array | Uint16Array;
  /** sampleTypes.length values per sample. */
  values: Float64Array;
  /** Per sample, its string labels joined as pprof's graph joins them ("k:v" sorted), 0 when none. */
  sampleLabels: Int32Array;
  /** Per sample, its numeric label "bytes" (a heap object's size), NaN when none. */
  sampleBytes: Float64Array;
}

export function sampleCount(data: ProfileData): number {
  return data.sampleStart.length - 1;
}

/** True when sample s is zero in every sample type: pprof skips such samples in every view. */
export function hasNoValue(data: ProfileData, s: number): boolean {
  const T = data.sampleTypes.length;
  for (let t = 0; t < T; t++) if (data.values[s * T + t] !== 0) return false;
  return true;
}

export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

export function sharedUint16(length: number): Uint16Array {
  return new Uint16Array(new SharedArrayBuffer(length * Uint16Array.BYTES_PER_ELEMENT));
}

export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** The typed arrays of a ProfileData that are not shared, to transfer rather than copy between threads. */
export function transferables(data: ProfileData): ArrayBuffer[] {
  return [
    data.frameName,
    data.frameFile,
    data.frameLine,
    data.frameStartLine,
    data.frameInlined,
    data.locationFrameStart,
    data.locationMapping,
    data.sampleStart,
    data.sampleLocations,
    data.values,
    data.sampleLabels,
    data.sampleBytes,
  ]
    .map((array) => array.buffer)
    .filter((buffer): buffer is ArrayBuffer => !isShared(buffer));
}

/** By its tag rather than instanceof, which fails across realms (a worker's, a test runner's). */
export function isShared(buffer: ArrayBufferLike): buffer is SharedArrayBuffer {
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}
