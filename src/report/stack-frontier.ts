import { ProfileData } from '../profile/profile-data';
import { FlameStacks, KeyStacks, LocationStacks } from './flame-stacks';

/**
 * The stacks a flame graph cut follows below the zoomed frame, one level (depth) at a time and all of them together:
 * they stay in their own order, so each level is one forward sweep over memory. (Splitting them by frame depth
 * first read each one's next key from wherever it lay: a cache and TLB miss per frame per level, which on a deep
 * 1M-sample profile cost seconds.) Each stack followed has a weight (its value), a tag (the node it is under) and
 * a reading position; a level is counted into a ChildTable, then advanced, keeping the stacks whose child is split
 * further. Stacks read in place take their shared trunk together (a trie node or a group of samples stands for all
 * of them), so values are added up in another order than one stack after another: the same sums, as pprof's values
 * are integers (int64), and sums of integers below 2^53 are exact in any order (test/flame-cut.test.ts holds the
 * answers equal to the depth-first cut's).
 */
export interface Frontier {
  /** How many stacks are followed. */
  readonly n: number;
  /**
   * The zoom path's frames (keys): per number m of leading frames a stack follows, how many stacks, their value
   * and the value of those that end there; then the frontier holds the stacks that follow them all (tag 0),
   * positioned after them.
   */
  follow(path: number[]): { count: Float64Array; valueAt: Float64Array; selfAt: Float64Array };
  /** Again, keeping only the stacks that follow the first `depth` frames of the path (a stale path's zoom). */
  refollow(path: number[], depth: number): void;
  /** Adds each stack's next key to the table under its tag: slot and value, and self when it is the stack's last. */
  count(children: ChildTable): void;
  /** Keeps the stacks whose slot the table placed into a node (tagged with it) and that go on, one key further. */
  advance(children: ChildTable): void;
  /** Says how narrow a child is left out (no node, nothing followed below it), when the frontier can tell before counting. */
  narrowerThan(minValue: number): void;
}

export function frontierOf(data: ProfileData, stacks: FlameStacks, sampleIndex: number): Frontier {
  return stacks.form === 'keys' ? new KeyFrontier(data, stacks, sampleIndex) : new LocationFrontier(data, stacks, sampleIndex);
}

/**
 * One level's children: a slot per (node, key) met, with the value of its stacks and of those that end there, in
 * an open-addressing table that grows as needed (a level of the trunk has a few, one where stacks spread out,
 * up to one per stack). slotOf() holds each followed stack's slot at this level; `into`, set by the cut, the node
 * a slot's stacks are followed into (-1: not followed).
 */
export class ChildTable {
  count = 0;
  parent: Int32Array;
  key: Int32Array;
  sum: Float64Array;
  self: Float64Array;
  into: Int32Array;
  private slots: Int32Array;
  private table = new Int32Array(1 << 10).fill(-1);
  private mask = (1 << 10) - 1;

  constructor() {
    this.slots = new Int32Array(1 << 10);
    const size = 1 << 9;
    this.parent = new Int32Array(size);
    this.key = new Int32Array(size);
    this.sum = new Float64Array(size);
    this.self = new Float64Array(size);
    this.into = new Int32Array(size);
  }

  clear(): void {
    if (this.count > 0) this.table.fill(-1);
    this.count = 0;
  }

  /** Room for the slot of each of n stacks followed on their own (slotOf[j] is stack j's). */
  slotOf(n: number): Int32Array {
    if (this.slots.length < n) this.slots = new Int32Array(Math.max(n, 2 * this.slots.length));
    return this.slots;
  }

  slot(parent: number, key: number): number {
    const { table, mask } = this;
    let at = hash(parent, key) & mask;
    for (;;) {
      const s = table[at];
      if (s < 0) break;
      if (this.key[s] === key && this.parent[s] === parent) return s;
      at = (at + 1) & mask;
    }
    const s = this.count++;
    if (s === this.parent.length) this.growSlots();
    table[at] = s;
    this.parent[s] = parent;
    this.key[s] = key;
    this.sum[s] = 0;
    this.self[s] = 0;
    if (this.count * 2 > table.length) this.grow();
    return s;
  }

