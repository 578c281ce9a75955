import { ProfileError } from '../../errors';
import { LENGTH_DELIMITED, VARINT } from '../wire-reader';

const TWO_32 = 2 ** 32;

/** What the writers of one merged profile may hold together: the output's size limit, checked as they grow. */
export class OutputBudget {
  private readonly writers: WireWriter[] = [];

  constructor(readonly maxBytes: number) {}

  register(writer: WireWriter): void {
    this.writers.push(writer);
  }

  check(adding: number): void {
    let total = adding;
    for (const w of this.writers) total += w.length;
    if (total > this.maxBytes) throw new ProfileError(`merging profiles: the merged profile grows past the limit of ${this.maxBytes} bytes (MAX_PROFILE_BYTES)`);
  }
}

/**
 * Protobuf bytes written into one growing buffer: varints without an object per value, and sub-messages whose
 * length is patched in when they end (one byte reserved, the body moved only when it reaches 128 bytes).
 */
export class WireWriter {
  buf: Uint8Array;
  length = 0;

  constructor(private readonly budget?: OutputBudget, capacity = 4096) {
    this.buf = new Uint8Array(capacity);
    budget?.register(this);
  }

  ensure(count: number): void {
    if (this.length + count <= this.buf.length) return;
    this.budget?.check(count);
    let size = this.buf.length * 2;
    while (size < this.length + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }

  /** A uint64 or int64 as protobuf encodes it: negatives as their 64-bit two's complement, in ten bytes. */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.length;
    if (value >= 0 && value < TWO_32) {
      while (value >= 0x80) {
        buf[pos++] = (value & 0x7f) | 0x80;
        value >>>= 7;
      }
      buf[pos++] = value;
      this.length = pos;
    } else if (value > 0 && value <= Number.MAX_SAFE_INTEGER) {
      while (value >= 0x80) {
        buf[pos++] = (value % 0x80) | 0x80;
        value = Math.floor(value / 0x80);
      }
      buf[pos++] = value;
      this.length = pos;
    } else {
      this.bigVarint(BigInt(Math.trunc(value)));
    }
  }

  /** A 64-bit value (a negative one as its two's complement). */
  bigVarint(value: bigint): void {
    this.ensure(10);
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A varint field, left out when zero (as pprof's encodeInt64Opt). */
  optional(field: number, value: number): void {
    if (value === 0) return;
    this.key(field, VARINT);
    this.varint(value);
  }

  /** A varint field of a number or a bigint, left out when zero. */
  uint64Optional(field: number, value: number | bigint): void {
    if (typeof value === 'number') return this.optional(field, value);
    if (value === 0n) return;
    this.key(field, VARINT);
    this.bigVarint(value);
  }

  bytes(source: Uint8Array, start = 0, end = source.length): void {
    this.ensure(end - start);
    this.buf.set(source.subarray(start, end), this.length);
    this.length += end - start;
  }

  /** Starts a length-delimited field; returns the mark endMessage needs. */
  beginMessage(field: number): number {
    this.key(field, LENGTH_DELIMITED);
    this.ensure(1);
    return this.length++;
  }

  endMessage(mark: number): void {
    const size = this.length - mark - 1;
    if (size < 0x80) {
      this.buf[mark] = size;
      return;
    }
    const extra = varintSize(size) - 1;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.length);
    const end = this.length + extra;
    this.length = mark;
    this.varint(size);
    this.length = end;
  }

  /**
   * Copies the varint at source[pos] in its shortest form (an encoder may pad with 0x80 bytes; Go's decoder keeps
   * 64 bits of ten bytes), so equal values compare equal as bytes. Returns the position after it.
   */
  canonicalVarint(source: Uint8Array, pos: number, end: number): number {
    const start = pos;
    while (pos < end && source[pos] >= 0x80 && pos - start < 9) pos++;
    if (pos >= end) throw new ProfileError(`parsing profile: not a valid pprof protobuf: truncated at byte ${pos}`);
    if (source[pos] >= 0x80) throw new ProfileError(`parsing profile: not a valid pprof protobuf: a varint longer than 10 bytes at byte ${start}`);
    let last = pos;
    const tenth = last - start === 9 ? source[last] & 1 : source[last];
    let lastByte = tenth;
    while (last > start && lastByte === 0) lastByte = source[--last] & 0x7f;
    this.ensure(last - start + 1);
    this.buf.set(source.subarray(start, last), this.length);
    this.length += last - start;
    this.buf[this.length++] = last === pos ? tenth : lastByte;
    return pos + 1;
  }

  /** The bytes written, without a copy. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
