import { ProfileData } from '../profile/profile-data';
import { renderDot } from './dot';
import { frameKeys, Granularity } from './granularity';
import { buildGraph, compareEdges, compareText, Graph, GraphEdge, GraphInput, GraphNode } from './graph';
import { MAX_NODELETS } from './nodelets';
import { RefinedStacks, RefineOptions } from './refine';

/** pprof's trimming of graph outputs (driver/config.go defaults; driver.go sets nodecount 80 for dot/web). */
export interface TrimOptions {
  nodeFraction: number;
  edgeFraction: number;
  nodeCount: number;
}

export const GRAPH_DEFAULTS: TrimOptions = { nodeFraction: 0.005, edgeFraction: 0.001, nodeCount: 80 };


export interface CallGraphRequest {
  sampleIndex: number;
  granularity: Granularity;
  refine: RefineOptions;
  trim: TrimOptions;
}

export interface CallGraphData {
  dot: string;
  nodes: Array<{ id: number; name: string; flat: number; cum: number }>;
  edges: Array<{ from: number; to: number; value: number; inline?: boolean; residual?: boolean }>;
}

export interface TrimmedGraph {
  graph: Graph;
  /** Nodes before the node count was applied, and what the fractions dropped. */
  origCount: number;
  droppedNodes: number;
  droppedEdges: number;
}

export function callGraph(data: ProfileData, request: CallGraphRequest): CallGraphData {
  const input: GraphInput = {
    data,
    stacks: new RefinedStacks(data, request.refine),
    keys: frameKeys(data, request.granularity),
    sampleIndex: request.sampleIndex,
  };
  const trimmed = trimmedGraph(input, request.trim);
  const { nodes } = trimmed.graph;
  const id = new Map(nodes.map((n, i) => [n, i + 1]));
  const edges = nodes.flatMap((n) => [...n.out.values()]).sort(compareEdges);
  return {
    dot: renderDot(data, request, input.keys, trimmed, edges),
    nodes: nodes.map((n) => ({ id: id.get(n) as number, name: n.name, flat: n.flat, cum: n.cum })),
    edges: edges.map((e) => ({
      from: id.get(e.src) as number,
      to: id.get(e.dest) as number,
      value: e.weight,
      ...(e.inline ? { inline: true } : {}),
      ...(e.residual ? { residual: true } : {}),
    })),
  };
}

/** pprof's report.newTrimmedGraph for the dot output (visual mode, not a call tree). */
export function trimmedGraph(input: GraphInput, trim: TrimOptions): TrimmedGraph {
  let g = buildGraph(input);
  const flatSum = g.nodes.reduce((sum, n) => sum + n.flat, 0);
  // The cutoffs are fractions of the (refined) graph's flat sum, truncated to integers as Go's int64() does.
  const nodeCutoff = Math.abs(Math.trunc(flatSum * trim.nodeFraction));
  const edgeCutoff = Math.abs(Math.trunc(flatSum * trim.edgeFraction));
  let droppedNodes = 0;
  if (nodeCutoff > 0) {
    const kept = g.nodes.filter((n) => Math.abs(n.cum) >= nodeCutoff);
    if (kept.length !== g.nodes.length) {
      droppedNodes = g.nodes.length - kept.length;
      g = buildGraph(input, new Set(kept.map((n) => n.key)));
    }
  }
  const origCount = g.nodes.length;
  sortByEntropy(g);
  if (trim.nodeCount > 0) {
    trimTags(g, nodeCutoff);
    trimEdges(g, edgeCutoff);
    const top = selectTopNodes(g, trim.nodeCount);
    if (top.length !== g.nodes.length) {
      g = buildGraph(input, new Set(top.map((n) => n.key)));
      sortByEntropy(g);
    }
  }
  trimTags(g, nodeCutoff);
  const droppedEdges = trimEdges(g, edgeCutoff);
  removeRedundantEdges(g);
  return { graph: g, origCount, droppedNodes, droppedEdges };
}

