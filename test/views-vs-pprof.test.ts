import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregate } from '../src/report/aggregate';
import { callGraph, GRAPH_DEFAULTS, TrimOptions } from '../src/report/callgraph';
import { Granularity } from '../src/report/granularity';
import { peek } from '../src/report/peek';
import { topTable } from '../src/report/top';
import { goPprofDot, goPprofPeek, goPprofTool } from './support/go-pprof';
import { Case, expectSameGraph, load, ourTop, pprofOptions, pprofTop, sampleIndex } from './support/pprof-views';
import { Function as PFunction, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import zlib from 'node:zlib';
import { startGoTarget } from './support/go-target';
import { encodeGzipped, syntheticProfile, SyntheticSample } from './support/synthetic-profile';

// Every view's numbers against the real `go tool pprof` (the machine's Go) on the same bytes, sample type and
// refinement. The fixtures were captured by Go 1.19 (fixtures/profiles/README.md).
const DIR = path.join(__dirname, 'fixtures', 'profiles');

// The first run builds pprof (see goPprofTool): allow for a cold Go cache.
beforeAll(() => goPprofTool(), 180_000);

const REFINEMENTS: Array<[string, Case]> = [
  ['nothing', {}],
  ['focus', { refine: { focus: 'main\\.' } }],
  ['ignore', { refine: { ignore: 'runtime\\.(gopark|chanrecv)' } }],
  ['focus+ignore', { refine: { focus: 'main', ignore: 'waitOnChannel|fillBuffers|mixBits' } }],
  ['hide', { refine: { hide: '^runtime\\.' } }],
  ['show', { refine: { show: 'main\\.|sync' } }],
  ['show_from', { refine: { show_from: '^main\\.' } }],
  // Matches no function or file, only the binary's mapping (.../.cache/go-target/gotarget).
  ['focus on the mapping', { refine: { focus: 'go-target' } }],
  ['hide the mapping', { refine: { hide: 'go-target' } }],
  ['(?i) flag', { refine: { focus: '(?i)MAIN\\.' } }],
  ['lines', { granularity: 'lines' }],
  ['files', { granularity: 'files' }],
  ['filefunctions', { granularity: 'filefunctions' }],
  ['lines, focus, hide', { granularity: 'lines', refine: { focus: 'main', hide: 'runtime' } }],
];

const FIXTURES = ['heap', 'allocs', 'goroutine', 'cpu', 'block', 'mutex', 'threadcreate'];
const OTHER_SAMPLES: Array<[string, Case]> = [
  ['heap', { sample: 'alloc_objects' }],
  ['heap', { sample: 'inuse_objects', refine: { focus: 'allocSmall' } }],
  ['allocs', { sample: 'alloc_space', refine: { show_from: 'fill' } }],
  ['block', { sample: 'contentions' }],
];

describe.each(FIXTURES)('%s.pb.gz', (fixture) => {
  const file = path.join(DIR, `${fixture}.pb.gz`);

  test.each(REFINEMENTS)('top table equals go tool pprof -top, refined by %s', async (_name, c) => {
    expect(ourTop(load(file), c)).toEqual(await pprofTop(file, c));
  });

  test.each(REFINEMENTS)('call graph nodes and edges equal go tool pprof -dot, refined by %s', async (_name, c) => {
    await expectSameGraph(file, c);
  });

  test('peek at the three heaviest functions equals go tool pprof -peek', async () => {
    const data = load(file);
    const model = aggregate(data);
    const index = data.defaultSampleIndex;
    const names = [...topTable(data, model, index).rows].sort((a, b) => b.cum - a.cum).slice(0, 3).map((r) => r.name);
    for (const name of names) {
      const ours = peek(data, { granularity: 'functions', refine: {}, sampleIndex: index, name });
      const reference = await goPprofPeek(file, name);
      const strip = (edges: Array<{ name: string; value: number }>) => edges.map(({ name: n, value }) => ({ name: n, value }));
      expect({ flat: ours?.flat, cum: ours?.cum, callers: strip(ours?.callers ?? []), callees: strip(ours?.callees ?? []) }).toEqual(reference);
    }
  });
});

// Profiles of today's Go (the machine's, 1.26) hold more than the Go 1.19 fixtures: functions carry start lines,
// which pprof keeps in a node's key where the name is dropped (files granularity), and the mapping a build ID.
describe('profiles captured from the live Go target, built by the machine\'s Go', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-live-'));
  const LIVE = ['heap', 'allocs', 'goroutine', 'block', 'mutex'];
  const GRANULAR: Array<[string, Case]> = REFINEMENTS.filter(([name]) => ['nothing', 'lines', 'files', 'filefunctions', 'hide'].includes(name));

  beforeAll(async () => {
    const target = await startGoTarget();
    try {
      for (const type of LIVE) {
        const response = await fetch(`${target.url}/debug/pprof/${type}`);
        fs.writeFileSync(path.join(dir, `${type}.pb.gz`), Buffer.from(await response.arrayBuffer()));
      }
    } finally {
      await target.stop();
    }
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('they record function start lines (what the Go 1.19 fixtures lack)', () => {
    const data = load(path.join(dir, 'heap.pb.gz'));
    expect(Array.from(data.frameStartLine).some((line) => line > 0)).toBe(true);
  });

  describe.each(LIVE)('%s', (type) => {
    test.each(GRANULAR)('top and call graph equal go tool pprof: %s', async (_name, c) => {
      const file = path.join(dir, `${type}.pb.gz`);
      if (c.granularity !== 'files') {
        expect(ourTop(load(file), c)).toEqual(await pprofTop(file, c));
        await expectSameGraph(file, c);
        return;
      }
      // At files granularity each function of a file is a node of its own, all printed by the file's name. pprof's
      // sort finds such rows neither less nor greater than each other (comparePrintableName), so its unstable sort
      // leaves them in no defined order: compare the rows, nodes and edges as sets, the numbers exactly.
      const bySet = <T>(items: T[]) => items.map((item) => JSON.stringify(item)).sort();
      const [ours, reference] = [ourTop(load(file), c), await pprofTop(file, c)];
      expect(ours.total).toBe(reference.total);
      expect(bySet(ours.rows)).toEqual(bySet(reference.rows));
      // The case this test is for, a file with several functions, is in every live profile but mutex: its few
      // stacks (contendMutex unlocking) show sync/mutex.go's slow path only when a waiter was there to wake.
      if (type !== 'mutex') expect(new Set(ours.rows.map((r) => r.name)).size).toBeLessThan(ours.rows.length);
      const data = load(file);
      const graph = callGraph(data, { sampleIndex: sampleIndex(data, c), granularity: 'files', refine: {}, trim: GRAPH_DEFAULTS });
      const dot = await goPprofDot(file, { ...pprofOptions(c), ...GRAPH_DEFAULTS });
      const name = (id: number) => graph.nodes[id - 1].name;
      expect(bySet(graph.nodes.map((n) => n.name))).toEqual(bySet(dot.nodes));
      expect(bySet(graph.edges.map((e) => ({ from: name(e.from), to: name(e.to), value: e.value, inline: e.inline === true, residual: e.residual === true })))).toEqual(bySet(dot.edges));
    });
  });
});

describe.each(OTHER_SAMPLES)('%s.pb.gz with another sample type', (fixture, c) => {
  const file = path.join(DIR, `${fixture}.pb.gz`);
  test(`top and call graph for ${JSON.stringify(c)} equal go tool pprof`, async () => {
    expect(ourTop(load(file), c)).toEqual(await pprofTop(file, c));
    await expectSameGraph(file, c);
  });
});

describe('node selection when the graph has more nodes than the node count', () => {
  const file = path.join(DIR, 'goroutine.pb.gz');
  test.each([
    [{ nodeFraction: 0, edgeFraction: 0, nodeCount: 10 }, 'functions'],
    [{ nodeFraction: 0.01, edgeFraction: 0.01, nodeCount: 25 }, 'lines'],
  ] as Array<[TrimOptions, Granularity]>)('%j at %s granularity', async (trim, granularity) => {
    const ours = await expectSameGraph(file, { granularity }, trim);
    expect(ours.nodes.length).toBeLessThanOrEqual(trim.nodeCount);
    expect(ours.dot).toMatch(/Showing top \d+ nodes out of \d+/);
  });

  test('heap tags (object sizes) count against the node count as pprof counts nodelets', async () => {
    const heap = path.join(DIR, 'heap.pb.gz');
    for (const nodeCount of [4, 6, 9]) await expectSameGraph(heap, { sample: 'alloc_space' }, { nodeFraction: 0, edgeFraction: 0, nodeCount });
  });
});

describe('synthetic profiles for what real ones rarely show', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'views-vs-pprof-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const SAMPLES: SyntheticSample[] = [
    { stack: ['main.leaf+main.inlined+main.caller', 'main.main'], values: [5] },
    { stack: ['main.inlined+main.other', 'main.main'], values: [3] },
    { stack: ['main.inlined', 'main.direct', 'main.main'], values: [2] },
    { stack: ['main.f', 'main.g', 'main.f', 'main.g', 'main.main'], values: [7] },
    { stack: ['runtime.x', 'main.f', 'runtime.y', 'main.main'], values: [4] },
    { stack: [], values: [9] },
  ];
  const CASES: Array<[string, Case]> = [
    ['nothing', {}],
    ['show_from inside an inlined location', { refine: { show_from: 'main\\.inlined' } }],
    ['hide the outer function of an inlined location', { refine: { hide: 'main\\.caller|main\\.other' } }],
    ['show keeps only some lines', { refine: { show: 'main\\.(inlined|main|f)$' } }],
    ['focus on a recursive function', { refine: { focus: 'main\\.g' } }],
    ['ignore and hide', { refine: { ignore: 'direct', hide: 'runtime' } }],
    ['lines', { granularity: 'lines' }],
  ];

  test('a residual edge over a dropped node goes when another path covers it (RemoveRedundantEdges)', async () => {
    const file = path.join(dir, 'redundant.pb.gz');
    const samples = [
      { stack: ['main.c', 'main.x', 'main.a', 'main.main'], values: [1] },
      { stack: ['main.c', 'main.y', 'main.a', 'main.main'], values: [100] },
    ];
    fs.writeFileSync(file, encodeGzipped(syntheticProfile([['samples', 'count']], samples)));
    const ours = await expectSameGraph(file, {}, { nodeFraction: 0.05, edgeFraction: 0, nodeCount: 0 });
    expect(ours.nodes.map((n) => n.name)).not.toContain('main.x');
    expect(ours.edges).toHaveLength(3);
  });

  test.each([
    ['nothing', {}],
    ['show', { refine: { show: 'main' } }],
    ['hide the binary', { refine: { hide: 'libfoo' } }],
    ['files', { granularity: 'files' }],
  ] as Array<[string, Case]>)('unsymbolized locations are named by their binary, as pprof names them: %s', async (name, c) => {
    const file = path.join(dir, `unsymbolized-${name.replace(/\W+/g, '-')}.pb.gz`);
    fs.writeFileSync(file, zlib.gzipSync(unsymbolizedProfile().encode()));
    const top = ourTop(load(file), c);
    expect(top).toEqual(await pprofTop(file, c));
    if (name === 'nothing') expect(top.rows.map((r) => r.name).sort()).toEqual(['[app]', '[libfoo.so]', 'main.main', 'main.nofile']);
    await expectSameGraph(file, c, { nodeFraction: 0, edgeFraction: 0, nodeCount: 0 });
  });

  test.each(CASES)('top, call graph and peek equal go tool pprof: %s', async (name, c) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.pb.gz`);
    fs.writeFileSync(file, encodeGzipped(syntheticProfile([['samples', 'count']], SAMPLES)));
    expect(ourTop(load(file), c)).toEqual(await pprofTop(file, c));
    await expectSameGraph(file, c, { nodeFraction: 0, edgeFraction: 0, nodeCount: 0 });
    const data = load(file);
    for (const fn of ['main.f', 'main.inlined']) {
      const ours = peek(data, { granularity: c.granularity ?? 'functions', refine: c.refine ?? {}, sampleIndex: 0, name: fn });
      if (!ours) continue;
      const reference = await goPprofPeek(file, fn, pprofOptions(c));
      expect({ flat: ours.flat, cum: ours.cum, callers: ours.callers.map((e) => ({ name: e.name, value: e.value })), callees: ours.callees.map((e) => ({ name: e.name, value: e.value })) }).toEqual(reference);
    }
  });
});

/** Two binaries; some locations without lines (no symbols), one function without a file. */
function unsymbolizedProfile(): Profile {
  const strings = new StringTable();
  const fn = (id: number, name: string, file: string) => new PFunction({ id, name: strings.dedup(name), filename: strings.dedup(file) });
  const functions = [fn(1, 'main.main', '/src/./main/../main/main.go'), fn(2, 'main.nofile', '')];
  const location = (id: number, mappingId: number, functionId?: number) =>
    new Location({ id, mappingId, address: 0x1000 * id, line: functionId ? [new Line({ functionId, line: 7 })] : [] });
  const locations = [location(1, 1, 1), location(2, 2), location(3, 2), location(4, 1, 2), location(5, 1)];
  const sample = (ids: number[], value: number) => new Sample({ locationId: ids, value: [value] });
  return new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
    sample: [sample([2, 1], 5), sample([3, 4, 1], 3), sample([5, 1], 2), sample([4, 2, 1], 1)],
    mapping: [new Mapping({ id: 1, filename: strings.dedup('/usr/bin/app') }), new Mapping({ id: 2, filename: strings.dedup('/lib/libfoo.so') })],
    location: locations,
    function: functions,
    stringTable: strings,
  });
}
