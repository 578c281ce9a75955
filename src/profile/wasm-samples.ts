import { distPath } from '../dist-paths';
import { lazyWasmModule } from '../wasm-module';

/** Built by `npm run build` from wasm/read-samples.ts (AssemblyScript); found from src/ (the tests) and dist/ alike. */
export const READ_SAMPLES_WASM = distPath('wasm', 'read-samples.wasm');

interface Exports {
  countSamples(): number;
  readSamples(): number;
}

// The parameter block's fields, as wasm/read-samples.ts numbers them.
const F = {
  input: 0,
  inputLength: 1,
  wide: 2,
  valueCount: 3,
  stack: 4,
  values: 5,
  sampleStart: 6,
  labelSample: 7,
  labelKey: 8,
  labelStr: 9,
  labelNum: 10,
  samples: 11,
  entries: 12,
  labels: 13,
  labelMax: 14,
  status: 15,
  other: 17,
  others: 18,
  entryBase: 19,
  firstKey: 20,
  firstNum: 21,
  sampleTypes: 22,
  locationMax: 23,
  tableRows: 24,
  lineBase: 25,
  locations: 26,
  lines: 27,
  functions: 28,
  mappings: 29,
  strings: 30,
  locationId: 31,
  locationMapping: 32,
  locationLineStart: 33,
  lineFunction: 34,
  lineNumber: 35,
  functionId: 36,
  functionName: 37,
  functionSystemName: 38,
  functionFilename: 39,
  functionStartLine: 40,
  mappingId: 41,
  mappingFilename: 42,
  mappingBuildId: 43,
  stringStart: 44,
  stringEnd: 45,
  stringAscii: 46,
  stringHash: 47,
  narrowValues: 48,
} as const;
const END_OF_WINDOW = 0;
const PARAMS_BYTES = 256;
/** Bytes of the profile per call: the outputs take about 35 times that, so the memory stays some 9 MB. */
const WINDOW = 256 * 1024;
const PAGE = 65536;

/** The i32 columns of the tables the second pass reads (one row per location, line, function, mapping, string). */
const TABLE_COLUMNS = ['locationId', 'locationMapping', 'locationLineStart', 'lineFunction', 'lineNumber', 'functionId', 'functionName', 'functionSystemName', 'functionFilename', 'functionStartLine', 'mappingId', 'mappingFilename', 'mappingBuildId', 'stringStart', 'stringEnd', 'stringHash'] as const;
type TableColumn = (typeof TABLE_COLUMNS)[number];
type Area = 'input' | 'stack' | 'values' | 'sampleStart' | 'labelSample' | 'labelKey' | 'labelStr' | 'labelNum' | 'other' | 'firstKey' | 'firstNum' | TableColumn | 'stringAscii';

const compiled = lazyWasmModule(READ_SAMPLES_WASM);

/** What a window adds up to in the first pass; read and written by both readers. */
export interface SampleCounts {
  samples: number;
  stackEntries: number;
  /** -1 until the first sample has set it. */
  valuesPerSample: number;
  sampleTypes: number;
  maxLocationId: number;
  /** The tables' rows, to size their columns (which grow all the same if the second pass reads more). */
  rows: TableRows;
}

export interface TableRows {
  locations: number;
  lines: number;
  functions: number;
  mappings: number;
  strings: number;
}

/** One window's worth of the second pass, in the module's output areas; valid until the next call. */
export interface SampleWindow {
  samples: number;
  entries: number;
  labels: number;
  labelMax: number;
  stack: Uint16Array | Int32Array;
  /** Int32Array when read narrow (read()'s narrowValues). */
  values: Float64Array | Int32Array;
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
  /** Rows of each table read: the columns below hold that many. */
  locations: number;
  lines: number;
  functions: number;
  mappings: number;
  strings: number;
  /**
   * The rows as wasm/read-samples.ts describes them (locationLineStart: the index of a location's first line in the
   * whole line table; stringStart/End: offsets in the window at `offset`).
   */
  columns: Record<TableColumn, Int32Array>;
  /** Per string, 1 when its bytes are all ASCII. */
  stringAscii: Uint8Array;
  /** Where the window starts in the profile. */
  offset: number;
}

/**
 * An instance of the module with its memory laid out for windows of one size: kept between profiles (the memory,
 * some 35 times the window, is allocated and its pages touched once per thread rather than once per profile).
 */
class Instance {
  readonly exports: Exports;
  readonly memory: WebAssembly.Memory;
  /** Rows of each table area. */
  readonly rows: number;
  readonly at: Record<Area, number>;

  constructor(
    wasm: WebAssembly.Module,
    readonly window: number,
  ) {
    // Every entry, value and label takes at least a byte of the window, a sample or a label at least two. The
    // tables' rows take more (a location is some 30 bytes), and a window stops early when one is full.
    this.rows = Math.max(1, window >> 4);
    const sizes = { input: window, stack: 4 * window, values: 8 * window, sampleStart: 2 * window, labelSample: 2 * window, labelKey: 2 * window, labelStr: 2 * window, labelNum: 4 * window, other: 2 * window, firstKey: 2 * window, firstNum: 4 * window, stringAscii: this.rows };
    let size = PARAMS_BYTES;
    const at: Partial<Record<Area, number>> = {};
    for (const [name, bytes] of [...Object.entries(sizes), ...TABLE_COLUMNS.map((column) => [column, 4 * this.rows] as const)]) {
      at[name as Area] = size;
      size += Math.ceil(bytes / 8) * 8;
    }
    this.at = at as Record<Area, number>;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(size / PAGE) });
    this.exports = new WebAssembly.Instance(wasm, { env: { memory: this.memory, abort: () => { throw new Error('read-samples.wasm aborted'); } } }).exports as unknown as Exports;
    const p = this.params();
    p[F.input] = this.at.input;
    p[F.tableRows] = this.rows;
    for (const name of ['stack', 'values', 'sampleStart', 'labelSample', 'labelKey', 'labelStr', 'labelNum', 'other', 'firstKey', 'firstNum', 'stringAscii', ...TABLE_COLUMNS] as const) p[F[name]] = this.at[name];
  }

  // The memory never grows, so its buffer stays the same; a view is cheap all the same.
  params(): Int32Array {
    return new Int32Array(this.memory.buffer, 0, PARAMS_BYTES / 4);
  }
}

