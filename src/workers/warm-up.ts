import zlib from 'node:zlib';
import { LENGTH_DELIMITED } from '../profile/wire-reader';
import { WireWriter } from '../profile/merge/wire-writer';
import { analyze } from '../report/analyze';

/**
 * V8 compiles a function's fast code only once it has run for a while: the first profile a fresh worker decodes
 * ran in the interpreter and the baseline compilers, about 3 to 7 times slower than the same work afterwards
 * (bench/RESULTS.md). So each worker decodes two small built-in profiles before it takes jobs, shaped like the
 * ones users send (a heap profile with a bytes label per sample and inlined frames; a CPU profile with string
 * labels and location ids past 16 bits), and the first real profile runs the fast code. It costs each worker
 * about a tenth of a second of CPU when it starts.
 */
export function warmUp(rounds = 4): void {
  const profiles = [builtProfile({ samples: 3000, locations: 1500, labels: 'bytes', idBase: 1 }), builtProfile({ samples: 1500, locations: 1200, labels: 'strings', idBase: 70_000 })];
  for (let i = 0; i < rounds; i++) for (const bytes of profiles) analyze(bytes, { maxBytes: 1 << 24 });
}

interface Shape {
  samples: number;
  locations: number;
  labels: 'bytes' | 'strings';
  /** The first location id: past 65535, the stacks' ids need 32 bits, as in Go's profiles of many locations. */
  idBase: number;
}

/** A gzipped profile of this shape, written as Go's runtime writes one (locations between the samples that use them). */
export function builtProfile(shape: Shape): Uint8Array {
  const strings = new Map<string, number>();
  const str = (s: string) => {
    let i = strings.get(s);
    if (i === undefined) strings.set(s, (i = strings.size));
    return i;
  };
  str('');
  const w = new WireWriter(undefined, 1 << 16);
  const message = (field: number, fill: () => void) => {
    const mark = w.beginMessage(field);
    fill();
    w.endMessage(mark);
  };
  for (const [type, unit] of shape.labels === 'bytes' ? [['alloc_objects', 'count'], ['alloc_space', 'bytes']] : [['samples', 'count'], ['cpu', 'nanoseconds']]) {
    message(1, () => {
      w.optional(1, str(type));
      w.optional(2, str(unit));
    });
  }
  const written = new Uint8Array(shape.locations);
  // A deterministic spread of stacks: a shared root, then paths that branch by the sample's number.
  for (let s = 0; s < shape.samples; s++) {
    const depth = 20 + (s % 21);
    const stack = Array.from({ length: depth }, (_, d) => (d < 5 ? d : (s * 31 + d * 17 + ((s * d) % 13)) % shape.locations));
    for (const l of stack) if (!written[l]) writeLocation(l);
    message(2, () => {
      message(1, () => stack.reverse().forEach((l) => w.varint(shape.idBase + l)));
      message(2, () => [1 + (s % 7), 512 * (1 + (s % 29))].forEach((v) => w.varint(v)));
      if (shape.labels === 'bytes') {
        message(3, () => {
          w.optional(1, str('bytes'));
          w.optional(3, 512 * (1 + (s % 29)));
        });
      } else {
        for (const [key, value] of [['handler', `/api/v${s % 9}`], ['tenant', `t${s % 23}`]]) {
          message(3, () => {
            w.optional(1, str(key));
            w.optional(2, str(value));
          });
        }
      }
    });
  }
  function writeLocation(l: number): void {
    written[l] = 1;
    // Every third location holds an inlined call: two or three lines.
    const lines = l % 3 === 0 ? 2 + (l % 2) : 1;
    message(4, () => {
      w.optional(1, shape.idBase + l);
      w.optional(3, 0x400000 + l * 16);
      for (let k = 0; k < lines; k++) message(4, () => {
        w.optional(1, 1 + ((l + k * 101) % shape.locations));
        w.optional(2, 10 + k);
      });
    });
  }
  for (let f = 1; f <= shape.locations; f++) {
    message(5, () => {
      w.optional(1, f);
      w.optional(2, str(`example.com/service/pkg${f % 40}.(*Type${f % 7}).Method${f}`));
      w.optional(4, str(`/src/pkg${f % 40}/file${f % 11}.go`));
      w.optional(5, f);
    });
  }
  for (const s of strings.keys()) {
    const bytes = Buffer.from(s);
    w.key(6, LENGTH_DELIMITED);
    w.varint(bytes.length);
    w.bytes(bytes);
  }
  return zlib.gzipSync(w.view(), { level: 1 });
}
