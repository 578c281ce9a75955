import { ProfileData, sampleCount } from '../profile/profile-data';
import { FlameStacks, KeyStacks, keyStacks } from './flame-stacks';
import { ChildTable, Frontier, frontierOf } from './stack-frontier';
import { pprofTotal } from './total';

export interface FlameGraphRequest {
  sampleIndex: number;
  /** Frame names from the root down to the zoomed frame, as the page keeps them in its URL; [] for the root. */
  zoom: string[];
  /**
   * Frames worth less than 1/resolution of the zoomed frame are left out (merged): nobody can see them at this
   * zoom, and zooming further asks again, cutting from every sample. Bounds the answer whatever the profile.
   */
  resolution: number;
}

export const DEFAULT_RESOLUTION = 2048;
export const MAX_RESOLUTION = 65536;
/** A last bound on the answer's size (deep recursion of many wide frames). */
const MAX_NODES = 500_000;

/**
 * The call tree for one sample type, as parallel arrays. Nodes 0 .. zoom are the path from the root to the zoomed
 * frame (whole width: its callers); below the zoomed frame, the subtree down to frames of minValue. A node's value
 * minus its self value minus its children's values is what its left-out children add up to.
 */
export interface FlameGraphData {
  sampleType: string;
  unit: string;
  /** pprof's total of the whole profile; the root's value is what the kept samples add up to (as pprof's flame graph). */
  total: number;
  names: string[];
  /** Per name: its file, and a line in it to show (0: none; see granularity.ts). */
  files: string[];
  lines: number[];
  /** Per node: index of its parent in these arrays (-1 for the root), name index, total and self value. */
  parent: number[];
  name: number[];
  value: number[];
  self: number[];
  /** The node zoomed to: the longest prefix of the requested path that exists. */
  zoom: number;
  /** Children worth less than this were left out. */
  minValue: number;
  /**
   * A diff profile's (pprof's -diff_base): per node, its cum in the new capture and in the base, both positive. Its
   * value is then its width: the new value, plus the base value of what below it exists only in the base (diff/).
   */
  diff?: { newValue: number[]; baseValue: number[] };
}

/**
 * Cuts the flame graph for one zoom from the stacks: the stacks on the zoom path are followed down, level by level,
 * split at each level by their next frame, and only the parts worth at least minValue are followed further. The
 * work is bounded by what is drawn (samples under visible frames), not by the number of call paths in the profile;
 * each level is one sweep over the stacks still followed, in their own order (stack-frontier.ts).
 */
export function flameGraph(
  data: ProfileData,
  stacks: FlameStacks,
  request: FlameGraphRequest,
  /** pprof's total, when the caller has it already (the decode's model): otherwise one more pass over the samples. */
  total = pprofTotal(data, request.sampleIndex),
): FlameGraphData {
  return flameGraphKeyed(data, stacks, request, total).graph;
}

/** flameGraph, with each node's key in the stacks (-1 for the root): what a pass over the stacks needs to find the nodes again. */
export function flameGraphKeyed(data: ProfileData, stacks: FlameStacks, request: FlameGraphRequest, total: number): KeyedFlameGraph {
  const frontier = frontierOf(data, stacks, request.sampleIndex);
  const path = followZoom(frontier, stacks.names, request.zoom);
  const out = new FlameOutput(data, stacks, request.sampleIndex);
  let node = out.add(-1, -1, path.value[0], 0);
  for (let d = 1; d <= path.depth; d++) node = out.add(node, path.keys[d - 1], path.value[d], path.self[d]);
  const zoom = node;
  const minValue = Math.abs(out.value[zoom]) / Math.max(1, Math.min(request.resolution, MAX_RESOLUTION));
  const tree = cutLevels(frontier, minValue);
  if (!tree) {
    // More frames wide enough to draw than an answer holds: the depth-first cut, which stops at MAX_NODES.
    const keyed = stacks.form === 'keys' ? stacks : keyStacks(data, { granularity: stacks.granularity, refine: {}, inverted: stacks.inverted });
    return partitionCutKeyed(data, keyed, request, total);
  }
  tree.emit(out, zoom);
  return { graph: out.result(zoom, minValue, total), keys: out.keys };
}

