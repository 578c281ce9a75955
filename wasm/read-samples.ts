// AssemblyScript, compiled to dist/wasm/read-samples.wasm by `npm run build` (scripts/build-wasm.js).
//
// The hot part of readProfile (src/profile/read-profile.ts; src/profile/wasm-samples.ts lays out the memory and
// calls it): the top-level fields of a profile, read a window at a time. JavaScript copies a window of the
// profile into the input area; countSamples (the first pass) or readSamples (the second) walks the fields from
// the window's start for as long as they are whole inside it, and says where it stopped and why.
//
// The first pass counts: samples, their stack entries and values, sample types, the rows of each table, and the
// largest location id (which decides the stacks' width). The second reads samples (stacks, values, labels),
// locations with their lines, functions and mappings into output areas, and lists each string's bytes and hash
// (JavaScript makes the strings). The remaining fields (sample types, comments, the header's integers) are only
// stepped over and listed, for JavaScript to read once the window's outputs are taken: profile.proto's tables do
// not depend on the order of one table's entries and another's, only on the order within each, and every row of a
// table is either read here or, in its turn, by JavaScript (a sample, location, function, mapping or string that
// is not read here stops the walk there; so does a table area that is full, and the next window goes on).
//
// Only well-formed fields are read here. Anything unusual (a wire type profile.proto does not give a field, a
// value past its message's end, a location id out of range, more values than sample types, an id or a string
// index or a line past 2^31, a key past 32 bits) stops the walk at that field's start with STOP_HERE, and the
// JavaScript reader reads that one field itself: it either throws the error it always threw, with its exact
// message, or reads it and hands the walk back. So this module adds speed, never a second set of rules.
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
const OTHER = 17; // out: per field listed for JavaScript, its offset in the window (JavaScript reads them after)
const OTHERS = 18; // out: how many
const ENTRY_BASE = 19; // in: the index in the whole stack of the window's first entry (SAMPLE_START adds it)
const FIRST_KEY = 20; // out: per sample, its first numeric label's key, -1 when none (every Go heap sample has one)
const FIRST_NUM = 21; // out: per sample, that label's number (f64); further numeric labels go to the label list
const SAMPLE_TYPES = 22; // out, first pass: sample_type fields counted
const LOCATION_MAX = 23; // out, first pass: the largest id of the locations counted (0 when none)
const TABLE_ROWS = 24; // in: rows each table area below holds; a window stops early when one is full
const LINE_BASE = 25; // in: the index in the whole line table of the window's first line (LOCATION_LINE_START adds it)
const LOCATIONS = 26; // out: locations read (in the first pass, counted)
const LINES = 27; // out: their lines
const FUNCTIONS = 28; // out: functions read (in the first pass, counted)
const MAPPINGS = 29; // out: mappings read (counted)
const STRINGS = 30; // out: strings listed (counted)
const LOCATION_ID = 31; // out, i32 per location: its id
const LOCATION_MAPPING = 32; // out: its mapping_id
const LOCATION_LINE_START = 33; // out: the index in the whole line table of its first line
const LINE_FUNCTION = 34; // out, i32 per line: function_id
const LINE_NUMBER = 35; // out: line
const FUNCTION_ID = 36; // out, i32 per function: id, name, system_name, filename, start_line
const FUNCTION_NAME = 37;
const FUNCTION_SYSTEM_NAME = 38;
const FUNCTION_FILENAME = 39;
const FUNCTION_START_LINE = 40;
const MAPPING_ID = 41; // out, i32 per mapping: id, filename, build_id (the fields readProfile keeps)
const MAPPING_FILENAME = 42;
const MAPPING_BUILD_ID = 43;
const STRING_START = 44; // out, i32 per string: its first byte's offset in the window
const STRING_END = 45; // out: the offset past its last byte
const STRING_ASCII = 46; // out, u8 per string: 1 when every byte is ASCII (JavaScript then needs no UTF-8 decoding)
const STRING_HASH = 47; // out, i32 per string: a hash of its bytes (JavaScript tells from them that no two strings are alike)
const NARROW_VALUES = 48; // in: 1: values are written as i32 (a sample with a value past int32 is for JavaScript), else as f64

// Why the walk stopped.
const END_OF_WINDOW = 0; // the window is walked, or its next field does not end inside it, or its table area is full
const STOP_HERE = 2; // the next field is for JavaScript to read (see above)

