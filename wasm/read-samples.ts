// AssemblyScript, compiled to dist/wasm/read-samples.wasm by `npm run build` (scripts/build-wasm.js).
//
// The hot part of readProfile (src/profile/read-profile.ts, which lays out the memory and calls it): the run of
// Sample messages that makes up most of a profile's bytes, read a window at a time. JavaScript copies a window of
// the profile into the input area; countSamples (the first pass) or readSamples (the second) walks the top-level
// fields from the window's start for as long as they are whole samples inside it, and says where it stopped and why.
//
// The other top-level fields (Go's runtime writes locations and functions between the samples that first use them)
// are only stepped over and listed, for JavaScript to read once the window's samples are taken: profile.proto's
// tables do not depend on the order of samples and other fields, only on the order within each.
//
// Only well-formed samples are read here. Anything unusual (a wire type profile.proto does not give a field, a
// value past the sample's end, a location id out of range, more values than sample types, a label string index
// past 2^31, a key past 32 bits) stops the walk at that sample's start with STOP_HERE, and the JavaScript reader
// reads that one sample itself: it either throws the error it always threw, with its exact message, or reads it and
// hands the walk back. So this module adds speed, never a second set of rules.
//
// Every varint is decoded as an i64 and converted to f64 as JavaScript's WireReader.varint does (two's complement,
// rounded to the nearest double), so the values are bit-identical.

// The fields of the parameter block at address 0 (i32 each), as src/profile/wasm-samples.ts numbers them.
const INPUT = 0; // the window's first byte
const INPUT_LENGTH = 1; // bytes in the window
const WIDE = 2; // 1: stack entries are written as i32 (ids up to 2^31 - 1), else as u16 (ids up to 65535)
const VALUE_COUNT = 3; // values per sample: the second pass refuses more; the first sets it from the first sample (-1 before)
const STACK = 4; // out: the window's stack entries (location ids)
const VALUES = 5; // out: f64 per value
const SAMPLE_START = 6; // out: per sample, the index of its first entry in the whole stack
const LABEL_SAMPLE = 7; // out: per label listed (string labels, and numeric ones after a sample's first), its sample in the window
const LABEL_KEY = 8; // out: its key (a string index)
const LABEL_STR = 9; // out: its string value's index, 0 for a numeric label
const LABEL_NUM = 10; // out: a numeric label's number (f64)
const SAMPLES = 11; // out: samples read
const ENTRIES = 12; // out: stack entries read (or counted, in the first pass)
const LABELS = 13; // out: labels kept
const LABEL_MAX = 14; // out: the largest string index a label used (key, str, num_unit), 0 when none
const STATUS = 15; // out: why the walk stopped (below)
const CONSUMED = 16; // out: bytes of the window walked: whole fields only
const OTHER = 17; // out: per field that is not a Sample, its offset in the window (JavaScript reads them after)
const OTHERS = 18; // out: how many
const ENTRY_BASE = 19; // in: the index in the whole stack of the window's first entry (SAMPLE_START adds it)
const FIRST_KEY = 20; // out: per sample, its first numeric label's key, -1 when none (every Go heap sample has one)
const FIRST_NUM = 21; // out: per sample, that label's number (f64); further numeric labels go to the label list

// Why the walk stopped.
const END_OF_WINDOW = 0; // the window is walked, or its next field does not end inside it
const STOP_HERE = 2; // the next field is for JavaScript to read (see above)

const MAX_U16: i64 = 0xffff;
const MAX_I32: i64 = 0x7fffffff;

// A varint's end, set by varint(); -1 when it runs past its limit or past 10 bytes.
let next: i32 = 0;

@inline function field(index: i32): i32 {
  return load<i32>(<usize>index << 2);
}

@inline function setField(index: i32, value: i32): void {
  store<i32>(<usize>index << 2, value);
}

/** The varint at pos, read no further than limit; its end in `next` (-1 when broken). */
function varint(start: i32, limit: i32): i64 {
  let value: i64 = 0;
  let shift: i64 = 0;
  let pos = start;
  while (pos < limit) {
    const b = <i64>load<u8>(<usize>pos);
    pos++;
    value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      next = pos;
      return value;
    }
    shift += 7;
    if (shift > 63) break; // an eleventh byte: WireReader refuses it
  }
  next = -1;
  return 0;
}

