import type { FlameGraphJson } from '../app/api-types';

/**
 * The call tree as the server cut it, in typed arrays: nodes 0 .. zoom are the path from the root to the zoomed
 * frame; below it, every frame worth at least minValue. A node's value minus its self value minus its children's
 * is what its left-out (narrow) children add up to.
 */
export interface FlameTree extends Omit<FlameGraphJson, 'parent' | 'name' | 'value' | 'self'> {
  parent: Int32Array;
  name: Int32Array;
  value: Float64Array;
  self: Float64Array;
  depth: Int32Array;
  maxDepth: number;
  /** Children of node i are children[childStart[i] .. childStart[i + 1]). */
  childStart: Int32Array;
  children: Int32Array;
}

/** Linear in the tree: ordering children is left to the layout, which only orders what it draws. */
export function buildFlameTree(json: FlameGraphJson): FlameTree {
  const count = json.parent.length;
  const parent = Int32Array.from(json.parent);
  const depth = new Int32Array(count);
  let maxDepth = 0;
  // Parents precede children, so one forward pass sets every depth.
  for (let i = 1; i < count; i++) {
    depth[i] = depth[parent[i]] + 1;
    if (depth[i] > maxDepth) maxDepth = depth[i];
  }
  const { childStart, children } = childLists(parent);
  return {
    ...json,
    parent,
    name: Int32Array.from(json.name),
    value: Float64Array.from(json.value),
    self: Float64Array.from(json.self),
    depth,
    maxDepth,
    childStart,
    children,
  };
}

/** Compressed child lists (CSR), in node order. */
function childLists(parent: Int32Array): { childStart: Int32Array; children: Int32Array } {
  const count = parent.length;
  const childStart = new Int32Array(count + 1);
  for (let i = 1; i < count; i++) childStart[parent[i] + 1]++;
  for (let i = 0; i < count; i++) childStart[i + 1] += childStart[i];
  const children = new Int32Array(Math.max(0, count - 1));
  const fill = childStart.slice(0, count);
  for (let i = 1; i < count; i++) children[fill[parent[i]]++] = i;
  return { childStart, children };
}

/** True when `node` is `ancestor` or below it. */
export function isWithin(tree: FlameTree, node: number, ancestor: number): boolean {
  for (let n = node; n >= 0; n = tree.parent[n]) if (n === ancestor) return true;
  return false;
}

/** Nodes from the root to `node`, root first. */
export function pathTo(tree: FlameTree, node: number): number[] {
  const path: number[] = [];
  for (let n = node; n >= 0; n = tree.parent[n]) path.push(n);
  return path.reverse();
}

export function nameOf(tree: FlameTree, node: number): string {
  return tree.names[tree.name[node]];
}

/** The node reached by following frame names from the root, or -1 when this tree does not hold the path. */
export function findByNames(tree: FlameTree, names: string[]): number {
  let node = 0;
  for (const wanted of names) {
    let next = -1;
    for (let c = tree.childStart[node]; c < tree.childStart[node + 1]; c++) {
      if (nameOf(tree, tree.children[c]) === wanted) {
        next = tree.children[c];
        break;
      }
    }
    if (next < 0) return -1;
    node = next;
  }
  return node;
}

/** The names below the root on the way to `node`, as kept in the URL. */
export function namesTo(tree: FlameTree, node: number): string[] {
  return pathTo(tree, node)
    .slice(1)
    .map((n) => nameOf(tree, n));
}