let kept: Instance | undefined;

/** An instance for windows of this size (exactly, or at least that large), the kept one when it will do. */
function instance(wasm: WebAssembly.Module, window: number, exactly: boolean): Instance {
  if (!kept || (exactly ? kept.window !== window : kept.window < window)) kept = new Instance(wasm, window);
  return kept;
}

/**
 * The top-level fields of a profile, read in WebAssembly a window at a time (about five times faster than the
 * JavaScript reader on a million samples, and fast from the first call, which V8's compiler tiers are not).
 * Each call walks from pos while the fields are whole (reading samples and tables, listing the other fields for
 * the JavaScript reader) and returns where it stopped: at pos itself when the field there is for the JavaScript
 * reader (larger than a window, or anything it must judge), which reads it and may call again after it.
 */
export class SampleWindows {
  /** null when the module is not built. window: bytes per call (the tests make it small to cross many windows). */
  static open(buf: Uint8Array, window?: number): SampleWindows | null {
    const wasm = compiled();
    if (!wasm) return null;
    return new SampleWindows(instance(wasm, window ?? Math.max(1024, Math.min(WINDOW, buf.length)), window !== undefined), buf);
  }

  private constructor(
    private readonly instance: Instance,
    private readonly buf: Uint8Array,
  ) {}
  /** The first pass from pos: counts into counts; returns where the JavaScript reader goes on. */
  count(pos: number, end: number, counts: SampleCounts): number {
    const p = this.params();
    p[F.valueCount] = counts.valuesPerSample;
    return this.walk(pos, end, () => {}, () => {
      const consumed = this.instance.exports.countSamples();
      counts.samples += p[F.samples];
      counts.stackEntries += p[F.entries];
      counts.valuesPerSample = p[F.valueCount];
      counts.sampleTypes += p[F.sampleTypes];
      counts.maxLocationId = Math.max(counts.maxLocationId, p[F.locationMax]);
      for (const table of ['locations', 'lines', 'functions', 'mappings', 'strings'] as const) counts.rows[table] += p[F[table]];
      return consumed;
    });
  }

  /**
   * The second pass from pos: each window's samples and tables handed to take(), then its other fields' positions
   * to other(); returns where the JavaScript reader goes on. base(): the stack entries and lines read so far.
   * narrowValues: the values written as int32, and a sample with one past that range left to the JavaScript reader.
   */
  read(pos: number, end: number, wide: boolean, narrowValues: boolean, valueCount: number, base: () => { entries: number; lines: number }, take: (window: SampleWindow) => void, other: (pos: number) => void): number {
    const p = this.params();
    p[F.wide] = wide ? 1 : 0;
    p[F.narrowValues] = narrowValues ? 1 : 0;
    p[F.valueCount] = valueCount;
    const { memory, at, window, rows } = this.instance;
    const buffer = memory.buffer;
    const int32 = (area: Area, length: number) => new Int32Array(buffer, at[area], length);
    const float64 = (area: Area, length: number) => new Float64Array(buffer, at[area], length);
    const columns = Object.fromEntries(TABLE_COLUMNS.map((column) => [column, int32(column, rows)])) as Record<TableColumn, Int32Array>;
    const out = {
      stack: wide ? int32('stack', window) : new Uint16Array(buffer, at.stack, window),
      values: narrowValues ? int32('values', window) : float64('values', window),
      sampleStart: int32('sampleStart', window >> 1),
      labelSample: int32('labelSample', window >> 1),
      labelKey: int32('labelKey', window >> 1),
      labelStr: int32('labelStr', window >> 1),
      labelNum: float64('labelNum', window >> 1),
      firstKey: int32('firstKey', window >> 1),
      firstNum: float64('firstNum', window >> 1),
      columns,
      stringAscii: new Uint8Array(buffer, at.stringAscii, rows),
    };
    return this.walk(pos, end, other, (offset) => {
      const sofar = base();
      p[F.entryBase] = sofar.entries;
      p[F.lineBase] = sofar.lines;
      const consumed = this.instance.exports.readSamples();
      take({ ...out, offset, samples: p[F.samples], entries: p[F.entries], labels: p[F.labels], labelMax: p[F.labelMax], locations: p[F.locations], lines: p[F.lines], functions: p[F.functions], mappings: p[F.mappings], strings: p[F.strings] });
      return consumed;
    });
  }

  /** Windows from pos until the module stops short of a window's end (or the bytes end). */
  private walk(pos: number, end: number, other: (pos: number) => void, run: (offset: number) => number): number {
    const p = this.params();
    const { memory, at, window } = this.instance;
    const input = new Uint8Array(memory.buffer, at.input, window);
    const others = new Int32Array(memory.buffer, at.other, window >> 1);
    while (pos < end) {
      const length = Math.min(window, end - pos);
      input.set(this.buf.subarray(pos, pos + length));
      p[F.inputLength] = length;
      const consumed = run(pos);
      for (let i = 0, n = p[F.others]; i < n; i++) other(pos + others[i]);
      pos += consumed;
      if (p[F.status] !== END_OF_WINDOW || consumed === 0) break;
    }
    return pos;
  }

  private params(): Int32Array {
    return this.instance.params();
  }
}
