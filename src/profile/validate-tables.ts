import { ProfileError } from '../errors';
import { RawProfile } from './read-profile';
import { StructureLimits } from './limits';
import { Integers } from './raw-tables';

/**
 * pprof's Profile.CheckValid on the raw tables: string indices inside the table (index == length included),
 * string_table[0] empty, ids non-zero and unique. Returns the id -> index maps the builder needs, which checks
 * that every referenced mapping, function and location is present as it follows the references.
 */
export function validateTables(raw: RawProfile, limits: StructureLimits): { locationIndex: IdIndex; functionIndex: IdIndex; mappingIndex: IdIndex } {
  const fail = (message: string): never => {
    throw new ProfileError(`invalid profile: ${message}`);
  };
  const strings = raw.strings.length;
  if (strings === 0 || raw.strings[0] !== '') fail('string_table[0] must be the empty string');
  const str = (index: number, what: string) => {
    if (!(index >= 0 && index < strings)) fail(`${what} refers to string ${index}, outside the table of ${strings}`);
  };
  // A table's string columns, row by row; the message is made only for a failing one.
  const strColumns = (what: string, columns: Integers[], names: string[]) => {
    for (let i = 0; i < columns[0].length; i++) {
      for (let c = 0; c < columns.length; c++) if (!(columns[c][i] >= 0 && columns[c][i] < strings)) str(columns[c][i], `${what}[${i}].${names[c]}`);
    }
  };
  const { locations, functions, mappings } = raw;
  if (locations.id.length > limits.maxLocations) fail(`${locations.id.length} locations, more than the limit of ${limits.maxLocations}`);
  if (functions.id.length > limits.maxFunctions) fail(`${functions.id.length} functions, more than the limit of ${limits.maxFunctions}`);
  if (raw.sampleTypes.length === 0) fail('it declares no sample types');
  const samples = raw.sampleStart.length - 1;
  if (samples > 0 && raw.valueCount !== raw.sampleTypes.length) {
    fail(`sample[0] has ${raw.valueCount} values, but there are ${raw.sampleTypes.length} sample types`);
  }

  raw.sampleTypes.forEach((t, i) => {
    str(t.type, `sample_type[${i}].type`);
    str(t.unit, `sample_type[${i}].unit`);
  });
  if (raw.periodType) {
    str(raw.periodType.type, 'period_type.type');
    str(raw.periodType.unit, 'period_type.unit');
  }
  str(raw.defaultSampleType, 'default_sample_type');
  str(raw.dropFrames, 'drop_frames');
  str(raw.keepFrames, 'keep_frames');
  raw.comments.forEach((c, i) => str(c, `comment[${i}]`));
  str(raw.labelStringRange.min, 'a sample label');
  str(raw.labelStringRange.max, 'a sample label');

  const mappingIndex = new IdIndex(mappings.id, 'mapping', fail);
  strColumns('mapping', [mappings.filename, mappings.buildId], ['filename', 'build_id']);
  const functionIndex = new IdIndex(functions.id, 'function', fail);
  strColumns('function', [functions.name, functions.systemName, functions.filename], ['name', 'system_name', 'filename']);
  const locationIndex = new IdIndex(locations.id, 'location', fail);
  // The references of every location are checked as its frames are built, and every sample's as its stack becomes
  // indices (buildProfileData in build-profile-data.ts, in this order): one pass over each table instead of two.
  return { locationIndex, functionIndex, mappingIndex };
}

/** id -> index; a dense array when ids are small (Go numbers them 1..n), a Map otherwise. */
export class IdIndex {
  private readonly dense?: Int32Array;
  private readonly sparse?: Map<number, number>;

  constructor(ids: ArrayLike<number>, what: string, fail: (message: string) => never) {
    let max = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
    const check = (i: number) => {
      const id = ids[i];
      if (id === 0) fail(`${what}[${i}] has id 0`);
      if (id < 0 || !Number.isSafeInteger(id)) fail(`${what}[${i}] has id ${id}, beyond what this decoder supports`);
      if (this.get(id) >= 0) fail(`${what} id ${id} appears twice`);
    };
    if (max <= 4 * ids.length + 1024) {
      const dense = (this.dense = new Int32Array(max + 1).fill(-1));
      // The checks inline for ids 1..max (a whole number no larger than max is safe), check() for the others.
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (id <= 0 || dense[id] >= 0) check(i);
        dense[id] = i;
      }
    } else {
      const sparse = (this.sparse = new Map());
      for (let i = 0; i < ids.length; i++) {
        check(i);
        sparse.set(ids[i], i);
      }
    }
  }

  get(id: number): number {
    if (this.dense) return id >= 0 && id < this.dense.length ? this.dense[id] : -1;
    return this.sparse?.get(id) ?? -1;
  }

  /** The dense table (id -> index, -1 for none) when ids are small, for loops that look up millions of ids. */
  get table(): Int32Array | undefined {
    return this.dense;
  }
}
