// AssemblyScript, compiled to dist/wasm/count-frames.wasm by `npm run build` (scripts/build-wasm.js).
//
// The hot loop of aggregate() on an unfiltered profile (src/report/count-frames.ts lays out the memory and calls
// it): every frame of every sample, root first, adding the sample's values to the cum of each distinct node key
// and to the flat of its leaf, and counting pprof's graph edges into the nodes some inlined call enters (the only
// ones report.TextItems can mark "(inline)"). It is the same algorithm as countEveryFrame in
// src/report/frame-counts.ts (the JavaScript path, kept for filtered views and as the reference
// test/count-frames.test.ts compares with, bit for bit: the same f64 adds in the same order per key and edge).
//
// Every array lives in the one imported memory; JS passes their byte offsets in a block of i32 fields (below). The
// two largest, the stacks and the values, are copied in a window at a time, so the memory stays a few MB.
//
// V8 runs these loops about as fast as it can execute their instructions (a million samples of 32 locations and
// 53 frames), so they are shaped to need few, with few branches that depend on the data (which mispredict):
// - prepare() gives each location, once per profile, a 16-byte record: its outer key and the calls into its inner
//   frames (its inlined functions) along counted edges. Those calls name the inner frames' keys too (EDGE_TO), so
//   a location costs one load of its record, and no loop over its frames (whose trip count, 1 to 3, mispredicts).
// - A sample's walk counts each location's outer key against its stamp (outer keys seldom recur in a sample, so
//   that branch is predicted) and copies its calls whole, keeping as many as it has. Then one loop over the calls
//   checks each edge and the key it names against their stamps without branching (inlined functions do recur, at
//   random), listing those new to the sample; then a loop each gives them the sample's values.
// - Locations the walk cannot take so (an outer key that is entered, so a direct call into it counts; more than
//   three frames; an inner frame whose key is not entered) send the rest of the sample to countCallingSample, so
//   that the usual loop calls no function (a call would have the compiler keep its values in memory throughout). There the edge of a direct call is looked
//   up in the hash table only when its caller differs from the location's last one (stacks share callers).
// - The block's fields are read into locals once per call (a store to memory could alias a field, so the compiler
//   cannot hoist them); the key stamps are at address 0, so a stamp is at key * 4 with no base in a register; and
//   countFrames is compiled for 1, 2 and 4 values per sample too (JS picks), its adds and totals unrolled with the
//   sample's values in locals.

// The last sample that counted each key (i32[keys]) is at address 0 (JS puts it there).
const COUNTED: usize = 0;

// The fields of the parameter block, by index (i32 each).
const T = 0; // values per sample
const SAMPLE_START = 1; // i32[samples + 1]
const SAMPLE_LOCATIONS = 2; // u16 or i32 per stack entry, from entry WINDOW_ENTRY on (a window JS fills)
const WIDE = 3; // 1 when stack entries are i32
const LOCATION_FRAME_START = 4; // i32[locations + 1] (every location has a frame)
const KEY_OF_FRAME = 5; // i32[frames]
const VALUES = 6; // f64[T] per sample, from sample WINDOW_SAMPLE on
const ENTERED = 7; // u8[keys]: 1 when edges into the key are counted
const LOCATION = 8; // per location the record below, made by prepare()
const LEAF = 9; // i32[locations]: the key of a location's innermost frame
const FRAME_CALL = 10; // i32[frames]: the call into a frame from the frame after it (edge << 1), or -1
const CALLER = 11; // i32[locations * 2]: per location its last caller key (-1 at first) and the edge from it
const CUM = 12; // f64[keys * T]
const FLAT = 13; // f64[keys * T]
const TOTALS = 14; // f64[T]
const KEYS = 15; // i32[sample keys + 1]: scratch, the keys new to a sample
const CALLS = 16; // i32[sample frames + 2]: scratch, a sample's calls along counted edges, in order (below)
const EDGE_COUNTED = 17; // i32[edge capacity]: the last sample that counted the edge
const EDGE_WEIGHT = 18; // f64[edge capacity * T]
const EDGE_INLINE = 19; // u8[edge capacity]
const EDGE_FROM = 20; // i32[edge capacity]
const EDGE_TO = 21; // i32[edge capacity]
const EDGE_COUNT = 22; // edges so far (read and written)
const EDGE_CAPACITY = 23;
const HASH_KEYS = 24; // i64[hash size]: from * keys + to
const HASH_SLOTS = 25; // i32[hash size]: edge, -1 for an empty slot
const HASH_MASK = 26; // hash size - 1 (a power of two at least twice the edge capacity)
const KEY_COUNT = 27;
const WINDOW_SAMPLE = 28; // the first sample whose values VALUES holds
const WINDOW_ENTRY = 29; // the first stack entry SAMPLE_LOCATIONS holds

