import fc from 'fast-check';
import { decodeProfile } from '../src/profile/decode';
import { ProfileData } from '../src/profile/profile-data';
import { searchFlame } from '../src/report/flame-search';
import { flameStacks, FlameStacksOptions } from '../src/report/flame-stacks';
import { FlameGraphData, flameGraph } from '../src/report/flamegraph';
import { encodeGzipped, SyntheticSample, syntheticProfile } from './support/synthetic-profile';

// The flame graph the viewer draws is cut from every sample's stack for each zoom. These tests compare the cut
// with a call tree built the plain way (a node per distinct call path), which is what it must agree with.

const MAX = 64 * 1024 * 1024;
const TYPES: Array<[string, string]> = [['alloc_space', 'bytes'], ['inuse_space', 'bytes']];
const PLAIN: FlameStacksOptions = { granularity: 'functions', refine: {}, inverted: false };

function profileOf(samples: SyntheticSample[], extra: Parameters<typeof syntheticProfile>[2] = {}): ProfileData {
  return decodeProfile(encodeGzipped(syntheticProfile(TYPES, samples, extra)), { maxBytes: MAX });
}

/** "a;b;c" (root first) -> [total, self], for every call path of the plain call tree. */
function referenceTree(samples: SyntheticSample[], t: number, inverted = false): Map<string, [number, number]> {
  const paths = new Map<string, [number, number]>();
  for (const { stack, values } of samples) {
    if (values[t] === 0) continue;
    const frames = inverted ? stack : [...stack].reverse();
    for (let d = 1; d <= frames.length; d++) {
      const key = frames.slice(0, d).join(';');
      const entry = paths.get(key) ?? [0, 0];
      entry[0] += values[t];
      if (d === frames.length) entry[1] += values[t];
      paths.set(key, entry);
    }
  }
  return paths;
}

/** The cut's nodes below the root, as the same path -> [total, self] map. */
function cutPaths(graph: FlameGraphData): Map<string, [number, number]> {
  const pathOf: string[] = [''];
  const out = new Map<string, [number, number]>();
  for (let i = 1; i < graph.parent.length; i++) {
    const above = pathOf[graph.parent[i]];
    pathOf[i] = above ? `${above};${graph.names[graph.name[i]]}` : graph.names[graph.name[i]];
    out.set(pathOf[i], [graph.value[i], graph.self[i]]);
  }
  return out;
}

const samples: SyntheticSample[] = [
  { stack: ['main.hot', 'main.work', 'main.main'], values: [600, 60] },
  { stack: ['main.warm', 'main.work', 'main.main'], values: [300, 0] },
  { stack: ['main.tiny', 'main.work', 'main.main'], values: [1, 1] },
  { stack: ['main.work', 'main.main'], values: [50, 5] },
  { stack: ['main.walk', 'main.walk', 'main.other', 'main.main'], values: [49, 4] },
];

