import { escapeForDot } from './dot';
import { compareText, GraphNode, Tag } from './graph';
import { formatValue } from './units';

/** graph/dotgraph.go: a node shows at most this many tag nodelets, and counts as many when nodes are picked. */
export const MAX_NODELETS = 4;

/**
 * pprof's nodelets (dotgraph.go addNodelets): small boxes under a node for its label tags and its object sizes,
 * with the value each accounts for; flat values for a node with callees, cum for a leaf.
 */
export function nodeletLines(n: GraphNode, id: number, format: (v: number) => string): string[] {
  const lines: string[] = [];
  const flatTags = n.out.size > 0;
  const labelTags = sortTags([...n.tags.values()].filter((t) => !t.numeric), flatTags).slice(0, MAX_NODELETS);
  const numeric = (labels: string) => [...n.tags.values()].filter((t) => t.numeric && t.labels === labels);
  labelTags.forEach((t, i) => {
    const w = flatTags ? t.flat : t.cum;
    if (w === 0) return;
    const weight = format(w);
    const name = t.name.split('\\n').map(escapeForDot).join('\\n');
    lines.push(`N${id}_${i} [label = "${name}" id="N${id}_${i}" fontsize=8 shape=box3d tooltip="${weight}"]`);
    lines.push(`N${id} -> N${id}_${i} [label=" ${weight}" weight=100 tooltip="${weight}" labeltooltip="${weight}"]`);
    const tags = numeric(t.name);
    if (tags.length > 0) lines.push(...numericNodelets(tags, flatTags, `N${id}_${i}`, format));
  });
  const unlabelled = numeric('');
  if (unlabelled.length > 0) lines.push(...numericNodelets(unlabelled, flatTags, `N${id}`, format));
  return lines;
}

function numericNodelets(tags: Tag[], flatTags: boolean, source: string, format: (v: number) => string): string[] {
  const lines: string[] = [];
  collapsedTags(tags, flatTags).forEach((t, j) => {
    const useFlat = flatTags || t.flat === t.cum;
    const w = useFlat ? t.flat : t.cum;
    if (w === 0) return;
    const weight = format(w);
    // "N" + source, so "NN1_0": pprof's spelling, kept so the ids match its output.
    lines.push(`N${source}_${j} [label = "${escapeForDot(t.name)}" id="N${source}_${j}" fontsize=8 shape=box3d tooltip="${weight}"]`);
    lines.push(`${source} -> N${source}_${j} [label=" ${weight}" weight=100 tooltip="${weight}" labeltooltip="${weight}"${useFlat ? '' : ' style="dotted"'}]`);
  });
  return lines;
}

/** dotgraph.collapsedTags: more sizes than nodelets are bucketed around the heaviest, shown as "min..max". */
function collapsedTags(tags: Tag[], flatTags: boolean): Tag[] {
  const sorted = sortTags(tags, flatTags);
  if (sorted.length <= MAX_NODELETS) return sorted;
  const groups = sorted.slice(0, MAX_NODELETS).map((t) => [t]);
  for (const t of sorted.slice(MAX_NODELETS)) {
    let best = 0;
    for (let i = 1; i < groups.length; i++) if (Math.abs(t.value - groups[i][0].value) < Math.abs(t.value - groups[best][0].value)) best = i;
    groups[best].push(t);
  }
  return sortTags(groups.map(groupTag), flatTags);
}

function groupTag(group: Tag[]): Tag {
  const label = (v: number) => formatValue(v, 'bytes');
  if (group.length === 1) return { ...group[0], name: label(group[0].value) };
  let min = group[0];
  let max = group[0];
  for (const t of group.slice(1)) {
    if (t.value < min.value) min = t;
    if (t.value > max.value) max = t;
  }
  const sum = (field: 'flat' | 'cum') => group.reduce((total, t) => total + t[field], 0);
  return { ...min, name: `${label(min.value)}..${label(max.value)}`, flat: sum('flat'), cum: sum('cum') };
}

/** graph.SortTags: by cum unless flat is asked for, then flat, then name. */
function sortTags(tags: Tag[], flat: boolean): Tag[] {
  return [...tags].sort(
    (a, b) =>
      (!flat && a.cum !== b.cum ? Math.abs(b.cum) - Math.abs(a.cum) : 0) ||
      (a.flat !== b.flat ? Math.abs(b.flat) - Math.abs(a.flat) : 0) ||
      compareText(a.name, b.name),
  );
}
