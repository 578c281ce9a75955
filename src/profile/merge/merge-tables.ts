import { Interner } from '../build-profile-data';
import { addUint64, invalid, MergeSource, Uint64 } from './read-source';
import { OutputBudget, WireWriter } from './wire-writer';

/** The merged string table: each distinct string once, "" first. */
export class OutputStrings extends Interner {
  /** Writes the table as profile.proto's repeated string_table (field 6). */
  write(out: WireWriter): void {
    const encoder = new TextEncoder();
    for (const text of this.strings) {
      const mark = out.beginMessage(6);
      out.ensure(text.length * 3);
      out.length += encoder.encodeInto(text, out.buf.subarray(out.length)).written;
      out.endMessage(mark);
    }
  }
}

/** Per input, what its ids and string indices became (pprof's locationsByID, functionsByID, mappingsByID). */
interface SourceRemap {
  strings: Int32Array;
  locations: Int32Array;
  functions: Int32Array;
  /** Output mapping index + 1 (0: not yet mapped). */
  mappings: Int32Array;
}

/**
 * Mappings, functions and locations of every input, remapped and deduplicated as pprof's profileMerger does,
 * keyed as it keys them (so identical binaries in two pods share locations), numbered 1.. in the order they are
 * first reached, and written out as they are made.
 */
export class TableMerger {
  readonly strings = new OutputStrings();
  readonly mappingsOut: WireWriter;
  readonly locationsOut: WireWriter;
  readonly functionsOut: WireWriter;
  private readonly mappingKeys = new Map<string, number>();
  private readonly mappingStarts: Uint64[] = [];
  private readonly functionKeys = new Map<string, number>();
  private readonly locationKeys = new Map<string, number>();
  private locationCount = 0;
  private readonly lineFunctions: number[] = [];
  private source!: MergeSource;
  private remap!: SourceRemap;

  constructor(budget: OutputBudget) {
    this.mappingsOut = new WireWriter(budget);
    this.locationsOut = new WireWriter(budget);
    this.functionsOut = new WireWriter(budget);
  }

  /** Starts on the next input: the first mapping reached is the main binary, so an input's first mapping goes first. */
  begin(source: MergeSource): void {
    this.source = source;
    this.remap = {
      strings: new Int32Array(source.strings.length).fill(-1),
      locations: new Int32Array(source.locations.id.length),
      functions: new Int32Array(source.functions.id.length),
      mappings: new Int32Array(source.mappings.length),
    };
    if (this.mappingStarts.length === 0 && source.mappings.length > 0) this.mapMapping(0);
  }

  /** The output index of the input's string `index`; `what` names the reference when it is out of range. */
  string(index: number, what: string): number {
    const table = this.remap.strings;
    if (!(index >= 0 && index < table.length)) throw invalid(`${what} refers to string ${index}, outside the table of ${table.length}`);
    const known = table[index];
    return known >= 0 ? known : (table[index] = this.strings.intern(this.source.strings.text(index, what)));
  }

  /** The output id of the input's location `id`. */
  location(id: number): number {
    const index = this.source.locationIndex.get(id);
    if (index < 0) throw invalid(`a sample refers to location ${id}, which does not exist`);
    return this.remap.locations[index] || this.mapLocation(index);
  }

