import { GrowableFloat64, GrowableInt32 } from '../growable';
import { OutputBudget, WireWriter } from './wire-writer';

/**
 * The merged samples, each kept as its encoded bytes without the values (the arena), its values summed apart. A
 * sample is written at the arena's end, then keep() either finds equal bytes (adds its values there and takes the
 * bytes back) or keeps it: an open-addressing table over the bytes' hashes, no object per sample.
 */
export class SampleTable {
  readonly arena: WireWriter;
  private readonly starts = new GrowableInt32(1024);
  private readonly hashes = new GrowableInt32(1024);
  private readonly values = new GrowableFloat64(1024);
  private table = new Int32Array(1024);
  private count = 0;

  constructor(budget: OutputBudget, private readonly valueCount: number) {
    this.arena = new WireWriter(budget, 64 * 1024);
  }

  /** The sample just written at arena[start..]: summed into an equal one, or kept as new. */
  keep(start: number, sampleValues: Float64Array): void {
    const end = this.arena.length;
    const hash = hashBytes(this.arena.buf, start, end);
    const vc = this.valueCount;
    const mask = this.table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot];
      if (entry === 0) break;
      const k = entry - 1;
      if (this.hashes.get(k) === hash && this.sameBytes(k, start, end)) {
        for (let j = 0; j < vc; j++) this.values.add(k * vc + j, sampleValues[j]);
        this.arena.length = start;
        return;
      }
    }
    const k = this.count++;
    this.starts.push(start);
    this.hashes.push(hash);
    for (let j = 0; j < vc; j++) this.values.add(k * vc + j, sampleValues[j]);
    this.insert(hash, k);
    if (this.count * 2 > this.table.length) this.rehash();
  }

  /** Writes the samples as profile.proto's field 2; returns whether any sums to zero (pprof then merges again). */
  write(out: WireWriter): boolean {
    let zero = false;
    const vc = this.valueCount;
    for (let k = 0; k < this.count; k++) {
      const mark = out.beginMessage(2);
      out.bytes(this.arena.buf, this.starts.get(k), k + 1 < this.count ? this.starts.get(k + 1) : this.arena.length);
      const packed = out.beginMessage(2);
      let allZero = true;
      for (let j = 0; j < vc; j++) {
        const v = this.values.get(k * vc + j);
        if (v !== 0) allZero = false;
        out.varint(v);
      }
      out.endMessage(packed);
      out.endMessage(mark);
      zero ||= allZero;
    }
    return zero;
  }

  private sameBytes(k: number, start: number, end: number): boolean {
    const buf = this.arena.buf;
    const from = this.starts.get(k);
    const to = k + 1 < this.count ? this.starts.get(k + 1) : start;
    if (to - from !== end - start) return false;
    for (let i = 0; i < end - start; i++) if (buf[from + i] !== buf[start + i]) return false;
    return true;
  }

  private insert(hash: number, k: number): void {
    const mask = this.table.length - 1;
    let slot = hash & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = k + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let k = 0; k < this.count; k++) this.insert(this.hashes.get(k), k);
  }
}

/** MurmurHash3 (x86, 32-bit) of buf[start, end), four bytes a step. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = end - start;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= buf[i] << shift;
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
