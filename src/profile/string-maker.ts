import { Column } from './raw-tables';
import { SampleWindow } from './wasm-samples';

/** How profile.proto's strings are decoded (both readers, read-profile.ts). */
export const UTF8 = new TextDecoder('utf-8');

/**
 * The strings of the string table, made from where the module (wasm/read-samples.ts) found their bytes, a window at
 * a time. Most are ASCII (Go's function and file names): a window's are decoded as one latin1 string (for ASCII the
 * same characters as UTF-8) and sliced, which costs a fraction of a TextDecoder call per string (a slice keeps
 * that string alive, which holds no more than the table's bytes); the others are decoded as UTF-8. Keeps the
 * module's hashes of their bytes, which tell at little cost whether any two are alike.
 */
export class StringMaker {
  private readonly bytes: Buffer;
  private readonly hashes = new Column((length) => new Int32Array(length));
  /** Every string so far was taken here, and is ASCII (its bytes' hash is then its text's). */
  private hashed = true;

  constructor(private readonly buf: Uint8Array) {
    this.bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  take(strings: string[], w: SampleWindow): void {
    const { stringStart: start, stringEnd: end } = w.columns;
    const ascii = w.stringAscii;
    if (strings.length !== this.hashes.length) this.hashed = false; // the JavaScript reader read some
    let first = -1;
    let last = -1;
    for (let i = 0; i < w.strings; i++) {
      if (ascii[i] !== 1) continue;
      if (first < 0) first = start[i];
      last = end[i];
    }
    const text = first >= 0 ? this.bytes.toString('latin1', w.offset + first, w.offset + last) : '';
    for (let i = 0; i < w.strings; i++) {
      if (ascii[i] === 1) strings.push(text.slice(start[i] - first, end[i] - first));
      else {
        strings.push(UTF8.decode(this.buf.subarray(w.offset + start[i], w.offset + end[i])));
        this.hashed = false;
      }
    }
    this.hashes.append(w.columns.stringHash, w.strings);
  }

  /** Whether no two of the strings are alike, told by their hashes (and a comparison where two hashes are equal). */
  distinct(strings: string[]): boolean {
    if (!this.hashed || strings.length !== this.hashes.length) return false;
    const hashes = this.hashes.view();
    let size = 16;
    while (size < 2 * strings.length) size *= 2;
    const slots = new Int32Array(size).fill(-1);
    for (let i = 0; i < strings.length; i++) {
      let slot = hashes[i] & (size - 1);
      for (let j = slots[slot]; j >= 0; j = slots[slot]) {
        if (hashes[j] === hashes[i] && strings[j] === strings[i]) return false;
        slot = (slot + 1) & (size - 1);
      }
      slots[slot] = i;
    }
    return true;
  }
}
