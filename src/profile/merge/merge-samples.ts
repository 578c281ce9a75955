import { LENGTH_DELIMITED, VARINT, WireReader } from '../wire-reader';
import { invalid, MergeSource, wrongWire } from './read-source';
import { TableMerger } from './merge-tables';
import { AddedLabels, SampleLabels } from './sample-labels';
import { SampleTable } from './sample-table';
import { OutputBudget, WireWriter } from './wire-writer';

/**
 * The samples of every input, merged as pprof's mapSample merges them: a sample whose values are all zero is
 * dropped (before its locations are reached, so they are not numbered), and samples with the same locations
 * (after remapping) and the same labels become one whose values are summed.
 */
export class SampleMerger {
  private readonly table: SampleTable;
  private readonly labels = new SampleLabels();
  private readonly values: Float64Array;
  private locations = new Float64Array(64);
  private outIds = new Int32Array(64);
  private locationCount = 0;
  private valuesRead = 0;

  constructor(budget: OutputBudget, valueCount: number) {
    this.table = new SampleTable(budget, valueCount);
    this.values = new Float64Array(valueCount);
  }

  /** scale: per sample type, a factor each value is multiplied by and rounded (pprof's ScaleN), as -diff_base negates its base. */
  add(source: MergeSource, tables: TableMerger, added: AddedLabels, scale?: readonly number[]): void {
    const bounds = source.sampleBounds;
    const r = new WireReader(source.buf);
    const labelReader = new WireReader(source.buf);
    // Input location id -> output id, for inputs numbered densely (Go's are 1..n); 0 until first reached.
    const dense = source.locationIndex.table;
    const cache = dense ? new Int32Array(dense.length) : undefined;
    const arena = this.table.arena;
    for (let i = 0; i < bounds.length; i += 2) {
      this.read(r.reset(bounds.get(i), bounds.get(i + 1)), labelReader, tables, i / 2);
      if (scale && !scaleValues(this.values, scale)) continue;
      if (isZero(this.values)) continue;
      const start = arena.length;
      this.writeLocations(arena, tables, cache);
      this.labels.write(arena, source.buf, added);
      this.table.keep(start, this.values);
    }
  }

  write(out: WireWriter): boolean {
    return this.table.write(out);
  }

  /** Reads one sample's location ids, values and labels. */
  private read(r: WireReader, labelReader: WireReader, tables: TableMerger, index: number): void {
    this.labels.reset();
    this.locationCount = 0;
    this.valuesRead = 0;
    while (!r.done) {
      const key = r.key();
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 1 || field === 2) {
        if (wire === VARINT) this.number(field, r.varint(), index);
        else if (wire !== LENGTH_DELIMITED) throw wrongWire(r, field, wire);
        else {
          const end = r.lengthEnd();
          while (r.pos < end) this.number(field, r.varint(), index);
          if (r.pos > end) throw r.broken('truncated (a packed field runs past its end)');
        }
      } else if (field === 3) {
        if (wire !== LENGTH_DELIMITED) throw wrongWire(r, field, wire);
        const end = r.lengthEnd();
        this.labels.read(labelReader.reset(r.pos, end), tables);
        r.pos = end;
      } else r.skip(wire);
    }
    const types = this.values.length;
    if (this.valuesRead !== types) throw invalid(`sample[${index}] has ${this.valuesRead} values, but there are ${types} sample types`);
  }

  /** A location id (field 1) or a value (field 2) of the sample being read. */
  private number(field: number, value: number, index: number): void {
    if (field === 1) {
      if (this.locationCount === this.locations.length) this.growLocations();
      this.locations[this.locationCount++] = value;
      return;
    }
    if (this.valuesRead === this.values.length) throw invalid(`sample[${index}] has more values than the ${this.values.length} sample types`);
    this.values[this.valuesRead++] = value;
  }

  /** The sample's output location ids as a packed field 1, each location remapped the first time it is reached. */
  private writeLocations(w: WireWriter, tables: TableMerger, cache: Int32Array | undefined): void {
    const count = this.locationCount;
    if (count === 0) return;
    const ids = this.outIds;
    let size = 0;
    for (let j = 0; j < count; j++) {
      const id = this.locations[j];
      const cached = cache !== undefined && id >= 0 && id < cache.length;
      let out = cached ? cache[id] : 0;
      if (out === 0) {
        out = tables.location(id);
        if (cached) cache[id] = out;
      }
      ids[j] = out;
      size += out < 0x80 ? 1 : out < 0x4000 ? 2 : out < 0x200000 ? 3 : out < 0x10000000 ? 4 : 5;
    }
    w.key(1, LENGTH_DELIMITED);
    w.varint(size);
    w.ensure(size);
    const buf = w.buf;
    let pos = w.length;
    for (let j = 0; j < count; j++) {
      let v = ids[j];
      while (v >= 0x80) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[pos++] = v;
    }
    w.length = pos;
  }

  private growLocations(): void {
    const grown = new Float64Array(this.locations.length * 2);
    grown.set(this.locations);
    this.locations = grown;
    this.outIds = new Int32Array(grown.length);
  }
}

function isZero(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
}

/**
 * profile.ScaleN: each value times its type's factor, rounded as Go's math.Round (half away from zero). Returns
 * whether pprof keeps the sample: some scaled value is not zero (with every factor 1, nothing is scaled).
 */
function scaleValues(values: Float64Array, scale: readonly number[]): boolean {
  if (scale.every((ratio) => ratio === 1)) return true;
  let keep = false;
  for (let i = 0; i < values.length; i++) {
    const ratio = scale[i];
    if (ratio === 1) continue;
    const v = values[i] * ratio;
    values[i] = v < 0 ? -Math.round(-v) : Math.round(v);
    keep ||= values[i] !== 0;
  }
  return keep;
}

/** Per sample type, the sum of the source's sample values (what pprof's Profile.Normalize compares). */
export function sampleValueSums(source: MergeSource): Float64Array {
  const sums = new Float64Array(source.sampleTypes.length);
  const bounds = source.sampleBounds;
  const r = new WireReader(source.buf);
  for (let i = 0; i < bounds.length; i += 2) {
    r.reset(bounds.get(i), bounds.get(i + 1));
    let t = 0;
    const add = (v: number) => {
      if (t < sums.length) sums[t] += v;
      t++;
    };
    while (!r.done) {
      const key = r.key();
      const field = key >>> 3;
      const wire = key & 7;
      if (field !== 2) r.skip(wire);
      else if (wire === VARINT) add(r.varint());
      else if (wire !== LENGTH_DELIMITED) throw wrongWire(r, field, wire);
      else {
        const end = r.lengthEnd();
        while (r.pos < end) add(r.varint());
        if (r.pos > end) throw r.broken('truncated (a packed field runs past its end)');
      }
    }
  }
  return sums;
}
