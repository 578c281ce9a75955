// Our views next to `go tool pprof`'s on the same bytes: the comparisons views-vs-pprof.test.ts and
// server-profiles-vs-pprof.test.ts share (each test file asserts with these; they hold no expectations of their own
// but expectSameGraph's).
import fs from 'node:fs';
import { decodeProfile } from '../../src/profile/decode';
import { ProfileData } from '../../src/profile/profile-data';
import { aggregate } from '../../src/report/aggregate';
import { callGraph, GRAPH_DEFAULTS, TrimOptions } from '../../src/report/callgraph';
import { Granularity } from '../../src/report/granularity';
import { peek } from '../../src/report/peek';
import { RefineOptions } from '../../src/report/refine';
import { topTable } from '../../src/report/top';
import { goPprofDot, goPprofTopText, GoPprofOptions, GoPprofPeek } from './go-pprof';

export const MAX = 1 << 30;

export interface Case {
  refine?: RefineOptions;
  granularity?: Granularity;
  sample?: string;
}

const loaded = new Map<string, ProfileData>();

/** The file decoded once per test file (by path: write each case's profile to its own file). */
export function load(file: string): ProfileData {
  let data = loaded.get(file);
  if (!data) {
    data = decodeProfile(fs.readFileSync(file), { maxBytes: MAX });
    loaded.set(file, data);
  }
  return data;
}

export function pprofOptions(c: Case): GoPprofOptions {
  const r = c.refine ?? {};
  return { sampleIndex: c.sample, granularity: c.granularity, focus: r.focus, ignore: r.ignore, hide: r.hide, show: r.show, showFrom: r.show_from };
}

export function sampleIndex(data: ProfileData, c: Case): number {
  return c.sample ? data.sampleTypes.findIndex((t) => t.type === c.sample) : data.defaultSampleIndex;
}

export interface TopRows {
  total: number;
  rows: Array<{ name: string; flat: number; cum: number; inline?: string }>;
}

/** pprof -top rows with the inline suffix kept (goPprofTop strips it). `extra`: pprof options no Case has (tag filters). */
export async function pprofTop(file: string, c: Case, extra: GoPprofOptions = {}): Promise<TopRows> {
  const text = await goPprofTopText(file, { ...pprofOptions(c), ...extra, unit: 'ns' });
  const total = Number(/of (-?[\d.]+)[a-zA-Z]* total/.exec(text)?.[1]);
  const rows = text
    .split('\n')
    .map((l) => /^\s*(-?[\d.]+)[a-zA-Z]*\s+\S+%\s+\S+%\s+(-?[\d.]+)[a-zA-Z]*\s+\S+%  (.*?)(?: \(((?:partial-)?inline)\))?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[3], flat: Number(m[1]), cum: Number(m[2]), ...(m[4] ? { inline: m[4] } : {}) }));
  return { total, rows };
}

export function ourTop(data: ProfileData, c: Case): TopRows {
  const model = aggregate(data, { granularity: c.granularity, refine: c.refine });
  const table = topTable(data, model, sampleIndex(data, c));
  return { total: table.total, rows: table.rows.map((r) => ({ name: r.name, flat: r.flat, cum: r.cum, ...(r.inline ? { inline: r.inline } : {}) })) };
}

/** Our peek in goPprofPeek's shape; undefined when the node has no value. */
export function ourPeek(data: ProfileData, name: string, c: Case = {}): GoPprofPeek | undefined {
  const ours = peek(data, { granularity: c.granularity ?? 'functions', refine: c.refine ?? {}, sampleIndex: sampleIndex(data, c), name });
  if (!ours) return undefined;
  const strip = (edges: Array<{ name: string; value: number }>) => edges.map(({ name: n, value }) => ({ name: n, value }));
  return { flat: ours.flat, cum: ours.cum, callers: strip(ours.callers), callees: strip(ours.callees) };
}

export interface SameGraphOptions {
  /** What to draw (default: the file decoded); with `pprof`, the data pprof's own filters would leave. */
  data?: ProfileData;
  /** pprof options no Case has (tag filters). */
  pprof?: GoPprofOptions;
}

/** Our call graph's nodes, edges and DOT styles equal `go tool pprof -dot`'s. */
export async function expectSameGraph(file: string, c: Case, trim: TrimOptions = GRAPH_DEFAULTS, options: SameGraphOptions = {}) {
  const data = options.data ?? load(file);
  const ours = callGraph(data, { sampleIndex: sampleIndex(data, c), granularity: c.granularity ?? 'functions', refine: c.refine ?? {}, trim });
  const reference = await goPprofDot(file, { ...pprofOptions(c), ...options.pprof, nodeFraction: trim.nodeFraction, edgeFraction: trim.edgeFraction, nodeCount: trim.nodeCount });
  expect(ours.nodes.map((n) => n.name)).toEqual(reference.nodes);
  const name = (id: number) => ours.nodes[id - 1].name;
  const edges = ours.edges.map((e) => ({ from: name(e.from), to: name(e.to), value: e.value, inline: e.inline === true, residual: e.residual === true }));
  expect(edges).toEqual(reference.edges);
  expect(styles(ours.dot)).toEqual(styles(reference.dot));
  return ours;
}

/**
 * What pprof's DOT says with size and colour, per node, nodelet and edge, by id (node ids follow pprof's node
 * order, compared above). Labels differ: pprof scales all values to one unit.
 */
export function styles(dot: string): string[] {
  return dot
    .split('\n')
    .map((line) => /^(N\w+(?: -> N\w+)?) \[/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const attrs = ['fontsize', 'shape', 'color', 'fillcolor', 'weight', 'penwidth', 'style', 'minlen'].map((a) => {
        const value = new RegExp(` ${a}=("[^"]*"|[^\\s\\]]+)`).exec(m.input)?.[1];
        return value === undefined ? '' : `${a}=${value}`;
      });
      return `${m[1]} ${attrs.filter(Boolean).join(' ')}`;
    })
    .sort();
}