  private mapLocation(index: number): number {
    const l = this.source.locations;
    // pprof's Location.key(): the address less its mapping's start (so ASLR does not matter), the mapping, the
    // lines; as written, each line's function overwrites the previous line's column, so only the last column counts.
    let keyAddress = l.address[index];
    let mapping = -1;
    if (l.mappingId[index] !== 0) {
      const source = this.source.mappingIndex.get(l.mappingId[index]);
      if (source < 0) throw invalid(`location[${index}] refers to mapping ${l.mappingId[index]}, which does not exist`);
      mapping = this.mapMapping(source);
      keyAddress = addUint64(keyAddress, this.source.mappings[source].start, -1);
    }
    // pprof's mapInfo.offset: the address moves with its mapping to the start of the one it merged into.
    const address = mapping < 0 ? keyAddress : addUint64(keyAddress, this.mappingStarts[mapping], 1);
    const first = l.lineStart[index];
    const lineCount = (index + 1 < l.id.length ? l.lineStart[index + 1] : l.lineFunction.length) - first;
    const functions = this.lineFunctions;
    let key = `${keyAddress}|${mapping + 1}|${l.folded[index]}|${lineCount}|`;
    for (let j = 0; j < lineCount; j++) {
      functions[j] = this.mapFunction(index, j, l.lineFunction[first + j]);
      key += `${functions[j]},${l.lineNumber[first + j]},`;
    }
    if (lineCount > 0) key += l.lineColumn[first + lineCount - 1];
    const known = this.locationKeys.get(key);
    if (known !== undefined) return (this.remap.locations[index] = known);
    const id = ++this.locationCount;
    this.locationKeys.set(key, id);
    this.remap.locations[index] = id;
    const out = this.locationsOut;
    const mark = out.beginMessage(4);
    out.optional(1, id);
    out.optional(2, mapping + 1);
    out.uint64Optional(3, address);
    for (let j = 0; j < lineCount; j++) {
      const line = out.beginMessage(4);
      out.optional(1, functions[j]);
      out.optional(2, l.lineNumber[first + j]);
      out.optional(3, l.lineColumn[first + j]);
      out.endMessage(line);
    }
    out.optional(5, l.folded[index]);
    out.endMessage(mark);
    return id;
  }

  /** pprof's mapMapping: mappings keyed by size (rounded up to 4 KiB), file offset and build id (else file). */
  private mapMapping(index: number): number {
    const known = this.remap.mappings[index];
    if (known !== 0) return known - 1;
    const m = this.source.mappings[index];
    const buildId = this.string(m.buildId, `mapping[${index}].build_id`);
    const filename = this.string(m.filename, `mapping[${index}].filename`);
    let size = BigInt.asUintN(64, BigInt.asUintN(64, BigInt(m.limit) - BigInt(m.start)) + 0xfffn);
    size -= size % 0x1000n;
    const key = `${size}|${m.offset}|${buildId !== 0 ? buildId : filename}`;
    let out = this.mappingKeys.get(key);
    if (out === undefined) {
      out = this.mappingStarts.length;
      this.mappingKeys.set(key, out);
      this.mappingStarts.push(m.start);
      const w = this.mappingsOut;
      const mark = w.beginMessage(3);
      w.optional(1, out + 1);
      w.uint64Optional(2, m.start);
      w.uint64Optional(3, m.limit);
      w.uint64Optional(4, m.offset);
      w.optional(5, filename);
      w.optional(6, buildId);
      m.flags.forEach((flag, i) => w.optional(7 + i, flag));
      w.endMessage(mark);
    }
    this.remap.mappings[index] = out + 1;
    return out;
  }

  /** pprof's mapFunction: functions keyed by start line, name, system name and file name. */
  private mapFunction(location: number, line: number, id: number): number {
    // pprof's CheckValid refuses a line without a function.
    if (id === 0) throw invalid(`location[${location}].line[${line}] has no function`);
    const index = this.source.functionIndex.get(id);
    if (index < 0) throw invalid(`location[${location}].line[${line}] refers to function ${id}, which does not exist`);
    const known = this.remap.functions[index];
    if (known !== 0) return known;
    const f = this.source.functions;
    const name = this.string(f.name[index], `function[${index}].name`);
    const systemName = this.string(f.systemName[index], `function[${index}].system_name`);
    const filename = this.string(f.filename[index], `function[${index}].filename`);
    const key = `${f.startLine[index]}|${name}|${systemName}|${filename}`;
    let out = this.functionKeys.get(key);
    if (out === undefined) {
      out = this.functionKeys.size + 1;
      this.functionKeys.set(key, out);
      const w = this.functionsOut;
      const mark = w.beginMessage(5);
      w.optional(1, out);
      w.optional(2, name);
      w.optional(3, systemName);
      w.optional(4, filename);
      w.optional(5, f.startLine[index]);
      w.endMessage(mark);
    }
    return (this.remap.functions[index] = out);
  }
}
