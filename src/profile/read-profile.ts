import { ProfileError } from '../errors';
import { GrowableFloat64, GrowableInt32 } from './growable';
import { LabelSets, LabelSetTable } from './label-sets';
import { releaseBytes } from './release-bytes';
import { sharedFloat64, sharedInt32, sharedUint16 } from './profile-data';
import { FunctionTable, LocationTable, MappingTable, TableBuilder } from './raw-tables';
import { StringMaker, UTF8 } from './string-maker';
import { SampleCounts, SampleWindow, SampleWindows, TableRows } from './wasm-samples';
import { LENGTH_DELIMITED, VARINT, WireReader } from './wire-reader';

/**
 * profile.proto read into flat tables, every reference still an id or a string index (validate-tables.ts checks
 * them). Two passes: the first only counts (samples, stack entries, the tables' rows), so the second writes
 * straight into arrays of the exact size. In both, the fields are read in WebAssembly (wasm-samples.ts) when it is
 * built: samples, locations, functions and mappings into its output areas, strings as where their bytes are;
 * whatever it leaves (the few other fields, and any field it does not judge) is read here.
 */
export interface RawProfile {
  strings: string[];
  sampleTypes: Array<{ type: number; unit: number }>;
  periodType?: { type: number; unit: number };
  period: number;
  timeNanos: number;
  durationNanos: number;
  dropFrames: number;
  keepFrames: number;
  comments: number[];
  defaultSampleType: number;
  mappings: MappingTable;
  functions: FunctionTable;
  locations: LocationTable;
  /** Sample i: location ids stackIds[sampleStart[i]..sampleStart[i+1]), values[i*valueCount..]. */
  sampleStart: Int32Array;
  stackIds: Int32Array | Uint16Array | Float64Array;
  values: Float64Array;
  valueCount: number;
  /** Per sample, the index in labelSets of its set of string labels, -1 when none; undefined when no sample has any. */
  sampleLabelSet: Int32Array | undefined;
  labelSets: LabelSetTable;
  /** Per sample, the numeric label "bytes" when present, else NaN (filled by resolveBytesLabels). */
  sampleBytes: Float64Array;
  /** Every numeric label, resolved into sampleBytes once the string table, which Go writes last, says which keys are "bytes". */
  numericLabels: NumericLabels;
  /** The smallest and largest string index a label uses, for range checks. */
  labelStringRange: { min: number; max: number };
  /**
   * True when no two strings of the table are alike, so that they need no deduplication; false also when the
   * reader could not tell at little cost (some strings were read by the JavaScript reader, or are not ASCII).
   */
  stringsDistinct: boolean;
}

/** Top-level fields that are messages or strings, and those that are integers: a wrong wire type is refused. */
const MESSAGE_FIELDS = new Set([1, 2, 3, 4, 5, 6, 11]);
const INTEGER_FIELDS = new Set([7, 8, 9, 10, 12, 14]);

// profile.proto field numbers.
const P = { sampleType: 1, sample: 2, mapping: 3, location: 4, function: 5, stringTable: 6, dropFrames: 7, keepFrames: 8, timeNanos: 9, durationNanos: 10, periodType: 11, period: 12, comment: 13, defaultSampleType: 14 };

/**
 * How to read: in WebAssembly where it can (the default), and the window it reads at a time (for the tests).
 * release: the bytes are the reader's to free once read (decode.ts's gunzipped copy).
 */
export interface ReaderOptions {
  wasm?: boolean;
  window?: number;
  release?: boolean;
}