export interface KeyedFlameGraph {
  graph: FlameGraphData;
  keys: number[];
}

/** The zoom path's frames, and per depth 0 .. depth (0 is the root) the value of the stacks that follow it that far, and that end there. */
interface ZoomedPath {
  keys: number[];
  depth: number;
  value: number[];
  self: number[];
}

/**
 * Resolves the zoom path, leaving the frontier at the stacks under the zoomed frame. The zoom is the longest prefix
 * of the path some stack follows, so a link whose path no longer exists still opens.
 */
function followZoom(frontier: Frontier, names: string[], zoom: string[]): ZoomedPath {
  const keyByName = new Map(names.map((name, key) => [name, key]));
  const keys: number[] = [];
  for (const name of zoom) {
    const key = keyByName.get(name);
    if (key === undefined) break;
    keys.push(key);
  }
  const L = keys.length;
  const { count, valueAt, selfAt } = frontier.follow(keys);
  // A stack that follows m frames of the path is under each of its first m nodes.
  const value = new Array<number>(L + 1);
  let depth = -1;
  for (let d = L, sum = 0, following = 0; d >= 0; d--) {
    sum += valueAt[d];
    following += count[d];
    value[d] = sum;
    if (following > 0 && depth < 0) depth = d;
  }
  depth = Math.max(0, depth);
  // A stale path: the zoom is an earlier frame, so collect the stacks under it instead.
  if (depth < L) frontier.refollow(keys, depth);
  return { keys: keys.slice(0, depth), depth, value: value.slice(0, depth + 1), self: Array.from(selfAt.subarray(0, depth + 1)) };
}

/** The most nodes a level-by-level cut builds before it leaves the answer to the depth-first one, which stops at MAX_NODES. */
const LEVEL_CUT_BUDGET = 2 * MAX_NODES;

/**
 * Below the zoomed frame (node 0 here), every frame worth at least minValue, found level by level: at each level,
 * the stacks followed are split by their key per node, the children worth minValue become nodes, and the stacks
 * under those of them that are to be split further (the rest of their value is minValue or more) are followed on.
 * Undefined when the tree outgrows LEVEL_CUT_BUDGET.
 */
function cutLevels(frontier: Frontier, minValue: number): LevelTree | undefined {
  const tree = new LevelTree();
  const children = new ChildTable();
  frontier.narrowerThan(minValue);
  while (frontier.n > 0) {
    children.clear();
    frontier.count(children);
    placeWide(children, minValue, tree);
    if (tree.count > LEVEL_CUT_BUDGET) return undefined;
    frontier.advance(children);
  }
  return tree;
}

/**
 * The children of a level worth minValue become nodes of the tree, by node, each node's heaviest first (then by
 * key), as partitionCut's split orders them; a slot's `into` is the node its stacks are followed into, or -1.
 */
function placeWide(children: ChildTable, minValue: number, tree: LevelTree): void {
  const { parent, key, sum, self, into } = children;
  const wide: number[] = [];
  for (let s = 0; s < children.count; s++) {
    into[s] = -1;
    if (sum[s] !== 0 && Math.abs(sum[s]) >= minValue) wide.push(s);
  }
  wide.sort((a, b) => parent[a] - parent[b] || sum[b] - sum[a] || key[a] - key[b]);
  for (const s of wide) {
    const split = Math.abs(sum[s] - self[s]) >= minValue;
    const node = tree.add(parent[s], key[s], sum[s], self[s], split);
    if (split) into[s] = node;
  }
}

/** The frames found by cutLevels, numbered level by level; a node's children are consecutive, heaviest first. */
class LevelTree {
  count = 1;
  readonly key: number[] = [-1];
  readonly value: number[] = [0];
  readonly self: number[] = [0];
  readonly split: boolean[] = [true];
  readonly firstChild: number[] = [0];
  readonly childCount: number[] = [0];