// A location's record in LOCATION (16 bytes), i32 fields by byte offset. Its frames, outer to inner: the outer one
// (called from the previous location), then the inner ones (inlined into it). The inner frames' keys are not in it:
// each one is entered (an inlined function), so the call into it along a counted edge names it (EDGE_TO), unless
// its key is the next frame's, already counted in the sample.
const KEY = 0; // the outer frame's key
const CALLS_IN = 4; // the calls into its second and third frames (edge << 1), in order (what is past them is of no use)
const CALL_COUNT = 12; // how many CALLS_IN there are, plus the flags below
const ENTERED_BIT: i32 = 1 << 30; // its outer key is entered (a call into it from the previous location counts)
// For countCallingSample, which counts frames one by one: entered, more than three frames, or an inner frame that
// is neither entered nor the next frame's key (none, as aggregate() marks every inlined function entered).
const SLOW_BIT: i32 = 1 << 31;
// A call in CALLS: edge << 1, plus DIRECT for a call from the previous location (not inlined).
const DIRECT = 1;

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
 * Fills LOCATION, LEAF and FRAME_CALL from the locations' frames. The calls inside a location (its inlined ones)
 * along edges into entered keys are the same in every sample, so their edges are made here, once per frame of the
 * profile, in the order the JavaScript pass makes them. The edge capacity must be at least the number of frames.
 */
export function prepare(p: usize, locations: i32): void {
  const lfs = field(p, LOCATION_FRAME_START);
  const keyOfFrame = field(p, KEY_OF_FRAME);
  const entered = field(p, ENTERED);
  const frameCall = field(p, FRAME_CALL);
  const location = field(p, LOCATION);
  const leaf = field(p, LEAF);
  for (let l = 0; l < locations; l++) {
    const first = load<i32>(at32(lfs, l));
    const last = load<i32>(at32(lfs, l + 1)) - 1;
    const record = at32(location, 4 * l);
    let flags = last - first > 2 ? SLOW_BIT : 0;
    for (let f = first; f < last; f++) {
      const to = load<i32>(at32(keyOfFrame, f));
      const from = load<i32>(at32(keyOfFrame, f + 1));
      const isEntered = load<u8>(<usize>entered + <usize>to) == 1;
      store<i32>(at32(frameCall, f), isEntered && from != to ? edge(p, from, to) << 1 : -1);
      if (!isEntered && from != to) flags |= SLOW_BIT;
    }
    store<i32>(at32(frameCall, last), -1);
    const outer = load<i32>(at32(keyOfFrame, last));
    store<i32>(record, outer, KEY);
    store<i64>(record, 0, CALLS_IN);
    let calls = 0;
    for (let f = last - 1; f >= first && f >= last - 2; f--) {
      const call = load<i32>(at32(frameCall, f));
      if (call >= 0) store<i32>(record + (<usize>(calls++) << 2), call, CALLS_IN);
    }
    if (load<u8>(<usize>entered + <usize>outer) == 1) flags |= ENTERED_BIT | SLOW_BIT;
    store<i32>(record, calls | flags, CALL_COUNT);
    store<i32>(at32(leaf, l), load<i32>(at32(keyOfFrame, first)));
  }
}

