import { ProfileData, sharedFloat64, sharedInt32, sharedUint8 } from '../profile/profile-data';

/**
 * The call paths many samples share, as a trie of node keys from the root (from the leaf when inverted): the trunk
 * of a Go server's stacks (runtime.main, the framework's levels, the hot paths below them) that every sample
 * repeats. A flame graph cut takes the samples of a trie node together, as one, instead of each sample on its own
 * at every level of the trunk: on a deep 1M-sample profile that is nearly all of the work.
 *
 * Which paths are in it decides only how fast a cut is, never what it finds: the paths shared by two or more of an
 * evenly spread subset of the samples (SUBSET of them), every sample then walked down it as far as it goes. The
 * samples are grouped by where they leave it: at a node, by their next key, or ending there. A group of leavers is taken as one too, until it is split; then its samples are read on their own.
 */
export interface StackTrie {
  /** Per node: its parent (-1 for the root, node 0), key (-1 for the root), and depth in keys. Parents come first. */
  parent: Int32Array;
  key: Int32Array;
  depth: Int32Array;
  /** Children of node t: child[childStart[t] .. childStart[t + 1]). */
  childStart: Int32Array;
  child: Int32Array;
  /** Per group: its node and next key (-1: the group of the samples that end at the node). */
  groupNode: Int32Array;
  groupKey: Int32Array;
  /** Per node: its group of samples that end there, or -1; its groups of leavers, leaving[leavingStart[t] .. leavingStart[t + 1]). */
  endGroup: Int32Array;
  leavingStart: Int32Array;
  leaving: Int32Array;
  /** Per sample: its group, -1 for a sample with no frame; 1 when it leaves by its last key, 2 when it ends at its node. */
  groupOf: Int32Array;
  lastOf: Uint8Array;
  /** The samples of group g, in sample order: member[memberStart[g] .. memberStart[g + 1]). */
  memberStart: Int32Array;
  member: Int32Array;
  /**
   * Per sample type t and node n, at 4 * (t * nodes + n): the value of the samples below the node (itself
   * included) and how many of them have a value, then the same of those that end at it. Read by every cut.
   */
  nodeSums: Float64Array;
}

/** Samples whose paths are put in the trie before it is pruned to the shared ones. */
const SUBSET = 4096;
/**
 * The most nodes one sample of the subset adds: its path below what the others made is its own unless a later one
 * shares it, and it is the shared part that is kept; this bounds the building by the subset, not its depth.
 */
const NEW_NODES = 16;

/**
 * keys: per location, its keys in stack order (root first, or leaf first when inverted), locationKeys[locationKeyStart[l] ..].
 * subset: how many samples the trie is made from (a test makes it small, so that most samples leave it in groups).
 */