  private growSlots(): void {
    const size = this.parent.length * 2;
    const grown = <A extends Int32Array | Float64Array>(from: A, to: A): A => (to.set(from), to);
    this.parent = grown(this.parent, new Int32Array(size));
    this.key = grown(this.key, new Int32Array(size));
    this.sum = grown(this.sum, new Float64Array(size));
    this.self = grown(this.self, new Float64Array(size));
    this.into = new Int32Array(size);
  }

  private grow(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let s = 0; s < this.count; s++) {
      let at = hash(this.parent[s], this.key[s]) & mask;
      while (table[at] >= 0) at = (at + 1) & mask;
      table[at] = s;
    }
    this.table = table;
    this.mask = mask;
  }
}

function hash(parent: number, key: number): number {
  return Math.imul(parent, 0x9e3779b1) ^ Math.imul(key + 1, 0x85ebca77);
}

/** Stacks written out as keys: a stack's position is the index of its next key in keys, up to its end. */
class KeyFrontier implements Frontier {
  n = 0;
  private readonly weight: Float64Array;

  private readonly tag: Int32Array;
  private readonly at: Int32Array;
  private readonly end: Int32Array;

  constructor(
    private readonly data: ProfileData,
    private readonly stacks: KeyStacks,
    private readonly sampleIndex: number,
  ) {
    const count = stacks.sample.length;
    this.weight = new Float64Array(count);
    this.tag = new Int32Array(count);
    this.at = new Int32Array(count);
    this.end = new Int32Array(count);
  }

  follow(path: number[]): { count: Float64Array; valueAt: Float64Array; selfAt: Float64Array } {
    const L = path.length;
    const count = new Float64Array(L + 1);
    const valueAt = new Float64Array(L + 1);
    const selfAt = new Float64Array(L + 1);
    const { values } = this.data;
    const T = this.data.sampleTypes.length;
    const t = this.sampleIndex;
    const { sample, start, keys } = this.stacks;
    const { weight, tag, at, end } = this;
    let n = 0;
    for (let i = 0; i < sample.length; i++) {
      const v = values[sample[i] * T + t];
      if (v === 0) continue;
      const from = start[i];
      const to = start[i + 1];
      const limit = to - from < L ? to - from : L;
      let m = 0;
      while (m < limit && keys[from + m] === path[m]) m++;
      count[m]++;
      valueAt[m] += v;
      if (m === to - from) selfAt[m] += v; // the stack ends there
      if (m === L && from + L < to) {
        weight[n] = v;
        tag[n] = 0;
        at[n] = from + L;
        end[n] = to;
        n++;
      }
    }
    this.n = n;
    return { count, valueAt, selfAt };
  }

  refollow(path: number[], depth: number): void {
    this.follow(path.slice(0, depth));
  }

  narrowerThan(): void {}

  count(children: ChildTable): void {
    const { keys } = this.stacks;
    const { weight, tag, at, end } = this;
    const slotOf = children.slotOf(this.n);
    let { sum, self } = children;
    let lastParent = -1;
    let lastKey = -1;
    let lastSlot = -1;
    for (let j = 0; j < this.n; j++) {
      const g = at[j];
      const k = keys[g];
      const p = tag[j];
      if (p !== lastParent || k !== lastKey) {
        lastSlot = children.slot(p, k);
        lastParent = p;
        lastKey = k;
        ({ sum, self } = children);
      }
      const w = weight[j];
      sum[lastSlot] += w;
      if (g + 1 === end[j]) self[lastSlot] += w;
      slotOf[j] = lastSlot;
    }
  }

  advance(children: ChildTable): void {
    const { weight, tag, at, end } = this;
    const { into } = children;
    const slotOf = children.slotOf(this.n);
    let kept = 0;
    for (let j = 0; j < this.n; j++) {
      const node = into[slotOf[j]];
      const g = at[j] + 1;
      if (node < 0 || g === end[j]) continue;
      weight[kept] = weight[j];
      tag[kept] = node;
      at[kept] = g;
      end[kept] = end[j];
      kept++;
    }
    this.n = kept;
  }
}

