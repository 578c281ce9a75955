import { ProfileError } from '../errors';
import { RawProfile } from './read-profile';
import { StructureLimits } from './limits';

/**
 * pprof's Profile.CheckValid on the raw tables: string indices inside the table (index == length included),
 * string_table[0] empty, ids non-zero and unique, every referenced mapping, function and location present.
 * Returns the id -> index maps the builder needs.
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
  mappings.id.forEach((_id, i) => {
    str(mappings.filename[i], `mapping[${i}].filename`);
    str(mappings.buildId[i], `mapping[${i}].build_id`);
  });
  const functionIndex = new IdIndex(functions.id, 'function', fail);
  functions.id.forEach((_id, i) => {
    str(functions.name[i], `function[${i}].name`);
    str(functions.systemName[i], `function[${i}].system_name`);
    str(functions.filename[i], `function[${i}].filename`);
  });
  const locationIndex = new IdIndex(locations.id, 'location', fail);
  locations.id.forEach((_id, i) => {
    const mappingId = locations.mappingId[i];
    if (mappingId !== 0 && mappingIndex.get(mappingId) < 0) fail(`location[${i}] refers to mapping ${mappingId}, which does not exist`);
    const end = i + 1 < locations.id.length ? locations.lineStart[i + 1] : locations.lineFunction.length;
    for (let j = locations.lineStart[i]; j < end; j++) {
      const functionId = locations.lineFunction[j];
      if (functionId !== 0 && functionIndex.get(functionId) < 0) {
        fail(`location[${i}].line[${j - locations.lineStart[i]}] refers to function ${functionId}, which does not exist`);
      }
    }
  });
  // Every sample's locations are checked as they become indices (stackOfIndices in build-profile-data.ts): one
  // pass over the largest array instead of two.
  return { locationIndex, functionIndex, mappingIndex };
}

/** id -> index; a dense array when ids are small (Go numbers them 1..n), a Map otherwise. */
export class IdIndex {
  private readonly dense?: Int32Array;
  private readonly sparse?: Map<number, number>;

  constructor(ids: number[], what: string, fail: (message: string) => never) {
    let max = 0;
    for (const id of ids) max = Math.max(max, id);
    if (max <= 4 * ids.length + 1024) this.dense = new Int32Array(max + 1).fill(-1);
    else this.sparse = new Map();
    ids.forEach((id, i) => {
      if (id === 0) fail(`${what}[${i}] has id 0`);
      if (id < 0 || !Number.isSafeInteger(id)) fail(`${what}[${i}] has id ${id}, beyond what this decoder supports`);
      if (this.get(id) >= 0) fail(`${what} id ${id} appears twice`);
      if (this.dense) this.dense[id] = i;
      else this.sparse?.set(id, i);
    });
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
