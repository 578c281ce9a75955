import type { FlameGraphData } from '../../report/flamegraph';

/** How far the writer deepens a root cut: server cuts asked for, and nodes the deepened cut may hold. */
export interface DeepenLimits {
  cuts: number;
  nodes: number;
}

export const DEFAULT_DEEPEN_LIMITS: DeepenLimits = { cuts: 64, nodes: 200_000 };

/**
 * A root cut made finer where it left frames out: the server's cut for each such frame (the widest first) is
 * merged in, until nothing is left out or the limits are reached. What the page's zooms and searches can be cut
 * from grows by that; minValue stays a bound for the whole tree (every frame worth it is held).
 */
export async function deepenFlame(root: FlameGraphData, cutAt: (zoom: string[]) => Promise<FlameGraphData | undefined>, limits: DeepenLimits = DEFAULT_DEEPEN_LIMITS): Promise<FlameGraphData> {
  const tree = new MergedTree(root);
  const asked = new Set<number>();
  for (let cuts = 0; cuts < limits.cuts && tree.size < limits.nodes; cuts++) {
    const node = tree.widestLeftOut(asked);
    if (node < 0) break;
    asked.add(node);
    const cut = await cutAt(tree.namesTo(node));
    if (!cut) break;
    tree.merge(cut);
  }
  return tree.result();
}

class MergedTree {
  private readonly out: FlameGraphData;
  private readonly nameIndex: Map<string, number>;
  /** Per node, its children by name index. */
  private readonly children: Array<Map<number, number>>;

  constructor(root: FlameGraphData) {
    const copy = { names: [...root.names], files: [...root.files], lines: [...root.lines], parent: [...root.parent], name: [...root.name], value: [...root.value], self: [...root.self] };
    this.out = { ...root, ...copy, ...(root.diff ? { diff: { newValue: [...root.diff.newValue], baseValue: [...root.diff.baseValue] } } : {}) };
    this.nameIndex = new Map(root.names.map((n, i) => [n, i]));
    this.children = root.parent.map(() => new Map());
    for (let i = 1; i < root.parent.length; i++) this.children[root.parent[i]].set(root.name[i], i);
  }

  get size(): number {
    return this.out.parent.length;
  }

  /** The node whose left-out children add up to the most (not asked for yet), or -1 when none left any out. */
  widestLeftOut(asked: Set<number>): number {
    let best = -1;
    let most = 0;
    for (let node = 0; node < this.size; node++) {
      const rest = Math.abs(this.leftOut(node));
      if (rest > most && !asked.has(node)) [best, most] = [node, rest];
    }
    return best;
  }

  namesTo(node: number): string[] {
    const names: string[] = [];
    for (let n = node; n > 0; n = this.out.parent[n]) names.push(this.out.names[this.out.name[n]]);
    return names.reverse();
  }

  /** Adds the frames of a server cut (found by their names from the root) that the tree lacks. */
  merge(cut: FlameGraphData): void {
    const mapped: number[] = [];
    for (let i = 0; i < cut.parent.length; i++) {
      mapped[i] = i === 0 ? 0 : this.childOf(mapped[cut.parent[i]], cut, i);
    }
  }

  result(): FlameGraphData {
    const leftOut = this.out.parent.reduce((most, _, node) => Math.max(most, Math.abs(this.leftOut(node))), 0);
    // A diff's left-out frames may cancel out: there, only the server's own bound holds.
    return { ...this.out, minValue: this.out.diff ? this.out.minValue : Math.min(this.out.minValue, leftOut) };
  }

  private childOf(parent: number, cut: FlameGraphData, i: number): number {
    const name = this.nameOf(cut, cut.name[i]);
    const known = this.children[parent].get(name);
    if (known !== undefined) return known;
    const node = this.out.parent.push(parent) - 1;
    this.out.name.push(name);
    this.out.value.push(cut.value[i]);
    this.out.self.push(cut.self[i]);
    if (this.out.diff && cut.diff) {
      this.out.diff.newValue.push(cut.diff.newValue[i]);
      this.out.diff.baseValue.push(cut.diff.baseValue[i]);
    }
    this.children[parent].set(name, node);
    this.children.push(new Map());
    return node;
  }

  private nameOf(cut: FlameGraphData, index: number): number {
    const name = cut.names[index];
    let known = this.nameIndex.get(name);
    if (known === undefined) {
      known = this.out.names.push(name) - 1;
      this.out.files.push(cut.files[index]);
      this.out.lines.push(cut.lines[index]);
      this.nameIndex.set(name, known);
    }
    return known;
  }

  private leftOut(node: number): number {
    let rest = this.out.value[node] - this.out.self[node];
    for (const child of this.children[node].values()) rest -= this.out.value[child];
    return Math.abs(rest) <= 1e-9 * Math.max(1, Math.abs(this.out.value[node])) ? 0 : rest;
  }
}
