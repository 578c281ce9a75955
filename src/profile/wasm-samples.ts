import fs from 'node:fs';
import { distPath } from '../dist-paths';

/** Built by `npm run build` from wasm/read-samples.ts (AssemblyScript); found from src/ (the tests) and dist/ alike. */
export const READ_SAMPLES_WASM = distPath('wasm', 'read-samples.wasm');

interface Exports {
  countSamples(): number;
  readSamples(): number;
}

// The parameter block's fields, as wasm/read-samples.ts numbers them.
const F = { input: 0, inputLength: 1, wide: 2, valueCount: 3, stack: 4, values: 5, sampleStart: 6, labelSample: 7, labelKey: 8, labelStr: 9, labelNum: 10, samples: 11, entries: 12, labels: 13, labelMax: 14, status: 15, other: 17, others: 18, entryBase: 19, firstKey: 20, firstNum: 21 } as const;
const END_OF_WINDOW = 0;
const PARAMS_BYTES = 128;
/** Bytes of the profile per call: the outputs take about 25 times that, so the memory stays a few MB. */
const WINDOW = 256 * 1024;
const PAGE = 65536;

let loaded: WebAssembly.Module | null | undefined;

function compiled(): WebAssembly.Module | null {
  if (loaded === undefined) {
    try {
      loaded = new WebAssembly.Module(fs.readFileSync(READ_SAMPLES_WASM));
    } catch {
      loaded = null; // not built: the JavaScript reader does the same work, slower
    }
  }
  return loaded;
}

/** What a window's samples add up to in the first pass; read and written by both readers. */
export interface SampleCounts {
  samples: number;
  stackEntries: number;
  /** -1 until the first sample has set it. */
  valuesPerSample: number;
}

/** One window's worth of the second pass, in the module's output areas; valid until the next call. */
export interface SampleWindow {
  samples: number;
  entries: number;
  labels: number;
  labelMax: number;
  stack: Uint16Array | Int32Array;
  values: Float64Array;
  /** Per sample, the index in the whole stack of its first entry. */
  sampleStart: Int32Array;
  /** Per sample, its first numeric label's key (-1 for none) and number. */
  firstKey: Int32Array;
  firstNum: Float64Array;
  /** The other labels: string labels, and numeric ones after a sample's first. */
  labelSample: Int32Array;
  labelKey: Int32Array;
  /** 0 for a numeric label. */
  labelStr: Int32Array;
  labelNum: Float64Array;
}

/**
 * The runs of Sample messages of a profile, read in WebAssembly a window at a time (about five times faster than
 * the JavaScript reader on a million samples, and fast from the first call, which V8's compiler tiers are not).
 * Each call walks from pos while the fields are whole (reading the samples, listing the other fields for the
 * JavaScript reader) and returns where it stopped: at pos itself when the field there is for the JavaScript reader
 * (larger than a window, or anything it must judge), which reads it and may call again after it.
 */
export class SampleWindows {
  private readonly exports: Exports;
  private readonly memory: WebAssembly.Memory;
  private readonly window: number;
  private readonly at: Record<'input' | 'stack' | 'values' | 'sampleStart' | 'labelSample' | 'labelKey' | 'labelStr' | 'labelNum' | 'other' | 'firstKey' | 'firstNum', number>;

  /** null when the module is not built. window: bytes per call (the tests make it small to cross many windows). */
  static open(buf: Uint8Array, window?: number): SampleWindows | null {
    const wasm = compiled();
    return wasm ? new SampleWindows(wasm, buf, window ?? Math.max(1024, Math.min(WINDOW, buf.length))) : null;
  }

