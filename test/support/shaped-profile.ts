import zlib from 'node:zlib';
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';

/**
 * Profiles built field by field, for shapes syntheticProfile does not reach: location (and function, mapping) ids
 * of one's choosing (sparse, out of order), locations with any number of lines, labels of both kinds, several
 * on a sample.
 */
export interface ShapedLocation {
  id: number;
  /** Function names, leaf first (pprof's Line order: all but the last were inlined into the next); [] = unsymbolized. */
  lines: string[];
  /** Index into the profile's mappings (default 0); -1 for mapping_id 0. */
  mapping?: number;
}

/** A string label has `str`; a numeric one `num` and/or `unit`. Both `str` and `num` may be set, as the format allows. */
export interface ShapedLabel {
  key: string;
  str?: string;
  num?: number;
  unit?: string;
}

export interface ShapedSample {
  /** Location ids, leaf first. */
  stack: number[];
  values: number[];
  labels?: ShapedLabel[];
}

export interface ProfileShape {
  sampleTypes: Array<[string, string]>;
  locations: ShapedLocation[];
  samples: ShapedSample[];
  /** Function id by the function's first-use order (default i + 1). */
  functionId?: (i: number) => number;
  /** Mapping ids (default [1]). */
  mappingIds?: number[];
  defaultSampleType?: string;
}

export function shapedProfile(shape: ProfileShape): Profile {
  const strings = new StringTable();
  const functions = new Map<string, PFunction>();
  const fn = (name: string) => {
    let f = functions.get(name);
    if (!f) {
      f = new PFunction({
        id: (shape.functionId ?? ((i) => i + 1))(functions.size),
        name: strings.dedup(name),
        systemName: strings.dedup(name),
        filename: strings.dedup(`/src/${name.split('.')[0]}/${name.replace(/\W+/g, '_')}.go`),
        startLine: 3 + (functions.size % 50),
      });
      functions.set(name, f);
    }
    return f;
  };
  const mappingIds = shape.mappingIds ?? [1];
  const mapping = mappingIds.map((id, i) => new Mapping({ id, filename: strings.dedup(`/bin/app${i}`), buildId: strings.dedup(`build${i}`), hasFunctions: true }));
  const location = shape.locations.map(
    (l, i) =>
      new Location({
        id: l.id,
        mappingId: (l.mapping ?? 0) < 0 ? 0 : mappingIds[l.mapping ?? 0],
        address: 0x401000 + 16 * i,
        line: l.lines.map((name, j) => new Line({ functionId: fn(name).id, line: 20 + j + (i % 7) })),
      }),
  );
  const label = (l: ShapedLabel) =>
    new Label({ key: strings.dedup(l.key), str: l.str === undefined ? 0 : strings.dedup(l.str), num: l.num ?? 0, numUnit: l.unit === undefined ? 0 : strings.dedup(l.unit) });
  const sample = shape.samples.map((s) => new Sample({ locationId: s.stack, value: s.values, label: (s.labels ?? []).map(label) }));
  return new Profile({
    sampleType: shape.sampleTypes.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) })),
    sample,
    mapping,
    location,
    function: [...functions.values()],
    stringTable: strings,
    defaultSampleType: shape.defaultSampleType ? strings.dedup(shape.defaultSampleType) : 0,
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: 524288,
  });
}

export function encodeShaped(shape: ProfileShape): Buffer {
  return zlib.gzipSync(shapedProfile(shape).encode());
}