export function readProfile(buf: Uint8Array, maxSamples: number, reader: ReaderOptions = {}): RawProfile {
  const windows = reader.wasm === false ? null : SampleWindows.open(buf, reader.window);
  const counts = countSamples(buf, windows);
  if (counts.samples > maxSamples) throw new ProfileError(`invalid profile: ${counts.samples} samples, more than the limit of ${maxSamples}`);
  const valueCount = counts.valuesPerSample;
  const sampleBytes = sharedFloat64(counts.samples);
  const state: ReadState = { sample: 0, stack: 0, tables: new TableBuilder(counts.rows), labelSets: new LabelSets() };
  const raw: Reading = {
    strings: [],
    sampleTypes: [],
    period: 0,
    timeNanos: 0,
    durationNanos: 0,
    dropFrames: 0,
    keepFrames: 0,
    comments: [],
    defaultSampleType: 0,
    sampleStart: sharedInt32(counts.samples + 1),
    // The largest array of a big profile, sized exactly (counting the varints costs less than the memory of a
    // bound): build-profile-data.ts converts it into the shared stack of location indices.
    stackIds: stackArray(counts.maxLocationId, counts.stackEntries),
    // 32-bit while the module reads them, so that with the bytes still held they take half the memory; doubles
    // once the bytes are freed, or as soon as a value needs more (readSample).
    values: windows ? new Int32Array(counts.samples * valueCount) : sharedFloat64(counts.samples * valueCount),
    valueCount,
    sampleLabelSet: undefined,
    sampleBytes,
    labelStringRange: { min: 0, max: 0 },
    numericLabels: new NumericLabels(sampleBytes),
  };
  const fields = new FieldReader(buf, raw, state);
  // The stacks' array type decides how the module writes them; doubles (ids past 2^31) are read here alone.
  const wide = raw.stackIds instanceof Int32Array;
  const fast = windows && !(raw.stackIds instanceof Float64Array) ? windows : null;
  const strings = new StringMaker(buf);
  const take = (window: SampleWindow) => takeWindow(raw, state, window, strings);
  const other = (pos: number) => fields.readAt(pos);
  const base = () => ({ entries: state.stack, lines: state.tables.locations.lineFunction.length });
  const r = new WireReader(buf);
  let handBack = -1; // where the module stopped at a field for this reader
  while (!r.done) {
    if (fast && r.pos !== handBack) {
      const at = fast.read(r.pos, r.end, wide, raw.values instanceof Int32Array, valueCount, base, take, other);
      if (at !== r.pos) {
        r.pos = handBack = at;
        continue;
      }
    }
    fields.read(r);
  }
  // The two passes must agree on every sample: where they do not, the arrays sized by the first would have been
  // written past their ends (a typed array drops such writes) and the stacks would point at the wrong entries.
  if (state.sample !== counts.samples || state.stack !== counts.stackEntries) throw disagreement();
  raw.sampleStart[counts.samples] = state.stack;
  resolveBytesLabels(raw);
  const read = { ...raw, ...state.tables.finish(), labelSets: state.labelSets.finish(), stringsDistinct: strings.distinct(raw.strings) };
  // Nothing read refers to the bytes (the strings are copies of theirs): their memory goes back now, not at the
  // next collection, before the tables are built and aggregated.
  if (reader.release) releaseBytes(buf);
  return { ...read, values: widened(raw.values) };
}

/** The profile while it is read: its tables and label sets are in ReadState until the end, its values maybe 32-bit. */
type Reading = Omit<RawProfile, 'mappings' | 'functions' | 'locations' | 'labelSets' | 'stringsDistinct' | 'values'> & { values: Float64Array | Int32Array };

/** The values as doubles, in a shared array. */
function widened(values: Float64Array | Int32Array): Float64Array {
  if (values instanceof Float64Array) return values;
  const doubles = sharedFloat64(values.length);
  doubles.set(values);
  return doubles;
}

/** Reads one top-level field at a time into the tables: every field the module leaves, and all of them without it. */
class FieldReader {
  private readonly at: WireReader;
  private readonly sub: WireReader;
  private readonly label: LabelReader;
  private readonly line: WireReader;

  constructor(
    private readonly buf: Uint8Array,
    private readonly raw: Reading,
    private readonly state: ReadState,
  ) {
    this.at = new WireReader(buf);
    this.sub = new WireReader(buf);
    this.label = new LabelReader(buf);
    this.line = new WireReader(buf);
  }

  /** The field at pos, which the module listed. */
  readAt(pos: number): void {
    this.at.pos = pos;
    this.read(this.at);
  }

