import { FlameTree } from './flame-tree';

export interface SearchResult {
  /** Per node: 1 when its name matches. */
  matched: Uint8Array;
  /** The value under matching frames, each sample counted once even when a stack matches twice (recursion). */
  value: number;
  /** Distinct matching function names. */
  functions: number;
}

/** Tests each distinct name once, then marks nodes: linear in the tree, no per-node regex. */
export function searchTree(tree: FlameTree, pattern: RegExp): SearchResult {
  const nameMatches = new Uint8Array(tree.names.length);
  let functions = 0;
  for (let i = 1; i < tree.names.length; i++) {
    if (pattern.test(tree.names[i])) {
      nameMatches[i] = 1;
      functions++;
    }
  }
  const count = tree.parent.length;
  const matched = new Uint8Array(count);
  // 1 when the node or one of its ancestors matches: only the topmost match of a stack adds its value.
  const covered = new Uint8Array(count);
  let value = 0;
  for (let node = 1; node < count; node++) {
    matched[node] = nameMatches[tree.name[node]];
    const above = covered[tree.parent[node]];
    covered[node] = above | matched[node];
    if (matched[node] && !above) value += tree.value[node];
  }
  return { matched, value, functions };
}

/** Per node: 1 when its name is exactly `name` (the function selected in the top table). */
export function markFunction(tree: FlameTree, name: string): Uint8Array | undefined {
  const index = tree.names.indexOf(name);
  if (index <= 0) return undefined;
  const marked = new Uint8Array(tree.parent.length);
  for (let node = 1; node < marked.length; node++) marked[node] = tree.name[node] === index ? 1 : 0;
  return marked;
}
