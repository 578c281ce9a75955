import { ProfileData, sampleCount } from '../profile/profile-data';
import { FrameKeys } from './granularity';
import { RefinedStacks } from './refine';
import { formatValue } from './units';

/** One node of pprof's call graph (internal/graph/graph.go Node), for one sample type. */
export interface GraphNode {
  key: number;
  name: string;
  flat: number;
  cum: number;
  in: Map<GraphNode, GraphEdge>;
  out: Map<GraphNode, GraphEdge>;
  /** Label and numeric ("bytes") tags, by identity: pprof draws them as nodelets, and counts them when picking nodes. */
  tags: Map<string, Tag>;
}

/** A sample annotation pprof's graph keeps per node (graph.Tag). */
export interface Tag {
  /** The joined labels, or the formatted byte size. */
  name: string;
  /** A numeric tag's label group: the joined string labels of its samples ("" for none). */
  labels: string;
  numeric: boolean;
  /** A numeric tag's raw value (bytes). */
  value: number;
  flat: number;
  cum: number;
}

type SampleTag = Omit<Tag, 'flat' | 'cum'> & { id: string };

export interface GraphEdge {
  src: GraphNode;
  dest: GraphNode;
  weight: number;
  /** Goes over nodes that were left out. */
  residual: boolean;
  inline: boolean;
  /** The last sample that added to it (graph building's own bookkeeping). */
  stamp: number;
}

export interface Graph {
  nodes: GraphNode[];
}

export interface GraphInput {
  data: ProfileData;
  stacks: RefinedStacks;
  keys: FrameKeys;
  sampleIndex: number;
}

/**
 * pprof's graph.newGraph: per sample, cum to each node once, an edge per caller -> callee pair once, flat to the
 * leaf. With `kept`, only those node keys: an edge that skips left-out nodes is residual, and a sample whose leaf
 * was left out gives no flat.
 */
export function buildGraph(input: GraphInput, kept?: Set<number>): Graph {
  const { data, stacks, keys, sampleIndex } = input;
  const T = data.sampleTypes.length;
  const nodes: Array<GraphNode | undefined> = new Array(keys.names.length);
  const keep = kept ? Uint8Array.from(keys.names, (_name, k) => (kept.has(k) ? 1 : 0)) : undefined;
  // Stamps of the last sample that counted a node or an edge: each counts once per sample, even when recursive.
  const nodeSeen = new Int32Array(keys.names.length).fill(-1);
  const frames = new Int32Array(stacks.maxDepth);
  for (let s = 0, count = sampleCount(data); s < count; s++) {
    const w = data.values[s * T + sampleIndex];
    if (w === 0) continue;
    const depth = stacks.frames(s, frames);
    if (depth < 0) continue;
    const tags = sampleTags(data, s);
    let parent: GraphNode | undefined;
    let residual = false;
    for (let i = 0; i < depth; i++) {
      const k = keys.keyOfFrame[frames[i]];
      if (keep && !keep[k]) {
        residual = true;
        continue;
      }
      const n = (nodes[k] ??= newNode(k, keys.names[k]));
      if (nodeSeen[k] !== s) {
        nodeSeen[k] = s;
        n.cum += w;
        if (tags) addTags(n, tags, w, 'cum');
      }
      if (parent && parent !== n) {
        const e = edgeBetween(parent, n);
        if (e.stamp !== s) {
          e.stamp = s;
          e.weight += w;
          if (residual) e.residual = true;
          if (!stacks.inlined[frames[i]]) e.inline = false;
        }
      }
      parent = n;
      residual = false;
    }
    if (parent && !residual) {
      parent.flat += w;
      if (tags) addTags(parent, tags, w, 'flat');
    }
  }
  return { nodes: nodes.filter((n): n is GraphNode => n !== undefined && (n.flat !== 0 || n.cum !== 0)) };
}

function newNode(key: number, name: string): GraphNode {
  return { key, name, flat: 0, cum: 0, in: new Map(), out: new Map(), tags: new Map() };
}

function edgeBetween(src: GraphNode, dest: GraphNode): GraphEdge {
  let e = src.out.get(dest);
  if (!e) {
    e = { src, dest, weight: 0, residual: false, inline: true, stamp: -1 };
    src.out.set(dest, e);
    dest.in.set(src, e);
  }
  return e;
}

/**
 * A sample's tags as pprof's graph keeps them: its joined string labels, and its "bytes" numeric label formatted
 * in the profile's units (report.newGraph drops every other numeric label).
 */
function sampleTags(data: ProfileData, s: number): SampleTag[] | undefined {
  const labels = data.strings[data.sampleLabels[s]];
  const bytes = data.sampleBytes[s];
  if (!labels && Number.isNaN(bytes)) return undefined;
  const tags: SampleTag[] = [];
  if (labels) tags.push({ id: `label:${labels}`, name: labels, labels: '', numeric: false, value: 0 });
  if (!Number.isNaN(bytes)) {
    const name = formatValue(bytes, 'bytes');
    tags.push({ id: `bytes:${labels}\u0000${name}`, name, labels, numeric: true, value: bytes });
  }
  return tags;
}

function addTags(n: GraphNode, tags: SampleTag[], w: number, field: 'flat' | 'cum'): void {
  for (const { id, ...tag } of tags) {
    let found = n.tags.get(id);
    if (!found) {
      found = { ...tag, flat: 0, cum: 0 };
      n.tags.set(id, found);
    }
    found[field] += w;
  }
}

/** Ordering of edges pprof uses everywhere (graph.edgeList): heavier first, then by names. */
export function compareEdges(a: GraphEdge, b: GraphEdge): number {
  if (a.weight !== b.weight) return Math.abs(b.weight) - Math.abs(a.weight);
  return compareText(a.src.name, b.src.name) || compareText(a.dest.name, b.dest.name);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
