/**
 * A hash table from non-negative integer ids (below 2^53) to dense indices, on typed arrays with linear probing:
 * building the call tree of a million-sample profile looks up tens of millions of (parent, function) pairs, which a
 * Map holds as boxed entries at several times the memory and time.
 */
export class IdTable {
  private keys: Float64Array;
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size);
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  /** The index stored for id, or -1. */
  get(id: number): number {
    for (let at = this.hash(id); ; at = (at + 1) & this.mask) {
      const slot = this.slots[at];
      if (slot < 0 || this.keys[at] === id) return slot;
    }
  }

  set(id: number, index: number): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    this.place(id, index);
    this.size++;
  }

  private place(id: number, index: number): void {
    let at = this.hash(id);
    while (this.slots[at] >= 0 && this.keys[at] !== id) at = (at + 1) & this.mask;
    this.keys[at] = id;
    this.slots[at] = index;
  }

  private grow(): void {
    const { keys, slots } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.slots = new Int32Array(slots.length * 2).fill(-1);
    this.mask = this.slots.length - 1;
    for (let i = 0; i < slots.length; i++) if (slots[i] >= 0) this.place(keys[i], slots[i]);
  }

  private hash(id: number): number {
    // Mix the high and low halves; ids are (parent * keyCount + key), so both carry information.
    const hi = Math.floor(id / 4294967296) | 0;
    return (Math.imul((id | 0) ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> 0) & this.mask;
  }
}