  add(parent: number, key: number, value: number, self: number, split: boolean): number {
    if (this.childCount[parent]++ === 0) this.firstChild[parent] = this.count;
    this.key.push(key);
    this.value.push(value);
    this.self.push(self);
    this.split.push(split);
    this.firstChild.push(0);
    this.childCount.push(0);
    return this.count++;
  }

  /**
   * Writes the nodes out in the order the depth-first cut adds them (partitionCut): a split node's children
   * together, then each of them that is split in turn, heaviest first; up to MAX_NODES as it does.
   */
  emit(out: FlameOutput, zoom: number): void {
    const tasks: number[] = [0, zoom];
    while (tasks.length > 0 && out.parent.length < MAX_NODES) {
      const parent = tasks.pop() as number;
      const node = tasks.pop() as number;
      const pushed = tasks.length;
      for (let c = this.firstChild[node], end = c + this.childCount[node]; c < end; c++) {
        const added = out.add(parent, this.key[c], this.value[c], this.self[c]);
        if (this.split[c]) tasks.push(c, added);
      }
      reversePairs(tasks, pushed);
    }
  }
}

/** Reverses the 2-number tasks pushed since `from`, so the heaviest child is expanded first. */
function reversePairs(tasks: number[], from: number): void {
  for (let lo = from, hi = tasks.length - 2; lo < hi; lo += 2, hi -= 2) {
    for (let x = 0; x < 2; x++) {
      const swap = tasks[lo + x];
      tasks[lo + x] = tasks[hi + x];
      tasks[hi + x] = swap;
    }
  }
}

/**
 * The depth-first cut, for an answer of more than LEVEL_CUT_BUDGET frames: samples on the zoom path are
 * partitioned by their next frame, and only the parts worth at least minValue are partitioned further, the
 * heaviest first, until MAX_NODES frames are out. Each split reads the next key of stacks spread over the whole
 * profile, which makes it slow on large ones: the level cut gives the same answer, in the same order, faster.
 */
export function partitionCut(data: ProfileData, stacks: KeyStacks, request: FlameGraphRequest, total = pprofTotal(data, request.sampleIndex)): FlameGraphData {
  return partitionCutKeyed(data, stacks, request, total).graph;
}

function partitionCutKeyed(data: ProfileData, stacks: KeyStacks, request: FlameGraphRequest, total: number): KeyedFlameGraph {
  const t = request.sampleIndex;
  const weights = new StackWeights(data, stacks, t);
  const out = new FlameOutput(data, stacks, t);
  const path = new ZoomPath(stacks, request.zoom, weights);
  const order = path.stacksUnder;
  let node = out.add(-1, -1, path.value[0], 0);
  for (let d = 1; d <= path.depth; d++) node = out.add(node, path.keys[d - 1], path.value[d], path.self[d]);
  const zoom = node;
  const minValue = Math.abs(out.value[zoom]) / Math.max(1, Math.min(request.resolution, MAX_RESOLUTION));

  // Below it, partition by the next frame, depth first, heaviest child on top of the task stack.
  const partition = new Partition(stacks, weights, order);
  const tasks: number[] = [zoom, 0, order.length, path.depth];
  while (tasks.length > 0 && out.parent.length < MAX_NODES) {
    const d = tasks.pop() as number;
    const b = tasks.pop() as number;
    const a = tasks.pop() as number;
    const parent = tasks.pop() as number;
    const children = partition.split(a, b, d, minValue);
    const pushed = tasks.length;
    for (const child of children) {
      const node = out.add(parent, child.key, child.value, child.self);
      if (Math.abs(child.value - child.self) >= minValue) tasks.push(node, child.from, child.to, d + 1);
    }
    reverseTasks(tasks, pushed);
  }
  return { graph: out.result(zoom, minValue, total), keys: out.keys };
}

/** Each stack's value in one sample type, read where the sample keeps it. Stacks of value 0 are not in its graph. */
class StackWeights {
  private readonly values: Float64Array;
  private readonly sample: Int32Array;
  private readonly stride: number;

  constructor(data: ProfileData, stacks: KeyStacks, private readonly sampleIndex: number) {
    this.values = data.values;
    this.sample = stacks.sample;
    this.stride = data.sampleTypes.length;
  }

