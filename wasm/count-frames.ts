// AssemblyScript, compiled to dist/wasm/count-frames.wasm by `npm run build` (scripts/build-wasm.js).
//
// The hot loop of aggregate() on an unfiltered profile (src/report/count-frames.ts lays out the memory and calls
// it): every frame of every sample, root first, adding the sample's values to the cum of each distinct node key
// and to the flat of its leaf, and counting pprof's graph edges into the nodes some inlined call enters (the only
// ones report.TextItems can mark "(inline)"). It is the same algorithm as countFrames in src/report/aggregate.ts
// (the JavaScript path, kept for filtered views and as the reference test/count-frames.test.ts compares with),
// about three times faster on a million deep stacks.
//
// Every array lives in the one imported memory; JS passes their byte offsets in a block of i32 fields (below). The
// two largest, the stacks and the values, are copied in a window at a time, so the memory stays a few MB.

// The fields of the parameter block, by index (i32 each).
const T = 0; // values per sample
const SAMPLE_START = 1; // i32[samples + 1]
const SAMPLE_LOCATIONS = 2; // u16 or i32 per stack entry, from entry WINDOW_ENTRY on (a window JS fills)
const WIDE = 3; // 1 when stack entries are i32
const LOCATION_FRAME_START = 4; // i32[locations + 1]
const KEY_OF_FRAME = 5; // i32[frames]
const VALUES = 6; // f64[T] per sample, from sample WINDOW_SAMPLE on
const ENTERED = 7; // u8[keys]: 1 when edges into the key are counted
const INLINE_EDGE = 8; // i32[frames]: the edge into a location's inner frame from the frame after it, or -1
const CUM = 9; // f64[keys * T]
const FLAT = 10; // f64[keys * T]
const TOTALS = 11; // f64[T]
const COUNTED = 12; // i32[keys]: the last sample that counted the key
const KEYS = 13; // i32[keys]: scratch, a sample's distinct keys
const EDGE_COUNTED = 14; // i32[edge capacity]
const EDGE_WEIGHT = 15; // f64[edge capacity * T]
const EDGE_INLINE = 16; // u8[edge capacity]
const EDGE_FROM = 17; // i32[edge capacity]
const EDGE_TO = 18; // i32[edge capacity]
const EDGE_COUNT = 19; // edges so far (read and written)
const EDGE_CAPACITY = 20;
const HASH_KEYS = 21; // i64[hash size]: from * keys + to
const HASH_SLOTS = 22; // i32[hash size]: edge, -1 for an empty slot
const HASH_MASK = 23; // hash size - 1 (a power of two at least twice the edge capacity)
const KEY_COUNT = 24;
const WINDOW_SAMPLE = 25; // the first sample whose values VALUES holds
const WINDOW_ENTRY = 26; // the first stack entry SAMPLE_LOCATIONS holds

@inline function field(p: usize, index: i32): i32 {
  return load<i32>(p + (<usize>index << 2));
}

@inline function at32(base: i32, index: i32): usize {
  return <usize>base + (<usize>index << 2);
}

@inline function at64(base: i32, index: i32): usize {
  return <usize>base + (<usize>index << 3);
}

/** The slot of id in the hash table: where it is, or the empty slot where it belongs (linear probing). */
function slotOf(p: usize, id: i64): i32 {
  const mask = field(p, HASH_MASK);
  const keys = field(p, HASH_KEYS);
  const slots = field(p, HASH_SLOTS);
  let h = (<u32>id ^ <u32>(id >> 32)) * 0x9e3779b1;
  h ^= h >> 15;
  let slot = <i32>h & mask;
  while (load<i32>(at32(slots, slot)) >= 0 && load<i64>(at64(keys, slot)) != id) slot = (slot + 1) & mask;
  return slot;
}

/** The edge from -> to, created (inline until a direct call is counted along it) when new. */
function edge(p: usize, from: i32, to: i32): i32 {
  const id: i64 = <i64>from * <i64>field(p, KEY_COUNT) + <i64>to;
  const keys = field(p, HASH_KEYS);
  const slots = field(p, HASH_SLOTS);
  const slot = slotOf(p, id);
  const found = load<i32>(at32(slots, slot));
  if (found >= 0) return found;
  const e = field(p, EDGE_COUNT);
  store<i32>(p + (<usize>EDGE_COUNT << 2), e + 1);
  store<i64>(at64(keys, slot), id);
  store<i32>(at32(slots, slot), e);
  store<i32>(at32(field(p, EDGE_FROM), e), from);
  store<i32>(at32(field(p, EDGE_TO), e), to);
  store<i32>(at32(field(p, EDGE_COUNTED), e), -1);
  store<u8>(<usize>field(p, EDGE_INLINE) + <usize>e, 1);
  const t = field(p, T);
  const weight = field(p, EDGE_WEIGHT);
  for (let i = 0; i < t; i++) store<f64>(at64(weight, e * t + i), 0);
  return e;
}

/** Once per sample, as pprof's graph.newGraph: the first call along the edge in the sample decides "inline". */
@inline function countEdge(p: usize, e: i32, sample: i32, base: i32, inlined: bool): void {
  // base: the sample's first value in the window
  const counted = at32(field(p, EDGE_COUNTED), e);
  if (load<i32>(counted) == sample) return;
  store<i32>(counted, sample);
  if (!inlined) store<u8>(<usize>field(p, EDGE_INLINE) + <usize>e, 0);
  const t = field(p, T);
  const values = field(p, VALUES);
  const weight = field(p, EDGE_WEIGHT);
  for (let i = 0; i < t; i++) {
    const w = at64(weight, e * t + i);
    store<f64>(w, load<f64>(w) + load<f64>(at64(values, base + i)));
  }
}