  /** The field at r.pos; r ends past it. */
  read(r: WireReader): void {
    const { raw, sub } = this;
    const { tables } = this.state;
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    if ((MESSAGE_FIELDS.has(field) && wire !== LENGTH_DELIMITED) || (INTEGER_FIELDS.has(field) && wire !== VARINT)) {
      throw r.broken(`field ${field} has wire type ${wire}, which profile.proto does not give it`);
    }
    if (wire === LENGTH_DELIMITED) {
      const end = r.lengthEnd();
      sub.reset(r.pos, end);
      switch (field) {
        case P.sampleType:
          raw.sampleTypes.push(readValueType(sub));
          break;
        case P.sample:
          readSample(sub, raw, this.state, this.label);
          break;
        case P.mapping:
          readMapping(sub, tables);
          break;
        case P.location:
          readLocation(sub, tables, this.line);
          break;
        case P.function:
          readFunction(sub, tables);
          break;
        case P.stringTable:
          raw.strings.push(UTF8.decode(this.buf.subarray(r.pos, end)));
          break;
        case P.periodType:
          raw.periodType = readValueType(sub);
          break;
        case P.comment:
          while (!sub.done) raw.comments.push(sub.varint());
          break;
      }
      r.pos = end;
    } else if (wire === VARINT) {
      const value = r.varint();
      if (field === P.dropFrames) raw.dropFrames = value;
      else if (field === P.keepFrames) raw.keepFrames = value;
      else if (field === P.timeNanos) raw.timeNanos = value;
      else if (field === P.durationNanos) raw.durationNanos = value;
      else if (field === P.period) raw.period = value;
      else if (field === P.comment) raw.comments.push(value);
      else if (field === P.defaultSampleType) raw.defaultSampleType = value;
    } else {
      r.skip(wire);
    }
  }
}

/**
 * Numeric labels as read: each sample's first in arrays of their own (a Go heap sample has exactly one, "bytes"),
 * any further ones in growable lists, in order. The first numbers are written where sampleBytes will be (they
 * mostly are its values), which saves a double per sample on the largest profiles.
 */
export class NumericLabels {
  readonly firstKey: Int32Array;
  readonly more = { sample: new GrowableInt32(16), key: new GrowableInt32(16), num: new GrowableFloat64(16) };

  constructor(readonly firstNum: Float64Array) {
    this.firstKey = new Int32Array(firstNum.length).fill(-1);
  }

  add(sample: number, key: number, num: number): void {
    if (this.firstKey[sample] < 0) {
      this.firstKey[sample] = key;
      this.firstNum[sample] = num;
      return;
    }
    this.more.sample.push(sample);
    this.more.key.push(key);
    this.more.num.push(num);
  }
}

/**
 * A sample's first numeric label keyed "bytes" is its object size (pprof's tag views use it). The key is compared
 * as text: a string table may hold "bytes" twice.
 */
function resolveBytesLabels(raw: Reading): void {
  const isBytes = new Uint8Array(raw.strings.length);
  raw.strings.forEach((text, i) => (isBytes[i] = text === 'bytes' ? 1 : 0));
  const { firstKey, more } = raw.numericLabels;
  // sampleBytes holds the first numbers: those not keyed "bytes" become NaN (none yet).
  for (let s = 0; s < firstKey.length; s++) if (firstKey[s] < 0 || isBytes[firstKey[s]] !== 1) raw.sampleBytes[s] = NaN;
  for (let i = 0; i < more.sample.length; i++) {
    const s = more.sample.get(i);
    if (isBytes[more.key.get(i)] === 1 && Number.isNaN(raw.sampleBytes[s])) raw.sampleBytes[s] = more.num.get(i);
  }
  raw.numericLabels = new NumericLabels(new Float64Array(0));
}

/**
 * The raw stack entries' array: 16 bits per entry when every location id fits (Go numbers them 1..n), 32 when
 * they fit an int32, else doubles (profile.proto's ids are uint64; pprof reads them).
 */
function stackArray(maxLocationId: number, length: number): Uint16Array | Int32Array | Float64Array {
  // Shared already, so that the stacks become location indices in place (build-profile-data.ts) when the widths agree.
  if (maxLocationId <= 0xffff) return sharedUint16(length);
  if (maxLocationId <= 0x7fffffff) return sharedInt32(length);
  return new Float64Array(length);
}

/**
 * First pass: how many samples, stack entries and values per sample, so arrays can be sized exactly, and the
 * largest location id, which decides the stacks' width.
 */