// What a field's reader returns instead of the field's end.
const NOT_WHOLE = -1; // it does not end inside the window
const FOR_JAVASCRIPT = -2; // it is unusual: JavaScript reads it
const FULL = -3; // its table area is full: the next window starts with it

// Top-level keys (field number << 3 | wire type) of profile.proto.
const SAMPLE_TYPE_KEY: i64 = 0x0a;
const SAMPLE_KEY: i64 = 0x12;
const MAPPING_KEY: i64 = 0x1a;
const LOCATION_KEY: i64 = 0x22;
const FUNCTION_KEY: i64 = 0x2a;
const STRING_KEY: i64 = 0x32;

const MAX_U16: i64 = 0xffff;
const MAX_I32: i64 = 0x7fffffff;

// A varint's end, set by varint(); -1 when it runs past its limit or past 10 bytes.
let next: i32 = 0;

// The window being walked, and how much of each output it holds so far.
let windowStart: i32 = 0;
let samples: i32 = 0;
let entries: i32 = 0;
let labels: i32 = 0;
let labelMax: i64 = 0;
let tableRows: i32 = 0;
let locations: i32 = 0;
let lines: i32 = 0;
let functions: i32 = 0;
let mappings: i32 = 0;
let strings: i32 = 0;

@inline function field(index: i32): i32 {
  return load<i32>(<usize>index << 2);
}

@inline function setField(index: i32, value: i32): void {
  store<i32>(<usize>index << 2, value);
}

/** Row `row` of the i32 output column whose address is parameter `column`. */
@inline function put(column: i32, row: i32, value: i64): void {
  store<i32>(<usize>field(column) + (<usize>row << 2), <i32>value);
}

