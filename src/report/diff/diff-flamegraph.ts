import { ProfileData } from '../../profile/profile-data';
import { FlameSearchRequest, FlameSearchResult, searchFlame } from '../flame-search';
import { FlameStacks, FlameStacksOptions, KeyStacks, keyStacks } from '../flame-stacks';
import { FlameGraphData, flameGraphKeyed, FlameGraphRequest } from '../flamegraph';
import { pprofTotal } from '../total';
import { BASE, diffSides, DiffStacks, diffStacks, NEW, WIDTH } from './diff-stacks';

/**
 * A diff's stacks are written out as keys (as a refined view's): its flame graph reads them twice, sorted by their
 * keys (diff-stacks.ts) and cut from the widths that gives, which the trie of stacks read in place would sum again.
 */
export function diffFlameStacks(data: ProfileData, options: FlameStacksOptions): KeyStacks {
  return keyStacks(data, options);
}

/**
 * The flame graph of a diff profile (pprof's -diff_base): frames sized by the new capture, and those that exist
 * only in the base by the base; each node with its cum in each capture. Cut as any flame graph, from a profile
 * whose values are those widths, so every frame of minValue or more is there and nothing narrower.
 */
export function diffFlameGraph(data: ProfileData, stacks: FlameStacks, request: FlameGraphRequest, total = pprofTotal(data, request.sampleIndex)): FlameGraphData {
  const keyed = asKeyStacks(data, stacks);
  const diff = diffStacks(data, keyed, request.sampleIndex);
  const { graph, keys } = flameGraphKeyed(diffSides(data, keyed, diff, request.sampleIndex), keyed, { ...request, sampleIndex: WIDTH }, total);
  return { ...graph, diff: nodeSides(graph, keys, keyed, diff) };
}

export interface DiffSearchResult extends FlameSearchResult {
  /** The new capture's and the base's value of the matching stacks, each counted once; `value` is their width. */
  diff: { newValue: number; baseValue: number };
}

/** What a search covers in a diff: the width of the matching stacks, as the frames are drawn, and each side's value. */
export function diffFlameSearch(data: ProfileData, stacks: FlameStacks, request: FlameSearchRequest): DiffSearchResult {
  const keyed = asKeyStacks(data, stacks);
  const sides = diffSides(data, keyed, diffStacks(data, keyed, request.sampleIndex), request.sampleIndex);
  const search = (sampleIndex: number) => searchFlame(sides, keyed, { ...request, sampleIndex });
  const found = search(WIDTH);
  return { ...found, diff: { newValue: search(NEW).value, baseValue: search(BASE).value } };
}

function asKeyStacks(data: ProfileData, stacks: FlameStacks): KeyStacks {
  return stacks.form === 'keys' ? stacks : keyStacks(data, { granularity: stacks.granularity, refine: {}, inverted: stacks.inverted });
}

/**
 * Each node's cum in each capture, from one walk of the sorted stacks down the answer's tree: a stack adds its
 * values to the deepest node it reaches, which are then summed up to the root. A stack takes the nodes it shares
 * with the one before it as found, so the walk reads each distinct path once.
 */
function nodeSides(graph: FlameGraphData, keys: number[], stacks: KeyStacks, diff: DiffStacks): { newValue: number[]; baseValue: number[] } {
  const count = graph.parent.length;
  const K = stacks.names.length + 1;
  const childOf = new Map<number, number>();
  for (let i = 1; i < count; i++) childOf.set(graph.parent[i] * K + keys[i], i);
  const newValue = new Array<number>(count).fill(0);
  const baseValue = new Array<number>(count).fill(0);
  const { start } = stacks;
  let maxDepth = 0;
  for (let i = 0; i < stacks.sample.length; i++) maxDepth = Math.max(maxDepth, start[i + 1] - start[i]);
  const reached = new Int32Array(maxDepth + 1); // reached[d]: the node at depth d of the stack before
  let depth = 0;
  for (let p = 0; p < diff.order.length; p++) {
    const i = diff.order[p];
    let d = Math.min(depth, diff.lcp[p]);
    let node = reached[d];
    for (const end = start[i + 1] - start[i]; d < end; d++) {
      const child = childOf.get(node * K + stacks.keys[start[i] + d]);
      if (child === undefined) break;
      node = child;
      reached[d + 1] = child;
    }
    depth = d;
    newValue[node] += diff.newValue[i];
    baseValue[node] += diff.baseValue[i];
  }
  for (let i = count - 1; i > 0; i--) {
    newValue[graph.parent[i]] += newValue[i];
    baseValue[graph.parent[i]] += baseValue[i];
  }
  return { newValue, baseValue };
}
