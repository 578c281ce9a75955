import { ProfileError } from '../../errors';
import { GrowableInt32 } from '../growable';
import { IdIndex } from '../validate-tables';
import { LENGTH_DELIMITED, VARINT, WireReader } from '../wire-reader';

export interface ValueTypeText {
  type: string;
  unit: string;
}

/** One Mapping as pprof's merge reads it: addresses as uint64 (ASLR puts them past 2^53 on some systems). */
export interface SourceMapping {
  id: number;
  start: Uint64;
  limit: Uint64;
  offset: Uint64;
  filename: number;
  buildId: number;
  /** has_functions, has_filenames, has_line_numbers, has_inline_frames. */
  flags: number[];
}

/** The header fields pprof's merge combines, strings resolved. */
export interface ProfileHeader {
  sampleTypes: ValueTypeText[];
  periodType: ValueTypeText;
  period: bigint;
  timeNanos: bigint;
  durationNanos: bigint;
  dropFrames: string;
  keepFrames: string;
  comments: string[];
  defaultSampleType: string;
  docUrl: string;
}

/**
 * One input profile read only as far as merging needs: its header, its tables (string indices still the input's
 * own) and where each sample's bytes are; samples are read where they are merged (merge-samples.ts).
 */
export interface MergeSource extends ProfileHeader {
  name: string;
  buf: Uint8Array;
  strings: SourceStrings;
  mappings: SourceMapping[];
  mappingIndex: IdIndex;
  functions: { id: number[]; name: number[]; systemName: number[]; filename: number[]; startLine: number[] };
  functionIndex: IdIndex;
  locations: { id: number[]; mappingId: number[]; address: Uint64[]; folded: number[]; lineStart: number[]; lineFunction: number[]; lineNumber: number[]; lineColumn: number[] };
  locationIndex: IdIndex;
  /** Sample i's message is buf[sampleBounds[2i], sampleBounds[2i+1]). */
  sampleBounds: GrowableInt32;
}

/** The string table as byte ranges, decoded only where a string is used. */
export class SourceStrings {
  readonly starts = new GrowableInt32(256);
  readonly ends = new GrowableInt32(256);
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly buf: Uint8Array) {}

  get length(): number {
    return this.starts.length;
  }

  text(index: number, what: string): string {
    if (!(index >= 0 && index < this.length)) throw invalid(`${what} refers to string ${index}, outside the table of ${this.length}`);
    return this.decoder.decode(this.buf.subarray(this.starts.get(index), this.ends.get(index)));
  }
}

// profile.proto's top-level fields that are messages or strings, and those that are integers.
const MESSAGE_FIELDS = new Set([1, 2, 3, 4, 5, 6, 11]);
const INTEGER_FIELDS = new Set([7, 8, 9, 10, 12, 14, 15]);

/** Reads the tables of one gunzipped profile.proto, checked as pprof's decoder and CheckValid check them. */
export function readSource(name: string, buf: Uint8Array): MergeSource {
  const header = { sampleTypes: [] as number[], periodType: [0, 0], ints: new Map<number, bigint>(), comments: [] as number[] };
  const mappings: SourceMapping[] = [];
  const functions: MergeSource['functions'] = { id: [], name: [], systemName: [], filename: [], startLine: [] };
  const locations: MergeSource['locations'] = { id: [], mappingId: [], address: [], folded: [], lineStart: [], lineFunction: [], lineNumber: [], lineColumn: [] };
  const strings = new SourceStrings(buf);
  const sampleBounds = new GrowableInt32(1024);
  const r = new WireReader(buf);
  const sub = new WireReader(buf);
  const line = new WireReader(buf);
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    if ((MESSAGE_FIELDS.has(field) && wire !== LENGTH_DELIMITED) || (INTEGER_FIELDS.has(field) && wire !== VARINT)) throw wrongWire(r, field, wire);
    if (wire === VARINT) {
      // As int64: times past 2^53 ns (2255) keep every digit.
      const value = BigInt.asIntN(64, BigInt(uint64(r)));
      if (field === 13) header.comments.push(Number(value));
      else if (field === 9 && header.ints.has(9)) throw invalid('it holds concatenated profiles (time_nanos twice)');
      else header.ints.set(field, value);
      continue;
    }
    if (wire !== LENGTH_DELIMITED) {
      r.skip(wire);
      continue;
    }
    const end = r.lengthEnd();
    sub.reset(r.pos, end);
    if (field === 1) header.sampleTypes.push(...integers(sub, 2));
    else if (field === 2) sampleBounds.push(r.pos), sampleBounds.push(end);
    else if (field === 3) mappings.push(readMapping(sub));
    else if (field === 4) readLocation(sub, line, locations);
    else if (field === 5) readFunction(sub, functions);
    else if (field === 6) strings.starts.push(r.pos), strings.ends.push(end);
    else if (field === 11) header.periodType = integers(sub, 2);
    else if (field === 13) while (!sub.done) header.comments.push(sub.varint());
    r.pos = end;
  }
  if (strings.length === 0 || strings.text(0, 'string_table[0]') !== '') throw invalid('string_table[0] must be the empty string');
  if (header.sampleTypes.length === 0) throw invalid('it declares no sample types');
  const text = (field: number, what: string) => strings.text(Number(header.ints.get(field) ?? 0n), what);
  const valueType = (pair: number[], what: string) => ({ type: strings.text(pair[0], `${what}.type`), unit: strings.text(pair[1], `${what}.unit`) });
  const sampleTypes: ValueTypeText[] = [];
  for (let i = 0; i < header.sampleTypes.length; i += 2) sampleTypes.push(valueType(header.sampleTypes.slice(i, i + 2), `sample_type[${i / 2}]`));
  const fail = (message: string): never => {
    throw invalid(message);
  };
  return {
    name,
    buf,
    strings,
    sampleTypes,
    periodType: valueType(header.periodType, 'period_type'),
    period: header.ints.get(12) ?? 0n,
    timeNanos: header.ints.get(9) ?? 0n,
    durationNanos: header.ints.get(10) ?? 0n,
    dropFrames: text(7, 'drop_frames'),
    keepFrames: text(8, 'keep_frames'),
    comments: header.comments.map((c, i) => strings.text(c, `comment[${i}]`)),
    defaultSampleType: text(14, 'default_sample_type'),
    docUrl: text(15, 'doc_url'),
    mappings,
    mappingIndex: new IdIndex(mappings.map((m) => m.id), 'mapping', fail),
    functions,
    functionIndex: new IdIndex(functions.id, 'function', fail),
    locations,
    locationIndex: new IdIndex(locations.id, 'location', fail),
    sampleBounds,
  };
}

