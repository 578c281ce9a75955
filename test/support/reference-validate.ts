import type { Profile } from 'pprof-format';
import { ProfileError } from '../../src/errors';
import { DEFAULT_LIMITS, StructureLimits } from '../../src/profile/limits';

/**
 * pprof-format decodes many broken inputs without complaint, so check the structure right after decoding, as
 * pprof's Profile.CheckValid does: every reference resolves, every string index is inside the table.
 */
export function validateStructure(p: Profile, limits: StructureLimits = DEFAULT_LIMITS): void {
  const strings = p.stringTable.strings.length;
  const fail = (message: string): never => {
    throw new ProfileError(`invalid profile: ${message}`);
  };
  if (strings === 0 || p.stringTable.strings[0] !== '') fail('string_table[0] must be the empty string');
  const str = (value: unknown, what: string) => {
    const index = Number(value);
    if (!(index >= 0 && index < strings)) fail(`${what} refers to string ${index}, outside the table of ${strings}`);
  };

  if (p.sample.length > limits.maxSamples) fail(`${p.sample.length} samples, more than the limit of ${limits.maxSamples}`);
  if (p.location.length > limits.maxLocations) fail(`${p.location.length} locations, more than the limit of ${limits.maxLocations}`);
  if (p.function.length > limits.maxFunctions) fail(`${p.function.length} functions, more than the limit of ${limits.maxFunctions}`);
  if (p.sampleType.length === 0) fail('it declares no sample types');

  p.sampleType.forEach((t, i) => {
    str(t.type, `sample_type[${i}].type`);
    str(t.unit, `sample_type[${i}].unit`);
  });
  if (p.periodType) {
    str(p.periodType.type, 'period_type.type');
    str(p.periodType.unit, 'period_type.unit');
  }
  str(p.defaultSampleType, 'default_sample_type');
  str(p.dropFrames, 'drop_frames');
  str(p.keepFrames, 'keep_frames');
  p.comment.forEach((c, i) => str(c, `comment[${i}]`));

  const mappings = uniqueIds(p.mapping, 'mapping', fail);
  p.mapping.forEach((m, i) => {
    str(m.filename, `mapping[${i}].filename`);
    str(m.buildId, `mapping[${i}].build_id`);
  });
  const functions = uniqueIds(p.function, 'function', fail);
  p.function.forEach((f, i) => {
    str(f.name, `function[${i}].name`);
    str(f.systemName, `function[${i}].system_name`);
    str(f.filename, `function[${i}].filename`);
  });
  const locations = uniqueIds(p.location, 'location', fail);
  p.location.forEach((l, i) => {
    const mappingId = Number(l.mappingId);
    if (mappingId !== 0 && !mappings.has(mappingId)) fail(`location[${i}] refers to mapping ${mappingId}, which does not exist`);
    l.line.forEach((line, j) => {
      const functionId = Number(line.functionId);
      if (functionId !== 0 && !functions.has(functionId)) {
        fail(`location[${i}].line[${j}] refers to function ${functionId}, which does not exist`);
      }
    });
  });

  const valueCount = p.sampleType.length;
  p.sample.forEach((s, i) => {
    if (s.value.length !== valueCount) fail(`sample[${i}] has ${s.value.length} values, but there are ${valueCount} sample types`);
    for (const id of s.locationId) {
      if (!locations.has(Number(id))) fail(`sample[${i}] refers to location ${Number(id)}, which does not exist`);
    }
    for (const label of s.label) {
      str(label.key, `sample[${i}] label key`);
      str(label.str, `sample[${i}] label value`);
      str(label.numUnit, `sample[${i}] label unit`);
    }
  });
}

/** Maps id -> index, refusing id 0 and duplicates as CheckValid does. */
function uniqueIds(items: Array<{ id: unknown }>, what: string, fail: (m: string) => never): Map<number, number> {
  const ids = new Map<number, number>();
  items.forEach((item, i) => {
    const id = Number(item.id);
    if (id === 0) fail(`${what}[${i}] has id 0`);
    if (ids.has(id)) fail(`${what} id ${id} appears twice`);
    ids.set(id, i);
  });
  return ids;
}
