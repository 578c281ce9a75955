import { ProfileData } from '../profile/profile-data';
import type { CallGraphRequest, TrimmedGraph } from './callgraph';
import { baseName, FrameKeys } from './granularity';
import { GraphEdge, GraphNode } from './graph';
import { nodeletLines } from './nodelets';
import { pprofTotal } from './total';
import { REFINE_KEYS } from './refine';
import { formatPercent, formatValue } from './units';

/**
 * The call graph in pprof's DOT (internal/graph/dotgraph.go ComposeDot): node font size grows with flat, edge
 * weight and pen width with the edge's value, colours by share of the total. Every name is escaped: a profile's
 * function names come from an untrusted program.
 */
export function renderDot(data: ProfileData, request: CallGraphRequest, keys: FrameKeys, trimmed: TrimmedGraph, edges: GraphEdge[]): string {
  const { unit } = data.sampleTypes[request.sampleIndex];
  const total = pprofTotal(data, request.sampleIndex);
  const format = (v: number) => formatValue(v, unit);
  const { nodes } = trimmed.graph;
  const title = data.mainBinary?.file ? baseName(data.mainBinary.file) : '';
  const out = [`digraph "${escapeForDot(title || 'unnamed')}" {`, 'node [style=filled fillcolor="#f8f8f8"]'];
  const labels = legend(data, request, trimmed, total, format);
  out.push(
    `subgraph cluster_L { "${escapeForDot(labels[0])}" [shape=box fontsize=16 label="${labels.map(escapeForDot).join('\\l')}\\l"` +
      `${title ? ` tooltip="${escapeForDot(title)}"` : ''}] }`,
  );
  const id = new Map(nodes.map((n, i) => [n, i + 1]));
  const maxFlat = nodes.reduce((max, n) => Math.max(max, Math.abs(n.flat)), 0);
  const hasNodelets = new Set<GraphNode>();
  for (const n of nodes) {
    out.push(nodeLine(n, id.get(n) as number, keys, maxFlat, total, format));
    const nodelets = nodeletLines(n, id.get(n) as number, format);
    if (nodelets.length > 0) hasNodelets.add(n);
    out.push(...nodelets);
  }
  for (const e of edges) out.push(edgeLine(e, id.get(e.src) as number, id.get(e.dest) as number, total, format, hasNodelets.has(e.src)));
  out.push('}');
  return `${out.join('\n')}\n`;
}

function nodeLine(n: GraphNode, id: number, keys: FrameKeys, maxFlat: number, total: number, format: (v: number) => string): string {
  let label = multilineName(n.name, keys.functions[n.key]);
  label += n.flat !== 0 ? `${format(n.flat)} (${formatPercent(n.flat, total)})` : '0';
  const cumText = n.cum !== n.flat ? format(n.cum) : format(n.flat);
  if (n.cum !== n.flat) label += `${n.flat !== 0 ? '\\n' : ' '}of ${cumText} (${formatPercent(n.cum, total)})`;
  let fontSize = 8;
  if (maxFlat !== 0 && n.flat !== 0 && Math.abs(n.flat) <= maxFlat) fontSize += Math.ceil(16 * Math.sqrt(Math.abs(n.flat) / maxFlat));
  const share = n.cum / Math.abs(total);
  return (
    `N${id} [label="${label}" id="node${id}" fontsize=${fontSize} shape=box tooltip="${escapeForDot(n.name)} (${cumText})"` +
    ` color="${dotColor(share, false)}" fillcolor="${dotColor(share, true)}"]`
  );
}

function edgeLine(e: GraphEdge, from: number, to: number, total: number, format: (v: number) => string, separate: boolean): string {
  const w = format(e.weight);
  let attr = `label=" ${w}${e.inline ? '\\n (inline)' : ''}"`;
  if (total !== 0) {
    // Go's integer division: weight*100/total.
    const weight = 1 + Math.min(Math.abs(Math.trunc((e.weight * 100) / total)), 100);
    if (weight > 1) attr += ` weight=${weight}`;
    const width = 1 + Math.min(Math.abs(Math.trunc((e.weight * 5) / total)), 5);
    if (width > 1) attr += ` penwidth=${width}`;
    attr += ` color="${dotColor(e.weight / Math.abs(total), false)}"`;
  }
  const tooltip = `"${escapeForDot(e.src.name)} ${e.residual ? '...' : '->'} ${escapeForDot(e.dest.name)} (${w})"`;
  attr += ` tooltip=${tooltip} labeltooltip=${tooltip}`;
  if (e.residual) attr += ' style="dotted"';
  if (separate) attr += ' minlen=2'; // room for the source's nodelets
  return `N${from} -> N${to} [${attr}]`;
}

