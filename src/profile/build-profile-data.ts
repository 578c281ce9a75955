import { ProfileError } from '../errors';
import { isShared, ProfileData, sharedInt32, sharedUint16, sharedUint8, ValueType } from './profile-data';
import { RawProfile } from './read-profile';
import { IdIndex } from './validate-tables';

/** Strings re-interned so the result carries only the ones frames, mappings and labels use. */
export class Interner {
  readonly strings = [''];
  private readonly index = new Map<string, number>([['', 0]]);
  intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Validated raw tables -> ProfileData: frames per location (leaf first), stacks as location indices, in place. */
export function buildProfileData(raw: RawProfile, index: { locationIndex: IdIndex; functionIndex: IdIndex; mappingIndex: IdIndex }): ProfileData {
  const text = (i: number) => raw.strings[i] ?? '';
  const stack = stackOfIndices(raw, index.locationIndex);
  const interner = new Interner();
  const frames = buildFrames(raw, index, interner);

  const sampleLabels = sharedInt32(raw.sampleStart.length - 1);
  const labelIds = raw.labelSets.map((set) =>
    interner.intern(
      set
        .split('\n')
        .map((pair) => pair.split('\u0000').map(Number))
        .map(([key, value]) => `${text(key)}:${text(value)}`)
        .sort()
        // pprof's graph (joinLabels) sorts "key:value" and joins with a literal backslash-n.
        .join('\\n'),
    ),
  );
  raw.sampleLabelSet.forEach((set, i) => (sampleLabels[i] = set >= 0 ? labelIds[set] : 0));

  const sampleTypes: ValueType[] = raw.sampleTypes.map((t) => ({ type: text(t.type), unit: text(t.unit) }));
  const defaultName = text(raw.defaultSampleType);
  const defaultIndex = defaultName ? sampleTypes.findIndex((t) => t.type === defaultName) : -1;
  return {
    sampleTypes,
    // pprof's choice: the declared default, else the last sample type.
    defaultSampleIndex: defaultIndex >= 0 ? defaultIndex : sampleTypes.length - 1,
    periodType: raw.periodType ? { type: text(raw.periodType.type), unit: text(raw.periodType.unit) } : undefined,
    period: raw.period,
    timeNanos: raw.timeNanos,
    durationNanos: raw.durationNanos,
    mainBinary: raw.mappings.id.length > 0 ? { file: text(raw.mappings.filename[0]), buildId: text(raw.mappings.buildId[0]) } : undefined,
    comments: raw.comments.map(text),
    strings: interner.strings,
    ...frames,
    sampleStart: raw.sampleStart,
    sampleLocations: stack,
    values: raw.values,
    sampleLabels,
    sampleBytes: raw.sampleBytes,
  };
}

/**
 * The stacks as location indices, in a shared array, each id checked as it is converted: pprof's CheckValid
 * refuses an id no location has.
 */
function stackOfIndices(raw: RawProfile, locationIndex: IdIndex): Int32Array | Uint16Array {
  const ids = raw.stackIds;
  const length = raw.sampleStart[raw.sampleStart.length - 1];
  // 16 bits per entry when the locations are few enough (indices 0..65535), whatever their ids; in place when the
  // raw array (shared) already has that width, as Go's profiles do.
  const narrow = raw.locations.id.length <= 0x10000;
  const inPlace = (narrow ? ids instanceof Uint16Array : ids instanceof Int32Array) && isShared(ids.buffer) && ids.length === length;
  const stack = inPlace ? (ids as Uint16Array | Int32Array) : narrow ? sharedUint16(length) : sharedInt32(length);
  const table = locationIndex.table;
  let missing = -1;
  if (table) {
    const size = table.length;
    for (let k = 0; k < length; k++) {
      const id = ids[k];
      const index = id < size ? table[id] : -1;
      if (index < 0) {
        missing = k;
        break;
      }
      stack[k] = index;
    }
  } else {
    for (let k = 0; k < length; k++) {
      const index = locationIndex.get(ids[k]);
      if (index < 0) {
        missing = k;
        break;
      }
      stack[k] = index;
    }
  }
  if (missing >= 0) {
    let sample = 0;
    while (raw.sampleStart[sample + 1] <= missing) sample++;
    throw new ProfileError(`invalid profile: sample[${sample}] refers to location ${ids[missing]}, which does not exist`);
  }
  return stack;
}

function buildFrames(raw: RawProfile, index: { functionIndex: IdIndex; mappingIndex: IdIndex }, interner: Interner) {
  const { locations, functions, mappings } = raw;
  const text = (i: number) => raw.strings[i] ?? '';
  const functionName: number[] = [];
  const functionFile: number[] = [];
  functions.name.forEach((name, i) => {
    functionName.push(interner.intern(text(name)));
    functionFile.push(interner.intern(text(functions.filename[i])));
  });
  const mappingFile = mappings.filename.map((f) => interner.intern(text(f)));
  const count = locations.id.length;
  const lineEnd = (i: number) => (i + 1 < count ? locations.lineStart[i + 1] : locations.lineFunction.length);
  let frameCount = 0;
  for (let i = 0; i < count; i++) frameCount += Math.max(1, lineEnd(i) - locations.lineStart[i]);

  const frameName = sharedInt32(frameCount);
  const frameFile = sharedInt32(frameCount);
  const frameLine = sharedInt32(frameCount);
  const frameStartLine = sharedInt32(frameCount);
  const frameInlined = sharedUint8(frameCount);
  const locationFrameStart = sharedInt32(count + 1);
  const locationMapping = sharedInt32(count);
  let frame = 0;
  for (let i = 0; i < count; i++) {
    locationFrameStart[i] = frame;
    const mapping = locations.mappingId[i] === 0 ? -1 : index.mappingIndex.get(locations.mappingId[i]);
    locationMapping[i] = mapping >= 0 ? mappingFile[mapping] : 0;
    const start = locations.lineStart[i];
    const end = lineEnd(i);
    // An unsymbolized location is one frame with no function, as pprof's graph makes it (name, file, line 0).
    if (end === start) frame++;
    for (let j = start; j < end; j++) {
      const fn = locations.lineFunction[j] === 0 ? -1 : index.functionIndex.get(locations.lineFunction[j]);
      frameName[frame] = fn >= 0 ? functionName[fn] : 0;
      frameFile[frame] = fn >= 0 ? functionFile[fn] : 0;
      frameLine[frame] = fn >= 0 ? locations.lineNumber[j] : 0;
      frameStartLine[frame] = fn >= 0 ? functions.startLine[fn] : 0;
      frameInlined[frame] = j < end - 1 ? 1 : 0;
      frame++;
    }
  }
  locationFrameStart[count] = frame;
  return { frameName, frameFile, frameLine, frameStartLine, frameInlined, locationFrameStart, locationMapping };
}
