import { Profile } from 'pprof-format';
import { ProfileError } from '../errors';
import { decompress } from './decompress';
import { ProfileData, ValueType } from './profile-data';
import { DEFAULT_LIMITS, StructureLimits, validateStructure } from './validate';

export interface DecodeOptions {
  maxBytes: number;
  limits?: StructureLimits;
}

/** Raw (gzipped or not) pprof bytes -> validated ProfileData. Pure: no I/O, safe to run in a worker. */
export function decodeProfile(bytes: Uint8Array, options: DecodeOptions): ProfileData {
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

function toProfileData(p: Profile): ProfileData {
  const table = p.stringTable.strings;
  const text = (index: unknown) => table[Number(index)] ?? '';
  const sampleTypes: ValueType[] = p.sampleType.map((t) => ({ type: text(t.type), unit: text(t.unit) }));

  // Names and files are re-interned so the result carries only the strings frames use.
  const strings = [''];
  const interned = new Map<string, number>([['', 0]]);
  const intern = (s: string) => {
    let index = interned.get(s);
    if (index === undefined) {
      index = strings.length;
      strings.push(s);
      interned.set(s, index);
    }
    return index;
  };

  const functionById = new Map<number, { name: number; file: number }>();
  for (const f of p.function) functionById.set(Number(f.id), { name: intern(text(f.name)), file: intern(text(f.filename)) });

  const locationIndex = new Map<number, number>();
  const frameCount = p.location.reduce((n, l) => n + Math.max(1, l.line.length), 0);
  const frameName = new Int32Array(frameCount);
  const frameFile = new Int32Array(frameCount);
  const frameLine = new Int32Array(frameCount);
  const frameInlined = new Uint8Array(frameCount);
  const locationFrameStart = new Int32Array(p.location.length + 1);
  let frame = 0;
  p.location.forEach((location, i) => {
    locationIndex.set(Number(location.id), i);
    locationFrameStart[i] = frame;
    if (location.line.length === 0) {
      // Unsymbolized: pprof names such a frame by its address.
      frameName[frame++] = intern(`0x${BigInt(location.address).toString(16).padStart(16, '0')}`);
      return;
    }
    location.line.forEach((line, j) => {
      const fn = functionById.get(Number(line.functionId));
      frameName[frame] = fn?.name ?? intern('<unknown>');
      frameFile[frame] = fn?.file ?? 0;
      frameLine[frame] = Number(line.line);
      frameInlined[frame] = j < location.line.length - 1 ? 1 : 0;
      frame++;
    });
  });
  locationFrameStart[p.location.length] = frame;

  const sampleStart = new Int32Array(p.sample.length + 1);
  const stackLength = p.sample.reduce((n, s) => n + s.locationId.length, 0);
  const sampleLocations = new Int32Array(stackLength);
  const typeCount = sampleTypes.length;
  const values = new Float64Array(p.sample.length * typeCount);
  let cursor = 0;
  p.sample.forEach((sample, i) => {
    sampleStart[i] = cursor;
    for (const id of sample.locationId) sampleLocations[cursor++] = locationIndex.get(Number(id)) as number;
    for (let t = 0; t < typeCount; t++) values[i * typeCount + t] = Number(sample.value[t]);
  });
  sampleStart[p.sample.length] = cursor;

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
    strings,
    frameName,
    frameFile,
    frameLine,
    frameInlined,
    locationFrameStart,
    sampleStart,
    sampleLocations,
    values,
  };
}
