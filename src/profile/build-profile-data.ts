import { ProfileError } from '../errors';
import { isShared, ProfileData, sharedInt32, sharedUint16, sharedUint8, ValueType } from './profile-data';
import { RawProfile } from './read-profile';
import { IdIndex } from './validate-tables';

/** Strings re-interned so the result carries only the ones frames, mappings and labels use. */
export class Interner {
  readonly strings = [''];
  /** Text -> index, made when intern() first needs it (add() needs none). */
  private index?: Map<string, number>;

  intern(s: string): number {
    this.index ??= new Map(this.strings.map((text, i) => [text, i]));
    const i = this.index.get(s);
    return i === undefined ? this.add(s) : i;
  }

  /** Adds s, which the caller knows is not among the strings yet, without looking it up. */
  add(s: string): number {
    const i = this.strings.length;
    this.strings.push(s);
    this.index?.set(s, i);
    return i;
  }
}

/**
 * Validated raw tables -> ProfileData: frames per location (leaf first), stacks as location indices, in place.
 * Checks, in this order, what validateTables leaves: that every location's mapping and functions exist, then every
 * sample's locations.
 */
export function buildProfileData(raw: RawProfile, index: { locationIndex: IdIndex; functionIndex: IdIndex; mappingIndex: IdIndex }): ProfileData {
  const text = (i: number) => raw.strings[i] ?? '';
  const interner = new Interner();
  const frames = buildFrames(raw, index, interner);
  const stack = stackOfIndices(raw, index.locationIndex);
  const sampleLabels = sharedInt32(raw.sampleStart.length - 1);
  const labelIds = labelSetNames(raw, interner);
  raw.sampleLabelSet?.forEach((set, i) => (sampleLabels[i] = set >= 0 ? labelIds[set] : 0));

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
  const missing = table ? denseToIndices(ids, stack, length, table) : sparseToIndices(ids, stack, length, locationIndex);
  if (missing >= 0) {
    let sample = 0;
    while (raw.sampleStart[sample + 1] <= missing) sample++;
    throw new ProfileError(`invalid profile: sample[${sample}] refers to location ${ids[missing]}, which does not exist`);
  }
  return stack;
}

// The two loops that convert ids[0..length) into stack, through the dense table or the index: each returns the
// first entry no location has, or -1. Functions of their own, with nothing after the loop (see buildFrames).

function denseToIndices(ids: ArrayLike<number>, stack: Int32Array | Uint16Array, length: number, table: Int32Array): number {
  const size = table.length;
  for (let k = 0; k < length; k++) {
    const id = ids[k];
    const index = id < size ? table[id] : -1;
    if (index < 0) return k;
    stack[k] = index;
  }
  return -1;
}

function sparseToIndices(ids: ArrayLike<number>, stack: Int32Array | Uint16Array, length: number, locationIndex: IdIndex): number {
  for (let k = 0; k < length; k++) {
    const index = locationIndex.get(ids[k]);
    if (index < 0) return k;
    stack[k] = index;
  }
  return -1;
}

/** Each label set as pprof's graph (joinLabels) names it, interned: "key:value" sorted, joined by a literal backslash-n. */
function labelSetNames(raw: RawProfile, interner: Interner): number[] {
  const { start, key, value } = raw.labelSets;
  const text = (i: number) => raw.strings[i] ?? '';
  const names: number[] = [];
  for (let set = 0; set + 1 < start.length; set++) {
    const pairs: string[] = [];
    for (let l = start[set]; l < start[set + 1]; l++) pairs.push(`${text(key[l])}:${text(value[l])}`);
    names.push(interner.intern(pairs.sort().join('\\n')));
  }
  return names;
}

/**
 * The interned index of each of the raw table's strings, interned once however many functions share it. When no
 * two raw strings are alike (readProfile tells), each is new to the interner the first time: added without a
 * lookup, which spares hashing every function's name.
 */
class RawStrings {
  private readonly interned: Int32Array;

  constructor(
    private readonly raw: RawProfile,
    private readonly interner: Interner,
  ) {
    this.interned = new Int32Array(raw.strings.length).fill(-1);
    this.interned[0] = 0; // "" (validateTables checked), the interner's first string
  }

  /** index: a raw string index validateTables checked. Nothing but raw strings may be interned before its last call. */
  intern(index: number): number {
    let i = this.interned[index];
    if (i < 0) {
      const text = this.raw.strings[index];
      i = this.interned[index] = this.raw.stringsDistinct ? this.interner.add(text) : this.interner.intern(text);
    }
    return i;
  }
}

type Frames = Pick<ProfileData, 'frameName' | 'frameFile' | 'frameLine' | 'frameStartLine' | 'frameInlined' | 'locationFrameStart' | 'locationMapping'>;