export function stackTrie(data: ProfileData, locationKeyStart: Int32Array, locationKeys: Int32Array, inverted: boolean, subset = SUBSET): StackTrie {
  const { sampleStart, sampleLocations } = data;
  const n = sampleStart.length - 1;
  const step = inverted ? 1 : -1;

  // The subset's paths, each node counting the subset samples through it.
  const subsetIndex = new PairIndex();
  const parents: number[] = [-1];
  const keys: number[] = [-1];
  const counts: number[] = [0];
  // Chosen by a hash of their index: samples in an order that follows their paths would alias with a fixed stride.
  const every = Math.max(1, Math.floor(n / subset));
  for (let s = 0; s < n; s++) {
    if (sampleStart[s] === sampleStart[s + 1] || (every > 1 && mix(s) % every !== 0)) continue;
    let t = 0;
    let added = 0;
    const first = inverted ? sampleStart[s] : sampleStart[s + 1] - 1;
    const end = (inverted ? sampleStart[s + 1] - 1 : sampleStart[s]) + step;
    path: for (let p = first; p !== end; p += step) {
      const location = sampleLocations[p];
      for (let g = locationKeyStart[location]; g < locationKeyStart[location + 1]; g++) {
        const k = locationKeys[g];
        let c = subsetIndex.get(t, k);
        if (c < 0) {
          if (added++ === NEW_NODES) break path;
          c = parents.length;
          parents.push(t);
          keys.push(k);
          counts.push(0);
          subsetIndex.set(t, k, c);
        }
        counts[c]++;
        t = c;
      }
    }
  }

  // Kept: the root and the nodes two or more of the subset share (their parents are shared too).
  const renumber = new Int32Array(parents.length).fill(-1);
  let size = 0;
  for (let t = 0; t < parents.length; t++) if (t === 0 || counts[t] >= 2) renumber[t] = size++;
  const parent = sharedInt32(size);
  const key = sharedInt32(size);
  const depth = sharedInt32(size);
  const index = new PairIndex();
  parent[0] = -1;
  key[0] = -1;
  for (let t = 1; t < parents.length; t++) {
    const to = renumber[t];
    if (to < 0) continue;
    key[to] = keys[t];
    parent[to] = renumber[parents[t]];
    depth[to] = depth[parent[to]] + 1;
    index.set(parent[to], keys[t], to);
  }
  const { start: childStart, list: child } = byKey(parent, 1, size);

  // Every sample, as far down as it goes, and the key it leaves by (-1: its stack ends at that node), side by side.
  const childKey = new Int32Array(child.length);
  for (let x = 0; x < child.length; x++) childKey[x] = key[child[x]];
  const leaves = new Int32Array(2 * n);
  const lastOf = sharedUint8(n);
  const leaversOf = new Int32Array(size + 1);
  for (let s = 0; s < n; s++) {
    if (sampleStart[s] === sampleStart[s + 1]) {
      leaves[2 * s] = -1;
      continue;
    }
    let p = inverted ? sampleStart[s] : sampleStart[s + 1] - 1;
    const last = inverted ? sampleStart[s + 1] - 1 : sampleStart[s];
    let location = sampleLocations[p];
    let g = locationKeyStart[location];
    let e = locationKeyStart[location + 1];
    let t = 0;
    let leave = -1;
    for (;;) {
      if (g === e) {
        if (p === last) break;
        p += step;
        location = sampleLocations[p];
        g = locationKeyStart[location];
        e = locationKeyStart[location + 1];
      }
      const k = locationKeys[g++];
      // Most nodes have a few children: looked through; the hash for the others.
      let c = -1;
      const from = childStart[t];
      const to = childStart[t + 1];
      if (to - from <= 4) {
        for (let x = from; x < to; x++) {
          if (childKey[x] === k) {
            c = child[x];
            break;
          }
        }
      } else c = index.get(t, k);
      if (c < 0) {
        leave = k;
        if (g === e && p === last) lastOf[s] = 1;
        break;
      }
      t = c;
    }
    if (leave < 0) lastOf[s] = 2;
    leaves[2 * s] = t;
    leaves[2 * s + 1] = leave;
    leaversOf[t + 1]++;
  }

  // The groups: by node (a counting sort, the key carried along), then by key within a node.
  for (let t = 0; t < size; t++) leaversOf[t + 1] += leaversOf[t];
  const sorted = new Int32Array(2 * leaversOf[size]);
  const place = leaversOf.slice(0, size);
  for (let s = 0; s < n; s++) {
    const t = leaves[2 * s];
    if (t < 0) continue;
    const at = 2 * place[t]++;
    sorted[at] = s;
    sorted[at + 1] = leaves[2 * s + 1];
  }
  let keyCount = 2;
  for (let g = 0; g < locationKeys.length; g++) if (locationKeys[g] + 2 > keyCount) keyCount = locationKeys[g] + 2;
  const stamp = new Int32Array(keyCount).fill(-1);
  const idOfKey = new Int32Array(keyCount);
  const groupOf = sharedInt32(n).fill(-1);
  // At most one group per sample; each group's first sample (a node's samples are met in order).
  const found = { node: new Int32Array(n), key: new Int32Array(n), first: new Int32Array(n) };
  let groups = 0;
  for (let t = 0; t < size; t++) {
    for (let x = leaversOf[t]; x < leaversOf[t + 1]; x++) {
      const s = sorted[2 * x];
      const code = sorted[2 * x + 1] + 1;
      if (stamp[code] !== t) {
        stamp[code] = t;
        idOfKey[code] = groups;
        found.node[groups] = t;
        found.key[groups] = code - 1;
        found.first[groups] = s;
        groups++;
      }
      groupOf[s] = idOfKey[code];
    }
  }
  // Numbered again in the order of their first samples: a pass over the samples then meets its groups nearly in
  // order (most deep samples leave by a group of their own), which a cut's per-group sums rely on to be fast.
  const firstOf = new Int32Array(n).fill(-1);
  for (let g = 0; g < groups; g++) firstOf[found.first[g]] = g;
  const renumbered = new Int32Array(groups);
  for (let s = 0, next = 0; s < n; s++) if (firstOf[s] >= 0) renumbered[firstOf[s]] = next++;
  const groupNode = sharedInt32(groups);
  const groupKey = sharedInt32(groups);
  for (let g = 0; g < groups; g++) {
    groupNode[renumbered[g]] = found.node[g];
    groupKey[renumbered[g]] = found.key[g];
  }
  const memberStart = sharedInt32(groups + 1);
  for (let s = 0; s < n; s++) {
    if (groupOf[s] < 0) continue;
    groupOf[s] = renumbered[groupOf[s]];
    memberStart[groupOf[s] + 1]++;
  }
  for (let g = 0; g < groups; g++) memberStart[g + 1] += memberStart[g];
  const member = sharedInt32(memberStart[groups]);
  const fill = memberStart.slice(0, groups);
  for (let s = 0; s < n; s++) if (groupOf[s] >= 0) member[fill[groupOf[s]]++] = s;
  const endGroup = sharedInt32(size).fill(-1);
  const leavingStart = sharedInt32(size + 1);
  for (let g = 0; g < groups; g++) {
    if (groupKey[g] < 0) endGroup[groupNode[g]] = g;
    else leavingStart[groupNode[g] + 1]++;
  }
  for (let t = 0; t < size; t++) leavingStart[t + 1] += leavingStart[t];
  const leaving = sharedInt32(leavingStart[size]);
  const leavingFill = leavingStart.slice(0, size);
  for (let g = 0; g < groups; g++) if (groupKey[g] >= 0) leaving[leavingFill[groupNode[g]]++] = g;
  return { parent, key, depth, childStart, child, groupNode, groupKey, endGroup, leavingStart, leaving, groupOf, lastOf, memberStart, member, nodeSums: sumNodes(data, parent, groupNode, groupOf, lastOf) };
}