function trimTags(g: Graph, cutoff: number): void {
  for (const n of g.nodes) {
    for (const [id, tag] of n.tags) if (Math.abs(tag.flat) < cutoff && Math.abs(tag.cum) < cutoff) n.tags.delete(id);
  }
}

function trimEdges(g: Graph, cutoff: number): number {
  let dropped = 0;
  for (const n of g.nodes) {
    for (const [src, e] of n.in) {
      if (Math.abs(e.weight) >= cutoff) continue;
      n.in.delete(src);
      src.out.delete(n);
      dropped++;
    }
  }
  return dropped;
}

/** graph.selectTopNodes in visual mode: each node also counts its tag nodelets against the limit. */
function selectTopNodes(g: Graph, maxNodes: number): GraphNode[] {
  let count = 0;
  let limit = maxNodes;
  for (let i = 0; i < g.nodes.length; i++) {
    let tags = 0;
    for (const tag of g.nodes[i].tags.values()) if (tag.flat !== 0) tags++;
    count += Math.min(tags, MAX_NODELETS) + 1;
    if (count >= limit) {
      limit = i + 1;
      break;
    }
  }
  return g.nodes.slice(0, limit);
}

/** graph.EntropyOrder: favour entry and leaf nodes and those whose calls spread out; then by name, then flat. */
function sortByEntropy(g: Graph): void {
  const score = new Map(g.nodes.map((n) => [n, entropyScore(n)]));
  g.nodes.sort(
    (a, b) =>
      abs64(score.get(b) as number) - abs64(score.get(a) as number) ||
      compareText(a.name, b.name) ||
      Math.abs(b.flat) - Math.abs(a.flat),
  );
}

function entropyScore(n: GraphNode): number {
  let score = 0;
  score += n.in.size === 0 ? 1 : edgeEntropy(n.in, 0);
  score += n.out.size === 0 ? 1 : edgeEntropy(n.out, n.flat);
  const product = score * n.cum;
  // Go's int64() of NaN, or of a float out of range, is the CPU's "integer indefinite", math.MinInt64 on amd64: a
  // diff's edge of weight 0 (what the base took away, the new capture put back) makes 0 * log2(0), NaN. Sums wrap.
  if (Number.isNaN(product) || Math.abs(product) >= 2 ** 63) return Number(BigInt.asIntN(64, BigInt(INT64_MIN) + BigInt(n.flat)));
  return Math.trunc(product) + n.flat;
}

const INT64_MIN = -(2 ** 63);

/** Go's abs64: math.MinInt64 stays itself (negative), so such a score sorts last. */
function abs64(v: number): number {
  return v === INT64_MIN ? v : Math.abs(v);
}

function edgeEntropy(edges: Map<GraphNode, GraphEdge>, self: number): number {
  let total = self;
  for (const e of edges.values()) if (e.weight > 0) total += Math.abs(e.weight);
  if (total === 0) return 0;
  let score = 0;
  const term = (w: number) => {
    const frac = Math.abs(w) / total;
    return -frac * Math.log2(frac);
  };
  for (const e of edges.values()) score += term(e.weight);
  if (self > 0) score += term(self);
  return score;
}

/** graph.RemoveRedundantEdges: drop a residual edge when its target is reachable another way. */
function removeRedundantEdges(g: Graph): void {
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const incoming = [...g.nodes[i].in.values()].sort(compareEdges);
    for (let j = incoming.length - 1; j >= 0; j--) {
      const e = incoming[j];
      if (!e.residual) break; // never remove an edge heavier than a direct one
      if (isRedundant(e)) {
        e.src.out.delete(e.dest);
        e.dest.in.delete(e.src);
      }
    }
  }
}

function isRedundant(edge: GraphEdge): boolean {
  const seen = new Set<GraphNode>([edge.dest]);
  const queue = [edge.dest];
  while (queue.length > 0) {
    const n = queue.shift() as GraphNode;
    for (const e of n.in.values()) {
      if (e === edge || seen.has(e.src)) continue;
      if (e.src === edge.src) return true;
      seen.add(e.src);
      queue.push(e.src);
    }
  }
  return false;
}