/**
 * Stacks read in place from the profile (stack i is sample i, its locations leaf first), their shared trunk taken
 * together through the stacks' trie (stack-trie.ts): an item of the frontier is a trie node (every sample below
 * it), a group of samples that leave the trie at one node by one key (all of them, as long as the group is not
 * split), or a sample on its own: its position (an index into data.sampleLocations), the index of its next key
 * among that location's keys (up to the location's last) and the position of its last location.
 */
class LocationFrontier implements Frontier {
  /** Trie nodes and leaving groups, in two sets each: a level's are read from one and the next level's written to the other. */
  private nodes = new Items();
  private nextNodes = new Items();
  private groups = new Items();
  private nextGroups = new Items();
  private stacksFollowed = 0;
  private weight = new Float64Array(1 << 10);
  private tag = new Int32Array(1 << 10);
  private position = new Int32Array(1 << 10);
  private at = new Int32Array(1 << 10);
  private end = new Int32Array(1 << 10);
  private bound = new Int32Array(1 << 10);
  /** For this sample type, per trie node: the value of the samples below it and how many, and of those that end at it (StackTrie.nodeSums). */
  private readonly below: Float64Array;
  private readonly countBelow: Float64Array;
  private readonly ending: Float64Array;
  private readonly countEnding: Float64Array;
  /**
   * Per group g, once its node's groups are needed (groupsKnown): [4g] its value, [4g + 1] how many, [4g + 2] and
   * [4g + 3] the same of those that leave by their last key. Summed from the group's samples; for a node with many
   * below it, all groups at once in one pass over the samples (allGroupsKnown).
   */
  private readonly groupStats: Float64Array;
  private readonly groupsKnown: Uint8Array;
  /** Per trie node whose groups are known: the largest |value| of them, so that a node of narrow groups alone is passed over. */
  private readonly widestGroup: Float64Array;
  private allGroupsKnown = false;
  /** Items narrower than this are left out: they are children of their own (see wide()). */
  private minValue = 0;
  private readonly step: number;
  private readonly T: number;

  constructor(
    private readonly data: ProfileData,
    private readonly stacks: LocationStacks,
    private readonly sampleIndex: number,
  ) {
    this.step = stacks.inverted ? 1 : -1;
    this.T = data.sampleTypes.length;
    const { trie } = stacks;
    const size = trie.parent.length;
    const sums = trie.nodeSums.subarray(4 * sampleIndex * size, 4 * (sampleIndex + 1) * size);
    this.below = new Float64Array(size);
    this.countBelow = new Float64Array(size);
    this.ending = new Float64Array(size);
    this.countEnding = new Float64Array(size);
    for (let t = 0; t < size; t++) {
      this.below[t] = sums[4 * t];
      this.countBelow[t] = sums[4 * t + 1];
      this.ending[t] = sums[4 * t + 2];
      this.countEnding[t] = sums[4 * t + 3];
    }
    this.groupStats = new Float64Array(4 * trie.groupNode.length);
    this.groupsKnown = new Uint8Array(size);
    this.widestGroup = new Float64Array(size);
  }

  get n(): number {
    return this.nodes.count + this.groups.count + this.stacksFollowed;
  }

  /** Sums the groups of node t (its samples that leave it), if not yet. */
  private knowGroups(t: number): void {
    if (this.allGroupsKnown || this.groupsKnown[t] === 1) return;
    const { trie } = this.stacks;
    const samples = trie.groupOf.length;
    if (this.countBelow[t] * 4 > samples) {
      this.knowAllGroups();
      return;
    }
    this.groupsKnown[t] = 1;
    const { values } = this.data;
    const { member, memberStart, lastOf } = trie;
    const stats = this.groupStats;
    const T = this.T;
    for (let x = trie.leavingStart[t]; x < trie.leavingStart[t + 1]; x++) {
      const g = trie.leaving[x];
      for (let y = memberStart[g]; y < memberStart[g + 1]; y++) {
        const s = member[y];
        const v = values[s * T + this.sampleIndex];
        if (v === 0) continue;
        stats[4 * g] += v;
        stats[4 * g + 1]++;
        if (lastOf[s] === 1) {
          stats[4 * g + 2] += v;
          stats[4 * g + 3]++;
        }
      }
      if (Math.abs(stats[4 * g]) > this.widestGroup[t]) this.widestGroup[t] = Math.abs(stats[4 * g]);
    }
  }

