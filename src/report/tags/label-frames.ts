import { ProfileData, sampleCount, sharedInt32, sharedUint16, sharedUint8 } from '../../profile/profile-data';
import { BYTES_KEY, LabelSets } from './sample-labels';
import { scaledLabel } from './scale';
import { StringTable } from './string-table';

/**
 * pprof's addLabelNodes (driver/tagroot.go): every sample gets a pseudo frame per root key, the first key
 * outermost, and per leaf key, the last key innermost. A frame's function is the sample's values of the key
 * joined with "," ("" when it has none, which pprof shows as <unknown>), its file the key; one location per
 * distinct pair. Numeric values are labelled unscaled and without a unit, as pprof does for a numeric label
 * with no unit in the profile (Go's bytes; the decoded model keeps no label units).
 * The stacks are rewritten, as pprof rewrites them, so every view and filter sees the frames as any other.
 */
export function withLabelFrames(data: ProfileData, rootKeys: string[], leafKeys: string[]): ProfileData {
  if (rootKeys.length === 0 && leafKeys.length === 0) return data;
  const pseudo = new PseudoLocations(data);
  // Leaf first, as the stacks are: the leaf keys reversed, then the stack, then the root keys reversed.
  const leafward = [...leafKeys].reverse();
  const rootward = [...rootKeys].reverse();
  const n = sampleCount(data);
  const added = leafward.length + rootward.length;
  const sampleStart = sharedInt32(n + 1);
  const extra = new Int32Array(n * added);
  for (let s = 0, at = 0; s < n; s++) {
    for (const key of leafward) extra[at++] = pseudo.location(s, key);
    for (const key of rootward) extra[at++] = pseudo.location(s, key);
  }
  const locations = pseudo.firstLocation + pseudo.count;
  const length = data.sampleStart[n] + n * added;
  const sampleLocations = locations <= 0x10000 ? sharedUint16(length) : sharedInt32(length);
  let at = 0;
  for (let s = 0; s < n; s++) {
    sampleStart[s] = at;
    const mine = extra.subarray(s * added, (s + 1) * added);
    for (let i = 0; i < leafward.length; i++) sampleLocations[at++] = mine[i];
    for (let l = data.sampleStart[s]; l < data.sampleStart[s + 1]; l++) sampleLocations[at++] = data.sampleLocations[l];
    for (let i = leafward.length; i < added; i++) sampleLocations[at++] = mine[i];
  }
  sampleStart[n] = at;
  return { ...data, ...pseudo.frameTables(), sampleStart, sampleLocations };
}

/** The pseudo locations, one frame each, appended after the profile's own (and their frames after its frames). */
class PseudoLocations {
  readonly firstLocation: number;
  private readonly table: StringTable;
  private readonly sets: LabelSets;
  private readonly byName = new Map<string, number>();
  private readonly names: number[] = [];
  private readonly files: number[] = [];
  /** Per key, label set -> location, for keys whose values the string labels alone decide. */
  private readonly bySet = new Map<string, Map<number, number>>();

  constructor(private readonly data: ProfileData) {
    this.firstLocation = data.locationMapping.length;
    this.table = new StringTable(data.strings);
    this.sets = new LabelSets(data);
  }

  get count(): number {
    return this.names.length;
  }

  location(s: number, key: string): number {
    const set = this.sets.setOf(s);
    if (key === BYTES_KEY) return this.intern(this.values(set, key, this.data.sampleBytes[s]), key);
    let known = this.bySet.get(key);
    if (!known) this.bySet.set(key, (known = new Map()));
    let location = known.get(set);
    if (location === undefined) {
      location = this.intern(this.values(set, key, NaN), key);
      known.set(set, location);
    }
    return location;
  }

  /** formatLabelValues: the string values, then the numeric ones. */
  private values(set: number, key: string, bytes: number): string {
    const values = [...(this.sets.mapOf(set).get(key) ?? [])];
    if (!Number.isNaN(bytes)) values.push(scaledLabel(bytes, '', ''));
    return values.join(',');
  }

  private intern(name: string, file: string): number {
    const id = `${name}\u0000${file}`;
    let location = this.byName.get(id);
    if (location === undefined) {
      location = this.firstLocation + this.names.length;
      this.names.push(this.table.intern(name));
      this.files.push(this.table.intern(file));
      this.byName.set(id, location);
    }
    return location;
  }

  frameTables(): Pick<ProfileData, 'strings' | 'frameName' | 'frameFile' | 'frameLine' | 'frameStartLine' | 'frameInlined' | 'locationFrameStart' | 'locationMapping'> {
    const { data, count } = this;
    const frames = data.frameName.length;
    const grown = (from: Int32Array, tail?: number[]) => {
      const out = sharedInt32(from.length + count);
      out.set(from);
      if (tail) out.set(tail, from.length);
      return out;
    };
    const frameInlined = sharedUint8(frames + count);
    frameInlined.set(data.frameInlined);
    const locationFrameStart = sharedInt32(this.firstLocation + count + 1);
    locationFrameStart.set(data.locationFrameStart);
    for (let i = 1; i <= count; i++) locationFrameStart[this.firstLocation + i] = frames + i;
    return {
      strings: this.table.strings,
      frameName: grown(data.frameName, this.names),
      frameFile: grown(data.frameFile, this.files),
      frameLine: grown(data.frameLine),
      frameStartLine: grown(data.frameStartLine),
      frameInlined,
      locationFrameStart,
      locationMapping: grown(data.locationMapping),
    };
  }
}
