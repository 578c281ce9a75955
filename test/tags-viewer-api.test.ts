import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { analyze } from '../src/report/analyze';
import { ViewerProfile } from '../src/viewer/viewer-profile';
import { ViewerServer } from '../src/viewer/viewer-server';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { goPprofTags, goPprofTool } from './support/go-pprof';
import { request } from './support/http-json';
import { pprofTop } from './support/pprof-views';
import { buildServerProgram, writeServerProfile } from './support/server-program';

// pprof's label options through the viewer's API, over a real viewer server whose refined views run in the real
// worker pool, on a CPU profile with pprof.Do labels (handler, tenant, worker).
const doc = yaml.load(fs.readFileSync(path.join(__dirname, '..', 'openapi.yaml'), 'utf8')) as any;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(doc, 'openapi');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tags-viewer-api-'));
const CPU = path.join(dir, 'cpu.pb.gz');

function expectValid(name: string, value: unknown) {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`) as ReturnType<Ajv['compile']>;
  expect(validate(value) ? [] : validate.errors).toEqual([]);
}

let pool: AnalyzePool;
let server: ViewerServer;
let base: string;

beforeAll(async () => {
  await Promise.all([goPprofTool(), buildServerProgram()]);
  await writeServerProfile('cpu', CPU, { seconds: 1, hz: 1000, paths: 200, 'min-depth': 12 });
  pool = new AnalyzePool({ size: 1, reportTimeoutMs: 10_000 });
  const bytes = fs.readFileSync(CPU);
  const profile: ViewerProfile = {
    type: 'Profile',
    analysis: analyze(bytes, { maxBytes: 1 << 30 }),
    downloadName: 'default.test.Profile.prof',
    source: 'http://127.0.0.1:1/debug/pprof/profile',
    context: {},
    fetchedAt: new Date(),
    profilePath: CPU,
    reports: pool,
  };
  server = new ViewerServer(profile, new Date(Date.now() + 60_000));
  base = `http://127.0.0.1:${await server.listen('127.0.0.1')}`;
}, 300_000);
afterAll(async () => {
  await server?.close();
  await pool?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (route: string, params: Record<string, string> = {}) => request(`${base}/${route}?${new URLSearchParams(params)}`);

const FOCUSED = { tagfocus: 'handler=/api/v1', tagroot: 'handler' };

test('api/top with tag options equals go tool pprof -top with them, and download/top.json is the same table', async () => {
  const top = (await get('api/top', FOCUSED)).json();
  expectValid('TopTable', top);
  const reference = await pprofTop(CPU, {}, { tagFocus: FOCUSED.tagfocus, tagRoot: FOCUSED.tagroot });
  expect({ total: top.total, rows: top.rows.map((r: any) => ({ name: r.name, flat: r.flat, cum: r.cum, ...(r.inline ? { inline: r.inline } : {}) })) }).toEqual(reference);
  expect(top.rows.some((r: any) => r.name === '/api/v1/orders')).toBe(true);
  expect(JSON.parse((await get('download/top.json', FOCUSED)).body.toString())).toEqual(top);
});

test('every stack view takes the options: the pseudo root frames appear in each, the focused-out handlers in none', async () => {
  const flame = (await get('api/flamegraph', FOCUSED)).json();
  expectValid('FlameGraph', flame);
  const root = flame.parent.indexOf(-1);
  const roots = flame.parent.flatMap((p: number, i: number) => (p === root ? [flame.names[flame.name[i]]] : [])).sort();
  expect(roots.length).toBeGreaterThan(1);
  expect(roots.every((name: string) => name.startsWith('/api/v1/'))).toBe(true);
  const search = (await get('api/flamegraph/search', { ...FOCUSED, pattern: '^/api/v1/' })).json();
  expectValid('FlameSearch', search);
  expect([search.value, search.functions]).toEqual([flame.value[root], roots.length]);
  const graph = (await get('api/callgraph', FOCUSED)).json();
  expectValid('CallGraph', graph);
  expect(graph.nodes.map((n: any) => n.name)).toEqual(expect.arrayContaining(roots.slice(0, 1)));
  expect(graph.dot).toContain('tagfocus=handler=/api/v1');
  const peek = (await get('api/peek', { ...FOCUSED, function: roots[0] })).json();
  expectValid('Peek', peek);
  expect(peek.callers).toEqual([]);
  expect(peek.callees.length).toBeGreaterThan(0);
  const svg = await get('download/flamegraph.svg', FOCUSED);
  expect(svg.body.toString()).toContain(roots[0]);
  expect(svg.body.toString()).toContain('tagroot=handler');
  for (const route of ['api/top', 'api/flamegraph', 'api/callgraph']) expect((await get(route, { tagfocus: 'handler=/healthz' })).body.toString()).not.toContain('/api/v1/orders');
});

test('api/labels equals go tool pprof -tags, with the options applied, in the documented shape', async () => {
  for (const options of [{}, { tagfocus: 'tenant=tenant-1', taghide: 'worker' }] as Array<Record<string, string>>) {
    const labels = (await get('api/labels', options)).json();
    expectValid('Labels', labels);
    const reference = await goPprofTags(CPU, { tagFocus: options.tagfocus, tagHide: options.taghide });
    const keys = Object.fromEntries(labels.keys.map((k: any) => [k.key, { total: k.total, values: Object.fromEntries(k.values.map((v: any) => [v.value, v.total])) }]));
    expect({ total: labels.total, keys }).toEqual(reference);
    expect(labels.keys.map((k: any) => k.key)).toEqual(Object.keys(reference.keys).sort());
    const first = labels.keys[0].values[0];
    expect(first.hottest.name).toMatch(/\S/);
    expect(first.share).toBeCloseTo(first.total / labels.total, 12);
  }
});

test('a bad label option is a 400 naming its key, on every endpoint that takes focus', async () => {
  const routes = ['api/top', 'api/flamegraph', 'api/flamegraph/search', 'api/peek', 'api/callgraph', 'api/labels', 'download/flamegraph.svg', 'download/top.json'];
  for (const route of routes) {
    for (const [key, value] of [['tagfocus', '('], ['tagignore', 'x=['], ['tagshow', '('], ['taghide', '\\1'], ['tagroot', 'a,'.repeat(17)]]) {
      const answer = await get(route, { [key]: value, pattern: 'x', function: 'main.f0' });
      expect([route, answer.status, answer.json().details?.[0]?.key]).toEqual([route, 400, key]);
    }
  }
});

test('api/goroutines refuses label options: the dump has no labels', async () => {
  const answer = await get('api/goroutines', { tagfocus: 'handler=x' });
  expect([answer.status, answer.json().details[0].key]).toEqual([400, 'tagfocus']);
  expect((await get('api/goroutines')).status).toBe(200);
});

test('cached views keep the options apart: the same view with another tagfocus is another answer', async () => {
  const a = (await get('api/top', { tagfocus: 'handler=/graphql' })).json();
  const b = (await get('api/top', { tagfocus: 'handler=/metrics' })).json();
  expect(a.rows).not.toEqual(b.rows);
  expect((await get('api/top', { tagfocus: 'handler=/graphql' })).json()).toEqual(a);
});
