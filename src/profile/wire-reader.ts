import { ProfileError } from '../errors';

/** Protocol buffer wire types used by profile.proto. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

const TWO_32 = 2 ** 32;

/**
 * A cursor over protobuf bytes that reads varints straight into numbers, without allocating an object per field:
 * what lets a million-sample profile decode in typed arrays. Bounds are checked; a read past the end is a
 * ProfileError that says the profile is truncated.
 */
export class WireReader {
  pos: number;

  constructor(readonly buf: Uint8Array, start = 0, public end = buf.length) {
    this.pos = start;
  }

  /** Points the reader at [start, end) of the same bytes: one reader serves every sub-message, with no allocation. */
  reset(start: number, end: number): this {
    this.pos = start;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An int64/uint64 varint as a number (two's complement for negatives; beyond 2^53 it loses precision). */
  varint(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let lo = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo >>> 0;
    }
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) throw this.broken('a varint longer than 10 bytes');
        b = this.byte();
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    return (hi | 0) * TWO_32 + (lo >>> 0);
  }

  /**
   * Packed varints up to end into target from offset; returns the next offset. The hot loop of a large profile
   * (its stacks), so varints of up to four bytes are decoded inline.
   */
  packedInt32(end: number, target: Int32Array | Uint16Array | Float64Array, offset: number, max = 0x7fffffff): number {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < end) {
      let b = buf[pos++];
      let value = b & 0x7f;
      if (b >= 0x80) {
        b = buf[pos++];
        value |= (b & 0x7f) << 7;
        if (b >= 0x80) {
          b = buf[pos++];
          value |= (b & 0x7f) << 14;
          if (b >= 0x80) {
            b = buf[pos++];
            value |= (b & 0x7f) << 21;
            if (b >= 0x80) {
              this.pos = pos - 4;
              value = this.varint();
              pos = this.pos;
            }
          }
        }
      }
      if (pos > end) throw this.broken('truncated (a packed field runs past its end)');
      if (value > max || value < 0) throw this.broken(`value ${value} out of range`);
      target[offset++] = value;
    }
    this.pos = pos;
    return offset;
  }

  /**
   * Reads a field key; returns field number * 8 + wire type as protobuf encodes it. A key past 32 bits names a
   * field number past protobuf's 2^29 - 1, which pprof skips as unknown: it comes back as field 2^29 - 1 (unknown
   * to profile.proto, so skipped too) with its wire type, the low 3 bits of its first byte. Returned whole, it
   * wrapped to a known field under `>>> 3` (2^32 + 16 to sample.value) where the counting pass had skipped it,
   * and a sample's values shifted.
   */
  key(): number {
    const first = this.pos;
    const key = this.varint();
    return key >= 0 && key <= 0xffffffff ? key : 0xfffffff8 + (this.buf[first] & 7);
  }

  /** The end offset of a length-delimited field starting here. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (length < 0 || end > this.end) throw this.broken('truncated (a field runs past the end)');
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LENGTH_DELIMITED:
        this.pos = this.lengthEnd();
        return;
      case FIXED32:
        this.advance(4);
        return;
      default:
        throw this.broken(`wire type ${wireType} is not used by profile.proto`);
    }
  }

  /** Counts the varints in [pos, end) without decoding them: one per byte with the high bit clear. */
  countVarints(end: number): number {
    return countVarintEnds(this.buf, this.pos, end);
  }

  broken(what: string): ProfileError {
    return new ProfileError(`parsing profile: not a valid pprof protobuf: ${what} at byte ${this.pos}`);
  }

  private byte(): number {
    if (this.pos >= this.end) throw this.broken('truncated');
    return this.buf[this.pos++];
  }

  private advance(count: number): void {
    if (this.pos + count > this.end) throw this.broken('truncated');
    this.pos += count;
  }
}

const wordViews = new WeakMap<ArrayBufferLike, Uint32Array>();

/**
 * The bytes of buf[start, end) with the high bit clear (each ends a varint), four at a time: (~word >>> 7) &
 * 0x01010101 has a 1 in each such byte's lowest bit, and multiplying by 0x01010101 sums them into the top byte.
 */
export function countVarintEnds(buf: Uint8Array, start: number, end: number): number {
  let count = 0;
  const offset = buf.byteOffset;
  let aligned = start + ((4 - ((offset + start) & 3)) & 3);
  if (aligned + 4 > end) {
    for (let i = start; i < end; i++) if (buf[i] < 0x80) count++;
    return count;
  }
  for (let i = start; i < aligned; i++) if (buf[i] < 0x80) count++;
  let words = wordViews.get(buf.buffer);
  if (!words) {
    words = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >>> 2);
    wordViews.set(buf.buffer, words);
  }
  const last = (offset + end) >>> 2;
  for (let w = (offset + aligned) >>> 2; w < last; w++) count += Math.imul((~words[w] >>> 7) & 0x01010101, 0x01010101) >>> 24;
  for (let i = last * 4 - offset; i < end; i++) if (buf[i] < 0x80) count++;
  return count;
}
