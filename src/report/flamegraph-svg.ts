import { diffColor } from './diff/diff-colors';
import { diffLine } from './diff/diff-text';
import { FlameGraphData } from './flamegraph';
import { compareText } from './graph';
import { formatPercent, formatValue } from './units';

export interface FlameGraphSvgOptions {
  title: string;
  /** Lines under the title: the sample type, the refinements. */
  subtitle?: string[];
  /** Root at the top (an icicle), as for a bottom-up tree. */
  rootOnTop?: boolean;
  width?: number;
}

const FRAME_HEIGHT = 16;
const FONT_SIZE = 12;
const CHAR_WIDTH = 7; // a 12px monospace character, near enough to fit labels without measuring
const MIN_WIDTH = 0.1; // px: narrower frames are left out, as flamegraph.pl's --minwidth
const DIFF_NOTE = 'Sized by the new capture (frames gone since the base by the base); red-orange grew, blue shrank, by how much relative to the base';

/**
 * A standalone flame graph SVG, like flamegraph.pl's: one rectangle per call tree node, its width its value, a
 * <title> for hover. No script, no external reference. Every name is XML-escaped text: names come from the
 * profiled, untrusted program. A diff's frames are coloured by their change and their titles give both captures'
 * values, as in the viewer.
 */
export function flameGraphSvg(graph: FlameGraphData, options: FlameGraphSvgOptions): string {
  const width = options.width ?? 1200;
  const pad = 10;
  const subtitle = [...(options.subtitle ?? []), ...(graph.diff ? [DIFF_NOTE] : [])];
  const header = 24 + subtitle.length * 16;
  const layout = layOut(graph, (width - 2 * pad) / Math.max(graph.value[0] ?? 0, 1));
  const rows = layout.maxDepth + 1;
  const height = header + rows * FRAME_HEIGHT + 2 * pad;
  const y = (depth: number) => (options.rootOnTop ? header + pad + depth * FRAME_HEIGHT : height - pad - (depth + 1) * FRAME_HEIGHT);
  const out = [
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#f8f8f8"/>`,
    `<text x="${width / 2}" y="20" font-family="sans-serif" font-size="16" text-anchor="middle">${xmlText(options.title)}</text>`,
    ...subtitle.map((line, i) => `<text x="${width / 2}" y="${38 + i * 16}" font-family="sans-serif" font-size="12" text-anchor="middle" fill="#555">${xmlText(line)}</text>`),
    `<g font-family="monospace" font-size="${FONT_SIZE}">`,
  ];
  for (const node of layout.nodes) {
    const name = node.index === 0 ? 'all' : graph.names[graph.name[node.index]];
    const value = graph.value[node.index];
    const { diff } = graph;
    const tip = diff
      ? `${name} (${diffLine(diff.newValue[node.index], diff.baseValue[node.index], graph.unit)})`
      : `${name} (${formatValue(value, graph.unit)}, ${formatPercent(value, graph.total)})`;
    const fill = diff ? diffColor(diff.newValue[node.index], diff.baseValue[node.index], { dark: false }) : color(name, node.index === 0);
    const x = pad + node.x;
    const top = y(node.depth);
    out.push(`<g><title>${xmlText(tip)}</title><rect x="${x.toFixed(1)}" y="${top}" width="${node.width.toFixed(1)}" height="${FRAME_HEIGHT - 1}" fill="${fill}" rx="2"/>`);
    const label = fit(name, node.width);
    if (label) out.push(`<text x="${(x + 3).toFixed(1)}" y="${top + FRAME_HEIGHT - 4}">${xmlText(label)}</text>`);
    out.push('</g>');
  }
  out.push('</g>', '</svg>');
  return `${out.join('\n')}\n`;
}

interface Placed {
  index: number;
  depth: number;
  x: number;
  width: number;
}

/** Children sit side by side under their parent, by name (flamegraph.pl's order); too-narrow frames are dropped. */
function layOut(graph: FlameGraphData, scale: number): { nodes: Placed[]; maxDepth: number } {
  const children: number[][] = graph.parent.map(() => []);
  for (let i = 1; i < graph.parent.length; i++) children[graph.parent[i]].push(i);
  const nameOf = (i: number) => graph.names[graph.name[i]];
  const nodes: Placed[] = [];
  if (graph.parent.length === 0) return { nodes, maxDepth: 0 };
  let maxDepth = 0;
  const stack: Placed[] = [{ index: 0, depth: 0, x: 0, width: graph.value[0] * scale }];
  while (stack.length > 0) {
    const node = stack.pop() as Placed;
    nodes.push(node);
    maxDepth = Math.max(maxDepth, node.depth);
    let x = node.x;
    const sorted = children[node.index].sort((a, b) => compareText(nameOf(a), nameOf(b)));
    for (const child of sorted) {
      const width = graph.value[child] * scale;
      if (width >= MIN_WIDTH) stack.push({ index: child, depth: node.depth + 1, x, width });
      x += width;
    }
  }
  return { nodes, maxDepth };
}

function fit(name: string, width: number): string {
  const chars = Math.floor((width - 6) / CHAR_WIDTH);
  if (chars < 3) return '';
  return name.length <= chars ? name : `${name.slice(0, chars - 2)}..`;
}

/** flamegraph.pl's "hot" palette, chosen by a hash of the name so a function keeps its colour. */
function color(name: string, root: boolean): string {
  if (root) return 'rgb(200,200,200)';
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  const v = (hash >>> 0) / 0xffffffff;
  const w = ((hash >>> 8) & 0xff) / 255;
  return `rgb(${205 + Math.round(50 * w)},${Math.round(230 * v)},${Math.round(55 * (1 - v))})`;
}

/** XML character data: markup characters escaped, characters XML 1.0 forbids (controls, lone surrogates) dropped. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