/** An id, string index or line this module writes as an i32: others are JavaScript's to read as doubles. */
@inline function isIndex(value: i64): bool {
  return <u64>value <= <u64>MAX_I32;
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

/** varint() with the one- and two-byte cases (most keys, lengths, ids and indices) inline. */
@inline function varint2(pos: i32, limit: i32): i64 {
  if (pos < limit) {
    const b0 = <u32>load<u8>(<usize>pos);
    if (b0 < 0x80) {
      next = pos + 1;
      return <i64>b0;
    }
    if (pos + 1 < limit) {
      const b1 = <u32>load<u8>(<usize>pos + 1);
      if (b1 < 0x80) {
        next = pos + 2;
        return <i64>((b0 & 0x7f) | (b1 << 7));
      }
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

/** The end of the varint at pos, not decoded (as varint() reads it: at most 10 bytes, up to limit), or -1. */
@inline function varintEnd(pos: i32, limit: i32): i32 {
  const last = min(limit, pos + 10);
  while (pos < last) {
    if (load<u8>(<usize>pos) < 0x80) return pos + 1;
    pos++;
  }
  return -1;
}

/** The end of the field of this wire type whose value starts at pos, or -1 when it is broken or runs past limit. */
function skip(wire: i32, pos: i32, limit: i32): i32 {
  if (wire == 0) return varintEnd(pos, limit);
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

// Set by hashBytes(): 1 when every byte it hashed is ASCII, else 0.
let ascii: u8 = 0;

/** A 32-bit hash of the bytes of [pos, end), eight at a time; whether they are all ASCII in `ascii`. */
function hashBytes(pos: i32, end: i32): i32 {
  let hash: u64 = 0x9e3779b97f4a7c15 ^ <u64>(end - pos);
  let high: u64 = 0;
  while (pos < end) {
    let word: u64;
    if (pos + 8 <= end) {
      word = load<u64>(<usize>pos);
      pos += 8;
    } else {
      word = 0;
      for (let shift: u64 = 0; pos < end; shift += 8) {
        word |= <u64>load<u8>(<usize>pos) << shift;
        pos++;
      }
    }
    high |= word;
    hash = (hash ^ word) * 0xff51afd7ed558ccd;
    hash ^= hash >> 32;
  }
  ascii = (high & 0x8080808080808080) == 0 ? 1 : 0;
  hash ^= hash >> 29;
  return <i32>(hash ^ (hash >> 32));
}

/**
 * The end of a top-level field that is not read here (its key decoded, its value at pos), NOT_WHOLE when it does
 * not end inside the window, FOR_JAVASCRIPT when its key is one for JavaScript to judge.
 */
function fieldEnd(key: i64, pos: i32, limit: i32): i32 {
  if (key > 0xffffffff) return FOR_JAVASCRIPT;
  const wire = <i32>key & 7;
  if (wire != 0 && wire != 1 && wire != 2 && wire != 5) return FOR_JAVASCRIPT;
  const end = skip(wire, pos, limit);
  return end < 0 ? NOT_WHOLE : end;
}

/** fieldEnd(), listing the field (at start) for JavaScript. */
function otherField(start: i32, key: i64, pos: i32, limit: i32): i32 {
  const end = fieldEnd(key, pos, limit);
  if (end < 0) return end;
  const others = field(OTHERS);
  store<i32>(<usize>field(OTHER) + (<usize>others << 2), start - windowStart);
  setField(OTHERS, others + 1);
  return end;
}

/** Starts a walk: the window from the parameters, every output empty. */
function beginWindow(): void {
  windowStart = field(INPUT);
  tableRows = field(TABLE_ROWS);
  samples = 0;
  entries = 0;
  labels = 0;
  labelMax = 0;
  locations = 0;
  lines = 0;
  functions = 0;
  mappings = 0;
  strings = 0;
  setField(OTHERS, 0);
  setField(SAMPLE_TYPES, 0);
  setField(LOCATION_MAX, 0);
}

/** Ends a walk at pos: why, how far, and how much of each output was written. */
function stop(status: i32, pos: i32): i32 {
  setField(STATUS, status);
  setField(CONSUMED, pos - windowStart);
  setField(SAMPLES, samples);
  setField(ENTRIES, entries);
  setField(LABELS, labels);
  setField(LABEL_MAX, <i32>labelMax);
  setField(LOCATIONS, locations);
  setField(LINES, lines);
  setField(FUNCTIONS, functions);
  setField(MAPPINGS, mappings);
  setField(STRINGS, strings);
  return pos - windowStart;
}

/** The status a field reader's refusal stops the walk with. */
@inline function stopping(refusal: i32): i32 {
  return refusal == FOR_JAVASCRIPT ? STOP_HERE : END_OF_WINDOW;
}

/**
 * The first pass: counts the window's samples and their stack entries, as countSamples in read-profile.ts does
 * (checking that each has VALUE_COUNT values, set from the first), its sample types, the largest location id, and
 * the rows of each table. Returns the bytes walked.
 */
export function countSamples(): i32 {
  beginWindow();
  const limit = windowStart + field(INPUT_LENGTH);
  let pos = windowStart;
  while (pos < limit) {
    const key = varint2(pos, limit);
    if (next < 0) break;
    let end: i32;
    if (key == SAMPLE_KEY) end = countSample(next, limit);
    else if (key == LOCATION_KEY) end = countLocation(next, limit);
    else {
      end = fieldEnd(key, next, limit);
      if (end >= 0) countRow(key);
    }
    if (end < 0) return stop(stopping(end), pos);
    pos = end;
  }
  return stop(END_OF_WINDOW, pos);
}

/** A whole top-level field of the first pass that is neither a sample nor a location, counted by its kind. */
function countRow(key: i64): void {
  if (key == SAMPLE_TYPE_KEY) setField(SAMPLE_TYPES, field(SAMPLE_TYPES) + 1);
  else if (key == FUNCTION_KEY) functions++;
  else if (key == MAPPING_KEY) mappings++;
  else if (key == STRING_KEY) strings++;
}

/** One sample of the first pass, its length at pos: its end, or why it is not counted here. */
function countSample(pos: i32, limit: i32): i32 {
  const end = contentsEnd(pos, limit);
  if (end < 0) return NOT_WHOLE;
  let at = next;
  let sampleEntries = 0;
  let values = 0;
  while (at < end) {
    const key = varint(at, end);
    if (next < 0 || key > 0xffffffff) return FOR_JAVASCRIPT;
    at = next;
    if (key == 0x0a || key == 0x12) {
      const packedEnd = contentsEnd(at, end);
      if (packedEnd < 0) return FOR_JAVASCRIPT;
      const counted = countEnds(next, packedEnd);
      if (key == 0x0a) sampleEntries += counted;
      else values += counted;
      at = packedEnd;
    } else {
      at = skip(<i32>key & 7, at, end);
      if (at < 0) return FOR_JAVASCRIPT;
      if (key == 0x08) sampleEntries++;
      else if (key == 0x10) values++;
    }
  }
  let valueCount = field(VALUE_COUNT);
  if (valueCount < 0) valueCount = values;
  if (values != valueCount) return FOR_JAVASCRIPT;
  setField(VALUE_COUNT, valueCount);
  samples++;
  entries += sampleEntries;
  return end;
}

/**
 * One location of the first pass, its length at pos: its id, as locationIdOf in read-profile.ts reads it, and its
 * lines counted.
 */
function countLocation(pos: i32, limit: i32): i32 {
  const end = contentsEnd(pos, limit);
  if (end < 0) return NOT_WHOLE;
  let at = next;
  let id: i64 = 0;
  let lineCount = 0;
  while (at < end) {
    const key = varint2(at, end);
    if (next < 0 || key > 0xffffffff) return FOR_JAVASCRIPT;
    at = next;
    if (key == 0x08) {
      id = varint2(at, end);
      at = next;
    } else if (key == 0x22) {
      lineCount++;
      at = contentsEnd(at, end);
    } else at = skip(<i32>key & 7, at, end);
    if (at < 0) return FOR_JAVASCRIPT;
  }
  if (!isIndex(id)) return FOR_JAVASCRIPT;
  if (<i32>id > field(LOCATION_MAX)) setField(LOCATION_MAX, <i32>id);
  locations++;
  lines += lineCount;
  return end;
}

/**
 * The second pass: reads the window's samples, locations, functions and mappings into the output areas, lists its
 * strings and the fields left for JavaScript. Returns the bytes walked.
 */
export function readSamples(): i32 {
  beginWindow();
  const limit = windowStart + field(INPUT_LENGTH);
  let pos = windowStart;
  while (pos < limit) {
    const key = varint2(pos, limit);
    if (next < 0) break;
    let end: i32;
    if (key == SAMPLE_KEY) end = readSample(next, limit);
    else if (key == LOCATION_KEY) end = readLocation(next, limit);
    else if (key == FUNCTION_KEY) end = readFunction(next, limit);
    else if (key == MAPPING_KEY) end = readMapping(next, limit);
    else if (key == STRING_KEY) end = listString(next, limit);
    else end = otherField(pos, key, next, limit);
    if (end < 0) return stop(stopping(end), pos);
    pos = end;
  }
  return stop(END_OF_WINDOW, pos);
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
 * One Sample, its length at pos: its stack, values and labels into the output areas (a label is kept when it is a
 * string label or a numeric one, as pprof decodes them). Returns its end, or why it is not read here.
 */
function readSample(pos: i32, limit: i32): i32 {
  const end = contentsEnd(pos, limit);
  if (end < 0) return NOT_WHOLE;
  const wide = field(WIDE) == 1;
  const valueCount = field(VALUE_COUNT);
  const stack = field(STACK);
  const valuesOut = field(VALUES);
  const narrow = field(NARROW_VALUES) == 1;
  let at = next;
  // This sample's outputs are committed only once it is read whole.
  let e = entries;
  let v = samples * valueCount;
  const valueLimit = v + valueCount;
  let l = labels;
  let max = labelMax;
  let numeric = false; // the sample's first numeric label is written
  while (at < end) {
    const key = varint2(at, end);
    if (next < 0 || key > 0xffffffff) return FOR_JAVASCRIPT;
    at = next;
    if (key == 0x0a) {
      const packedEnd = contentsEnd(at, end);
      if (packedEnd < 0) return FOR_JAVASCRIPT;
      at = next;
      // The hot loop of a big profile: an id of up to three bytes (up to 2^21) decoded from one 32-bit load without
      // a branch on its length (ids of one, two and three bytes mix at random); a longer one by varint().
      while (at < packedEnd) {
        const word = load<u32>(<usize>at);
        const ends = ~word & 0x808080; // the high bit of each of the first three bytes, set where a varint ends
        let id: i64;
        if (ends != 0) {
          const length = (ctz(ends) >> 3) + 1;
          at += length;
          if (at > packedEnd) return FOR_JAVASCRIPT;
          id = <i64>(((word & 0x7f) | ((word >> 1) & 0x3f80) | ((word >> 2) & 0x1fc000)) & ((1 << (7 * length)) - 1));
        } else {
          id = varint(at, packedEnd);
          if (next < 0) return FOR_JAVASCRIPT;
          at = next;
        }
        if (!putLocation(stack, e, id, wide)) return FOR_JAVASCRIPT;
        e++;
      }
    } else if (key == 0x08) {
      const id = varint2(at, end);
      if (next < 0 || !putLocation(stack, e, id, wide)) return FOR_JAVASCRIPT;
      e++;
      at = next;
    } else if (key == 0x12 || key == 0x10) {
      // Values packed (every one up to their end) or one at a time.
      const packed = key == 0x12;
      const valuesEnd = packed ? contentsEnd(at, end) : end;
      if (valuesEnd < 0) return FOR_JAVASCRIPT;
      if (packed) at = next;
      let more = !packed || at < valuesEnd;
      while (more) {
        const value = varint2(at, valuesEnd);
        if (next < 0 || v >= valueLimit) return FOR_JAVASCRIPT;
        if (!narrow) store<f64>(<usize>valuesOut + (<usize>v << 3), <f64>value);
        else if (value >= -0x80000000 && value <= 0x7fffffff) store<i32>(<usize>valuesOut + (<usize>v << 2), <i32>value);
        else return FOR_JAVASCRIPT;
        v++;
        at = next;
        more = packed && at < valuesEnd;
      }
    } else if (key == 0x1a) {
      const labelEnd = contentsEnd(at, end);
      if (labelEnd < 0) return FOR_JAVASCRIPT;
      // Label: key, str, num, num_unit (the last of each wins, as protobuf says).
      if (!readIntegers(next, labelEnd, 4)) return FOR_JAVASCRIPT;
      at = labelEnd;
      const k = int1;
      const s = int2;
      const n = int3;
      const u = int4;
      // String indices past 2^31 (or negative) are for JavaScript to judge.
      if (!isIndex(k) || !isIndex(s) || !isIndex(u)) return FOR_JAVASCRIPT;
      if (k > max) max = k;
      if (s > max) max = s;
      if (u > max) max = u;
      if (s == 0 && (n != 0 || u != 0) && !numeric) {
        store<i32>(<usize>field(FIRST_KEY) + (<usize>samples << 2), <i32>k);
        store<f64>(<usize>field(FIRST_NUM) + (<usize>samples << 3), <f64>n);
        numeric = true;
      } else if (s != 0 || n != 0 || u != 0) {
        store<i32>(<usize>field(LABEL_SAMPLE) + (<usize>l << 2), samples);
        store<i32>(<usize>field(LABEL_KEY) + (<usize>l << 2), <i32>k);
        store<i32>(<usize>field(LABEL_STR) + (<usize>l << 2), <i32>s);
        store<f64>(<usize>field(LABEL_NUM) + (<usize>l << 3), s != 0 ? 0 : <f64>n);
        l++;
      }
    } else {
      // Fields 1-3 with another wire type: WireReader's error message is JavaScript's to give.
      const number = key >> 3;
      if (number >= 1 && number <= 3) return FOR_JAVASCRIPT;
      at = skip(<i32>key & 7, at, end);
      if (at < 0) return FOR_JAVASCRIPT;
    }
  }
  if (v != valueLimit) return FOR_JAVASCRIPT;
  store<i32>(<usize>field(SAMPLE_START) + (<usize>samples << 2), field(ENTRY_BASE) + entries);
  if (!numeric) store<i32>(<usize>field(FIRST_KEY) + (<usize>samples << 2), -1);
  samples++;
  entries = e;
  labels = l;
  labelMax = max;
  return end;
}

// The integers read by readIntegers(), fields 1 to 6 of the message (0 when absent).
let int1: i64 = 0;
let int2: i64 = 0;
let int3: i64 = 0;
let int4: i64 = 0;
let int5: i64 = 0;
let int6: i64 = 0;

/**
 * A message whose fields 1..count are all integers, as readIntegers in read-profile.ts reads it: the last of each
 * wins, any other field is skipped. False when it is unusual (one of those fields with another wire type, a broken
 * varint, a key past 32 bits).
 */
@inline function readIntegers(at: i32, end: i32, count: i64): bool {
  int1 = 0;
  int2 = 0;
  int3 = 0;
  int4 = 0;
  int5 = 0;
  int6 = 0;
  while (at < end) {
    const key = varint2(at, end);
    if (next < 0 || key > 0xffffffff) return false;
    at = next;
    const number = key >> 3;
    const wire = <i32>key & 7;
    if (number >= 1 && number <= count) {
      if (wire != 0) return false;
      const value = varint2(at, end);
      if (next < 0) return false;
      at = next;
      if (number == 1) int1 = value;
      else if (number == 2) int2 = value;
      else if (number == 3) int3 = value;
      else if (number == 4) int4 = value;
      else if (number == 5) int5 = value;
      else if (number == 6) int6 = value;
    } else {
      at = skip(wire, at, end);
      if (at < 0) return false;
    }
  }
  return true;
}

/**
 * The end of a table's row (a message, its length at pos; its contents start at `next`), or NOT_WHOLE, or FULL when
 * the table's area, which holds `rows` so far, is.
 */
@inline function rowEnd(pos: i32, limit: i32, rows: i32): i32 {
  const end = contentsEnd(pos, limit);
  if (end < 0) return NOT_WHOLE;
  return rows == tableRows ? FULL : end;
}

/** One Location, its length at pos, with its lines (readLocation in read-profile.ts): its end, or why not here. */
function readLocation(pos: i32, limit: i32): i32 {
  const end = rowEnd(pos, limit, locations);
  if (end < 0) return end;
  let at = next;
  let id: i64 = 0;
  let mapping: i64 = 0;
  let line = lines;
  while (at < end) {
    const key = varint2(at, end);
    if (next < 0 || key > 0xffffffff) return FOR_JAVASCRIPT;
    at = next;
    const number = key >> 3;
    const wire = <i32>key & 7;
    // Fields 1, 2, 3 and 5 are integers, 4 (Line) a message.
    if (number >= 1 && number <= 5 && (number == 4) != (wire == 2)) return FOR_JAVASCRIPT;
    if (number == 4) {
      const lineEnd = contentsEnd(at, end);
      // Line: function_id, line, column.
      if (lineEnd < 0 || !readIntegers(next, lineEnd, 3) || !isIndex(int1) || !isIndex(int2)) return FOR_JAVASCRIPT;
      if (line == tableRows) return FULL;
      put(LINE_FUNCTION, line, int1);
      put(LINE_NUMBER, line, int2);
      line++;
      at = lineEnd;
    } else if (wire != 0) {
      at = skip(wire, at, end);
      if (at < 0) return FOR_JAVASCRIPT;
    } else if (number == 1 || number == 2) {
      const value = varint2(at, end);
      if (next < 0) return FOR_JAVASCRIPT;
      at = next;
      if (number == 1) id = value;
      else mapping = value;
    } else {
      at = varintEnd(at, end); // the address, is_folded, or a field profile.proto does not have
      if (at < 0) return FOR_JAVASCRIPT;
    }
  }
  if (!isIndex(id) || !isIndex(mapping)) return FOR_JAVASCRIPT;
  put(LOCATION_ID, locations, id);
  put(LOCATION_MAPPING, locations, mapping);
  put(LOCATION_LINE_START, locations, field(LINE_BASE) + lines);
  locations++;
  lines = line;
  return end;
}

/** One Function, its length at pos: id, name, system_name, filename, start_line. Its end, or why not here. */
function readFunction(pos: i32, limit: i32): i32 {
  const end = rowEnd(pos, limit, functions);
  if (end < 0) return end;
  if (!readIntegers(next, end, 5) || !isIndex(int1) || !isIndex(int2) || !isIndex(int3) || !isIndex(int4) || !isIndex(int5)) return FOR_JAVASCRIPT;
  put(FUNCTION_ID, functions, int1);
  put(FUNCTION_NAME, functions, int2);
  put(FUNCTION_SYSTEM_NAME, functions, int3);
  put(FUNCTION_FILENAME, functions, int4);
  put(FUNCTION_START_LINE, functions, int5);
  functions++;
  return end;
}

/** One Mapping, its length at pos (its fields 1..10 are all integers): id, filename and build_id kept. */
function readMapping(pos: i32, limit: i32): i32 {
  const end = rowEnd(pos, limit, mappings);
  if (end < 0) return end;
  if (!readIntegers(next, end, 10) || !isIndex(int1) || !isIndex(int5) || !isIndex(int6)) return FOR_JAVASCRIPT;
  put(MAPPING_ID, mappings, int1);
  put(MAPPING_FILENAME, mappings, int5);
  put(MAPPING_BUILD_ID, mappings, int6);
  mappings++;
  return end;
}

/** One string of the string table, its length at pos: where its bytes are, for JavaScript to make the string, and their hash. */
function listString(pos: i32, limit: i32): i32 {
  const end = rowEnd(pos, limit, strings);
  if (end < 0) return end;
  put(STRING_START, strings, next - windowStart);
  put(STRING_END, strings, end - windowStart);
  put(STRING_HASH, strings, hashBytes(next, end));
  store<u8>(<usize>field(STRING_ASCII) + <usize>strings, ascii);
  strings++;
  return end;
}
