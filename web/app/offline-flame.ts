// The offline file's flame graph answers, cut in the page from the root cut it holds: a zoom the root cut holds in
// full, and a search whose matching functions it holds in full. Pure (tested from Node too).
import type { FlameGraphData } from '../../src/report/flamegraph';
import type { FlameSearchResult } from '../../src/report/flame-search';

/**
 * The server's cut for `zoom` at `resolution`, from the root cut: the path to the zoomed frame and everything
 * below it. Undefined when the root cut lacks frames that cut would hold (narrower than it kept).
 */
export function zoomedCut(root: FlameGraphData, zoom: string[], resolution: number): FlameGraphData | undefined {
  const children = childLists(root);
  const path = [0];
  for (const name of zoom) {
    const next = children[path[path.length - 1]].find((c) => root.names[root.name[c]] === name);
    if (next !== undefined) {
      path.push(next);
      continue;
    }
    // The server zooms to the longest prefix some stack follows: only a frame that left nothing out proves it ends here.
    if (leftOut(root, path[path.length - 1], children) !== 0) return undefined;
    break;
  }
  const node = path[path.length - 1];
  const keep = [...path];
  const inside = new Uint8Array(root.parent.length);
  inside[node] = 1;
  // Parents come before their children, so one pass finds the subtree.
  for (let i = node + 1; i < root.parent.length; i++) {
    if (root.parent[i] >= 0 && inside[root.parent[i]]) {
      inside[i] = 1;
      keep.push(i);
    }
  }
  const minValue = Math.abs(root.value[node]) / Math.max(1, resolution);
  // Held in full: the root cut kept every frame the server's cut would, or what it left out under each frame of the
  // subtree adds up to less than one of them (not for a diff, whose left-out frames may cancel out).
  const held = root.minValue <= minValue || (!root.diff && keep.slice(path.length - 1).every((n) => Math.abs(leftOut(root, n, children)) < minValue));
  if (!held) return undefined;
  const index = new Map(keep.map((old, i) => [old, i]));
  const pick = (values: number[]) => keep.map((i) => values[i]);
  return {
    ...root,
    parent: keep.map((i) => (root.parent[i] < 0 ? -1 : (index.get(root.parent[i]) ?? -1))),
    name: pick(root.name),
    value: pick(root.value),
    self: pick(root.self),
    zoom: path.length - 1,
    minValue: Math.min(root.minValue, minValue),
    ...(root.diff ? { diff: { newValue: pick(root.diff.newValue), baseValue: pick(root.diff.baseValue) } } : {}),
  };
}

/**
 * What the server's search counts over every stack (each stack once, under its matching frame nearest the root),
 * from a root cut that holds every stack through a matching function: so it is when, for each of them, its frames
 * nearest the root add up to its cum in the top table (`cums`, by name). Undefined otherwise, and for a diff.
 */
export function searchCut(root: FlameGraphData, pattern: RegExp, cums: Map<string, number>): FlameSearchResult | undefined {
  if (root.diff) return undefined;
  const matches = root.names.map((name) => pattern.test(name));
  const held = new Map<number, number>();
  const found = new Set<number>();
  let value = 0;
  // Depth first, with the matching names on the path: a frame counts for its name when no caller has that name.
  const children = childLists(root);
  const onPath = new Map<number, number>();
  const visit = (node: number, covered: boolean) => {
    const name = root.name[node];
    const match = node > 0 && matches[name] && root.value[node] !== 0;
    if (match) {
      found.add(name);
      if (!covered) value += root.value[node];
      if (!onPath.get(name)) held.set(name, (held.get(name) ?? 0) + root.value[node]);
      onPath.set(name, (onPath.get(name) ?? 0) + 1);
    }
    for (const child of children[node]) visit(child, covered || match);
    if (match) onPath.set(name, (onPath.get(name) ?? 1) - 1);
  };
  visit(0, false);
  const index = new Map(root.names.map((name, i) => [name, i]));
  for (const [name, cum] of cums) {
    if (cum === 0 || !pattern.test(name)) continue;
    const at = index.get(name);
    const sum = at === undefined ? 0 : (held.get(at) ?? 0);
    if (Math.abs(sum - cum) > 1e-9 * Math.max(1, Math.abs(cum))) return undefined;
  }
  return { value, functions: found.size };
}

/** What a node's left-out (narrow) children add up to, rounding aside. */
function leftOut(root: FlameGraphData, node: number, children: number[][]): number {
  const rest = children[node].reduce((sum, c) => sum - root.value[c], root.value[node] - root.self[node]);
  return Math.abs(rest) <= 1e-9 * Math.max(1, Math.abs(root.value[node])) ? 0 : rest;
}

function childLists(root: FlameGraphData): number[][] {
  const children: number[][] = root.parent.map(() => []);
  for (let i = 1; i < root.parent.length; i++) if (root.parent[i] >= 0) children[root.parent[i]].push(i);
  return children;
}