function countSamples(buf: Uint8Array, windows: SampleWindows | null): { samples: number; stackEntries: number; valuesPerSample: number; maxLocationId: number; rows: TableRows } {
  const rows = { locations: 0, lines: 0, functions: 0, mappings: 0, strings: 0 };
  const counts: SampleCounts = { samples: 0, stackEntries: 0, valuesPerSample: -1, sampleTypes: 0, maxLocationId: 0, rows };
  const r = new WireReader(buf);
  const sub = new WireReader(buf);
  let handBack = -1; // where the module stopped at a field for this reader
  while (!r.done) {
    if (windows && r.pos !== handBack) {
      const next = windows.count(r.pos, r.end, counts);
      if (next !== r.pos) {
        r.pos = handBack = next;
        continue;
      }
    }
    countField(r, sub, counts);
  }
  const { samples, stackEntries, valuesPerSample, sampleTypes, maxLocationId } = counts;
  return { samples, stackEntries, valuesPerSample: valuesPerSample === -1 ? sampleTypes : valuesPerSample, maxLocationId, rows };
}

/** One top-level field of the first pass, as the module counts them; r ends past it. */
function countField(r: WireReader, sub: WireReader, counts: SampleCounts): void {
  const key = r.key();
  if ((key & 7) !== LENGTH_DELIMITED) {
    r.skip(key & 7);
    return;
  }
  const end = r.lengthEnd();
  const field = key >>> 3;
  if (field === P.sampleType) counts.sampleTypes++;
  if (field === P.location) counts.maxLocationId = Math.max(counts.maxLocationId, locationIdOf(sub.reset(r.pos, end), counts.rows));
  if (field === P.sample) countSample(sub.reset(r.pos, end), counts);
  if (field === P.function) counts.rows.functions++;
  if (field === P.mapping) counts.rows.mappings++;
  if (field === P.stringTable) counts.rows.strings++;
  r.pos = end;
}

/** One sample of the first pass. */
function countSample(sub: WireReader, counts: SampleCounts): void {
  const sample = counts.samples++;
  let values = 0;
  while (!sub.done) {
    const k = sub.key();
    if (k === ((1 << 3) | LENGTH_DELIMITED)) {
      const e = sub.lengthEnd();
      counts.stackEntries += sub.countVarints(e);
      sub.pos = e;
    } else if (k === ((1 << 3) | VARINT)) {
      sub.varint();
      counts.stackEntries++;
    } else if (k === ((2 << 3) | LENGTH_DELIMITED)) {
      const e = sub.lengthEnd();
      values += sub.countVarints(e);
      sub.pos = e;
    } else if (k === ((2 << 3) | VARINT)) {
      sub.varint();
      values++;
    } else sub.skip(k & 7);
  }
  if (counts.valuesPerSample === -1) counts.valuesPerSample = values;
  // Every sample must carry one value per sample type (the first sample's count); checked again against sample_type later.
  if (values !== counts.valuesPerSample) throw new ProfileError(`invalid profile: sample[${sample}] has ${values} values, but there are ${counts.valuesPerSample} sample types`);
}

/** A location's id, in the first pass; counts it and its lines into rows. */
function locationIdOf(r: WireReader, rows: TableRows): number {
  let id = 0;
  rows.locations++;
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | VARINT)) id = r.varint();
    else {
      if (key === ((4 << 3) | LENGTH_DELIMITED)) rows.lines++;
      r.skip(key & 7);
    }
  }
  return id;
}

function readValueType(r: WireReader): { type: number; unit: number } {
  const [type, unit] = readIntegers(r, [0, 0]);
  return { type, unit };
}

interface ReadState {
  sample: number;
  stack: number;
  tables: TableBuilder;
  labelSets: LabelSets;
}

