import zlib from 'node:zlib';
import { OutputStrings } from '../profile/merge/merge-tables';
import { WireWriter } from '../profile/merge/wire-writer';
import { analyze } from '../report/analyze';
import { DecodeOptions } from '../profile/decode';

// A decode worker's first profile would otherwise run the decoder's JavaScript in V8's interpreter while V8 compiles
// it: on the bench's small profile 16 ms where the same work takes 3 ms once compiled, and most of a goroutine or a
// CPU profile's first decode. So a worker, when it starts, decodes three small profiles of its own first, shaped as
// Go writes them (gzipped; a heap profile with a numeric `bytes` label on every sample, a CPU profile with string
// labels, a goroutine profile; locations of one to three lines, stacks 8 to 40 deep), which takes the code through
// the paths real profiles take.

// Once through the three leaves V8 with most loops compiled on the stack (OSR) but few whole functions compiled:
// each is called only a few times, so V8 compiled them (takeSamples, IdIndex, endLabels...) during the first real
// profile, which ran in the interpreter meanwhile. Five more rounds on a fifth of the samples each (the tables
// whole) call them enough. In interleaved runs (5 each): the first goroutine profile 57-78 -> 23-35 ms, the small
// profile 14-20 -> 4-9 ms; cpu-labels unchanged; the warm-up 190-260 -> 400-430 ms of the worker's CPU.
// Six full rounds were no better; 0.1 of the samples a little worse.
export const WARM_UP_ROUNDS = 6;
export const WARM_UP_SCALE = 0.2;

const FUNCTIONS = 300;
const LOCATIONS = 900;

interface Shape {
  sampleTypes: Array<[string, string]>;
  periodType: [string, string];
  period: number;
  samples: number;
  /** The labels of sample s: string ones, or Go's numeric `bytes`. */
  labels: (s: number) => Array<{ key: string; str?: string; num?: number }>;
  /** The values of sample s, one per sample type. */
  values: (s: number) => number[];
}

const SHAPES: Shape[] = [
  {
    sampleTypes: [
      ['alloc_objects', 'count'],
      ['alloc_space', 'bytes'],
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ],
    periodType: ['space', 'bytes'],
    period: 524288,
    samples: 3000,
    labels: (s) => [{ key: 'bytes', num: 16 << s % 9 }],
    values: (s) => [1 + (s % 7), (16 << s % 9) * (1 + (s % 7)), s % 3, (16 << s % 9) * (s % 3)],
  },
  {
    sampleTypes: [
      ['samples', 'count'],
      ['cpu', 'nanoseconds'],
    ],
    periodType: ['cpu', 'nanoseconds'],
    period: 1_000_000,
    samples: 3000,
    labels: (s) => (s % 50 === 0 ? [] : [{ key: 'handler', str: `/api/v${s % 7}` }, { key: 'tenant', str: `t${s % 13}` }, { key: 'worker', str: `${s % 4}` }]),
    values: (s) => [1 + (s % 3), 1_000_000 * (1 + (s % 3))],
  },
  {
    sampleTypes: [['goroutine', 'count']],
    periodType: ['goroutine', 'count'],
    period: 1,
    samples: 600,
    labels: () => [],
    values: (s) => [1 + (s % 40)],
  },
];

/**
 * Decodes and aggregates the warm-up profiles, as a job would, in rounds: whole in the first, `scale` of their
 * samples in the others. Returns how many samples that read (all of them).
 */
export function warmUpDecoder(options: DecodeOptions, rounds = WARM_UP_ROUNDS, scale = WARM_UP_SCALE): number {
  let samples = 0;
  for (let round = 0; round < rounds; round++) {
    for (const bytes of warmUpProfiles(round === 0 ? 1 : scale)) samples += analyze(bytes, { ...options, releaseInput: true }).data.sampleStart.length - 1;
  }
  return samples;
}

/** The warm-up profiles, gzipped as Go serves them; scale: a share of their samples, the tables whole. */
export function warmUpProfiles(scale = 1): Uint8Array[] {
  return SHAPES.map((shape) => zlib.gzipSync(writeProfile({ ...shape, samples: Math.max(1, Math.round(shape.samples * scale)) }), { level: 1 }));
}

function writeProfile(shape: Shape): Uint8Array {
  const strings = new OutputStrings();
  const w = new WireWriter();
  for (const [type, unit] of shape.sampleTypes) valueType(w, 1, strings.intern(type), strings.intern(unit));
  let seed = 20261202;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let s = 0; s < shape.samples; s++) {
    const sample = w.beginMessage(2);
    const stack = w.beginMessage(1);
    // Paths that share their root levels, as a server's do: level k picks among k + 2 locations.
    const depth = 8 + random(33);
    for (let k = depth - 1; k >= 0; k--) w.varint(1 + ((k * 131 + random(k + 2) * 17) % LOCATIONS));
    w.endMessage(stack);
    const values = w.beginMessage(2);
    for (const v of shape.values(s)) w.varint(v);
    w.endMessage(values);
    for (const label of shape.labels(s)) {
      const l = w.beginMessage(3);
      w.optional(1, strings.intern(label.key));
      if (label.str !== undefined) w.optional(2, strings.intern(label.str));
      if (label.num !== undefined) w.optional(3, label.num);
      w.endMessage(l);
    }
    w.endMessage(sample);
  }
  const mapping = w.beginMessage(3);
  w.optional(1, 1);
  w.optional(2, 0x400000);
  w.optional(3, 0x2000000);
  w.optional(5, strings.intern('/app/server'));
  w.optional(6, strings.intern('warm-up-build-id'));
  w.optional(7, 1);
  w.endMessage(mapping);
  for (let id = 1; id <= LOCATIONS; id++) {
    const location = w.beginMessage(4);
    w.optional(1, id);
    w.optional(2, 1);
    w.optional(3, 0x400000 + id * 64);
    // One line in two locations, two or three (inlined calls) in the others, the innermost first.
    for (let line = 0, lines = id % 2 === 0 ? 1 : 2 + (id % 3 === 0 ? 1 : 0); line < lines; line++) {
      const l = w.beginMessage(4);
      w.optional(1, 1 + ((id * 7 + line * 101) % FUNCTIONS));
      w.optional(2, 10 + ((id + line) % 400));
      w.endMessage(l);
    }
    w.endMessage(location);
  }
  for (let id = 1; id <= FUNCTIONS; id++) {
    const fn = w.beginMessage(5);
    w.optional(1, id);
    const name = strings.intern(`example.com/server/pkg${id % 17}.(*Handler${id % 5}).serve${id}`);
    w.optional(2, name);
    w.optional(3, name);
    w.optional(4, strings.intern(`/src/example.com/server/pkg${id % 17}/file${id % 11}.go`));
    w.optional(5, id % 400);
    w.endMessage(fn);
  }
  w.optional(9, 1_764_633_600_000_000_000);
  valueType(w, 11, strings.intern(shape.periodType[0]), strings.intern(shape.periodType[1]));
  w.optional(12, shape.period);
  // The string table last, once every field before it has named its strings.
  strings.write(w);
  return w.view().slice();
}

function valueType(w: WireWriter, field: number, type: number, unit: number): void {
  const mark = w.beginMessage(field);
  w.optional(1, type);
  w.optional(2, unit);
  w.endMessage(mark);
}