/** varint() with the one- and two-byte cases (most keys, lengths and location ids) inline. */
@inline function varint2(pos: i32, limit: i32): i64 {
  if (pos + 1 < limit) {
    const b0 = <u32>load<u8>(<usize>pos);
    if (b0 < 0x80) {
      next = pos + 1;
      return <i64>b0;
    }
    const b1 = <u32>load<u8>(<usize>pos + 1);
    if (b1 < 0x80) {
      next = pos + 2;
      return <i64>((b0 & 0x7f) | (b1 << 7));
    }
  }
  return varint(pos, limit);
}

/** The end of the length-delimited contents whose length is at pos (the contents start at `next`), or -1. */
@inline function contentsEnd(pos: i32, limit: i32): i32 {
  const length = varint2(pos, limit);
  if (next < 0 || <u64>length > <u64>(limit - next)) return -1;
  return next + <i32>length;
}

/** The end of the field of this wire type whose value starts at pos, or -1 when it is broken or runs past limit. */
function skip(wire: i32, pos: i32, limit: i32): i32 {
  if (wire == 0) {
    varint(pos, limit);
    return next;
  }
  if (wire == 1) return pos + 8 <= limit ? pos + 8 : -1;
  if (wire == 5) return pos + 4 <= limit ? pos + 4 : -1;
  if (wire == 2) return contentsEnd(pos, limit);
  return -1;
}

/** How many varints end in [pos, end): the bytes with the high bit clear. */
function countEnds(pos: i32, end: i32): i32 {
  let count = 0;
  // Eight bytes at a time: (~word >> 7) & 0x0101... has a 1 in each such byte's lowest bit.
  while (pos + 8 <= end) {
    count += <i32>popcnt<u64>((~load<u64>(<usize>pos) >> 7) & 0x0101010101010101);
    pos += 8;
  }
  while (pos < end) {
    if (load<u8>(<usize>pos) < 0x80) count++;
    pos++;
  }
  return count;
}

/**
 * Where the Sample at pos (its key already checked) ends, or -1 when the field does not end inside the window.
 * Its contents start at `next`.
 */
function sampleEnd(pos: i32, limit: i32): i32 {
  return contentsEnd(pos + 1, limit);
}

/**
 * Steps over a top-level field that is not a Sample, listing it: its end, -1 when it does not end inside the
 * window, -2 when its key is one for JavaScript to judge.
 */
function otherField(pos: i32, start: i32, limit: i32): i32 {
  const key = varint(pos, limit);
  if (next < 0) return -1;
  if (key > 0xffffffff) return -2;
  const wire = <i32>key & 7;
  if (wire != 0 && wire != 1 && wire != 2 && wire != 5) return -2;
  const end = skip(wire, next, limit);
  if (end < 0) return -1;
  const others = field(OTHERS);
  store<i32>(<usize>field(OTHER) + (<usize>others << 2), pos - start);
  setField(OTHERS, others + 1);
  return end;
}

function clearOutputs(): void {
  setField(SAMPLES, 0);
  setField(ENTRIES, 0);
  setField(LABELS, 0);
  setField(LABEL_MAX, 0);
  setField(OTHERS, 0);
}

// Where nextSample found its sample.
let sampleAt: i32 = 0;

/**
 * The next Sample from pos, stepping over the other fields (listing them): its end, with its start in `sampleAt`
 * and its contents' in `next`; -1 when the walk stops before it (STATUS and CONSUMED set).
 */
function nextSample(pos: i32, start: i32, limit: i32): i32 {
  while (pos < limit) {
    if (load<u8>(<usize>pos) == 0x12) {
      const end = sampleEnd(pos, limit);
      if (end < 0) break;
      sampleAt = pos;
      return end;
    }
    const after = otherField(pos, start, limit);
    if (after < 0) {
      stop(after == -1 ? END_OF_WINDOW : STOP_HERE, pos, start);
      return -1;
    }
    pos = after;
  }
  stop(END_OF_WINDOW, pos, start);
  return -1;
}

function stop(status: i32, pos: i32, start: i32): i32 {
  setField(STATUS, status);
  setField(CONSUMED, pos - start);
  return pos - start;
}

/**
 * The first pass: counts the window's samples and their stack entries, as countSamples in read-profile.ts does,
 * and checks that each has VALUE_COUNT values (setting it from the first). Returns the bytes walked.
 */