describe('flame graph cut from the stacks', () => {
  const data = profileOf(samples);
  const stacks = flameStacks(data, PLAIN);

  test('at full resolution, it is the plain call tree: every path with its total and self', () => {
    for (const t of [0, 1]) {
      const graph = flameGraph(data, stacks, { sampleIndex: t, zoom: [], resolution: 65536 });
      const expected = referenceTree(samples, t);
      expect(cutPaths(graph)).toEqual(expected);
      expect(graph.value[0]).toBe([...samples].reduce((sum, s) => sum + s.values[t], 0));
      graph.parent.forEach((p, i) => expect(p).toBeLessThan(i));
    }
  });

  test('frames worth less than 1/resolution of the zoomed frame are left out; their value stays in the parent', () => {
    const graph = flameGraph(data, stacks, { sampleIndex: 0, zoom: [], resolution: 100 }); // minValue 10
    expect(graph.minValue).toBe(10);
    const paths = cutPaths(graph);
    expect(paths.has('main.main;main.work;main.tiny')).toBe(false);
    expect(paths.get('main.main;main.work')).toEqual([951, 50]);
    const kept = [...paths.keys()].filter((p) => p.startsWith('main.main;main.work;'));
    expect(kept.sort()).toEqual(['main.main;main.work;main.hot', 'main.main;main.work;main.warm']);
  });

  test('zooming cuts again from every stack: what was too narrow at the root is there below the zoomed frame', () => {
    const zoomed = flameGraph(data, stacks, { sampleIndex: 0, zoom: ['main.main', 'main.work'], resolution: 100 });
    expect(zoomed.zoom).toBe(2);
    expect([0, 1, 2].map((i) => (i === 0 ? 'root' : zoomed.names[zoomed.name[i]]))).toEqual(['root', 'main.main', 'main.work']);
    expect(zoomed.value.slice(0, 3)).toEqual([1000, 1000, 951]);
    expect(zoomed.minValue).toBeCloseTo(9.51);
    expect(cutPaths(zoomed).get('main.main;main.work;main.tiny')).toBeUndefined(); // 1 < 9.51
    const fine = flameGraph(data, stacks, { sampleIndex: 0, zoom: ['main.main', 'main.work'], resolution: 1000 });
    expect(cutPaths(fine).get('main.main;main.work;main.tiny')).toEqual([1, 1]);
    // Only the zoom path is kept above the zoomed frame: main.other is not on it.
    expect([...cutPaths(fine).keys()].some((p) => p.includes('main.other'))).toBe(false);
  });

  test('a zoom path that no longer exists stops at its longest existing prefix', () => {
    const graph = flameGraph(data, stacks, { sampleIndex: 0, zoom: ['main.main', 'main.gone', 'main.hot'], resolution: 4096 });
    expect(graph.zoom).toBe(1);
    expect(graph.names[graph.name[1]]).toBe('main.main');
    expect(flameGraph(data, stacks, { sampleIndex: 0, zoom: ['nothing'], resolution: 4096 }).zoom).toBe(0);
  });

  test('a sample type in which a stack has no value leaves it out', () => {
    const graph = flameGraph(data, stacks, { sampleIndex: 1, zoom: [], resolution: 65536 });
    expect(cutPaths(graph).has('main.main;main.work;main.warm')).toBe(false);
    expect(graph.sampleType).toBe('inuse_space');
    expect(graph.total).toBe(70);
  });

  test('inverted, the roots are the leaves, each with its function\'s flat', () => {
    const inverted = flameStacks(data, { ...PLAIN, inverted: true });
    const graph = flameGraph(data, inverted, { sampleIndex: 0, zoom: [], resolution: 65536 });
    expect(cutPaths(graph)).toEqual(referenceTree(samples, 0, true));
    expect(cutPaths(graph).get('main.walk')).toEqual([49, 0]);
  });

  test('search counts each stack once, even when recursion matches twice, over every stack', () => {
    expect(searchFlame(data, stacks, { sampleIndex: 0, pattern: 'WALK' })).toEqual({ value: 49, functions: 1 });
    expect(searchFlame(data, stacks, { sampleIndex: 0, pattern: 'main\\.(tiny|walk)' })).toEqual({ value: 50, functions: 2 });
    expect(searchFlame(data, stacks, { sampleIndex: 1, pattern: 'warm' })).toEqual({ value: 0, functions: 0 });
  });

  test('each name carries a line to show: where its function starts, else the lowest line the profile has of it', () => {
    // Synthetic locations put a frame at line 10, or 11 when it is the caller an inlined frame was inlined into.
    const lined = profileOf(
      [
        { stack: ['main.leaf+main.caller', 'main.main'], values: [5, 5] },
        { stack: ['main.caller', 'main.main'], values: [1, 1] },
      ],
      { startLines: { 'main.main': 3 } },
    );
    const lineOf = (graph: FlameGraphData, name: string) => graph.lines[graph.names.indexOf(name)];
    const cut = (granularity: FlameStacksOptions['granularity']) => flameGraph(lined, flameStacks(lined, { ...PLAIN, granularity }), { sampleIndex: 0, zoom: [], resolution: 4096 });
    const functions = cut('functions');
    expect(lineOf(functions, 'main.main')).toBe(3);
    expect(lineOf(functions, 'main.caller')).toBe(10);
    expect(lineOf(functions, 'main.leaf')).toBe(10);
    expect(functions.lines[0]).toBe(0); // the root
    const lines = cut('lines');
    expect(lineOf(lines, 'main.caller /src/main.go:11')).toBe(11);
    expect(lineOf(lines, 'main.caller /src/main.go:10')).toBe(10);
    expect(cut('files').lines.every((line) => line === 0)).toBe(true);
  });

  test('refinements and granularity shape the stacks as they shape the other views', () => {
    const focused = flameStacks(data, { ...PLAIN, refine: { focus: 'walk' } });
    const graph = flameGraph(data, focused, { sampleIndex: 0, zoom: [], resolution: 65536 });
    expect([...cutPaths(graph).keys()]).toEqual(['main.main', 'main.main;main.other', 'main.main;main.other;main.walk', 'main.main;main.other;main.walk;main.walk']);
    const files = flameStacks(data, { ...PLAIN, granularity: 'files' });
    expect(files.names).toEqual(['/src/main.go']);
  });
});

