import { GrowableInt32 } from '../growable';
import { VARINT, WireReader } from '../wire-reader';
import { OutputStrings, TableMerger } from './merge-tables';
import { wrongWire } from './read-source';
import { WireWriter } from './wire-writer';

const STRING = 0;
const NUMERIC = 1;

/** One input's added string labels, as output string indices, and already encoded in canonical order. */
export interface AddedLabels {
  keys: number[];
  values: number[];
  encoded: Uint8Array;
}

export function addedLabels(strings: OutputStrings, labels: Record<string, string>): AddedLabels {
  const pairs = Object.entries(labels)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => [strings.intern(key), strings.intern(value)])
    .sort((a, b) => a[0] - b[0]);
  const w = new WireWriter(undefined, 64);
  for (const [key, value] of pairs) writeLabel(w, STRING, key, value, 0, w.buf);
  return { keys: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]), encoded: w.view().slice() };
}

/**
 * One sample's labels in canonical order (string labels, then numeric ones, each by key; the values of one key in
 * their order), so that samples pprof would see as equal are equal bytes. Labels are decoded as pprof decodes
 * them: with a string a string label; else, with a number or a unit, a numeric one; else nothing.
 */
export class SampleLabels {
  private readonly kind = new GrowableInt32(8);
  private readonly key = new GrowableInt32(8);
  /** A string label's string; a numeric label's number as the offset of its varint in the input (-1 for 0). */
  private readonly value = new GrowableInt32(8);
  private readonly unit = new GrowableInt32(8);
  private strings = 0;

  reset(): void {
    this.kind.length = this.key.length = this.value.length = this.unit.length = 0;
    this.strings = 0;
  }

  /** Reads one Label message. */
  read(r: WireReader, tables: TableMerger): void {
    let key = 0;
    let str = 0;
    let num = -1;
    let unit = 0;
    while (!r.done) {
      const k = r.key();
      const field = k >>> 3;
      if (field >= 1 && field <= 4 && (k & 7) !== VARINT) throw wrongWire(r, field, k & 7);
      if (field === 3) {
        const at = r.pos;
        num = r.varint() === 0 ? -1 : at;
      } else if (field === 1) key = r.varint();
      else if (field === 2) str = r.varint();
      else if (field === 4) unit = r.varint();
      else r.skip(k & 7);
    }
    const keyOut = tables.string(key, 'a sample label');
    if (str !== 0) this.push(STRING, keyOut, tables.string(str, 'a sample label'), 0);
    else if (num >= 0 || unit !== 0) this.push(NUMERIC, keyOut, num, unit === 0 ? 0 : tables.string(unit, 'a sample label'));
  }

  /** Writes the labels read and the input's added ones; buf is the input (numeric values are copied from it). */
  write(w: WireWriter, buf: Uint8Array, added: AddedLabels): void {
    // Usually the sample has no string label of its own: the added ones, encoded once, then come first.
    if (this.strings === 0) w.bytes(added.encoded);
    else for (let j = 0; j < added.keys.length; j++) this.push(STRING, added.keys[j], added.values[j], 0);
    for (let j = 0; j < this.kind.length; j++) writeLabel(w, this.kind.get(j), this.key.get(j), this.value.get(j), this.unit.get(j), buf);
  }

  /** Inserts in canonical order (stable). */
  private push(kind: number, key: number, value: number, unit: number): void {
    if (kind === STRING) this.strings++;
    let at = this.kind.length;
    this.kind.push(kind);
    this.key.push(key);
    this.value.push(value);
    this.unit.push(unit);
    for (; at > 0 && (this.kind.get(at - 1) > kind || (this.kind.get(at - 1) === kind && this.key.get(at - 1) > key)); at--) {
      this.kind.set(at, this.kind.get(at - 1));
      this.key.set(at, this.key.get(at - 1));
      this.value.set(at, this.value.get(at - 1));
      this.unit.set(at, this.unit.get(at - 1));
    }
    this.kind.set(at, kind);
    this.key.set(at, key);
    this.value.set(at, value);
    this.unit.set(at, unit);
  }
}

/** A Label as pprof's encoder writes it (zero fields left out); a number copied in its shortest form. */
function writeLabel(w: WireWriter, kind: number, key: number, value: number, unit: number, buf: Uint8Array): void {
  const mark = w.beginMessage(3);
  w.optional(1, key);
  if (kind === STRING) w.optional(2, value);
  else {
    if (value >= 0) {
      w.key(3, VARINT);
      w.canonicalVarint(buf, value, buf.length);
    }
    w.optional(4, unit);
  }
  w.endMessage(mark);
}