export function countSamples(): i32 {
  const start = field(INPUT);
  const limit = start + field(INPUT_LENGTH);
  let valueCount = field(VALUE_COUNT);
  let samples = 0;
  let entries = 0;
  let pos = start;
  clearOutputs();
  while (true) {
    const end = nextSample(pos, start, limit);
    if (end < 0) return field(CONSUMED);
    pos = sampleAt;
    let at = next;
    let sampleEntries = 0;
    let values = 0;
    while (at < end) {
      const key = varint(at, end);
      if (next < 0 || key > 0xffffffff) return stop(STOP_HERE, pos, start);
      at = next;
      if (key == 0x0a || key == 0x12) {
        const packedEnd = contentsEnd(at, end);
        if (packedEnd < 0) return stop(STOP_HERE, pos, start);
        const counted = countEnds(next, packedEnd);
        if (key == 0x0a) sampleEntries += counted;
        else values += counted;
        at = packedEnd;
      } else {
        at = skip(<i32>key & 7, at, end);
        if (at < 0) return stop(STOP_HERE, pos, start);
        if (key == 0x08) sampleEntries++;
        else if (key == 0x10) values++;
      }
    }
    if (valueCount < 0) valueCount = values;
    if (values != valueCount) return stop(STOP_HERE, pos, start);
    samples++;
    entries += sampleEntries;
    setField(VALUE_COUNT, valueCount);
    setField(SAMPLES, samples);
    setField(ENTRIES, entries);
    pos = end;
  }
  return unreachable(); // nextSample ends every walk
}

/** One location id into the stack: false when it is out of range (JavaScript then reads the sample). */
@inline function putLocation(stack: i32, entry: i32, id: i64, wide: bool): bool {
  if (wide) {
    if (<u64>id > <u64>MAX_I32) return false;
    store<i32>(<usize>stack + (<usize>entry << 2), <i32>id);
  } else {
    if (<u64>id > <u64>MAX_U16) return false;
    store<u16>(<usize>stack + (<usize>entry << 1), <u16>id);
  }
  return true;
}

/**
 * The second pass: reads the window's samples into the output areas (their stacks, values and labels; a label is
 * kept when it is a string label or a numeric one, as pprof decodes them). Returns the bytes walked.
 */