  private knowAllGroups(): void {
    const { trie } = this.stacks;
    const { values } = this.data;
    const { groupOf, groupKey, lastOf } = trie;
    const stats = this.groupStats;
    const T = this.T;
    stats.fill(0);
    for (let s = 0; s < groupOf.length; s++) {
      const g = groupOf[s];
      const v = values[s * T + this.sampleIndex];
      if (g < 0 || v === 0 || groupKey[g] < 0) continue;
      stats[4 * g] += v;
      stats[4 * g + 1]++;
      if (lastOf[s] === 1) {
        stats[4 * g + 2] += v;
        stats[4 * g + 3]++;
      }
    }
    const widest = this.widestGroup;
    widest.fill(0);
    for (let g = 0; g < trie.groupNode.length; g++) {
      const t = trie.groupNode[g];
      if (Math.abs(stats[4 * g]) > widest[t]) widest[t] = Math.abs(stats[4 * g]);
    }
    this.allGroupsKnown = true;
  }

  /**
   * Walks the trie down the path. At a node of it (all of whose samples follow its depth m of the path's frames),
   * the samples that end there stop at m; of the others, those that go on along the path are those of its child
   * by the path's next frame, or of its group that leaves by it (each then followed on its own); the rest stop at m.
   * Past the path's end, everything below is under the zoomed frame.
   */
  follow(path: number[]): { count: Float64Array; valueAt: Float64Array; selfAt: Float64Array } {
    const L = path.length;
    const count = new Float64Array(L + 1);
    const valueAt = new Float64Array(L + 1);
    const selfAt = new Float64Array(L + 1);
    const { trie } = this.stacks;
    const { below, countBelow, ending, countEnding, groupStats } = this;
    this.nodes.count = 0;
    this.groups.count = 0;
    this.stacksFollowed = 0;
    if (countBelow[0] === 0) return { count, valueAt, selfAt };
    for (let t = 0; ; ) {
      const m = trie.depth[t];
      count[m] += countEnding[t];
      valueAt[m] += ending[t];
      selfAt[m] += ending[t];
      let restCount = countBelow[t] - countEnding[t];
      let restValue = below[t] - ending[t];
      if (m === L) {
        count[L] += restCount;
        valueAt[L] += restValue;
        for (let c = trie.childStart[t]; c < trie.childStart[t + 1]; c++) {
          const child = trie.child[c];
          if (countBelow[child] > 0) this.nodes.add(child, 0);
        }
        this.knowGroups(t);
        for (let x = trie.leavingStart[t]; x < trie.leavingStart[t + 1]; x++) {
          const g = trie.leaving[x];
          if (groupStats[4 * g + 1] > 0) this.groups.add(g, 0);
        }
        break;
      }
      let next = -1;
      for (let c = trie.childStart[t]; c < trie.childStart[t + 1]; c++) {
        const child = trie.child[c];
        if (trie.key[child] === path[m] && countBelow[child] > 0) next = child;
      }
      if (next >= 0) {
        count[m] += restCount - countBelow[next];
        valueAt[m] += restValue - below[next];
        t = next;
        continue;
      }
      for (let x = trie.leavingStart[t]; x < trie.leavingStart[t + 1]; x++) {
        const g = trie.leaving[x];
        if (trie.groupKey[g] !== path[m]) continue;
        // The group that goes on along the path: those whose last key it is end there, the others go on alone.
        const { values } = this.data;
        for (let y = trie.memberStart[g]; y < trie.memberStart[g + 1]; y++) {
          const s = trie.member[y];
          const v = values[s * this.T + this.sampleIndex];
          if (v === 0) continue;
          restCount--;
          restValue -= v;
          if (trie.lastOf[s] === 1) {
            count[m + 1]++;
            valueAt[m + 1] += v;
            selfAt[m + 1] += v;
          } else this.followStack(s, v, m + 1, path, count, valueAt, selfAt);
        }
        break;
      }
      count[m] += restCount;
      valueAt[m] += restValue;
      break;
    }
    return { count, valueAt, selfAt };
  }

