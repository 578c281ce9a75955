import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../src/errors';
import { ProfileData } from '../src/profile/profile-data';
import { GRAPH_DEFAULTS } from '../src/report/callgraph';
import { FlameGraphData } from '../src/report/flamegraph';
import { runReportJob } from '../src/report/jobs';
import { RefineOptions } from '../src/report/refine';
import { labelledProfile } from '../src/report/tags/labelled-profile';
import { parseViewQuery } from '../src/viewer/view-query';
import { goPprofPeek, goPprofTags, goPprofTool, GoPprofOptions, GoPprofTags } from './support/go-pprof';
import { Case, expectSameGraph, load, ourPeek, ourTop, pprofOptions, pprofTop, sampleIndex } from './support/pprof-views';
import { buildServerProgram, writeServerProfile } from './support/server-program';

// pprof's label options (-tagfocus, -tagignore, -tagshow, -taghide, -tagroot, -tagleaf) on our views, held to
// `go tool pprof` with the same options on the same file: a CPU profile with pprof.Do labels (handler, tenant,
// worker) from the bench's server program, and the heap fixture's numeric bytes label.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tags-vs-pprof-'));
const CPU = path.join(dir, 'cpu.pb.gz');
const HEAP = path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz');

beforeAll(async () => {
  await Promise.all([goPprofTool(), buildServerProgram()]);
  await writeServerProfile('cpu', CPU, { seconds: 1, hz: 1000, paths: 200, 'min-depth': 12 });
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function tagOptions(r: RefineOptions): GoPprofOptions {
  return { tagFocus: r.tagfocus, tagIgnore: r.tagignore, tagShow: r.tagshow, tagHide: r.taghide, tagRoot: r.tagroot, tagLeaf: r.tagleaf };
}

/** What the report jobs hand the views: the data as the label options leave it. */
const labelled = (data: ProfileData, c: Case) => labelledProfile(data, c.refine ?? {});

function ourLabels(data: ProfileData, c: Case): GoPprofTags {
  const breakdown = runReportJob(data, { kind: 'labels', request: { sampleIndex: sampleIndex(data, c), refine: c.refine ?? {} } });
  const keys: GoPprofTags['keys'] = {};
  for (const k of breakdown.keys) keys[k.key] = { total: k.total, values: Object.fromEntries(k.values.map((v) => [v.value, v.total])) };
  return { total: breakdown.total, keys };
}

const TOP_CASES: Array<[string, string, Case]> = [
  ['cpu', 'tagfocus=handler=/api/v1/(orders|users)', { refine: { tagfocus: 'handler=/api/v1/(orders|users)' } }],
  ['cpu', 'tagfocus=tenant=tenant-1$,tenant-2$ (either value)', { refine: { tagfocus: 'tenant=tenant-1$,tenant-2$' } }],
  ['cpu', 'tagfocus=^handler:/api/v2,^worker:1$ (both, any key)', { refine: { tagfocus: '^handler:/api/v2,^worker:1$' } }],
  ['cpu', 'tagignore=worker=^0$', { refine: { tagignore: 'worker=^0$' } }],
  ['cpu', 'tagfocus=tenant=tenant-1 with taghide=tenant (filters first)', { refine: { tagfocus: 'tenant=tenant-1', taghide: 'tenant' } }],
  ['cpu', 'tagfocus=worker=1 (a number is a range: worker has no numeric values, nothing matches)', { refine: { tagfocus: 'worker=1' } }],
  ['cpu', 'tagroot=tenant', { refine: { tagroot: 'tenant' } }],
  ['cpu', 'tagroot=handler,worker', { refine: { tagroot: 'handler,worker' } }],
  ['cpu', 'tagleaf=worker,handler', { refine: { tagleaf: 'worker,handler' } }],
  ['cpu', 'tagroot=nosuch (every sample under <unknown>)', { refine: { tagroot: 'nosuch' } }],
  ['cpu', 'tagroot=tenant, focus on a pseudo frame', { refine: { tagroot: 'tenant', focus: '^tenant-3$' } }],
  ['cpu', 'tagroot=handler, lines', { refine: { tagroot: 'handler' }, granularity: 'lines' }],
  ['cpu', 'tagroot=worker, tagleaf=tenant, tagignore=handler=healthz', { refine: { tagroot: 'worker', tagleaf: 'tenant', tagignore: 'handler=healthz' } }],
  ['heap', 'tagfocus=bytes=1kb:64kb', { refine: { tagfocus: 'bytes=1kb:64kb' } }],
  ['heap', 'tagfocus=64kb (no key: any numeric label)', { refine: { tagfocus: '64kb' } }],
  ['heap', 'tagfocus=1mb:', { refine: { tagfocus: '1mb:' } }],
  ['heap', 'tagfocus=bytes=:512B', { refine: { tagfocus: 'bytes=:512B' } }],
  ['heap', 'tagfocus=bytes=:512 (no unit: pprof matches nothing)', { refine: { tagfocus: 'bytes=:512' } }],
  ['heap', 'tagignore=bytes=128B, alloc_space', { refine: { tagignore: 'bytes=128B' }, sample: 'alloc_space' }],
  ['heap', 'tagroot=bytes (unscaled, unitless frames)', { refine: { tagroot: 'bytes' } }],
  ['heap', 'tagleaf=bytes', { refine: { tagleaf: 'bytes' } }],
];

const fileOf = (which: string) => (which === 'cpu' ? CPU : HEAP);

test.each(TOP_CASES)('%s: top table equals go tool pprof -top with %s', async (which, _name, c) => {
  const file = fileOf(which);
  const ours = ourTop(labelled(load(file), c), c);
  expect(ours).toEqual(await pprofTop(file, c, tagOptions(c.refine ?? {})));
  expect(ours.total).toBeGreaterThan(0);
});

test('the options change the rows: a tag filter and a tagroot each give another top than none', () => {
  const data = load(CPU);
  const plain = ourTop(data, {});
  for (const refine of [{ tagfocus: 'handler=/graphql' }, { tagroot: 'tenant' }]) expect(ourTop(labelled(data, { refine }), { refine }).rows).not.toEqual(plain.rows);
});

const LABEL_CASES: Array<[string, string, Case]> = [
  ['cpu', 'no options', {}],
  ['cpu', 'samples', { sample: 'samples' }],
  ['cpu', 'tagfocus=handler=/api/v1', { refine: { tagfocus: 'handler=/api/v1' } }],
  ['cpu', 'tagshow=handler|worker', { refine: { tagshow: 'handler|worker' } }],
  ['cpu', 'taghide=tenant, focus=main\\.f1', { refine: { taghide: 'tenant', focus: 'main\\.f1' } }],
  ['heap', 'no options', {}],
  ['heap', 'alloc_space, tagfocus=bytes=64B:1kb', { sample: 'alloc_space', refine: { tagfocus: 'bytes=64B:1kb' } }],
];

test.each(LABEL_CASES)('%s: the label breakdown equals go tool pprof -tags with %s', async (which, _name, c) => {
  const file = fileOf(which);
  const reference = await goPprofTags(file, { ...pprofOptions(c), ...tagOptions(c.refine ?? {}) });
  expect(ourLabels(load(file), c)).toEqual(reference);
  expect(Object.keys(reference.keys).length).toBeGreaterThan(0);
});

test('each value\'s hottest function is the first row of go tool pprof -top focused on that value', async () => {
  const data = load(CPU);
  const breakdown = runReportJob(data, { kind: 'labels', request: { sampleIndex: data.defaultSampleIndex, refine: {} } });
  const handler = breakdown.keys.find((k) => k.key === 'handler');
  expect(handler?.values.length).toBeGreaterThan(3);
  for (const value of handler!.values.slice(0, 3)) {
    const top = await pprofTop(CPU, {}, { tagFocus: `handler=^${value.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` });
    expect({ value: value.value, name: value.hottest?.name, flat: value.hottest?.flat }).toEqual({ value: value.value, name: top.rows[0].name, flat: top.rows[0].flat });
    expect(value.share).toBeCloseTo(value.total / breakdown.total, 12);
  }
});

test('tagroot=tenant: the flame graph has one root child per tenant, each worth its -tags total', async () => {
  const data = load(CPU);
  const options = { granularity: 'functions' as const, refine: { tagroot: 'tenant' }, inverted: false };
  const stacks = runReportJob(data, { kind: 'flamestacks', options });
  const graph: FlameGraphData = runReportJob(data, { kind: 'flamegraph', stacks, request: { sampleIndex: data.defaultSampleIndex, zoom: [], resolution: 1e9 } });
  const root = graph.parent.indexOf(-1);
  const children = Object.fromEntries(graph.parent.flatMap((p, i) => (p === root ? [[graph.names[graph.name[i]], graph.value[i]]] : [])));
  const tenants = (await goPprofTags(CPU)).keys.tenant.values;
  expect(Object.keys(tenants).length).toBeGreaterThan(5);
  const unlabelled = (await pprofTop(CPU, {}, { tagRoot: 'tenant' })).rows.find((r) => r.name === '<unknown>')?.cum;
  expect(children).toEqual({ ...tenants, ...(unlabelled ? { '<unknown>': unlabelled } : {}) });
});

test('tagroot=tenant: peek at a pseudo frame equals go tool pprof -peek', async () => {
  const c: Case = { refine: { tagroot: 'tenant' } };
  const data = labelled(load(CPU), c);
  const name = Object.keys((await goPprofTags(CPU)).keys.tenant.values)[0];
  const ours = ourPeek(data, name, c);
  expect(ours?.callees.length).toBeGreaterThan(0);
  expect(ours).toEqual(await goPprofPeek(CPU, name, tagOptions(c.refine!)));
});

test.each([
  ['tagroot=handler', { tagroot: 'handler' }],
  ['tagfocus=worker=^1$, taghide=tenant (nodelets without tenant)', { tagfocus: 'worker=^1$', taghide: 'tenant' }],
])('call graph equals go tool pprof -dot with %s', async (_name, refine: RefineOptions) => {
  const c: Case = { refine };
  const ours = await expectSameGraph(CPU, c, GRAPH_DEFAULTS, { data: labelled(load(CPU), c), pprof: tagOptions(refine) });
  expect(ours.nodes.length).toBeGreaterThan(3);
});

test.each([
  ['tagfocus', '(', 'tagfocus=('],
  ['tagfocus', 'handler=a(', 'tagfocus=handler=a('],
  ['tagignore', 'bytes=99999999999999999999', 'tagignore past int64'],
  ['tagshow', '[', 'tagshow=['],
  ['taghide', 'x(?=y)', 'taghide with look-ahead (not Go syntax)'],
  ['tagroot', Array.from({ length: 17 }, (_, i) => `k${i}`).join(','), 'tagroot with 17 keys'],
  ['tagleaf', Array.from({ length: 17 }, (_, i) => `k${i}`).join(','), 'tagleaf with 17 keys'],
])('a bad %s is an InputError naming it: %s', (key, value) => {
  const parse = () => parseViewQuery(load(HEAP), new URLSearchParams({ [key]: value }));
  expect(parse).toThrow(InputError);
  try {
    parse();
  } catch (error) {
    expect((error as InputError).details.map((d) => d.key)).toEqual([key]);
  }
});
