import { Profile } from 'pprof-format';
import { ProfileError } from '../../src/errors';
import { Interner } from '../../src/profile/build-profile-data';
import { decompress } from '../../src/profile/decompress';
import { ProfileData, sharedFloat64, sharedInt32, sharedUint8, ValueType } from '../../src/profile/profile-data';
import { DEFAULT_LIMITS, StructureLimits } from '../../src/profile/limits';
import { validateStructure } from './reference-validate';

export interface DecodeOptions {
  maxBytes: number;
  limits?: StructureLimits;
}

/**
 * The reference decoder: pprof-format's objects, checked as pprof's CheckValid does, then turned into ProfileData.
 * The service decodes with src/profile/decode.ts; this one is the oracle it must agree with.
 */
export function referenceDecode(bytes: Uint8Array, options: DecodeOptions): ProfileData {
  const raw = decompress(bytes, options.maxBytes);
  let profile: Profile;
  try {
    profile = Profile.decode(raw);
  } catch (error) {
    throw new ProfileError(`parsing profile: not a pprof protobuf (${(error as Error).message})`);
  }
  validateStructure(profile, options.limits ?? DEFAULT_LIMITS);
  return toProfileData(profile);
}


type Text = (index: unknown) => string;

function toProfileData(p: Profile): ProfileData {
  const table = p.stringTable.strings;
  const text: Text = (index) => table[Number(index)] ?? '';
  const sampleTypes: ValueType[] = p.sampleType.map((t) => ({ type: text(t.type), unit: text(t.unit) }));
  const interner = new Interner();
  const frames = decodeFrames(p, text, interner);
  const samples = decodeSamples(p, text, interner, frames.locationIndex);

  const defaultName = text(p.defaultSampleType);
  const defaultIndex = defaultName ? sampleTypes.findIndex((t) => t.type === defaultName) : -1;
  const main = p.mapping[0];
  return {
    sampleTypes,
    // pprof's choice: the declared default, else the last sample type.
    defaultSampleIndex: defaultIndex >= 0 ? defaultIndex : sampleTypes.length - 1,
    periodType: p.periodType ? { type: text(p.periodType.type), unit: text(p.periodType.unit) } : undefined,
    period: Number(p.period),
    timeNanos: Number(p.timeNanos),
    durationNanos: Number(p.durationNanos),
    mainBinary: main ? { file: text(main.filename), buildId: text(main.buildId) } : undefined,
    comments: p.comment.map(text),
    strings: interner.strings,
    frameName: frames.frameName,
    frameFile: frames.frameFile,
    frameLine: frames.frameLine,
    frameStartLine: frames.frameStartLine,
    frameInlined: frames.frameInlined,
    locationFrameStart: frames.locationFrameStart,
    locationMapping: frames.locationMapping,
    ...samples,
  };
}

function decodeFrames(p: Profile, text: Text, interner: Interner) {
  const functionById = new Map<number, { name: number; file: number; startLine: number }>();
  for (const f of p.function) functionById.set(Number(f.id), { name: interner.intern(text(f.name)), file: interner.intern(text(f.filename)), startLine: Number(f.startLine) });
  const mappingFile = new Map<number, number>();
  for (const m of p.mapping) mappingFile.set(Number(m.id), interner.intern(text(m.filename)));

  const locationIndex = new Map<number, number>();
  const frameCount = p.location.reduce((n, l) => n + Math.max(1, l.line.length), 0);
  const frameName = sharedInt32(frameCount);
  const frameFile = sharedInt32(frameCount);
  const frameLine = sharedInt32(frameCount);
  const frameStartLine = sharedInt32(frameCount);
  const frameInlined = sharedUint8(frameCount);
  const locationFrameStart = sharedInt32(p.location.length + 1);
  const locationMapping = sharedInt32(p.location.length);
  let frame = 0;
  p.location.forEach((location, i) => {
    locationIndex.set(Number(location.id), i);
    locationFrameStart[i] = frame;
    locationMapping[i] = mappingFile.get(Number(location.mappingId)) ?? 0;
    // An unsymbolized location is one frame with no function, as pprof's graph makes it (name, file, line 0).
    if (location.line.length === 0) frame++;
    location.line.forEach((line, j) => {
      const fn = functionById.get(Number(line.functionId));
      frameName[frame] = fn?.name ?? 0;
      frameFile[frame] = fn?.file ?? 0;
      frameLine[frame] = fn ? Number(line.line) : 0;
      frameStartLine[frame] = fn?.startLine ?? 0;
      frameInlined[frame] = j < location.line.length - 1 ? 1 : 0;
      frame++;
    });
  });
  locationFrameStart[p.location.length] = frame;
  return { frameName, frameFile, frameLine, frameStartLine, frameInlined, locationFrameStart, locationMapping, locationIndex };
}

function decodeSamples(p: Profile, text: Text, interner: Interner, locationIndex: Map<number, number>) {
  const sampleStart = sharedInt32(p.sample.length + 1);
  const sampleLocations = sharedInt32(p.sample.reduce((n, s) => n + s.locationId.length, 0));
  const typeCount = p.sampleType.length;
  const values = sharedFloat64(p.sample.length * typeCount);
  const sampleLabels = sharedInt32(p.sample.length);
  const sampleBytes = sharedFloat64(p.sample.length).fill(NaN);
  let cursor = 0;
  p.sample.forEach((sample, i) => {
    sampleStart[i] = cursor;
    for (const id of sample.locationId) sampleLocations[cursor++] = locationIndex.get(Number(id)) as number;
    for (let t = 0; t < typeCount; t++) values[i * typeCount + t] = Number(sample.value[t]);
    const joined: string[] = [];
    for (const label of sample.label) {
      // pprof's decoding: a label with a string is a string label; else, with a number or unit, a numeric one.
      if (Number(label.str) !== 0) joined.push(`${text(label.key)}:${text(label.str)}`);
      else if (text(label.key) === 'bytes' && Number.isNaN(sampleBytes[i]) && (Number(label.num) !== 0 || Number(label.numUnit) !== 0)) {
        sampleBytes[i] = Number(label.num);
      }
    }
    // pprof's graph (joinLabels) sorts "key:value" and joins with a literal backslash-n.
    if (joined.length > 0) sampleLabels[i] = interner.intern(joined.sort().join('\\n'));
  });
  sampleStart[p.sample.length] = cursor;
  return { sampleStart, sampleLocations, values, sampleLabels, sampleBytes };
}