  /** A sample whose first `from` keys follow the path and which has more: the rest of the path, key by key. */
  private followStack(s: number, v: number, from: number, path: number[], count: Float64Array, valueAt: Float64Array, selfAt: Float64Array): void {
    const { sampleLocations } = this.data;
    const { locationKeyStart, locationKeys } = this.stacks;
    const L = path.length;
    const step = this.step;
    const last = this.place(s, from);
    let { p, g, e } = this.placed;
    let m = from;
    for (;;) {
      if (g === e) {
        if (p === last) break;
        p += step;
        const location = sampleLocations[p];
        g = locationKeyStart[location];
        e = locationKeyStart[location + 1];
      }
      if (m === L || locationKeys[g] !== path[m]) break;
      m++;
      g++;
    }
    const ended = g === e && p === last;
    count[m]++;
    valueAt[m] += v;
    if (ended) selfAt[m] += v;
    if (m === L && !ended) this.addStack(v, 0, p, g, e, last);
  }

  private readonly placed = { p: 0, g: 0, e: 0 };

  /** Sets `placed` to sample s's reading position after its first `keys` keys (it has more); returns its last location's position. */
  private place(s: number, keys: number): number {
    const { sampleStart, sampleLocations } = this.data;
    const { locationKeyStart } = this.stacks;
    const inverted = this.stacks.inverted;
    let p = inverted ? sampleStart[s] : sampleStart[s + 1] - 1;
    let location = sampleLocations[p];
    let g = locationKeyStart[location];
    let e = locationKeyStart[location + 1];
    for (let left = keys; ; ) {
      if (left < e - g) {
        g += left;
        break;
      }
      left -= e - g;
      p += this.step;
      location = sampleLocations[p];
      g = locationKeyStart[location];
      e = locationKeyStart[location + 1];
    }
    this.placed.p = p;
    this.placed.g = g;
    this.placed.e = e;
    return inverted ? sampleStart[s + 1] - 1 : sampleStart[s];
  }

  refollow(path: number[], depth: number): void {
    this.follow(path.slice(0, depth));
  }

  private addStack(v: number, tag: number, p: number, g: number, e: number, last: number): void {
    if (this.stacksFollowed === this.weight.length) this.growStacks();
    const j = this.stacksFollowed++;
    this.weight[j] = v;
    this.tag[j] = tag;
    this.position[j] = p;
    this.at[j] = g;
    this.end[j] = e;
    this.bound[j] = last;
  }

  private growStacks(): void {
    const size = 2 * this.weight.length;
    const grown = <A extends Int32Array | Float64Array>(from: A, to: A): A => (to.set(from), to);
    this.weight = grown(this.weight, new Float64Array(size));
    this.tag = grown(this.tag, new Int32Array(size));
    this.position = grown(this.position, new Int32Array(size));
    this.at = grown(this.at, new Int32Array(size));
    this.end = grown(this.end, new Int32Array(size));
    this.bound = grown(this.bound, new Int32Array(size));
  }

  /**
   * A trie node's or a group's slot has no other item in it (its key is its own under its parent, and stacks
   * followed on their own are under nodes the trie does not have), so one narrower than minValue is left out: it
   * would be no node, and nothing would be followed below it.
   */
  narrowerThan(minValue: number): void {
    this.minValue = minValue;
  }

  private wide(value: number): boolean {
    return value !== 0 && Math.abs(value) >= this.minValue;
  }

  count(children: ChildTable): void {
    const { trie, locationKeys } = this.stacks;
    const { nodes, groups, below, ending, groupStats } = this;
    for (let j = 0; j < nodes.count; j++) {
      const t = nodes.item[j];
      if (!this.wide(below[t])) {
        nodes.slot[j] = -1;
        continue;
      }
      const s = children.slot(nodes.tag[j], trie.key[t]);
      children.sum[s] += below[t];
      children.self[s] += ending[t];
      nodes.slot[j] = s;
    }
    for (let j = 0; j < groups.count; j++) {
      const g = groups.item[j];
      if (!this.wide(groupStats[4 * g])) {
        groups.slot[j] = -1;
        continue;
      }
      const s = children.slot(groups.tag[j], trie.groupKey[g]);
      children.sum[s] += groupStats[4 * g];
      children.self[s] += groupStats[4 * g + 2];
      groups.slot[j] = s;
    }
    const slotOf = children.slotOf(this.stacksFollowed);
    let { sum, self } = children;
    const { weight, tag, position, at, end, bound } = this;
    let lastParent = -1;
    let lastKey = -1;
    let lastSlot = -1;
    for (let j = 0; j < this.stacksFollowed; j++) {
      const g = at[j];
      const k = locationKeys[g];
      const p = tag[j];
      if (p !== lastParent || k !== lastKey) {
        lastSlot = children.slot(p, k);
        lastParent = p;
        lastKey = k;
        ({ sum, self } = children);
      }
      const w = weight[j];
      sum[lastSlot] += w;
      if (g + 1 === end[j] && position[j] === bound[j]) self[lastSlot] += w;
      slotOf[j] = lastSlot;
    }
  }