  of(stack: number): number {
    return this.values[this.sample[stack] * this.stride + this.sampleIndex];
  }
}

/**
 * The zoom path, resolved in one pass over every stack: how far each stack follows it, summed per depth. The zoom
 * is the longest prefix of the path some stack follows, so a link whose path no longer exists still opens.
 */
class ZoomPath {
  /** The path's node keys, up to the first name this view does not have. */
  readonly keys: number[] = [];
  /** How many frames of the path exist. */
  readonly depth: number;
  /** Per depth 0 .. depth (0 is the root): the value of the stacks that follow the path that far, and that end there. */
  readonly value: number[];
  readonly self: number[];
  /** The stacks under the zoomed frame. */
  readonly stacksUnder: Int32Array;

  constructor(
    private readonly stacks: KeyStacks,
    names: string[],
    weights: StackWeights,
  ) {
    const keyByName = new Map(stacks.names.map((name, key) => [name, key]));
    for (const name of names) {
      const key = keyByName.get(name);
      if (key === undefined) break;
      this.keys.push(key);
    }
    const { sample, start } = stacks;
    const L = this.keys.length;
    const count = new Float64Array(L + 1);
    const valueAt = new Float64Array(L + 1);
    const selfAt = new Float64Array(L + 1);
    // The stacks that follow the whole path, collected as they are met: the usual case is a path that exists.
    const under = new Int32Array(sample.length);
    let found = 0;
    // One tight loop over every stack (a 1M-sample profile has that many).
    for (let i = 0; i < sample.length; i++) {
      const v = weights.of(i);
      if (v === 0) continue;
      const m = this.follow(i);
      count[m]++;
      valueAt[m] += v;
      if (m === start[i + 1] - start[i]) selfAt[m] += v; // the stack ends there
      if (m === L) under[found++] = i;
    }
    // A stack that follows m frames of the path is under each of its first m nodes.
    const value = new Array<number>(L + 1);
    let depth = -1;
    for (let d = L, sum = 0, following = 0; d >= 0; d--) {
      sum += valueAt[d];
      following += count[d];
      value[d] = sum;
      if (following > 0 && depth < 0) depth = d;
    }
    this.depth = Math.max(0, depth);
    this.value = value.slice(0, this.depth + 1);
    this.self = Array.from(selfAt.subarray(0, this.depth + 1));
    if (this.depth < L) {
      // A stale path: the zoom is an earlier frame, so collect the stacks under it instead.
      found = 0;
      for (let i = 0; i < sample.length; i++) if (weights.of(i) !== 0 && this.follow(i) >= this.depth) under[found++] = i;
    }
    this.stacksUnder = under.subarray(0, found);
  }

  /** How many frames of the path stack i follows from the root. */
  private follow(i: number): number {
    const { start, keys } = this.stacks;
    const path = this.keys;
    const from = start[i];
    const length = start[i + 1] - from;
    const limit = length < path.length ? length : path.length;
    let m = 0;
    while (m < limit && keys[from + m] === path[m]) m++;
    return m;
  }
}

interface Child {
  key: number;
  value: number;
  self: number;
  /** Its stacks are order[from .. to). */
  from: number;
  to: number;
}

/**
 * Splits a run of stacks (all through the same frame at depth d - 1) by their frame at depth d: one counting pass,
 * then a stable placing pass that gives each child worth at least minValue a contiguous run, heaviest first.
 * Stacks under narrower children are dropped from the run; nothing below them is drawn.
 */
class Partition {
  private readonly sum: Float64Array;
  private readonly self: Float64Array;
  private readonly seen: Int32Array;
  private readonly place: Int32Array;
  private readonly scratch: Int32Array;
  private readonly touched: number[] = [];

  constructor(
    private readonly stacks: KeyStacks,
    private readonly weights: StackWeights,
    private readonly order: Int32Array,
  ) {
    const keyCount = stacks.names.length;
    this.sum = new Float64Array(keyCount);
    this.self = new Float64Array(keyCount);
    this.seen = new Int32Array(keyCount);
    this.place = new Int32Array(keyCount).fill(-1);
    this.scratch = new Int32Array(order.length);
  }

