import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { isShared } from '../src/profile/profile-data';
import { Analysis, analyze } from '../src/report/analyze';
import { aggregate } from '../src/report/aggregate';
import { ReportJob, ReportResult, ReportRunner } from '../src/report/jobs';
import { topTable } from '../src/report/top';
import { ViewerProfile } from '../src/viewer/viewer-profile';
import { ViewerServer } from '../src/viewer/viewer-server';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { request } from './support/http-json';
import { encodeGzipped, syntheticProfile, SyntheticSample } from './support/synthetic-profile';
import { viewerProfileOf } from './support/viewer-profile';

// The viewer's API over a real viewer server, with refined views computed by the real worker pool.
const DIR = path.join(__dirname, 'fixtures', 'profiles');
const doc = yaml.load(fs.readFileSync(path.join(__dirname, '..', 'openapi.yaml'), 'utf8')) as any;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(doc, 'openapi');

function expectValid(name: string, value: unknown) {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`) as ReturnType<Ajv['compile']>;
  expect(validate(value) ? [] : validate.errors).toEqual([]);
}

let pool: AnalyzePool;
const servers: ViewerServer[] = [];

beforeAll(() => {
  pool = new AnalyzePool({ size: 1, reportTimeoutMs: 5_000 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await pool.close();
});

function profileOf(bytes: Buffer, type: ViewerProfile['type'], extra: Partial<ViewerProfile> = {}): ViewerProfile {
  return viewerProfileOf(bytes, type, { reports: pool, ...extra });
}

async function open(profile: ViewerProfile): Promise<string> {
  const server = new ViewerServer(profile, new Date(Date.now() + 60_000));
  servers.push(server);
  return `http://127.0.0.1:${await server.listen('127.0.0.1')}`;
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('a heap profile', () => {
  let base: string;
  let profile: ViewerProfile;
  beforeAll(async () => {
    profile = profileOf(fs.readFileSync(path.join(DIR, 'heap.pb.gz')), 'Heap');
    base = await open(profile);
  });

  test('every endpoint answers in its documented shape', async () => {
    const refine = q({ sample: 'alloc_space', focus: 'main\\.', hide: 'runtime', granularity: 'functions' });
    const info = (await request(`${base}/api/profile`)).json();
    expectValid('ProfileInfo', info);
    expect(info).toMatchObject({ granularities: ['functions', 'filefunctions', 'files', 'lines'], hasGoroutineDump: false });
    expectValid('TopTable', (await request(`${base}/api/top?${refine}`)).json());
    expectValid('FlameGraph', (await request(`${base}/api/flamegraph?${refine}&inverted=1`)).json());
    expectValid('Peek', (await request(`${base}/api/peek?${refine}&function=main.fillCache`)).json());
    expectValid('CallGraph', (await request(`${base}/api/callgraph?${refine}`)).json());
    expectValid('Goroutines', (await request(`${base}/api/goroutines`)).json());
    const top = await request(`${base}/download/top.json?${refine}`);
    expectValid('TopTable', top.json());
    expect(top.headers['content-disposition']).toBe('attachment; filename="default.test.Heap.top.json"');
    expect(top.json()).toEqual((await request(`${base}/api/top?${refine}`)).json());
    const svg = await request(`${base}/download/flamegraph.svg?${refine}`);
    expect(svg.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(svg.headers['content-disposition']).toBe('attachment; filename="default.test.Heap.flamegraph.svg"');
    expect(svg.body.toString()).toMatch(/^<\?xml[^>]*>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.body.toString()).not.toMatch(/<script|javascript:|href=/i);
  });

  test.each([
    ['sample', { sample: 'nope' }],
    ['granularity', { granularity: 'addresses' }],
    ['focus', { focus: 'main.(' }],
    ['ignore', { ignore: '(?=x)' }],
    ['hide', { hide: '(a)\\1' }],
    ['show', { show: '[' }],
    ['show_from', { show_from: '(?U)x' }],
    ['nodecount', { nodecount: '-1' }],
    ['nodefraction', { nodefraction: 'half' }],
  ])('a bad %s is a 400 naming that key', async (key, params) => {
    const answer = await request(`${base}/api/callgraph?${q(params)}`);
    expect(answer.status).toBe(400);
    expectValid('Error', answer.json());
    expect(answer.json().details).toEqual([{ key, message: expect.any(String) }]);
  });

  test('a flag is 1, true, 0 or false, empty is none, anything else a 400; a key other than zoom comes once', async () => {
    const yes = await request(`${base}/api/flamegraph?inverted=yes`);
    expect(yes.status).toBe(400);
    expect(yes.json().details).toEqual([{ key: 'inverted', message: 'must be 1, true, 0 or false' }]);
    expect((await request(`${base}/api/flamegraph?inverted=`)).json()).toEqual((await request(`${base}/api/flamegraph?inverted=0`)).json());
    const twice = await request(`${base}/api/top?sample=inuse_space&sample=alloc_space`);
    expect(twice.status).toBe(400);
    expect(twice.json().details).toEqual([{ key: 'sample', message: 'must be given at most once' }]);
    expect((await request(`${base}/api/flamegraph?zoom=runtime.main&zoom=main.main`)).status).toBe(200);
  });

  test('a URL over Node\'s 16 KiB header limit is a 431 in the one error shape', async () => {
    const answer = await request(`${base}/api/flamegraph?${q({ focus: 'x'.repeat(20_000) })}`);
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expectValid('Error', answer.json());
  });

  test('only the routes themselves answer, not what every object inherits', async () => {
    for (const route of ['constructor', 'toString', '__proto__', 'api/nope']) expect((await request(`${base}/${route}`)).status).toBe(404);
  });

  test('peek needs a function the view has', async () => {
    for (const [query, status] of [['', 400], ['function=main.nothing', 400], ['function=main.allocBig', 200]] as const) {
      const answer = await request(`${base}/api/peek?${query}`);
      expect(answer.status).toBe(status);
      if (status === 400) expect(answer.json().details[0].key).toBe('function');
    }
  });

  test('refined numbers come from the worker and equal the in-thread computation; the total stays the whole profile', async () => {
    const refine = { focus: 'main\\.fill', ignore: 'Buffers' };
    const top = (await request(`${base}/api/top?${q({ sample: 'alloc_space', ...refine })}`)).json();
    const index = profile.analysis.data.sampleTypes.findIndex((t) => t.type === 'alloc_space');
    const expected = topTable(profile.analysis.data, aggregate(profile.analysis.data, { refine }), index);
    expect(top).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(top.total).toBe(profile.analysis.model.totals[index]);
    expect(top.rows.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['main.fillCache', 'main.allocBig']));
    expect(top.rows.map((r: { name: string }) => r.name)).not.toContain('main.fillBuffers');
    const flame = (await request(`${base}/api/flamegraph?${q({ sample: 'alloc_space', ...refine })}`)).json();
    expect(flame.total).toBe(top.total);
    const cum = (name: string) => top.rows.find((r: { name: string }) => r.name === name).cum;
    expect(flame.value[0]).toBe(cum('main.fillCache') + cum('main.fillIndex'));
  });

  test('the inverted flame graph starts at the leaves: each root child holds its function\'s flat', async () => {
    const flame = (await request(`${base}/api/flamegraph?inverted=1&resolution=65536`)).json();
    const top = (await request(`${base}/api/top`)).json();
    const children = flame.parent.map((p: number, i: number) => (p === 0 ? i : -1)).filter((i: number) => i > 0);
    const byName = Object.fromEntries(children.map((i: number) => [flame.names[flame.name[i]], flame.value[i]]));
    // Leaves worth less than 1/65536 of the total are left out of this cut; every other one is there, exactly.
    const wide = top.rows.filter((r: { flat: number }) => r.flat !== 0 && Math.abs(r.flat) >= flame.minValue);
    expect(byName).toEqual(Object.fromEntries(wide.map((r: { name: string; flat: number }) => [r.name, r.flat])));
    flame.parent.forEach((p: number, i: number) => expect(p).toBeLessThan(i));
  });

  test('a zoomed flame graph holds the path and, below it, frames too narrow for the root\'s cut; search adds up every stack', async () => {
    const top = (await request(`${base}/api/top?sample=alloc_space`)).json();
    const root = (await request(`${base}/api/flamegraph?sample=alloc_space&resolution=20`)).json();
    expect(root.minValue).toBeCloseTo(root.value[0] / 20);
    const names = (graph: { names: string[]; name: number[] }) => graph.name.map((n) => graph.names[n]);
    // Follow the heaviest child down to a frame that has children, then zoom there.
    const path: string[] = [];
    let node = 0;
    for (;;) {
      const children = root.parent.map((p: number, i: number) => (p === node ? i : -1)).filter((i: number) => i > 0);
      if (children.length === 0) break;
      node = children.reduce((a: number, b: number) => (root.value[b] > root.value[a] ? b : a));
      path.push(root.names[root.name[node]]);
      if (root.value[node] < root.value[0] / 2) break;
    }
    const zoomQuery = new URLSearchParams([['sample', 'alloc_space'], ['resolution', '20'], ...path.map((n): [string, string] => ['zoom', n])]);
    const zoomed = (await request(`${base}/api/flamegraph?${zoomQuery}`)).json();
    expect(zoomed.zoom).toBe(path.length);
    expect(names(zoomed).slice(1, path.length + 1)).toEqual(path);
    expect(zoomed.value[zoomed.zoom]).toBe(root.value[node]);
    expect(zoomed.minValue).toBeCloseTo(root.value[node] / 20);
    expect(zoomed.total).toBe(top.total);

    const search = (await request(`${base}/api/flamegraph/search?sample=alloc_space&pattern=${encodeURIComponent('^main\\.allocBig$')}`)).json();
    const allocBig = top.rows.find((r: { name: string }) => r.name === 'main.allocBig');
    expect(search).toEqual({ value: allocBig.cum, functions: 1, total: top.total });
    const bad = await request(`${base}/api/flamegraph/search?pattern=${encodeURIComponent('(')}`);
    expect(bad.status).toBe(400);
    expect(bad.json().details[0].key).toBe('pattern');
    expect((await request(`${base}/api/flamegraph?resolution=0`)).status).toBe(400);
  });
});

describe('hostile function names', () => {
  const HOSTILE = 'main.<script>alert("x")</script>&\'\\N\u0001';
  test('stay text: XML-escaped in the SVG, DOT-escaped in the call graph, plain strings in JSON', async () => {
    const bytes = encodeGzipped(syntheticProfile([['samples', 'count']], [{ stack: [HOSTILE, 'main.main'], values: [3] }]));
    const base = await open(profileOf(bytes, 'Heap'));
    const svg = (await request(`${base}/download/flamegraph.svg`)).body.toString();
    expect(svg).toContain('main.&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&apos;\\N');
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('\u0001');
    const graph = (await request(`${base}/api/callgraph`)).json();
    expect(graph.nodes.map((n: { name: string }) => n.name)).toContain(HOSTILE);
    expect(graph.dot).toContain('tooltip="main.<script>alert(\\"x\\")</script>&\'\\\\N (3)"');
    // Every quoted DOT string closes where it should: an even number of unescaped quotes per line.
    for (const line of graph.dot.split('\n')) expect((line.replace(/\\./g, '').match(/"/g) ?? []).length % 2).toBe(0);
    expect((await request(`${base}/api/top`)).json().rows[0].name).toBe(HOSTILE);
  });
});

describe('goroutine profile with its dump', () => {
  test('api/goroutines groups the dump that came with the profile', async () => {
    const dump = fs.readFileSync(path.join(DIR, 'goroutine-debug2.txt'), 'utf8');
    const base = await open(profileOf(fs.readFileSync(path.join(DIR, 'goroutine.pb.gz')), 'Goroutine', { goroutineDump: dump }));
    expect((await request(`${base}/api/profile`)).json().hasGoroutineDump).toBe(true);
    const view = (await request(`${base}/api/goroutines`)).json();
    expectValid('Goroutines', view);
    expect(view.total).toBe(27);
    expect(view.groups[0]).toMatchObject({ count: 7, state: 'chan receive' });
    expect((await request(`${base}/api/goroutines?focus=(`)).status).toBe(400);
  });
});

test('a profile decoded by the pool comes back on shared memory, which report jobs read in place', async () => {
  const analysis = await pool.analyze(fs.readFileSync(path.join(DIR, 'cpu.pb.gz')), { maxBytes: 1 << 30 });
  const { data } = analysis;
  for (const array of [data.frameName, data.frameFile, data.frameLine, data.frameStartLine, data.frameInlined, data.locationFrameStart, data.locationMapping, data.sampleStart, data.sampleLocations, data.values, data.sampleLabels, data.sampleBytes]) {
    expect(isShared(array.buffer)).toBe(true);
  }
  const refined = await pool.report(data, { kind: 'aggregate', options: { refine: { focus: 'main\\.hashLoop' } } });
  expect(topTable(data, refined, data.defaultSampleIndex).rows[0].name).toBe('main.hashLoop');
});

describe('heavy work runs off the main thread', () => {
  let analysis: Analysis;
  let bytes: Buffer;
  beforeAll(() => {
    bytes = encodeGzipped(syntheticProfile([['samples', 'count']], bigProfile(120_000)));
    analysis = analyze(bytes, { maxBytes: 1 << 30 });
  }, 60_000);

  test('the server keeps answering while a refined view of a large profile is built', async () => {
    const base = await open(profileOf(bytes, 'Heap', { analysis }));
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    const graph = request(`${base}/api/callgraph?${q({ focus: 'pkg1', granularity: 'lines' })}`);
    const info = await request(`${base}/api/profile`);
    const infoMs = performance.now() - started;
    const answer = await graph;
    const graphMs = performance.now() - started;
    clearInterval(ticker);
    expect(answer.status).toBe(200);
    expect(info.status).toBe(200);
    expect(infoMs).toBeLessThan(graphMs);
    expect(graphMs).toBeGreaterThan(200); // the work was real
    expect(longest).toBeLessThan(150); // and the event loop never stalled for it
  }, 60_000);

  test('concurrent identical requests share one computation, and it is kept', async () => {
    const jobs: string[] = [];
    const counting: ReportRunner = {
      report: <J extends ReportJob>(data: Parameters<ReportRunner['report']>[0], job: J): Promise<ReportResult<J>> => {
        jobs.push(job.kind);
        return pool.report(data, job);
      },
    };
    const base = await open(profileOf(bytes, 'Heap', { analysis, reports: counting }));
    const url = `${base}/api/top?${q({ ignore: 'pkg2' })}`;
    const flame = `${base}/api/flamegraph?${q({ ignore: 'pkg2' })}`;
    const search = `${base}/api/flamegraph/search?${q({ ignore: 'pkg2', pattern: 'pkg1' })}`;
    const answers = await Promise.all([request(url), request(url), request(flame), request(flame), request(search)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    // One aggregate for the top table; the flame graph and the search share one set of stacks.
    expect(jobs.sort()).toEqual(['aggregate', 'flamegraph', 'flamesearch', 'flamestacks']);
    await Promise.all([request(url), request(flame), request(search)]);
    expect(jobs).toHaveLength(4);
  }, 60_000);

  test('a refinement that runs away (a backtracking regex) is stopped, and the pool goes on', async () => {
    const name = `main.${'a'.repeat(40)}!`;
    const runaway = encodeGzipped(syntheticProfile([['samples', 'count']], [{ stack: [name], values: [1] }]));
    const small = new AnalyzePool({ size: 1, reportTimeoutMs: 300 });
    try {
      const base = await open(profileOf(runaway, 'Heap', { reports: small }));
      const stopped = await request(`${base}/api/top?${q({ focus: '(a+)+$' })}`);
      expect(stopped.status).toBe(500);
      expect(stopped.json().error).toMatch(/^refining profile: took longer than 0 s and was stopped$/);
      expect((await request(`${base}/api/top?${q({ focus: 'main' })}`)).json().rows[0].name).toBe(name);
    } finally {
      await small.close();
    }
  });
});

/** Deep stacks over a few thousand functions in a handful of packages. */
function bigProfile(samples: number): SyntheticSample[] {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const out: SyntheticSample[] = [];
  for (let s = 0; s < samples; s++) {
    const depth = 10 + random(20);
    const stack = Array.from({ length: depth }, (_, i) => `pkg${random(5)}.f${random(400) + i * 400}`);
    out.push({ stack, values: [1 + random(10)] });
  }
  return out;
}