export function invalid(message: string): ProfileError {
  return new ProfileError(`invalid profile: ${message}`);
}

export function wrongWire(r: WireReader, field: number, wire: number): ProfileError {
  return r.broken(`field ${field} has wire type ${wire}, which profile.proto does not give it`);
}

/** A message whose fields 1..count are integers (the last of a repeated one wins, as protobuf says). */
function integers(r: WireReader, count: number, out = new Array<number>(count).fill(0)): number[] {
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    if (field >= 1 && field <= count && (key & 7) !== VARINT) throw wrongWire(r, field, key & 7);
    if (field >= 1 && field <= count) out[field - 1] = r.varint();
    else r.skip(key & 7);
  }
  return out;
}

function readMapping(r: WireReader): SourceMapping {
  const m: SourceMapping = { id: 0, start: 0, limit: 0, offset: 0, filename: 0, buildId: 0, flags: [0, 0, 0, 0] };
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    if (field >= 1 && field <= 10 && (key & 7) !== VARINT) throw wrongWire(r, field, key & 7);
    if (field === 1) m.id = r.varint();
    else if (field === 2) m.start = uint64(r);
    else if (field === 3) m.limit = uint64(r);
    else if (field === 4) m.offset = uint64(r);
    else if (field === 5) m.filename = r.varint();
    else if (field === 6) m.buildId = r.varint();
    else if (field >= 7 && field <= 10) m.flags[field - 7] = r.varint() === 0 ? 0 : 1;
    else r.skip(key & 7);
  }
  return m;
}

const lineFields = [0, 0, 0];

function readLocation(r: WireReader, line: WireReader, l: MergeSource['locations']): void {
  let id = 0;
  let mappingId = 0;
  let address: Uint64 = 0;
  let folded = 0;
  l.lineStart.push(l.lineFunction.length);
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    if (field >= 1 && field <= 5 && (field === 4) !== (wire === LENGTH_DELIMITED)) throw wrongWire(r, field, wire);
    if (field === 4) {
      const end = r.lengthEnd();
      // Line: function_id, line, column.
      const [fn, number, column] = integers(line.reset(r.pos, end), 3, lineFields.fill(0));
      l.lineFunction.push(fn);
      l.lineNumber.push(number);
      l.lineColumn.push(column);
      r.pos = end;
    } else if (field === 1) id = r.varint();
    else if (field === 2) mappingId = r.varint();
    else if (field === 3) address = uint64(r);
    else if (field === 5) folded = r.varint() === 0 ? 0 : 1;
    else r.skip(wire);
  }
  l.id.push(id);
  l.mappingId.push(mappingId);
  l.address.push(address);
  l.folded.push(folded);
}

function readFunction(r: WireReader, f: MergeSource['functions']): void {
  const [id, name, systemName, filename, startLine] = integers(r, 5);
  f.id.push(id);
  f.name.push(name);
  f.systemName.push(systemName);
  f.filename.push(filename);
  f.startLine.push(startLine);
}

/** A uint64: a number while it is exact (up to 2^53), else a bigint, so that equal values print alike. */
export type Uint64 = number | bigint;

/** A uint64 varint exactly: the reader's numbers lose precision past 2^53. */
function uint64(r: WireReader): Uint64 {
  const start = r.pos;
  const value = r.varint();
  if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) return value;
  let result = 0n;
  for (let pos = start, shift = 0n; pos < r.pos; pos++, shift += 7n) result |= BigInt(r.buf[pos] & 0x7f) << shift;
  return BigInt.asUintN(64, result);
}

/** a + b, or a - b, modulo 2^64 as Go's uint64 arithmetic: with numbers while the result is exact. */
export function addUint64(a: Uint64, b: Uint64, sign: 1 | -1): Uint64 {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + sign * b;
    if (sum >= 0 && sum <= Number.MAX_SAFE_INTEGER) return sum;
  }
  const sum = BigInt.asUintN(64, sign === 1 ? BigInt(a) + BigInt(b) : BigInt(a) - BigInt(b));
  return sum <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sum) : sum;
}
