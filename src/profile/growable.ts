/** A typed array that doubles as it grows, so building a large call tree does not box a number per entry. */
export class GrowableInt32 {
  private data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(1, capacity));
  }
  push(value: number): number {
    if (this.length === this.data.length) this.data = grow(this.data, new Int32Array(this.data.length * 2));
    this.data[this.length] = value;
    return this.length++;
  }
  get(index: number): number {
    return this.data[index];
  }
  set(index: number, value: number): void {
    this.data[index] = value;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
  /** The entries so far, without a copy (valid until the next push). */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export class GrowableFloat64 {
  private data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(1, capacity));
  }
  push(value: number): number {
    if (this.length === this.data.length) this.data = grow(this.data, new Float64Array(this.data.length * 2));
    this.data[this.length] = value;
    return this.length++;
  }
  get(index: number): number {
    return this.data[index];
  }
  /** Grows (zero-filled) so that index is valid, then adds value there. */
  add(index: number, value: number): void {
    if (index >= this.data.length) {
      let size = this.data.length * 2;
      while (size <= index) size *= 2;
      this.data = grow(this.data, new Float64Array(size));
    }
    this.data[index] += value;
  }
  toArray(length: number): Float64Array {
    return length <= this.data.length ? this.data.slice(0, length) : grow(this.data, new Float64Array(length));
  }
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