  private constructor(
    wasm: WebAssembly.Module,
    private readonly buf: Uint8Array,
    window: number,
  ) {
    this.window = window;
    // Every entry, value and label takes at least a byte of the window, a sample or a label at least two.
    const sizes = { input: window, stack: 4 * window, values: 8 * window, sampleStart: 2 * window, labelSample: 2 * window, labelKey: 2 * window, labelStr: 2 * window, labelNum: 4 * window, other: 2 * window, firstKey: 2 * window, firstNum: 4 * window };
    let size = PARAMS_BYTES;
    const at: Partial<Record<keyof typeof sizes, number>> = {};
    for (const [name, bytes] of Object.entries(sizes)) {
      at[name as keyof typeof sizes] = size;
      size += Math.ceil(bytes / 8) * 8;
    }
    this.at = at as SampleWindows['at'];
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(size / PAGE) });
    this.exports = new WebAssembly.Instance(wasm, { env: { memory: this.memory, abort: () => { throw new Error('read-samples.wasm aborted'); } } }).exports as unknown as Exports;
    const p = this.params();
    p[F.input] = this.at.input;
    for (const name of ['stack', 'values', 'sampleStart', 'labelSample', 'labelKey', 'labelStr', 'labelNum', 'other', 'firstKey', 'firstNum'] as const) p[F[name]] = this.at[name];
  }

  /**
   * The first pass from pos: counts into counts, each other field's position handed to other() after its window's
   * samples; returns where the JavaScript reader goes on.
   */
  count(pos: number, end: number, counts: SampleCounts, other: (pos: number) => void): number {
    const p = this.params();
    p[F.valueCount] = counts.valuesPerSample;
    return this.walk(pos, end, other, () => {
      const consumed = this.exports.countSamples();
      counts.samples += p[F.samples];
      counts.stackEntries += p[F.entries];
      counts.valuesPerSample = p[F.valueCount];
      return consumed;
    });
  }

  /**
   * The second pass from pos: each window's samples handed to take(), then its other fields' positions to other();
   * returns where the JavaScript reader goes on.
   */
  read(pos: number, end: number, wide: boolean, valueCount: number, entryBase: () => number, take: (window: SampleWindow) => void, other: (pos: number) => void): number {
    const p = this.params();
    p[F.wide] = wide ? 1 : 0;
    p[F.valueCount] = valueCount;
    const buffer = this.memory.buffer;
    const at = this.at;
    const window = this.window;
    const out = {
      stack: wide ? new Int32Array(buffer, at.stack, window) : new Uint16Array(buffer, at.stack, window),
      values: new Float64Array(buffer, at.values, window),
      sampleStart: new Int32Array(buffer, at.sampleStart, window >> 1),
      labelSample: new Int32Array(buffer, at.labelSample, window >> 1),
      labelKey: new Int32Array(buffer, at.labelKey, window >> 1),
      labelStr: new Int32Array(buffer, at.labelStr, window >> 1),
      labelNum: new Float64Array(buffer, at.labelNum, window >> 1),
      firstKey: new Int32Array(buffer, at.firstKey, window >> 1),
      firstNum: new Float64Array(buffer, at.firstNum, window >> 1),
    };
    return this.walk(pos, end, other, () => {
      p[F.entryBase] = entryBase();
      const consumed = this.exports.readSamples();
      take({ ...out, samples: p[F.samples], entries: p[F.entries], labels: p[F.labels], labelMax: p[F.labelMax] });
      return consumed;
    });
  }

  /** Windows from pos until the module stops short of a window's end (or the bytes end). */
  private walk(pos: number, end: number, other: (pos: number) => void, run: () => number): number {
    const p = this.params();
    const input = new Uint8Array(this.memory.buffer, this.at.input, this.window);
    const others = new Int32Array(this.memory.buffer, this.at.other, this.window >> 1);
    while (pos < end) {
      const length = Math.min(this.window, end - pos);
      input.set(this.buf.subarray(pos, pos + length));
      p[F.inputLength] = length;
      const consumed = run();
      for (let i = 0, n = p[F.others]; i < n; i++) other(pos + others[i]);
      pos += consumed;
      if (p[F.status] !== END_OF_WINDOW || consumed === 0) break;
    }
    return pos;
  }

  // The memory never grows, so its buffer stays the same; a view is cheap all the same.
  private params(): Int32Array {
    return new Int32Array(this.memory.buffer, 0, PARAMS_BYTES / 4);
  }
}