/**
 * The frames of every location, its mapping's and functions' references checked (pprof's CheckValid). Each loop
 * is a function of its own, with nothing after it: on a worker's first profile V8 compiles a long loop while it
 * runs, from what the code has done so far, and code after the loop that has not run yet (another loop) throws
 * that compiled code away when it is reached.
 */
function buildFrames(raw: RawProfile, index: { functionIndex: IdIndex; mappingIndex: IdIndex }, interner: Interner): Frames {
  const { locations, functions, mappings } = raw;
  const strings = new RawStrings(raw, interner);
  // Interned in this order (each function's name, then its file; then the mappings' files), which numbers the strings.
  const { functionName, functionFile } = internFunctions(functions, strings);
  const mappingFile = new Int32Array(mappings.id.length);
  for (let i = 0; i < mappings.id.length; i++) mappingFile[i] = strings.intern(mappings.filename[i]);
  const count = locations.id.length;
  const frameCount = countFrames(locations.lineStart);
  const frames: Frames = {
    frameName: sharedInt32(frameCount),
    frameFile: sharedInt32(frameCount),
    frameLine: sharedInt32(frameCount),
    frameStartLine: sharedInt32(frameCount),
    frameInlined: sharedUint8(frameCount),
    locationFrameStart: sharedInt32(count + 1),
    locationMapping: sharedInt32(count),
  };
  fillFrames(raw, index, { functionName, functionFile, mappingFile }, frames);
  return frames;
}

function internFunctions(functions: RawProfile['functions'], strings: RawStrings): { functionName: Int32Array; functionFile: Int32Array } {
  const functionName = new Int32Array(functions.id.length);
  const functionFile = new Int32Array(functions.id.length);
  for (let i = 0; i < functions.id.length; i++) {
    functionName[i] = strings.intern(functions.name[i]);
    functionFile[i] = strings.intern(functions.filename[i]);
  }
  return { functionName, functionFile };
}

/** A frame per line, and one for a location with none: as pprof's graph makes an unsymbolized location (name, file, line 0). */
function countFrames(lineStart: Int32Array): number {
  let frames = 0;
  for (let i = 0; i + 1 < lineStart.length; i++) frames += Math.max(1, lineStart[i + 1] - lineStart[i]);
  return frames;
}

function fillFrames(raw: RawProfile, index: { functionIndex: IdIndex; mappingIndex: IdIndex }, interned: { functionName: Int32Array; functionFile: Int32Array; mappingFile: Int32Array }, frames: Frames): void {
  const { locations, functions } = raw;
  const { lineStart, lineFunction, lineNumber } = locations;
  const { functionName, functionFile, mappingFile } = interned;
  const { frameName, frameFile, frameLine, frameStartLine, frameInlined, locationFrameStart, locationMapping } = frames;
  // The id -> index tables, read inline: this is the hottest loop of a profile of many locations, and it runs in
  // V8's interpreter on a worker's first profile, where every call costs.
  const functionTable = index.functionIndex.table;
  const mappingTable = index.mappingIndex.table;
  const count = locations.id.length;
  locationFrameStart[count] = frameName.length; // the end, set before the loop rather than after it (see buildFrames)
  let frame = 0;
  for (let i = 0; i < count; i++) {
    locationFrameStart[i] = frame;
    const mappingId = locations.mappingId[i];
    const mapping = mappingId === 0 ? -1 : mappingTable && mappingId > 0 && mappingId < mappingTable.length ? mappingTable[mappingId] : index.mappingIndex.get(mappingId);
    if (mappingId !== 0 && mapping < 0) fail(`location[${i}] refers to mapping ${mappingId}, which does not exist`);
    locationMapping[i] = mapping >= 0 ? mappingFile[mapping] : 0;
    const start = lineStart[i];
    const end = lineStart[i + 1];
    if (end === start) frame++;
    for (let j = start; j < end; j++) {
      const functionId = lineFunction[j];
      const fn = functionId === 0 ? -1 : functionTable && functionId > 0 && functionId < functionTable.length ? functionTable[functionId] : index.functionIndex.get(functionId);
      if (functionId !== 0 && fn < 0) fail(`location[${i}].line[${j - start}] refers to function ${functionId}, which does not exist`);
      frameName[frame] = fn >= 0 ? functionName[fn] : 0;
      frameFile[frame] = fn >= 0 ? functionFile[fn] : 0;
      frameLine[frame] = fn >= 0 ? lineNumber[j] : 0;
      frameStartLine[frame] = fn >= 0 ? functions.startLine[fn] : 0;
      frameInlined[frame] = j < end - 1 ? 1 : 0;
      frame++;
    }
  }
}

function fail(message: string): never {
  throw new ProfileError(`invalid profile: ${message}`);
}