function readSample(r: WireReader, raw: Reading, state: ReadState, label: LabelReader): void {
  // The module leaves a sample here when one of its values is past int32, among other things: doubles from now on.
  raw.values = widened(raw.values);
  const i = state.sample++;
  raw.sampleStart[i] = state.stack;
  let value = i * raw.valueCount;
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    if ((field === 1 || field === 2) && wire !== VARINT && wire !== LENGTH_DELIMITED) throw wrongWire(r, field, wire);
    if (field === 3 && wire !== LENGTH_DELIMITED) throw wrongWire(r, field, wire);
    if (field === 1 && wire === LENGTH_DELIMITED) {
      state.stack = r.packedInt32(r.lengthEnd(), raw.stackIds, state.stack, stackMax(raw));
    } else if (field === 1 && wire === VARINT) {
      raw.stackIds[state.stack++] = locationId(r, stackMax(raw));
    } else if (field === 2 && wire === LENGTH_DELIMITED) {
      const end = r.lengthEnd();
      while (r.pos < end) raw.values[value++] = r.varint();
      // A last varint that runs on into the next field: the counting pass, which only skipped the field, read that
      // field as its own, so reading on from here would disagree with it (pprof refuses such a field too).
      if (r.pos > end) throw r.broken('truncated (a packed field runs past its end)');
      if (value > (i + 1) * raw.valueCount) throw new ProfileError(`invalid profile: sample[${i}] has more values than sample types`);
    } else if (field === 2 && wire === VARINT) {
      raw.values[value++] = r.varint();
    } else if (field === 3 && wire === LENGTH_DELIMITED) {
      const end = r.lengthEnd();
      label.read(r.pos, end);
      r.pos = end;
      const range = raw.labelStringRange;
      range.min = Math.min(range.min, label.key, label.str, label.numUnit);
      range.max = Math.max(range.max, label.key, label.str, label.numUnit);
      // pprof's decoding: a label with a string is a string label; otherwise, with a number or unit, a numeric one.
      if (label.str !== 0) state.labelSets.add(label.key, label.str);
      else if (label.num !== 0 || label.numUnit !== 0) {
        // Which key is "bytes" is known only once the string table (written last by Go) has been read.
        raw.numericLabels.add(i, label.key, label.num);
      }
    } else {
      r.skip(wire);
    }
  }
  endLabels(raw, state, i);
}

/** The sample's set of string labels, those added to state.labelSets since the last call, if it has any. */
function endLabels(raw: Reading, state: ReadState, sample: number): void {
  const set = state.labelSets.end();
  if (set >= 0) (raw.sampleLabelSet ??= new Int32Array(raw.sampleStart.length - 1).fill(-1))[sample] = set;
}

/** A window the module read, moved into the tables as the JavaScript reader would have written them. */
function takeWindow(raw: Reading, state: ReadState, w: SampleWindow, strings: StringMaker): void {
  takeSamples(raw, state, w);
  state.tables.append(w);
  strings.take(raw.strings, w);
}

function takeSamples(raw: Reading, state: ReadState, w: SampleWindow): void {
  const first = state.sample;
  const stack = state.stack;
  if (stack + w.entries > raw.stackIds.length || first + w.samples > raw.sampleStart.length - 1) throw disagreement();
  (raw.stackIds as Uint16Array | Int32Array).set(w.stack.subarray(0, w.entries), stack);
  raw.sampleStart.set(w.sampleStart.subarray(0, w.samples), first);
  raw.values.set(w.values.subarray(0, w.samples * raw.valueCount), first * raw.valueCount);
  // Each sample's first numeric label as NumericLabels.add keeps it; any further ones are in the list below.
  raw.numericLabels.firstKey.set(w.firstKey.subarray(0, w.samples), first);
  raw.numericLabels.firstNum.set(w.firstNum.subarray(0, w.samples), first);
  let labelled = -1; // the sample whose string labels are being added
  for (let l = 0; l < w.labels; l++) {
    const sample = first + w.labelSample[l];
    const str = w.labelStr[l];
    if (str === 0) {
      raw.numericLabels.add(sample, w.labelKey[l], w.labelNum[l]);
      continue;
    }
    if (sample !== labelled) endLabels(raw, state, labelled);
    labelled = sample;
    state.labelSets.add(w.labelKey[l], str);
  }
  endLabels(raw, state, labelled);
  const range = raw.labelStringRange;
  range.max = Math.max(range.max, w.labelMax);
  state.sample += w.samples;
  state.stack += w.entries;
}