export function readSamples(): i32 {
  const start = field(INPUT);
  const limit = start + field(INPUT_LENGTH);
  const wide = field(WIDE) == 1;
  const valueCount = field(VALUE_COUNT);
  const stack = field(STACK);
  const valuesOut = field(VALUES);
  const sampleStart = field(SAMPLE_START);
  const labelSample = field(LABEL_SAMPLE);
  const labelKey = field(LABEL_KEY);
  const labelStr = field(LABEL_STR);
  const labelNum = field(LABEL_NUM);
  const entryBase = field(ENTRY_BASE);
  const firstKey = field(FIRST_KEY);
  const firstNum = field(FIRST_NUM);
  let samples = 0;
  let entries = 0;
  let labels = 0;
  let labelMax: i64 = 0;
  let pos = start;
  clearOutputs();
  while (true) {
    const end = nextSample(pos, start, limit);
    if (end < 0) return field(CONSUMED);
    pos = sampleAt;
    let at = next;
    // This sample's outputs are committed only once it is read whole.
    let e = entries;
    let v = samples * valueCount;
    const valueLimit = v + valueCount;
    let l = labels;
    let max = labelMax;
    let numeric = false; // the sample's first numeric label is written
    let broken = false;
    while (at < end) {
      const key = varint2(at, end);
      if (next < 0 || key > 0xffffffff) {
        broken = true;
        break;
      }
      at = next;
      if (key == 0x0a) {
        const packedEnd = contentsEnd(at, end);
        if (packedEnd < 0) {
          broken = true;
          break;
        }
        at = next;
        // The hot loop of a big profile: ids of one or two bytes decoded in locals (no call, no global).
        while (at < packedEnd) {
          const b0 = <u32>load<u8>(<usize>at);
          let id: i64;
          if (b0 < 0x80) {
            id = <i64>b0;
            at++;
          } else {
            const b1 = <u32>load<u8>(<usize>at + 1);
            if (b1 < 0x80 && at + 1 < packedEnd) {
              id = <i64>((b0 & 0x7f) | (b1 << 7));
              at += 2;
            } else {
              id = varint(at, packedEnd);
              if (next < 0) break;
              at = next;
            }
          }
          if (!putLocation(stack, e, id, wide)) {
            at = -1;
            break;
          }
          e++;
        }
        if (at != packedEnd) {
          broken = true;
          break;
        }
      } else if (key == 0x08) {
        const id = varint2(at, end);
        if (next < 0 || !putLocation(stack, e, id, wide)) {
          broken = true;
          break;
        }
        e++;
        at = next;
      } else if (key == 0x12 || key == 0x10) {
        // Values packed (every one up to their end) or one at a time.
        const packed = key == 0x12;
        const valuesEnd = packed ? contentsEnd(at, end) : end;
        if (valuesEnd < 0) {
          broken = true;
          break;
        }
        if (packed) at = next;
        let more = !packed || at < valuesEnd;
        while (more) {
          const value = varint2(at, valuesEnd);
          if (next < 0 || v >= valueLimit) {
            at = -1;
            break;
          }
          store<f64>(<usize>valuesOut + (<usize>v << 3), <f64>value);
          v++;
          at = next;
          more = packed && at < valuesEnd;
        }
        if (at < 0 || (packed && at != valuesEnd)) {
          broken = true;
          break;
        }
      } else if (key == 0x1a) {
        const labelEnd = contentsEnd(at, end);
        if (labelEnd < 0) {
          broken = true;
          break;
        }
        at = next;
        // Label: key, str, num, num_unit (the last of each wins, as protobuf says).
        let k: i64 = 0;
        let s: i64 = 0;
        let n: i64 = 0;
        let u: i64 = 0;
        while (at < labelEnd) {
          const lkey = varint2(at, labelEnd);
          if (next < 0 || lkey > 0xffffffff) break;
          at = next;
          const number = <i32>(lkey >> 3);
          const wire = <i32>lkey & 7;
          if (number >= 1 && number <= 4) {
            if (wire != 0) break;
            const value = varint2(at, labelEnd);
            if (next < 0) break;
            at = next;
            if (number == 1) k = value;
            else if (number == 2) s = value;
            else if (number == 3) n = value;
            else u = value;
          } else {
            at = skip(wire, at, labelEnd);
            if (at < 0) break;
          }
        }
        // String indices past 2^31 (or negative) are for JavaScript to judge.
        if (at != labelEnd || <u64>k > <u64>MAX_I32 || <u64>s > <u64>MAX_I32 || <u64>u > <u64>MAX_I32) {
          broken = true;
          break;
        }
        if (k > max) max = k;
        if (s > max) max = s;
        if (u > max) max = u;
        if (s == 0 && (n != 0 || u != 0) && !numeric) {
          store<i32>(<usize>firstKey + (<usize>samples << 2), <i32>k);
          store<f64>(<usize>firstNum + (<usize>samples << 3), <f64>n);
          numeric = true;
        } else if (s != 0 || n != 0 || u != 0) {
          store<i32>(<usize>labelSample + (<usize>l << 2), samples);
          store<i32>(<usize>labelKey + (<usize>l << 2), <i32>k);
          store<i32>(<usize>labelStr + (<usize>l << 2), <i32>s);
          store<f64>(<usize>labelNum + (<usize>l << 3), s != 0 ? 0 : <f64>n);
          l++;
        }
      } else {
        const number = key >> 3;
        const wire = <i32>key & 7;
        // Fields 1-3 with another wire type: WireReader's error message is JavaScript's to give.
        if (number >= 1 && number <= 3) {
          broken = true;
          break;
        }
        at = skip(wire, at, end);
        if (at < 0) {
          broken = true;
          break;
        }
      }
    }
    if (broken || at != end || v != valueLimit) return stop(STOP_HERE, pos, start);
    store<i32>(<usize>sampleStart + (<usize>samples << 2), entryBase + entries);
    if (!numeric) store<i32>(<usize>firstKey + (<usize>samples << 2), -1);
    samples++;
    entries = e;
    labels = l;
    labelMax = max;
    setField(SAMPLES, samples);
    setField(ENTRIES, entries);
    setField(LABELS, labels);
    setField(LABEL_MAX, <i32>labelMax);
    pos = end;
  }
  return unreachable(); // nextSample ends every walk
}
