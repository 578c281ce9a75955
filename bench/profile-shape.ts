import fs from 'node:fs';
import zlib from 'node:zlib';
import { LENGTH_DELIMITED, WireReader } from '../src/profile/wire-reader';

/** What a bench profile looks like, read straight from its protobuf (not through the decoder being measured). */
export interface ProfileShape {
  samples: number;
  locations: number;
  /** Locations with several lines (inlined calls). */
  multiLineLocations: number;
  functions: number;
  /** Per sample: locations, and frames (a location's lines), on average and at most. */
  avgLocations: number;
  maxLocations: number;
  avgFrames: number;
  /** Each label key with its kind and the share of samples that carry it. */
  labels: Array<{ key: string; kind: 'string' | 'numeric'; samples: number }>;
  rawBytes: number;
}

// profile.proto's field numbers.
const PROFILE_SAMPLE = 2;
const PROFILE_LOCATION = 4;
const PROFILE_FUNCTION = 5;
const PROFILE_STRING = 6;
const SAMPLE_LOCATION = 1;
const SAMPLE_LABEL = 3;
const LABEL_KEY = 1;
const LABEL_STR = 2;
const LOCATION_ID = 1;
const LOCATION_LINE = 4;

/** The shape of a gzipped profile file, cached beside it (`<file>.shape.json`) while the file stays the same. */
export function profileShape(file: string): ProfileShape {
  const stat = fs.statSync(file);
  const cache = `${file}.shape.json`;
  try {
    const cached = JSON.parse(fs.readFileSync(cache, 'utf8'));
    if (cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.shape;
  } catch {
    // none yet, or unreadable: computed again
  }
  const shape = readShape(zlib.gunzipSync(fs.readFileSync(file)));
  fs.writeFileSync(cache, JSON.stringify({ size: stat.size, mtimeMs: stat.mtimeMs, shape }));
  return shape;
}

function readShape(raw: Uint8Array): ProfileShape {
  // First pass: the string table (as offsets) and each location's line count; Go writes them after the samples.
  const stringStart: number[] = [];
  const stringEnd: number[] = [];
  const linesOf = new Map<number, number>();
  let functions = 0;
  let r = new WireReader(raw);
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    if ((key & 7) !== LENGTH_DELIMITED || (field !== PROFILE_STRING && field !== PROFILE_LOCATION)) {
      if (field === PROFILE_FUNCTION) functions++;
      r.skip(key & 7);
      continue;
    }
    const end = r.lengthEnd();
    if (field === PROFILE_STRING) {
      stringStart.push(r.pos);
      stringEnd.push(end);
    } else {
      let id = 0;
      let lines = 0;
      while (r.pos < end) {
        const k = r.key();
        if (k >>> 3 === LOCATION_ID && (k & 7) === 0) id = r.varint();
        else {
          if (k >>> 3 === LOCATION_LINE) lines++;
          r.skip(k & 7);
        }
      }
      linesOf.set(id, lines);
    }
    r.pos = end;
  }
  const text = new TextDecoder();
  const string = (i: number) => text.decode(raw.subarray(stringStart[i], stringEnd[i]));
  // Second pass: the samples' stacks and labels.
  let samples = 0;
  let locationsTotal = 0;
  let framesTotal = 0;
  let maxLocations = 0;
  const labelSamples = new Map<string, number>(); // "kind key" -> samples carrying it
  r = new WireReader(raw);
  while (!r.done) {
    const key = r.key();
    if (key >>> 3 !== PROFILE_SAMPLE || (key & 7) !== LENGTH_DELIMITED) {
      r.skip(key & 7);
      continue;
    }
    const end = r.lengthEnd();
    let locations = 0;
    const seen = new Set<string>();
    while (r.pos < end) {
      const k = r.key();
      if (k >>> 3 === SAMPLE_LOCATION) {
        // Packed (as Go writes it) or one id per field.
        const idsEnd = (k & 7) === LENGTH_DELIMITED ? r.lengthEnd() : -1;
        do {
          const id = r.varint();
          locations++;
          framesTotal += linesOf.get(id) ?? 0;
        } while (r.pos < idsEnd);
      } else if (k >>> 3 === SAMPLE_LABEL && (k & 7) === LENGTH_DELIMITED) {
        const labelEnd = r.lengthEnd();
        let labelKey = 0;
        let str = 0;
        while (r.pos < labelEnd) {
          const lk = r.key();
          if (lk >>> 3 === LABEL_KEY && (lk & 7) === 0) labelKey = r.varint();
          else if (lk >>> 3 === LABEL_STR && (lk & 7) === 0) str = r.varint();
          else r.skip(lk & 7);
        }
        seen.add(`${str !== 0 ? 'string' : 'numeric'} ${string(labelKey)}`);
      } else {
        r.skip(k & 7);
      }
    }
    for (const label of seen) labelSamples.set(label, (labelSamples.get(label) ?? 0) + 1);
    samples++;
    locationsTotal += locations;
    maxLocations = Math.max(maxLocations, locations);
    r.pos = end;
  }
  return {
    samples,
    locations: linesOf.size,
    multiLineLocations: [...linesOf.values()].filter((n) => n > 1).length,
    functions,
    avgLocations: locationsTotal / Math.max(1, samples),
    maxLocations,
    avgFrames: framesTotal / Math.max(1, samples),
    labels: [...labelSamples].map(([label, count]) => {
      const [kind, ...key] = label.split(' ');
      return { key: key.join(' '), kind: kind as 'string' | 'numeric', samples: count };
    }),
    rawBytes: raw.length,
  };
}