function legend(data: ProfileData, request: CallGraphRequest, trimmed: TrimmedGraph, total: number, format: (v: number) => string): string[] {
  const lines: string[] = [];
  if (data.mainBinary?.file) lines.push(`File: ${baseName(data.mainBinary.file)}`);
  if (data.mainBinary?.buildId) lines.push(`Build ID: ${data.mainBinary.buildId}`);
  lines.push(...data.comments.filter((c) => !c.startsWith('#')));
  lines.push(`Type: ${data.sampleTypes[request.sampleIndex].type}`);
  if (data.timeNanos) lines.push(`Time: ${new Date(data.timeNanos / 1e6).toISOString()}`);
  if (data.durationNanos) {
    const inTime = ['nanoseconds', 'ns'].includes(data.sampleTypes[request.sampleIndex].unit.toLowerCase());
    const share = inTime && total !== 0 ? ` (${formatPercent(total, data.durationNanos)})` : '';
    lines.push(`Duration: ${formatValue(data.durationNanos, 'nanoseconds')}, Total samples = ${format(total)}${share}`);
  }
  const filters = REFINE_KEYS.filter((k) => request.refine[k]).map((k) => `   ${k}=${truncate(request.refine[k] as string)}`);
  if (filters.length > 0) lines.push('Active filters:', ...filters);
  const { nodes } = trimmed.graph;
  const flatSum = nodes.reduce((sum, n) => sum + n.flat, 0);
  lines.push(`Showing nodes accounting for ${format(flatSum)}, ${formatPercent(flatSum, total)} of ${format(total)} total`);
  const { nodeFraction, edgeFraction, nodeCount } = request.trim;
  if (total !== 0) {
    if (trimmed.droppedNodes > 0) lines.push(dropped(trimmed.droppedNodes, 'node', 'cum', format(Math.abs(Math.trunc(total * nodeFraction)))));
    if (trimmed.droppedEdges > 0) lines.push(dropped(trimmed.droppedEdges, 'edge', 'freq', format(Math.abs(Math.trunc(total * edgeFraction)))));
    if (nodeCount > 0 && nodes.length > 0 && nodes.length < trimmed.origCount) lines.push(`Showing top ${nodes.length} nodes out of ${trimmed.origCount}`);
  }
  return lines;
}

function dropped(count: number, what: string, by: string, cutoff: string): string {
  return `Dropped ${count} ${what}${count > 1 ? 's' : ''} (${by} <= ${cutoff})`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** graph.multilinePrintableName: the short function name broken at dots, then the file's base name. */
function multilineName(name: string, fn: string): string {
  const rest = fn ? name.slice(fn.length + 1) : name;
  const parts: string[] = [];
  if (fn) parts.push(escapeForDot(shortenFunctionName(fn)).replaceAll('::', '\\n').replaceAll('[...]', '[…]').replaceAll('.', '\\n'));
  if (rest) parts.push(escapeForDot(baseName(rest)));
  return `${parts.join('\\n')}\\n`;
}

const GO_PACKAGE_PATH = /^(?:[\w\-.]+\/)+(.+)/;
const GO_MODULE_VERSION = /^(.*?)\/v(?:[2-9]|[1-9][0-9]+)([./].*)$/;
const JAVA_NAME = /^(?:[a-z]\w*\.)*([A-Z][\w$]*\.(?:<init>|[a-z][\w$]*(?:\$\d+)?))(?:(?:\()|$)/;
const CPP_NAME = /^(?:[_a-zA-Z]\w*::)+(_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?)/;

/** graph.ShortenFunctionName: drops package paths, module versions and namespaces. */
export function shortenFunctionName(name: string): string {
  const f = name.replace(/^\(anonymous namespace\)::/, '').replace(GO_MODULE_VERSION, '$1$2');
  for (const re of [GO_PACKAGE_PATH, JAVA_NAME, CPP_NAME]) {
    const m = re.exec(f);
    if (m && m.length >= 2) return m.slice(1).map((g) => g ?? '').join('');
  }
  return f;
}

/**
 * DOT's escString: backslashes and quotes escaped, line breaks left-justified; other control characters and lone
 * surrogates (not UTF-8) dropped.
 */
export function escapeForDot(text: string): string {
  return text
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\l')
    .replace(/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
}

/** graph.dotColor: grey near 0, shifting to red as the share grows. */
export function dotColor(score: number, background: boolean): string {
  const shift = 0.7;
  let saturation = background ? 0.1 : 1.0;
  const value = background ? 0.93 : 0.7;
  let s = Math.max(-1, Math.min(1, score));
  if (Math.abs(s) < 0.2) saturation *= Math.abs(s) / 0.2;
  if (s > 0) s = Math.pow(s, 1 - shift);
  if (s < 0) s = -Math.pow(-s, 1 - shift);
  let r: number;
  let g: number;
  if (s < 0) {
    g = value;
    r = value * (1 + saturation * s);
  } else {
    r = value;
    g = value * (1 - saturation * s);
  }
  const b = value * (1 - saturation);
  const hex = (c: number) => (Math.trunc(c * 255) & 0xff).toString(16).padStart(2, '0');
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}
