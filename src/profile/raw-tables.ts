import { SampleWindow } from './wasm-samples';

/**
 * The tables of profile.proto as readProfile reads them (read-profile.ts): a typed column per field, every value
 * as the wire gives it, every reference still an id or a string index for validate-tables.ts to check. Filled a
 * row at a time by the JavaScript reader and a window of rows at a time from the WebAssembly module's output
 * (wasm-samples.ts).
 */

/**
 * A column of integers as read: 32-bit while every value fits (every one the module writes does, and Go's are
 * small), else doubles, which hold any the wire gives (ids and string indices are uint64, lines int64).
 */
export type Integers = Int32Array | Float64Array;

export interface MappingTable {
  id: Integers;
  filename: Integers;
  buildId: Integers;
}

export interface FunctionTable {
  id: Integers;
  name: Integers;
  systemName: Integers;
  filename: Integers;
  startLine: Integers;
}

export interface LocationTable {
  id: Integers;
  mappingId: Integers;
  /** Location i's lines are lineFunction/lineNumber[lineStart[i] .. lineStart[i + 1]): one more entry than locations. */
  lineStart: Int32Array;
  lineFunction: Integers;
  lineNumber: Integers;
}

/** A typed array that doubles as it grows, read as a view of its rows. */
export class Column<A extends Integers> {
  private data: A;
  length = 0;

  /** widens: an Int32Array column that becomes a Float64Array at the first value that does not fit it. */
  constructor(
    private make: (length: number) => A,
    capacity = 64,
    private readonly widens = false,
  ) {
    this.data = make(Math.max(1, capacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.reserve(1);
    if (this.widens && value !== (value | 0) && this.data instanceof Int32Array) this.widen();
    this.data[this.length++] = value;
  }

  /**
   * The first count values of rows, converted as a typed array's set() converts them. (Into the same type it is a
   * copy of bytes; from the module's memory into another type, V8 converts them one at a time, some ten times
   * slower, which is why the tables are 32-bit while they can be.)
   */
  append(rows: ArrayLike<number>, count: number): void {
    if (count === 0) return;
    this.reserve(count);
    this.data.set(count === rows.length ? rows : (rows as A).subarray(0, count), this.length);
    this.length += count;
  }

  get(row: number): number {
    return this.data[row];
  }

  /** The rows, without a copy. */
  view(): A {
    return this.data.subarray(0, this.length) as A;
  }

  private reserve(count: number): void {
    if (this.length + count <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.length + count) size *= 2;
    const data = this.make(size);
    data.set(this.data);
    this.data = data;
  }

  private widen(): void {
    this.make = (length) => new Float64Array(length) as A;
    const data = this.make(this.data.length);
    data.set(this.data);
    this.data = data;
  }
}

/** Which column of the module's output (wasm-samples.ts) fills which column of a table, and how many rows it has. */
const FROM_MODULE = [
  ['mappings', 'id', 'mappingId', 'mappings'],
  ['mappings', 'filename', 'mappingFilename', 'mappings'],
  ['mappings', 'buildId', 'mappingBuildId', 'mappings'],
  ['functions', 'id', 'functionId', 'functions'],
  ['functions', 'name', 'functionName', 'functions'],
  ['functions', 'systemName', 'functionSystemName', 'functions'],
  ['functions', 'filename', 'functionFilename', 'functions'],
  ['functions', 'startLine', 'functionStartLine', 'functions'],
  ['locations', 'id', 'locationId', 'locations'],
  ['locations', 'mappingId', 'locationMapping', 'locations'],
  ['locations', 'lineStart', 'locationLineStart', 'locations'],
  ['locations', 'lineFunction', 'lineFunction', 'lines'],
  ['locations', 'lineNumber', 'lineNumber', 'lines'],
] as const;

/** A column of integers as read (see Integers). */
const integers = (capacity: number) => new Column<Integers>((length) => new Int32Array(length), capacity, true);

/** The three tables while they are read, sized by the first pass's count of their rows. */
export class TableBuilder {
  readonly mappings;
  readonly functions;
  readonly locations;

  constructor(rows: { locations: number; lines: number; functions: number; mappings: number }) {
    const { mappings: m, functions: f, locations: l, lines } = rows;
    this.mappings = { id: integers(m), filename: integers(m), buildId: integers(m) };
    this.functions = { id: integers(f), name: integers(f), systemName: integers(f), filename: integers(f), startLine: integers(f) };
    this.locations = { id: integers(l), mappingId: integers(l), lineStart: new Column((length) => new Int32Array(length), l + 1), lineFunction: integers(lines), lineNumber: integers(lines) };
  }

  /** The rows of a window the module read. */
  append(w: SampleWindow): void {
    for (const [table, column, from, rows] of FROM_MODULE) (this[table] as Record<string, Column<Integers>>)[column].append(w.columns[from], w[rows]);
  }

  finish(): { mappings: MappingTable; functions: FunctionTable; locations: LocationTable } {
    const l = this.locations;
    l.lineStart.push(l.lineFunction.length);
    return { mappings: views(this.mappings), functions: views(this.functions), locations: views(l) };
  }
}

function views<T extends Record<string, Column<Integers>>>(columns: T): { [K in keyof T]: ReturnType<T[K]['view']> } {
  return Object.fromEntries(Object.entries(columns).map(([name, column]) => [name, column.view()])) as { [K in keyof T]: ReturnType<T[K]['view']> };
}