  split(a: number, b: number, d: number, minValue: number): Child[] {
    this.count(a, b, d);
    const { sum, self, seen, place } = this;
    const wide = this.touched.filter((k) => sum[k] !== 0 && Math.abs(sum[k]) >= minValue).sort((x, y) => sum[y] - sum[x] || x - y);
    const children: Child[] = [];
    let offset = a;
    for (const k of wide) {
      place[k] = offset;
      children.push({ key: k, value: sum[k], self: self[k], from: offset, to: offset + seen[k] });
      offset += seen[k];
    }
    // A run that all goes on to one child (the trunk most Go stacks share: runtime.main, main.main) is in place.
    const inPlace = children.length === 1 && offset === b;
    if (children.length > 0 && !inPlace) this.placeWide(a, b, d, offset);
    for (const k of this.touched) {
      sum[k] = 0;
      self[k] = 0;
      seen[k] = 0;
      place[k] = -1;
    }
    return children;
  }

  private count(a: number, b: number, d: number): void {
    const { order, weights, sum, self, seen, touched } = this;
    const { start, keys } = this.stacks;
    touched.length = 0;
    for (let j = a; j < b; j++) {
      const i = order[j];
      const length = start[i + 1] - start[i];
      if (length <= d) continue;
      const k = keys[start[i] + d];
      if (seen[k]++ === 0) touched.push(k);
      const v = weights.of(i);
      sum[k] += v;
      if (length === d + 1) self[k] += v;
    }
  }

  private placeWide(a: number, b: number, d: number, end: number): void {
    const { order, place, scratch } = this;
    const { start, keys } = this.stacks;
    for (let j = a; j < b; j++) {
      const i = order[j];
      if (start[i + 1] - start[i] <= d) continue;
      const k = keys[start[i] + d];
      if (place[k] >= 0) scratch[place[k]++] = i;
    }
    order.set(scratch.subarray(a, end), a);
  }
}

/** Reverses the 4-number tasks pushed since `from`, so the heaviest child is expanded first. */
function reverseTasks(tasks: number[], from: number): void {
  for (let lo = from, hi = tasks.length - 4; lo < hi; lo += 4, hi -= 4) {
    for (let x = 0; x < 4; x++) {
      const swap = tasks[lo + x];
      tasks[lo + x] = tasks[hi + x];
      tasks[hi + x] = swap;
    }
  }
}

/** The answer's arrays, with names renumbered to the ones it uses. */
class FlameOutput {
  readonly parent: number[] = [];
  readonly name: number[] = [];
  readonly value: number[] = [];
  readonly self: number[] = [];
  readonly keys: number[] = [];
  private readonly names = ['root'];
  private readonly files = [''];
  private readonly lines = [0];
  private readonly nameIndex = new Map<number, number>();

  constructor(
    private readonly data: ProfileData,
    private readonly stacks: FlameStacks,
    private readonly sampleIndex: number,
  ) {}

  add(parent: number, key: number, value: number, self: number): number {
    this.parent.push(parent);
    this.name.push(key < 0 ? 0 : this.nameOf(key));
    this.value.push(value);
    this.self.push(self);
    this.keys.push(key);
    return this.parent.length - 1;
  }

  result(zoom: number, minValue: number, total: number): FlameGraphData {
    const type = this.data.sampleTypes[this.sampleIndex];
    return {
      sampleType: type.type,
      unit: type.unit,
      total,
      names: this.names,
      files: this.files,
      lines: this.lines,
      parent: this.parent,
      name: this.name,
      value: this.value,
      self: this.self,
      zoom,
      minValue,
    };
  }

  private nameOf(key: number): number {
    let index = this.nameIndex.get(key);
    if (index === undefined) {
      index = this.names.length;
      this.names.push(this.stacks.names[key]);
      this.files.push(this.stacks.files[key]);
      this.lines.push(this.stacks.lines[key]);
      this.nameIndex.set(key, index);
    }
    return index;
  }
}