/** The edge from key `from` into location id's outer frame: its last one when from is its last caller. */
function callerEdge(p: usize, id: i32, from: i32, to: i32): i32 {
  // Stacks share callers, so the hash table is asked only when the caller changes.
  const cached = <usize>field(p, CALLER) + (<usize>id << 3);
  if (load<i32>(cached) == from) return load<i32>(cached, 4);
  const e = edge(p, from, to);
  store<i32>(cached, from);
  store<i32>(cached, e, 4);
  return e;
}

/** The location at a stack entry: the entries are u16 (wide false) or i32. */
@inline function entry(at: usize, wide: bool): i32 {
  return wide ? load<i32>(at) : <i32>load<u16>(at);
}

/**
 * target[0 .. t) += the sample's values: with t constant (1, 2 or 4), from v0.. held in locals, else from memory.
 * f64 adds one at a time, as the JavaScript pass makes them.
 */
@inline function add(target: usize, values: usize, t: i32, v0: f64, v1: f64, v2: f64, v3: f64): void {
  if (t == 1 || t == 2 || t == 4) {
    store<f64>(target, load<f64>(target) + v0);
    if (t >= 2) store<f64>(target, load<f64>(target, 8) + v1, 8);
    if (t == 4) {
      store<f64>(target, load<f64>(target, 16) + v2, 16);
      store<f64>(target, load<f64>(target, 24) + v3, 24);
    }
  } else {
    for (let i = 0; i < t; i++) {
      const at = target + (<usize>i << 3);
      store<f64>(at, load<f64>(at) + load<f64>(values + (<usize>i << 3)));
    }
  }
}

/** Counts the key k in sample s: lists it at fresh when new to the sample; returns the list's end. */
@inline function countKey(k: i32, s: i32, fresh: usize): usize {
  const stamp = COUNTED + (<usize>k << 2);
  const once = load<i32>(stamp) != s;
  store<i32>(stamp, s);
  store<i32>(fresh, k);
  return fresh + (<usize>once << 2);
}

/** countKey for an outer key, which seldom recurs in a sample: with a branch (well predicted), fewer instructions. */
@inline function countOuter(k: i32, s: i32, fresh: usize): usize {
  const stamp = COUNTED + (<usize>k << 2);
  if (load<i32>(stamp) != s) {
    store<i32>(stamp, s);
    store<i32>(fresh, k);
    fresh += 4;
  }
  return fresh;
}

/**
 * Counts sample s's calls (from calls to call) and the inner keys they name, its outer keys counted already (those
 * new to the sample listed from keys to fresh): each key's cum and each edge's weight get the values once per sample
 * (pprof's graph.newGraph; the first call along an edge in the sample decides "inline"). Inlined functions often
 * recur in a sample, unpredictably: the ones new to it are found against their stamps without branching and listed
 * (the edges in place), then given the values, a loop of fixed shape each.
 */
@inline function countCalls(p: usize, s: i32, t: i32, keys: usize, fresh: usize, calls: usize, call: usize, sampleValues: usize, v0: f64, v1: f64, v2: f64, v3: f64): void {
  const cum = <usize>field(p, CUM);
  const edgeCounted = <usize>field(p, EDGE_COUNTED);
  const edgeWeight = <usize>field(p, EDGE_WEIGHT);
  const edgeInline = <usize>field(p, EDGE_INLINE);
  const edgeTo = <usize>field(p, EDGE_TO);
  const stride = <usize>t << 3; // bytes of a key's (or an edge's) values
  let edges = calls;
  for (let at = calls; at < call; at += 4) {
    const c = load<i32>(at);
    const e = c >> 1;
    // The key it calls (for a direct call, the outer key, counted already).
    fresh = countKey(load<i32>(edgeTo + (<usize>e << 2)), s, fresh);
    const stamp = edgeCounted + (<usize>e << 2);
    const once = load<i32>(stamp) != s;
    store<i32>(stamp, s);
    if (c & DIRECT && once) store<u8>(edgeInline + <usize>e, 0);
    store<i32>(edges, e);
    edges += <usize>once << 2;
  }
  for (let at = keys; at < fresh; at += 4) add(cum + <usize>load<i32>(at) * stride, sampleValues, t, v0, v1, v2, v3);
  for (let at = calls; at < edges; at += 4) add(edgeWeight + <usize>load<i32>(at) * stride, sampleValues, t, v0, v1, v2, v3);
}

