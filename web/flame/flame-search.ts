import { FlameTree } from './flame-tree';

/**
 * Per node: 1 when its name matches. Tests each distinct name once, then marks nodes. (What the matches add up
 * to comes from the server, which sees every stack, not only the frames wide enough to draw.)
 */
export function matchNodes(tree: FlameTree, pattern: RegExp): Uint8Array {
  const nameMatches = new Uint8Array(tree.names.length);
  for (let i = 1; i < tree.names.length; i++) nameMatches[i] = pattern.test(tree.names[i]) ? 1 : 0;
  const matched = new Uint8Array(tree.parent.length);
  for (let node = 1; node < matched.length; node++) matched[node] = nameMatches[tree.name[node]];
  return matched;
}

/** Per node: 1 when its name is exactly `name` (the function selected in the top table). */
export function markFunction(tree: FlameTree, name: string): Uint8Array | undefined {
  const index = tree.names.indexOf(name);
  if (index <= 0) return undefined;
  const marked = new Uint8Array(tree.parent.length);
  for (let node = 1; node < marked.length; node++) marked[node] = tree.name[node] === index ? 1 : 0;
  return marked;
}
