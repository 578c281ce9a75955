import zlib from 'node:zlib';
import { Function as PFunction, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';

/**
 * Builds small pprof profiles by hand for rules that real programs rarely show on demand (recursion, inlining,
 * hostile names, broken structure). Real-program fixtures cover the rest.
 */
export interface SyntheticSample {
  /** Leaf first; "a+b" means a location where a was inlined into b. */
  stack: string[];
  values: number[];
}

export function syntheticProfile(
  sampleTypes: Array<[string, string]>,
  samples: SyntheticSample[],
  extra: {
    defaultSampleType?: string;
    periodType?: [string, string];
    period?: number;
    durationNanos?: number;
    /** Function.start_line by function name (Go writes it since 1.20); none by default. */
    startLines?: Record<string, number>;
  } = {},
): Profile {
  const strings = new StringTable();
  const functions = new Map<string, PFunction>();
  const locations = new Map<string, Location>();
  const fn = (name: string) => {
    let f = functions.get(name);
    if (!f) {
      f = new PFunction({
        id: functions.size + 1,
        name: strings.dedup(name),
        systemName: strings.dedup(name),
        filename: strings.dedup(`/src/${name.split('.')[0]}.go`),
        startLine: extra.startLines?.[name] ?? 0,
      });
      functions.set(name, f);
    }
    return f;
  };
  const location = (frame: string) => {
    let l = locations.get(frame);
    if (!l) {
      const names = frame.split('+');
      l = new Location({ id: locations.size + 1, mappingId: 1, address: 0x1000 + locations.size, line: names.map((n, i) => new Line({ functionId: fn(n).id, line: 10 + i })) });
      locations.set(frame, l);
    }
    return l;
  };
  const sample = samples.map((s) => new Sample({ locationId: s.stack.map((frame) => location(frame).id), value: s.values }));
  return new Profile({
    sampleType: sampleTypes.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) })),
    sample,
    mapping: [new Mapping({ id: 1, filename: strings.dedup('/bin/app'), buildId: strings.dedup('abc123'), hasFunctions: true })],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    defaultSampleType: extra.defaultSampleType ? strings.dedup(extra.defaultSampleType) : 0,
    periodType: extra.periodType ? new ValueType({ type: strings.dedup(extra.periodType[0]), unit: strings.dedup(extra.periodType[1]) }) : undefined,
    period: extra.period ?? 0,
    durationNanos: extra.durationNanos ?? 0,
  });
}

export function encodeGzipped(profile: Profile): Buffer {
  return zlib.gzipSync(profile.encode());
}