/**
 * The rest of sample s from its stack entry `from`, the first whose location has SLOW_BIT, the walk before it having
 * listed keys up to fresh and calls up to call: the walk that counts a location's frames one by one and the direct
 * calls, apart so that the usual one calls no function (a call would have the compiler keep its values in memory
 * throughout).
 */
function countCallingSample(p: usize, s: i32, from: usize, fresh: usize, call: usize): void {
  const t = field(p, T);
  const wide = field(p, WIDE) == 1;
  const width: usize = wide ? 2 : 1;
  const stack = <usize>field(p, SAMPLE_LOCATIONS) - (<usize>field(p, WINDOW_ENTRY) << width);
  const location = <usize>field(p, LOCATION);
  const leaf = field(p, LEAF);
  const lfs = field(p, LOCATION_FRAME_START);
  const keyOfFrame = field(p, KEY_OF_FRAME);
  const frameCall = field(p, FRAME_CALL);
  const keys = <usize>field(p, KEYS);
  const calls = <usize>field(p, CALLS);
  const root = stack + (<usize>(load<i32>(at32(field(p, SAMPLE_START), s + 1)) - 1) << width);
  const leafEntry = stack + (<usize>load<i32>(at32(field(p, SAMPLE_START), s)) << width);
  for (let at = from; at >= leafEntry; at -= 1 << width) {
    const id = entry(at, wide);
    const record = location + (<usize>id << 4);
    const callCount = load<i32>(record, CALL_COUNT);
    const k = load<i32>(record, KEY);
    fresh = countKey(k, s, fresh);
    if (callCount >= 0) {
      store<i64>(call, load<i64>(record, CALLS_IN));
      call += <usize>callCount << 2;
      continue;
    }
    if (callCount & ENTERED_BIT && at != root) {
      // A direct call from the previous location's innermost frame, unless it is the same key (recursion).
      const previous = load<i32>(at32(leaf, entry(at + (1 << width), wide)));
      if (previous != k) {
        store<i32>(call, (callerEdge(p, id, previous, k) << 1) | DIRECT);
        call += 4;
      }
    }
    for (let f = load<i32>(at32(lfs, id + 1)) - 2, first = load<i32>(at32(lfs, id)); f >= first; f--) {
      fresh = countKey(load<i32>(at32(keyOfFrame, f)), s, fresh);
      const c = load<i32>(at32(frameCall, f));
      if (c >= 0) {
        store<i32>(call, c);
        call += 4;
      }
    }
  }
  const sampleValues = at64(field(p, VALUES), (s - field(p, WINDOW_SAMPLE)) * t);
  // add() takes the values from these when t is 1, 2 or 4.
  const v0 = load<f64>(sampleValues);
  const v1 = t >= 2 ? load<f64>(sampleValues, 8) : 0;
  const v2 = t >= 3 ? load<f64>(sampleValues, 16) : 0;
  const v3 = t >= 4 ? load<f64>(sampleValues, 24) : 0;
  countCalls(p, s, t, keys, fresh, calls, call, sampleValues, v0, v1, v2, v3);
  add(<usize>field(p, FLAT) + <usize>load<i32>(at32(leaf, entry(leafEntry, wide))) * (<usize>t << 3), sampleValues, t, v0, v1, v2, v3);
}

/**
 * Counts samples [start, end) with t values each (a constant where the caller passes one). Returns the next
 * sample to count: end when done, earlier when the edge tables might not hold the next sample's new edges (JS
 * grows them and calls again from there).
 */
