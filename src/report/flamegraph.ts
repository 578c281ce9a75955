import { ProfileData, sampleCount } from '../profile/profile-data';
import { FlameStacks } from './flame-stacks';

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
}

/**
 * Cuts the flame graph for one zoom from the stacks: samples on the zoom path are partitioned by their next frame,
 * level by level, and only the parts worth at least minValue are partitioned further. The work is bounded by
 * what is drawn (samples under visible frames), not by the number of call paths in the profile.
 */
export function flameGraph(
  data: ProfileData,
  stacks: FlameStacks,
  request: FlameGraphRequest,
  /** pprof's total, when the caller has it already (the decode's model): otherwise one more pass over the samples. */
  total = sampleTypeTotal(data, request.sampleIndex),
): FlameGraphData {
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
  return out.result(zoom, minValue, total);
}

/** Each stack's value in one sample type, read where the sample keeps it. Stacks of value 0 are not in its graph. */
class StackWeights {
  private readonly values: Float64Array;
  private readonly sample: Int32Array;
  private readonly stride: number;

  constructor(data: ProfileData, stacks: FlameStacks, private readonly sampleIndex: number) {
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
    private readonly stacks: FlameStacks,
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
    private readonly stacks: FlameStacks,
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

/** pprof's total for a sample type: the sum of |value| over every sample, before any refinement. */
export function sampleTypeTotal(data: ProfileData, sampleIndex: number): number {
  const T = data.sampleTypes.length;
  let total = 0;
  for (let s = 0, n = sampleCount(data); s < n; s++) total += Math.abs(data.values[s * T + sampleIndex]);
  return total;
}

/** The answer's arrays, with names renumbered to the ones it uses. */
class FlameOutput {
  readonly parent: number[] = [];
  readonly name: number[] = [];
  readonly value: number[] = [];
  readonly self: number[] = [];
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