describe('flame graph cut, against the plain call tree on random profiles', () => {
  const frame = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
  const sample = fc.record({ stack: fc.array(frame, { minLength: 1, maxLength: 7 }), values: fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 50 })) });

  test('every path worth at least minValue below the zoom is there with its exact values, and nothing narrower', () => {
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 200 }), fc.nat(5), fc.array(frame, { maxLength: 4 }), (raw, resolution, zoomAt, wander) => {
        const list = raw.map((s) => ({ stack: s.stack.map((f) => `pkg.${f}`), values: [...s.values] }));
        const data = profileOf(list);
        const stacks = flameStacks(data, PLAIN);
        const reference = referenceTree(list, 0);
        // Zoom along the first sample's stack, as far as zoomAt frames, then on along random frames: a path that
        // may not exist, of which the zoom is the longest prefix that does.
        const path = [...[...list[0].stack].reverse().slice(0, zoomAt), ...wander.map((f) => `pkg.${f}`)];
        let existing = 0;
        while (existing < path.length && reference.has(path.slice(0, existing + 1).join(';'))) existing++;
        const graph = flameGraph(data, stacks, { sampleIndex: 0, zoom: path, resolution });
        expect(graph.zoom).toBe(existing);
        const got = cutPaths(graph);
        const zoomPath = path.slice(0, graph.zoom).join(';');
        const zoomValue = zoomPath ? (reference.get(zoomPath)?.[0] ?? 0) : graph.value[0];
        expect(graph.minValue).toBeCloseTo(zoomValue / resolution);
        for (const [p, [total, self]] of reference) {
          const below = zoomPath === '' || p.startsWith(`${zoomPath};`);
          const onPath = zoomPath === p || zoomPath.startsWith(`${p};`);
          if (onPath) expect(got.get(p)).toEqual([total, self]);
          else if (below && total >= graph.minValue && ancestorsKept(p, zoomPath, reference, graph.minValue)) expect(got.get(p)).toEqual([total, self]);
          else expect(got.has(p)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Whether every frame between the zoomed one and p is itself wide enough to have been expanded. */
function ancestorsKept(p: string, zoomPath: string, reference: Map<string, [number, number]>, minValue: number): boolean {
  const parts = p.split(';');
  const from = zoomPath ? zoomPath.split(';').length : 0;
  for (let d = from + 1; d < parts.length; d++) {
    const [total, self] = reference.get(parts.slice(0, d).join(';')) as [number, number];
    if (total < minValue || total - self < minValue) return false;
  }
  return true;
}