@inline function countSamples(p: usize, start: i32, end: i32, t: i32, wide: bool): i32 {
  const sampleStart = field(p, SAMPLE_START);
  const width: usize = wide ? 2 : 1; // log2 of a stack entry's bytes
  const stack = <usize>field(p, SAMPLE_LOCATIONS) - (<usize>field(p, WINDOW_ENTRY) << width);
  const values = field(p, VALUES);
  const location = <usize>field(p, LOCATION);
  const leaf = field(p, LEAF);
  const flat = <usize>field(p, FLAT);
  const totals = <usize>field(p, TOTALS);
  const keys = <usize>field(p, KEYS);
  const calls = <usize>field(p, CALLS);
  // At most one new edge per location of a sample (its direct call): room for them, the hash table at most half full.
  const capacity = min(field(p, EDGE_CAPACITY), (field(p, HASH_MASK) + 1) >> 1);
  const windowSample = field(p, WINDOW_SAMPLE);
  const stride = <usize>t << 3;
  const unrolled = t == 1 || t == 2 || t == 4;
  for (let s = start; s < end; s++) {
    const first = load<i32>(at32(sampleStart, s));
    const after = load<i32>(at32(sampleStart, s + 1));
    if (field(p, EDGE_COUNT) + (after - first) > capacity) return s;
    const sampleValues = at64(values, (s - windowSample) * t);
    let v0: f64 = 0;
    let v1: f64 = 0;
    let v2: f64 = 0;
    let v3: f64 = 0;
    if (unrolled) {
      v0 = load<f64>(sampleValues);
      if (t >= 2) v1 = load<f64>(sampleValues, 8);
      if (t == 4) {
        v2 = load<f64>(sampleValues, 16);
        v3 = load<f64>(sampleValues, 24);
      }
      store<f64>(totals, load<f64>(totals) + abs(v0));
      if (t >= 2) store<f64>(totals, load<f64>(totals, 8) + abs(v1), 8);
      if (t == 4) {
        store<f64>(totals, load<f64>(totals, 16) + abs(v2), 16);
        store<f64>(totals, load<f64>(totals, 24) + abs(v3), 24);
      }
      if (v0 == 0 && v1 == 0 && v2 == 0 && v3 == 0) continue; // pprof skips samples with no value
    } else {
      let zero = true;
      for (let i = 0; i < t; i++) {
        const v = load<f64>(sampleValues + (<usize>i << 3));
        if (v != 0) zero = false;
        const total = totals + (<usize>i << 3);
        store<f64>(total, load<f64>(total) + abs(v));
      }
      if (zero) continue;
    }
    // The walk, root first, with pointers rather than indexes (fewer registers for the compiler to keep): each
    // location's outer key counted, its calls copied whole (as many kept as it has).
    const leafEntry = stack + (<usize>first << width);
    let fresh = keys;
    let call = calls;
    let at = stack + (<usize>(after - 1) << width);
    for (; at >= leafEntry; at -= 1 << width) {
      const record = location + (<usize>entry(at, wide) << 4);
      const callCount = load<i32>(record, CALL_COUNT);
      if (callCount < 0) break; // SLOW_BIT
      fresh = countOuter(load<i32>(record, KEY), s, fresh);
      store<i64>(call, load<i64>(record, CALLS_IN));
      call += <usize>callCount << 2;
    }
    if (at >= leafEntry) {
      countCallingSample(p, s, at, fresh, call);
      continue;
    }
    countCalls(p, s, t, keys, fresh, calls, call, sampleValues, v0, v1, v2, v3);
    if (after > first) add(flat + <usize>load<i32>(at32(leaf, entry(leafEntry, wide))) * stride, sampleValues, t, v0, v1, v2, v3);
  }
  return end;
}

// countFrames for any number of values per sample, and compiled for the usual numbers (JS picks).
export function countFrames(p: usize, start: i32, end: i32): i32 {
  const t = field(p, T);
  return field(p, WIDE) == 1 ? countSamples(p, start, end, t, true) : countSamples(p, start, end, t, false);
}

export function countFrames1(p: usize, start: i32, end: i32): i32 {
  return field(p, WIDE) == 1 ? countSamples(p, start, end, 1, true) : countSamples(p, start, end, 1, false);
}

export function countFrames2(p: usize, start: i32, end: i32): i32 {
  return field(p, WIDE) == 1 ? countSamples(p, start, end, 2, true) : countSamples(p, start, end, 2, false);
}

export function countFrames4(p: usize, start: i32, end: i32): i32 {
  return field(p, WIDE) == 1 ? countSamples(p, start, end, 4, true) : countSamples(p, start, end, 4, false);
}