/** The second pass read more (or fewer) samples or stack entries than the first counted: the bytes are malformed in a way one pass saw and the other did not. */
function disagreement(): ProfileError {
  return new ProfileError('invalid profile: its samples do not read the same way twice (a malformed field)');
}

/** A Label message's fields, read into one reused array: every Go heap sample has a label, so no object per label. */
class LabelReader {
  private readonly reader: WireReader;
  private readonly fields = [0, 0, 0, 0];

  constructor(buf: Uint8Array) {
    this.reader = new WireReader(buf);
  }

  get key(): number {
    return this.fields[0];
  }
  get str(): number {
    return this.fields[1];
  }
  get num(): number {
    return this.fields[2];
  }
  get numUnit(): number {
    return this.fields[3];
  }

  read(start: number, end: number): void {
    readIntegers(this.reader.reset(start, end), this.fields);
  }
}

/**
 * Reads a message whose fields 1..out.length are all integers into out (0 for an absent one; the last wins, as
 * protobuf says), refusing another wire type for them and skipping any other field.
 */
function readIntegers(r: WireReader, out: number[]): number[] {
  out.fill(0);
  while (!r.done) {
    const key = integerFields(r, out.length);
    const field = key >>> 3;
    if ((key & 7) !== VARINT) r.skip(key & 7);
    else if (field >= 1 && field <= out.length) out[field - 1] = r.varint();
    else r.varint();
  }
  return out;
}

/** Reads a key of a message whose fields 1..count are all integers, refusing another wire type for them. */
function integerFields(r: WireReader, count: number): number {
  const key = r.key();
  const field = key >>> 3;
  if (field >= 1 && field <= count && (key & 7) !== VARINT) throw wrongWire(r, field, key & 7);
  return key;
}

function wrongWire(r: WireReader, field: number, wire: number) {
  return r.broken(`field ${field} has wire type ${wire}, which profile.proto does not give it`);
}

function stackMax(raw: Reading): number {
  if (raw.stackIds instanceof Uint16Array) return 0xffff;
  return raw.stackIds instanceof Int32Array ? 0x7fffffff : Number.MAX_SAFE_INTEGER;
}

function locationId(r: WireReader, max: number): number {
  const id = r.varint();
  if (id > max || id < 0) throw new ProfileError(`invalid profile: a sample refers to location ${id}, which does not exist`);
  return id;
}

function readMapping(r: WireReader, tables: TableBuilder): void {
  // Mapping's fields 1..10 are all integers: id, memory_start, memory_limit, file_offset, filename, build_id, ...
  const fields = readIntegers(r, mappingFields);
  const m = tables.mappings;
  m.id.push(fields[0]);
  m.filename.push(fields[4]);
  m.buildId.push(fields[5]);
}

function readFunction(r: WireReader, tables: TableBuilder): void {
  const [id, name, systemName, filename, startLine] = readIntegers(r, functionFields);
  const f = tables.functions;
  f.id.push(id);
  f.name.push(name);
  f.systemName.push(systemName);
  f.filename.push(filename);
  f.startLine.push(startLine);
}

// Reused by every message of their kind: readIntegers fills them afresh.
const mappingFields = new Array<number>(10).fill(0);
const functionFields = [0, 0, 0, 0, 0];
const lineFields = [0, 0, 0];

function readLocation(r: WireReader, tables: TableBuilder, line: WireReader): void {
  const l = tables.locations;
  let id = 0;
  let mappingId = 0;
  l.lineStart.push(l.lineFunction.length);
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    if ((field === 4) !== (wire === LENGTH_DELIMITED) && field >= 1 && field <= 5) throw wrongWire(r, field, wire);
    if (field === 4 && wire === LENGTH_DELIMITED) {
      const end = r.lengthEnd();
      // Line: function_id, line, column.
      const [fn, number] = readIntegers(line.reset(r.pos, end), lineFields);
      l.lineFunction.push(fn);
      l.lineNumber.push(number);
      r.pos = end;
    } else if (wire !== VARINT) r.skip(wire);
    else if (field === 1) id = r.varint();
    else if (field === 2) mappingId = r.varint();
    else r.varint();
  }
  l.id.push(id);
  l.mappingId.push(mappingId);
}