function sumNodes(data: ProfileData, parent: Int32Array, groupNode: Int32Array, groupOf: Int32Array, lastOf: Uint8Array): Float64Array {
  const T = data.sampleTypes.length;
  const size = parent.length;
  const sums = sharedFloat64(4 * T * size);
  const { values } = data;
  for (let s = 0; s < groupOf.length; s++) {
    if (groupOf[s] < 0) continue;
    const t0 = groupNode[groupOf[s]];
    const ends = lastOf[s] === 2;
    for (let t = 0; t < T; t++) {
      const v = values[s * T + t];
      if (v === 0) continue;
      const at = 4 * (t * size + t0);
      sums[at] += v;
      sums[at + 1]++;
      if (ends) {
        sums[at + 2] += v;
        sums[at + 3]++;
      }
    }
  }
  for (let t = 0; t < T; t++) {
    for (let n = size - 1; n > 0; n--) {
      const at = 4 * (t * size + n);
      const up = 4 * (t * size + parent[n]);
      sums[up] += sums[at];
      sums[up + 1] += sums[at + 1];
    }
  }
  return sums;
}

/** The indices i from `from` on with keys[i] >= 0, grouped by key (in index order within a key), as CSR. */
function byKey(keys: Int32Array, from: number, size: number): { start: Int32Array; list: Int32Array } {
  const start = sharedInt32(size + 1);
  let total = 0;
  for (let i = from; i < keys.length; i++) {
    if (keys[i] < 0) continue;
    start[keys[i] + 1]++;
    total++;
  }
  for (let t = 0; t < size; t++) start[t + 1] += start[t];
  const list = sharedInt32(total);
  const fill = start.slice(0, size);
  for (let i = from; i < keys.length; i++) if (keys[i] >= 0) list[fill[keys[i]]++] = i;
  return { start, list };
}

/** (a, b) -> value >= 0, open addressing, each entry's three numbers side by side (one cache line a probe). */
class PairIndex {
  private count = 0;
  private entries = new Int32Array(3 << 10).fill(-1);
  private mask = (1 << 10) - 1;

  get(a: number, b: number): number {
    const { entries, mask } = this;
    for (let at = pairHash(a, b) & mask; ; at = (at + 1) & mask) {
      const v = entries[3 * at + 2];
      if (v < 0 || (entries[3 * at] === a && entries[3 * at + 1] === b)) return v;
    }
  }

  set(a: number, b: number, v: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const { entries, mask } = this;
    let at = pairHash(a, b) & mask;
    while (entries[3 * at + 2] >= 0 && !(entries[3 * at] === a && entries[3 * at + 1] === b)) at = (at + 1) & mask;
    if (entries[3 * at + 2] < 0) this.count++;
    entries[3 * at] = a;
    entries[3 * at + 1] = b;
    entries[3 * at + 2] = v;
  }

  private grow(): void {
    const old = this.entries;
    const size = (this.mask + 1) * 2;
    this.entries = new Int32Array(3 * size).fill(-1);
    this.mask = size - 1;
    this.count = 0;
    for (let at = 0; at < old.length; at += 3) if (old[at + 2] >= 0) this.set(old[at], old[at + 1], old[at + 2]);
  }
}

function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function pairHash(a: number, b: number): number {
  return Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 2, 0x85ebca77);
}
