import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProfileData, sampleCount } from '../src/profile/profile-data';
import { callGraph, GRAPH_DEFAULTS, TrimOptions } from '../src/report/callgraph';
import { goPprofDotText, goPprofPeek, goPprofTags, goPprofTool, GoPprofOptions } from './support/go-pprof';
import { Case, expectSameGraph, load, ourPeek, ourTop, pprofOptions, pprofTop, sampleIndex } from './support/pprof-views';
import { buildServerProgram, writeServerProfile } from './support/server-program';
import { labelPairs, ourTags, withLabelKeys, withSamples } from './support/tags';

// Our views against the real `go tool pprof` on profiles shaped like a large Go server's, written by the bench's Go
// program (bench/generate-server-program.ts, built small): a heap profile of deep stacks (20-45 locations), locations
// of 2 and 3 lines (main.step and main.hop inlined into their callers) and a numeric `bytes` label on every sample;
// a CPU profile with pprof.Do string labels (handler, tenant, worker) on 30-plus frames.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-profiles-vs-pprof-'));
const HEAP = path.join(dir, 'heap.pb.gz');
const CPU = path.join(dir, 'cpu.pb.gz');

// pprof and the program are built on first use (a cold Go cache takes a minute or more).
beforeAll(async () => {
  await Promise.all([goPprofTool(), buildServerProgram()]);
  await Promise.all([
    writeServerProfile('heap', HEAP, { paths: 3000 }),
    writeServerProfile('cpu', CPU, { seconds: 2, hz: 1000, paths: 500, 'min-depth': 28 }),
  ]);
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function depths(data: ProfileData): number[] {
  return Array.from({ length: sampleCount(data) }, (_, s) => data.sampleStart[s + 1] - data.sampleStart[s]);
}

function linesPerLocation(data: ProfileData): Set<number> {
  const counts = new Set<number>();
  for (let i = 0; i + 1 < data.locationFrameStart.length; i++) counts.add(data.locationFrameStart[i + 1] - data.locationFrameStart[i]);
  return counts;
}

const EVERYTHING: TrimOptions = { nodeFraction: 0, edgeFraction: 0, nodeCount: 0 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The heaviest functions by cum, and the inlined helpers (every call site through them is a multi-line location). */
function peekNames(data: ProfileData, c: Case = {}): string[] {
  const rows = ourTop(data, c).rows;
  const heaviest = [...rows].sort((a, b) => b.cum - a.cum).slice(0, 3).map((r) => r.name);
  return [...new Set([...heaviest, 'main.step', 'main.hop', rows[0].name])].filter((name) => rows.some((r) => r.name === name));
}

async function expectSamePeeks(file: string, data: ProfileData, c: Case, extra: GoPprofOptions = {}) {
  const names = peekNames(data, c);
  expect(names.length).toBeGreaterThanOrEqual(3);
  for (const name of names) {
    const ours = ourPeek(data, name, c);
    expect(ours).toBeDefined();
    expect({ name, ...ours }).toEqual({ name, ...(await goPprofPeek(file, name, { ...pprofOptions(c), ...extra })) });
  }
}

/**
 * The nodelets of a DOT graph, by id, with their text: the label sets ("handler:/graphql\ntenant:...") and object
 * sizes ("48B..112B") that the decoded labels make. (Their values are left out, as styles() leaves out the nodes':
 * pprof scales all of a graph's values to one unit.)
 */
function nodelets(dot: string): string[] {
  return dot
    .split('\n')
    .map((line) => /^(N?N\d+_\d+) \[label = "((?:[^"\\]|\\.)*)"/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
}

describe('the deep heap profile', () => {
  test('has the shape it stands for: deep stacks, 2- and 3-line locations, a bytes label on every sample', () => {
    const data = load(HEAP);
    const d = depths(data);
    expect(sampleCount(data)).toBeGreaterThan(2500);
    expect(median(d)).toBeGreaterThanOrEqual(25);
    expect(Math.max(...d)).toBeGreaterThanOrEqual(40);
    expect([...linesPerLocation(data)].sort()).toEqual([1, 2, 3]);
    expect(Array.from(data.sampleBytes).filter((b) => !Number.isNaN(b)).length).toBeGreaterThanOrEqual(sampleCount(data) - 5);
  });

  const CASES: Array<[string, Case]> = [
    ['inuse_space (the default)', {}],
    ['alloc_space', { sample: 'alloc_space' }],
    ['alloc_objects', { sample: 'alloc_objects' }],
    ['inuse_objects', { sample: 'inuse_objects' }],
    ['lines', { granularity: 'lines' }],
    ['filefunctions', { granularity: 'filefunctions' }],
    ['hide an inlined helper', { refine: { hide: '^main\\.hop$' } }],
    ['focus on an inlined helper', { refine: { focus: '^main\\.hop$' } }],
    ['ignore every main.fN but main.f0', { refine: { ignore: '^main\\.f[1-9]\\d*$' } }],
    ['show_from an inlined helper', { refine: { show_from: '^main\\.step$' } }],
    ['show, lines', { granularity: 'lines', refine: { show: '^main\\.(f\\d+|step)$' } }],
  ];

  test.each(CASES)('top table equals go tool pprof -top -nodefraction=0 (flat, cum, inline marks): %s', async (_name, c) => {
    const ours = ourTop(load(HEAP), c);
    expect(ours).toEqual(await pprofTop(HEAP, c));
    expect(ours.rows.length).toBeGreaterThan(1);
  });

  test('inline marks are there to compare: the helpers are always inlined, their callers sometimes', async () => {
    const rows = (await pprofTop(HEAP, {})).rows;
    expect(rows.find((r) => r.name === 'main.step')?.inline).toBe('inline');
    expect(rows.find((r) => r.name === 'main.hop')?.inline).toBe('inline');
    expect(rows.some((r) => r.inline === undefined)).toBe(true);
  });

  test.each(CASES.slice(0, 7))('peek equals go tool pprof -peek: %s', async (_name, c) => {
    await expectSamePeeks(HEAP, load(HEAP), c);
  });

  test.each([
    ['default trimming', GRAPH_DEFAULTS],
    ['every node and edge', EVERYTHING],
  ])('call graph (with the bytes nodelets) equals go tool pprof -dot: %s', async (_name, trim) => {
    const ours = await expectSameGraph(HEAP, {}, trim);
    expect(ours.dot).toMatch(/^NN\d+_\d+ \[label = "\d+B(\.\.\d+B)?"/m);
  });

  test.each(['inuse_space', 'alloc_space'])('the size nodelets say what pprof\'s say, at %s', async (sample) => {
    const data = load(HEAP);
    const c: Case = { sample };
    const ours = callGraph(data, { sampleIndex: sampleIndex(data, c), granularity: 'functions', refine: {}, trim: GRAPH_DEFAULTS });
    const reference = nodelets(await goPprofDotText(HEAP, { ...pprofOptions(c), ...GRAPH_DEFAULTS }));
    expect(nodelets(ours.dot)).toEqual(reference);
    expect(reference.length).toBeGreaterThanOrEqual(4);
  });

  test.each(['inuse_space', 'alloc_space', 'alloc_objects'])('the bytes label equals go tool pprof -tags, weighted by %s', async (sample) => {
    const data = load(HEAP);
    const reference = await goPprofTags(HEAP, { sampleIndex: sample });
    expect(ourTags(data, sampleIndex(data, { sample }))).toEqual(reference);
    expect(Object.keys(reference.keys)).toEqual(['bytes']);
    expect(Object.keys(reference.keys.bytes.values).length).toBeGreaterThan(10);
  });

  const bytes = (data: ProfileData, s: number) => data.sampleBytes[s];
  const NUMERIC: Array<[string, GoPprofOptions, (data: ProfileData, s: number) => boolean]> = [
    ['tagfocus=bytes=256B:', { tagFocus: 'bytes=256B:' }, (d, s) => bytes(d, s) >= 256],
    ['tagfocus=bytes=:64B', { tagFocus: 'bytes=:64B' }, (d, s) => bytes(d, s) <= 64],
    ['tagfocus=bytes=96B:200B', { tagFocus: 'bytes=96B:200B' }, (d, s) => bytes(d, s) >= 96 && bytes(d, s) <= 200],
    ['tagignore=bytes=100B:200B', { tagIgnore: 'bytes=100B:200B' }, (d, s) => !(bytes(d, s) >= 100 && bytes(d, s) <= 200)],
  ];

  test.each(NUMERIC)('the samples %s keeps (by the decoded bytes label) give pprof\'s top, peek and tags', async (_name, options, keep) => {
    await expectTagFilter(HEAP, options, keep);
  });

  test('taghide=bytes: the call graph without its size nodelets equals pprof\'s', async () => {
    const data = withLabelKeys(load(HEAP), (key) => key !== 'bytes');
    const ours = await expectSameGraph(HEAP, {}, GRAPH_DEFAULTS, { data, pprof: { tagHide: 'bytes' } });
    expect(ours.dot).not.toMatch(/^NN/m);
  });
});

describe('the labelled CPU profile', () => {
  test('has the shape it stands for: 30-plus frames, three string labels on every sample', () => {
    const data = load(CPU);
    expect(sampleCount(data)).toBeGreaterThan(100);
    expect(median(depths(data))).toBeGreaterThanOrEqual(30);
    expect([...linesPerLocation(data)].sort()).toEqual([1, 2, 3]);
    const keys = new Set<string>();
    let labelled = 0;
    for (let s = 0; s < sampleCount(data); s++) {
      const pairs = labelPairs(data, s);
      if (pairs.length === 3) labelled++;
      for (const [key] of pairs) keys.add(key);
    }
    expect([...keys].sort()).toEqual(['handler', 'tenant', 'worker']);
    expect(labelled).toBeGreaterThanOrEqual(sampleCount(data) * 0.9);
  });

  const CASES: Array<[string, Case]> = [
    ['cpu (the default)', {}],
    ['samples', { sample: 'samples' }],
    ['lines', { granularity: 'lines' }],
    ['hide the runtime', { refine: { hide: '^runtime\\.' } }],
    ['focus on an inlined helper', { refine: { focus: '^main\\.step$' } }],
  ];

  test.each(CASES)('top table equals go tool pprof -top -nodefraction=0: %s', async (_name, c) => {
    const ours = ourTop(load(CPU), c);
    expect(ours).toEqual(await pprofTop(CPU, c));
    expect(ours.rows.length).toBeGreaterThan(1);
  });

  test.each(CASES)('peek equals go tool pprof -peek: %s', async (_name, c) => {
    await expectSamePeeks(CPU, load(CPU), c);
  });

  test.each([
    ['default trimming', GRAPH_DEFAULTS],
    ['every node and edge', EVERYTHING],
  ])('call graph equals go tool pprof -dot, its label nodelets included: %s', async (name, trim) => {
    const ours = await expectSameGraph(CPU, {}, trim);
    const reference = nodelets(await goPprofDotText(CPU, trim));
    expect(nodelets(ours.dot)).toEqual(reference);
    if (name === 'every node and edge') {
      expect(reference.length).toBeGreaterThanOrEqual(8);
      expect(ours.dot).toMatch(/^N\d+_\d+ \[label = "handler:[^"]*\\ntenant:tenant-\d+\\nworker:\d+"/m);
    }
  });

  test.each(['cpu', 'samples'])('the labels equal go tool pprof -tags, weighted by %s', async (sample) => {
    const data = load(CPU);
    const reference = await goPprofTags(CPU, { sampleIndex: sample });
    expect(ourTags(data, sampleIndex(data, { sample }))).toEqual(reference);
    expect(Object.keys(reference.keys).sort()).toEqual(['handler', 'tenant', 'worker']);
  });

  const has = (data: ProfileData, s: number, key: string, value: RegExp) => labelPairs(data, s).some(([k, v]) => k === key && value.test(v));
  const FILTERS: Array<[string, GoPprofOptions, (data: ProfileData, s: number) => boolean]> = [
    ['tagfocus=handler=/api/v1/(orders|users)', { tagFocus: 'handler=/api/v1/(orders|users)' }, (d, s) => has(d, s, 'handler', /\/api\/v1\/(orders|users)/)],
    // Without a key, pprof matches each regex against "key:value".
    ['tagfocus=tenant-1', { tagFocus: 'tenant-1' }, (d, s) => labelPairs(d, s).some(([k, v]) => /tenant-1/.test(`${k}:${v}`))],
    ['tagfocus=^handler:/api/v2,^worker:1$ (both, any key)', { tagFocus: '^handler:/api/v2,^worker:1$' }, (d, s) => [/^handler:\/api\/v2/, /^worker:1$/].every((re) => labelPairs(d, s).some(([k, v]) => re.test(`${k}:${v}`)))],
    ['tagfocus=handler=healthz,metrics (either)', { tagFocus: 'handler=healthz,metrics' }, (d, s) => has(d, s, 'handler', /healthz/) || has(d, s, 'handler', /metrics/)],
    ['tagignore=worker=^0$', { tagIgnore: 'worker=^0$' }, (d, s) => !has(d, s, 'worker', /^0$/)],
    ['tagfocus=handler=/graphql, tagignore=tenant=tenant-3', { tagFocus: 'handler=/graphql', tagIgnore: 'tenant=tenant-3' }, (d, s) => has(d, s, 'handler', /\/graphql/) && !has(d, s, 'tenant', /tenant-3/)],
  ];

  test.each(FILTERS)('the samples %s keeps (by the decoded labels) give pprof\'s top, peek and tags', async (_name, options, keep) => {
    await expectTagFilter(CPU, options, keep);
  });

  const KEYS: Array<[string, GoPprofOptions, (key: string) => boolean]> = [
    ['tagshow=handler', { tagShow: 'handler' }, (key) => /handler/.test(key)],
    ['taghide=tenant|worker', { tagHide: 'tenant|worker' }, (key) => !/tenant|worker/.test(key)],
    ['tagshow=n, taghide=^w', { tagShow: 'n', tagHide: '^w' }, (key) => /n/.test(key) && !/^w/.test(key)],
  ];

  test.each(KEYS)('with the label keys %s keeps, the call graph and tags equal pprof\'s', async (_name, options, keep) => {
    const data = withLabelKeys(load(CPU), keep);
    const ours = await expectSameGraph(CPU, {}, EVERYTHING, { data, pprof: options });
    expect(ours.dot).toMatch(/^N\d+_\d+ \[label = "handler:/m);
    expect(nodelets(ours.dot)).toEqual(nodelets(await goPprofDotText(CPU, { ...options, ...EVERYTHING })));
    const reference = await goPprofTags(CPU, options);
    expect(ourTags(data, data.defaultSampleIndex)).toEqual(reference);
    expect(Object.keys(reference.keys).sort()).toEqual(['handler', 'tenant', 'worker'].filter(keep));
  });
});

/**
 * pprof's -tagfocus/-tagignore drop the samples they do not keep before the report (its total stays the whole
 * profile's: report.New runs first). The same samples, picked by the decoded labels, must give pprof's top table,
 * peek and tags report.
 */
async function expectTagFilter(file: string, options: GoPprofOptions, keep: (data: ProfileData, s: number) => boolean) {
  const full = load(file);
  const data = withSamples(full, (s) => keep(full, s));
  // The filter has something to do, and leaves something.
  expect(sampleCount(data)).toBeGreaterThan(0);
  expect(sampleCount(data)).toBeLessThan(sampleCount(full));
  const top = ourTop(data, {});
  expect({ total: ourTop(full, {}).total, rows: top.rows }).toEqual(await pprofTop(file, {}, options));
  for (const name of [...top.rows].sort((a, b) => b.cum - a.cum).slice(0, 2).map((r) => r.name)) {
    expect({ name, ...ourPeek(data, name) }).toEqual({ name, ...(await goPprofPeek(file, name, options)) });
  }
  const tags = ourTags(data, data.defaultSampleIndex);
  expect({ ...tags, total: ourTags(full, full.defaultSampleIndex).total }).toEqual(await goPprofTags(file, options));
}
