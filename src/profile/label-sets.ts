import { Column } from './raw-tables';

/** The distinct sets of string labels, as read: set i's labels are key/value[start[i] .. start[i + 1]), in order. */
export interface LabelSetTable {
  start: Int32Array;
  /** String indices, as the wire gives them (validate-tables.ts checks their range). */
  key: Float64Array;
  value: Float64Array;
}

/**
 * The samples' sets of string labels (each label's key and value string indices, in the sample's order), numbered
 * as they first appear. Interned by a hash of those numbers in an open-addressed table: a profile with labels on
 * every sample makes no string, and no object, per sample.
 */
export class LabelSets {
  private readonly start = new Column((length) => new Int32Array(length));
  private readonly key = new Column((length) => new Float64Array(length));
  private readonly value = new Column((length) => new Float64Array(length));
  private readonly hashes = new Column((length) => new Int32Array(length));
  /** Hash slot -> set index, -1 when empty; kept at most half full. */
  private slots = new Int32Array(64).fill(-1);
  /** The labels added since the last end(): keys at even indices, values at odd ones, `pendingLength` numbers. */
  private pending = new Float64Array(16);
  private pendingLength = 0;

  constructor() {
    this.start.push(0);
  }

  get count(): number {
    return this.start.length - 1;
  }

  /** One more label of the sample being read. */
  add(key: number, value: number): void {
    if (this.pendingLength === this.pending.length) {
      const grown = new Float64Array(2 * this.pending.length);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendingLength++] = key;
    this.pending[this.pendingLength++] = value;
  }

  /** The index of the set of the labels added since the last call (kept when new), or -1 when there were none. */
  end(): number {
    const labels = this.pending;
    const length = this.pendingLength;
    if (length === 0) return -1;
    this.pendingLength = 0;
    const hash = hashOf(labels, length);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let set = this.slots[slot]; set >= 0; set = this.slots[slot]) {
      if (this.hashes.get(set) === hash && this.holds(set, labels, length)) return set;
      slot = (slot + 1) & mask;
    }
    const set = this.count;
    for (let i = 0; i < length; i += 2) {
      this.key.push(labels[i]);
      this.value.push(labels[i + 1]);
    }
    this.slots[slot] = set;
    this.hashes.push(hash);
    this.start.push(this.key.length);
    if (2 * this.count > this.slots.length) this.rehash();
    return set;
  }

  finish(): LabelSetTable {
    return { start: this.start.view(), key: this.key.view(), value: this.value.view() };
  }

  /** Whether set's labels are the first `length` numbers of labels (keys and values alternating). */
  private holds(set: number, labels: Float64Array, length: number): boolean {
    const start = this.start.get(set);
    if (this.start.get(set + 1) - start !== length >> 1) return false;
    for (let i = 0; i < length; i += 2) {
      if (this.key.get(start + (i >> 1)) !== labels[i] || this.value.get(start + (i >> 1)) !== labels[i + 1]) return false;
    }
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let set = 0; set < this.count; set++) {
      let slot = this.hashes.get(set) & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = set;
    }
    this.slots = slots;
  }
}

/** FNV-1a over the first `length` numbers (their low 32 bits: holds() tells the rest apart), as a non-negative int. */
function hashOf(labels: Float64Array, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (labels[i] | 0), 0x01000193);
  return hash >>> 1;
}