  advance(children: ChildTable): void {
    const { sampleLocations } = this.data;
    const { locationKeyStart, trie } = this.stacks;
    const { weight, tag, position, at, end, bound, step } = this;
    const { into } = children;
    const slotOf = children.slotOf(this.stacksFollowed);
    let kept = 0;
    for (let j = 0; j < this.stacksFollowed; j++) {
      const node = into[slotOf[j]];
      if (node < 0) continue;
      let p = position[j];
      let g = at[j] + 1;
      let e = end[j];
      if (g === e) {
        if (p === bound[j]) continue; // its last key
        p += step;
        const location = sampleLocations[p];
        g = locationKeyStart[location];
        e = locationKeyStart[location + 1];
      }
      weight[kept] = weight[j];
      tag[kept] = node;
      position[kept] = p;
      at[kept] = g;
      end[kept] = e;
      bound[kept] = bound[j];
      kept++;
    }
    this.stacksFollowed = kept;
    const nodes = this.nodes;
    const groups = this.groups;
    this.nodes = this.nextNodes;
    this.nextNodes = nodes;
    this.groups = this.nextGroups;
    this.nextGroups = groups;
    this.nodes.count = 0;
    this.groups.count = 0;
    // A node split goes on as its children and its groups of leavers.
    for (let j = 0; j < nodes.count; j++) {
      const node = nodes.slot[j] < 0 ? -1 : into[nodes.slot[j]];
      if (node < 0) continue;
      const t = nodes.item[j];
      for (let c = trie.childStart[t]; c < trie.childStart[t + 1]; c++) {
        const child = trie.child[c];
        if (this.wide(this.below[child])) this.nodes.add(child, node);
      }
      this.knowGroups(t);
      if (this.widestGroup[t] < this.minValue) continue;
      for (let x = trie.leavingStart[t]; x < trie.leavingStart[t + 1]; x++) {
        const g = trie.leaving[x];
        if (this.wide(this.groupStats[4 * g])) this.groups.add(g, node);
      }
    }
    // A group split goes on as its samples, each on its own.
    const { values } = this.data;
    for (let j = 0; j < groups.count; j++) {
      const node = groups.slot[j] < 0 ? -1 : into[groups.slot[j]];
      if (node < 0) continue;
      const g = groups.item[j];
      const keys = trie.depth[trie.groupNode[g]] + 1;
      for (let y = trie.memberStart[g]; y < trie.memberStart[g + 1]; y++) {
        const s = trie.member[y];
        const v = values[s * this.T + this.sampleIndex];
        if (v === 0 || trie.lastOf[s] === 1) continue;
        const last = this.place(s, keys);
        this.addStack(v, node, this.placed.p, this.placed.g, this.placed.e, last);
      }
    }
  }
}

/** A level's trie nodes or groups: which, its tag, and its slot at this level. */
class Items {
  count = 0;
  item = new Int32Array(1 << 8);
  tag = new Int32Array(1 << 8);
  slot = new Int32Array(1 << 8);

  add(item: number, tag: number): void {
    if (this.count === this.item.length) {
      const size = 2 * this.item.length;
      const grown = (from: Int32Array) => {
        const to = new Int32Array(size);
        to.set(from);
        return to;
      };
      this.item = grown(this.item);
      this.tag = grown(this.tag);
      this.slot = new Int32Array(size);
    }
    this.item[this.count] = item;
    this.tag[this.count] = tag;
    this.count++;
  }
}