/** Fills an empty hash table (slots all -1) from the edges so far: after JS has made the tables larger. */
export function rehash(p: usize): void {
  const count = field(p, EDGE_COUNT);
  const keyCount = <i64>field(p, KEY_COUNT);
  const from = field(p, EDGE_FROM);
  const to = field(p, EDGE_TO);
  for (let e = 0; e < count; e++) {
    const id: i64 = <i64>load<i32>(at32(from, e)) * keyCount + <i64>load<i32>(at32(to, e));
    const slot = slotOf(p, id);
    store<i64>(at64(field(p, HASH_KEYS), slot), id);
    store<i32>(at32(field(p, HASH_SLOTS), slot), e);
  }
}

/**
 * The edges inside each location (its inlined calls) into entered keys: the same in every sample, so made once
 * per frame of the profile. The edge capacity must be at least the number of frames.
 */
export function prepareInlineEdges(p: usize, locations: i32): void {
  const lfs = field(p, LOCATION_FRAME_START);
  const keyOfFrame = field(p, KEY_OF_FRAME);
  const entered = field(p, ENTERED);
  const inlineEdge = field(p, INLINE_EDGE);
  for (let location = 0; location < locations; location++) {
    const last = load<i32>(at32(lfs, location + 1)) - 1;
    for (let f = load<i32>(at32(lfs, location)); f < last; f++) {
      const to = load<i32>(at32(keyOfFrame, f));
      const from = load<i32>(at32(keyOfFrame, f + 1));
      const e = load<u8>(<usize>entered + <usize>to) == 1 && from != to ? edge(p, from, to) : -1;
      store<i32>(at32(inlineEdge, f), e);
    }
    store<i32>(at32(inlineEdge, last), -1);
  }
}

/**
 * Counts samples [start, end). Returns the next sample to count: end when done, earlier when the edge tables
 * might not hold the next sample's new edges (JS grows them and calls again from there).
 */
export function countFrames(p: usize, start: i32, end: i32): i32 {
  const t = field(p, T);
  const sampleStart = field(p, SAMPLE_START);
  const stack = field(p, SAMPLE_LOCATIONS);
  const wide = field(p, WIDE) == 1;
  const lfs = field(p, LOCATION_FRAME_START);
  const keyOfFrame = field(p, KEY_OF_FRAME);
  const values = field(p, VALUES);
  const entered = field(p, ENTERED);
  const inlineEdge = field(p, INLINE_EDGE);
  const cum = field(p, CUM);
  const flat = field(p, FLAT);
  const totals = field(p, TOTALS);
  const counted = field(p, COUNTED);
  const keys = field(p, KEYS);
  const capacity = field(p, EDGE_CAPACITY);
  const hashSize = field(p, HASH_MASK) + 1;
  const windowSample = field(p, WINDOW_SAMPLE);
  const windowEntry = field(p, WINDOW_ENTRY);
  for (let s = start; s < end; s++) {
    const first = load<i32>(at32(sampleStart, s));
    const after = load<i32>(at32(sampleStart, s + 1));
    // At most one new edge per location of the sample; the hash table stays at most half full.
    const room = field(p, EDGE_COUNT) + (after - first);
    if (room > capacity || room * 2 > hashSize) return s;
    const base = (s - windowSample) * t;
    let zero = true;
    for (let i = 0; i < t; i++) {
      const v = load<f64>(at64(values, base + i));
      if (v != 0) zero = false;
      const total = at64(totals, i);
      store<f64>(total, load<f64>(total) + abs<f64>(v));
    }
    if (zero) continue; // pprof skips samples with no value
    let distinct = 0;
    let previous = -1;
    for (let l = after - 1; l >= first; l--) {
      const entry = l - windowEntry;
      const location = wide ? load<i32>(at32(stack, entry)) : <i32>load<u16>(<usize>stack + (<usize>entry << 1));
      const inner = load<i32>(at32(lfs, location));
      let f = load<i32>(at32(lfs, location + 1)) - 1;
      // The location's outermost frame: called, not inlined, from the previous location's innermost one.
      let k = load<i32>(at32(keyOfFrame, f));
      if (load<i32>(at32(counted, k)) != s) {
        store<i32>(at32(counted, k), s);
        store<i32>(at32(keys, distinct++), k);
      }
      if (previous >= 0 && previous != k && load<u8>(<usize>entered + <usize>k) == 1) countEdge(p, edge(p, previous, k), s, base, false);
      previous = k;
      for (f--; f >= inner; f--) {
        k = load<i32>(at32(keyOfFrame, f));
        if (load<i32>(at32(counted, k)) != s) {
          store<i32>(at32(counted, k), s);
          store<i32>(at32(keys, distinct++), k);
        }
        const e = load<i32>(at32(inlineEdge, f));
        if (e >= 0) countEdge(p, e, s, base, true);
        previous = k;
      }
    }
    for (let j = 0; j < distinct; j++) {
      const target = load<i32>(at32(keys, j)) * t;
      for (let i = 0; i < t; i++) {
        const c = at64(cum, target + i);
        store<f64>(c, load<f64>(c) + load<f64>(at64(values, base + i)));
      }
    }
    if (previous >= 0) {
      for (let i = 0; i < t; i++) {
        const c = at64(flat, previous * t + i);
        store<f64>(c, load<f64>(c) + load<f64>(at64(values, base + i)));
      }
    }
  }
  return end;
}
