import fs from 'node:fs';
import path from 'node:path';
import { NOT_IN_FILE, OFFLINE_DATA_ID, OfflineData } from '../src/viewer/offline/offline-data';
import { answerKey } from '../src/viewer/offline/offline-keys';
import { offlineViewerHtml } from '../src/viewer/offline/offline-html';
import { ViewerProfile } from '../src/viewer/viewer-profile';
import { ViewerServer } from '../src/viewer/viewer-server';
import { OfflineApi } from '../web/app/offline-api';
import { request } from './support/http-json';
import { encodeGzipped, syntheticProfile } from './support/synthetic-profile';
import { viewerProfileOf } from './support/viewer-profile';

// The offline viewer file from real profiles: one document referring to nothing outside it, holding the answers a
// real viewer server gives for the same profile.
const DIR = path.join(__dirname, 'fixtures', 'profiles');
const FIXTURES: Array<[string, ViewerProfile['type']]> = [
  ['heap', 'Heap'],
  ['allocs', 'Allocs'],
  ['cpu', 'Profile'],
  ['goroutine', 'Goroutine'],
  ['block', 'Block'],
  ['mutex', 'Mutex'],
  ['threadcreate', 'Threadcreate'],
];

const servers: ViewerServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

function profileOf(bytes: Buffer, type: ViewerProfile['type'], extra: Partial<ViewerProfile> = {}): ViewerProfile {
  return viewerProfileOf(bytes, type, { context: { podNamespace: 'default', podName: 'gotarget' }, ...extra });
}

function fixture(name: string, type: ViewerProfile['type']): ViewerProfile {
  const dump = type === 'Goroutine' ? { goroutineDump: fs.readFileSync(path.join(DIR, 'goroutine-debug2.txt'), 'utf8') } : {};
  return profileOf(fs.readFileSync(path.join(DIR, `${name}.pb.gz`)), type, dump);
}

async function serverFor(profile: ViewerProfile): Promise<string> {
  const server = new ViewerServer(profile, new Date(Date.now() + 60_000));
  servers.push(server);
  return `http://127.0.0.1:${await server.listen('127.0.0.1')}`;
}

/** The embedded JSON, read back the way the page reads it: the text between the script's tags. */
function embeddedData(html: string): OfflineData {
  const open = `<script type="application/json" id="${OFFLINE_DATA_ID}">`;
  const start = html.indexOf(open) + open.length;
  return JSON.parse(html.slice(start, html.indexOf('</script>', start)));
}

/** The markup outside script and style elements: where a reference to another file would be. */
function markup(html: string): string {
  return html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>').replace(/(<style\b[^>]*>)[\s\S]*?<\/style>/gi, '$1</style>');
}

const query = (entries: Record<string, string> = {}) => new URLSearchParams(entries);

describe.each(FIXTURES)('%s.pb.gz', (name, type) => {
  let profile: ViewerProfile;
  let html: string;
  let data: OfflineData;
  let base: string;

  beforeAll(async () => {
    profile = fixture(name, type);
    html = await offlineViewerHtml(profile);
    data = embeddedData(html);
    base = await serverFor(profile);
  });

  test('is one document that refers to nothing outside it', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<html\b/gi)).toHaveLength(1);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    const tags = markup(html);
    const references = [...tags.matchAll(/\b(src|href|action|srcset|poster|formaction|xlink:href)\s*=\s*"([^"]*)"/gi)].map((m) => m[2]);
    expect(references.filter((r) => !/^(data:|blob:|#)/.test(r))).toEqual([]);
    expect(tags).not.toMatch(/<(iframe|frame|object|embed|img|base|video|audio|source)\b/i); // links: only the data: icon (above)
    // The style refers to no file either (an url() other than data:, an @import).
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect([...style.matchAll(/url\(\s*['"]?([^'")]*)/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:'))).toEqual([]);
    expect(style).not.toContain('@import');
    // One script runs (the page); the others are data.
    expect([...tags.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1].trim())).toEqual(['type="application/json" id="offline-data"', 'type="text/plain" id="offline-worker"', '']);
  });

  test('sets a policy that allows its own script and style and no network', () => {
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'none'");
    expect(policy).toContain('worker-src blob:');
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+' 'wasm-unsafe-eval'/);
    expect(policy).not.toMatch(/unsafe-inline|https?:|\*/);
    // Before anything it governs.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
  });

  test("holds the server's own answers for every sample type", async () => {
    const info = (await request(`${base}/api/profile`)).json();
    expect({ ...(data.answers['api/profile'] as object), expiresAt: undefined }).toEqual({ ...info, expiresAt: undefined });
    for (const t of info.sampleTypes) {
      const refine: Record<string, string> = t.type === info.defaultSampleType ? {} : { sample: t.type };
      for (const route of ['api/top', 'api/callgraph', 'api/labels', 'api/goroutines']) {
        const served = (await request(`${base}/${route}?${query(refine)}`)).json();
        expect(data.answers[answerKey(route, query(refine), info.defaultSampleType)]).toEqual(served);
      }
      const flame = { ...refine, resolution: String(data.flameResolution) };
      for (const inverted of [{}, { inverted: '1' }] as Array<Record<string, string>>) {
        // The server's root cut, deepened by its own cuts where it left frames out: each frame it sends is held as sent.
        const served = (await request(`${base}/api/flamegraph?${query({ ...flame, ...inverted })}`)).json();
        const held = data.answers[answerKey('api/flamegraph', query({ ...refine, ...inverted }), info.defaultSampleType)] as typeof served;
        for (const key of ['sampleType', 'unit', 'total', 'zoom']) expect(held[key]).toEqual(served[key]);
        expect(held.minValue).toBeLessThanOrEqual(served.minValue);
        const frames = framesByPath(held);
        for (const [key, frame] of framesByPath(served)) expect(frames.get(key)).toEqual(frame);
      }
    }
  });

  test('holds the peek of the heaviest functions and the top table, as the server gives them', async () => {
    const top = (await request(`${base}/api/top`)).json();
    const heaviest = [...top.rows].sort((a: { cum: number }, b: { cum: number }) => Math.abs(b.cum) - Math.abs(a.cum)).slice(0, 50);
    for (const row of heaviest) {
      const served = (await request(`${base}/api/peek?${query({ function: row.name })}`)).json();
      expect(data.answers[answerKey('api/peek', query({ function: row.name }), data.defaultSampleType)]).toEqual(served);
    }
    const api = new OfflineApi(data);
    expect(api.download('download/top.json', query())?.body).toBe((await request(`${base}/download/top.json`)).body.toString());
    expect(api.download('download/flamegraph.svg', query({ inverted: '1' }))?.body).toBe((await request(`${base}/download/flamegraph.svg?inverted=1`)).body.toString());
    expect(Buffer.from(api.download('download', query())?.body ?? '', 'base64')).toEqual(fs.readFileSync(profile.profilePath));
  });

  test("zooms the page asks for are the server's, cut from the root it holds", async () => {
    const api = new OfflineApi(data);
    const root = JSON.parse(api.answer('api/flamegraph', query({ resolution: '2048' })).body);
    // Every frame of the first two levels, and what the server cuts for a zoom into it at a 1280 px panel's resolution.
    const paths: string[][] = [];
    for (let i = 1; i < root.parent.length; i++) {
      const p = root.parent[i];
      if (p === 0) paths.push([root.names[root.name[i]]]);
      else if (root.parent[p] === 0) paths.push([root.names[root.name[p]], root.names[root.name[i]]]);
    }
    for (const zoom of paths.slice(0, 20)) {
      const q = query({ resolution: '2048' });
      for (const frame of zoom) q.append('zoom', frame);
      const served = (await request(`${base}/api/flamegraph?${q}`)).json();
      const answer = api.answer('api/flamegraph', q);
      if (answer.status !== 200) {
        expect(JSON.parse(answer.body).error).toBe(NOT_IN_FILE);
        continue;
      }
      const cut = JSON.parse(answer.body);
      expect(cut.zoom).toBe(served.zoom);
      expect(cut.minValue).toBeLessThanOrEqual(served.minValue);
      // Each frame the server sends is there with its values; what else the file holds is narrower than the server's cut.
      const byPath = framesByPath(cut);
      for (const [key, frame] of framesByPath(served)) expect(byPath.get(key)).toEqual(frame);
      for (const [key, frame] of byPath) if (!framesByPath(served).has(key)) expect(Math.abs(frame.value)).toBeLessThan(served.minValue);
    }
  });

  test("searches count what the server counts, or say they are not in the file", async () => {
    const api = new OfflineApi(data);
    const statuses: number[] = [];
    for (const pattern of ['main', 'runtime\\.', '^sync', 'no-such-function', '.']) {
      for (const inverted of [{}, { inverted: '1' }] as Array<Record<string, string>>) {
        const q = query({ pattern, ...inverted });
        const answer = api.answer('api/flamegraph/search', q);
        statuses.push(answer.status);
        if (answer.status === 200) expect(JSON.parse(answer.body)).toEqual((await request(`${base}/api/flamegraph/search?${q}`)).json());
        else expect(JSON.parse(answer.body).error).toBe(NOT_IN_FILE);
      }
    }
    // A search for what is held in full is answered (one matching a function only tiny stacks reach is not).
    expect(statuses).toContain(200);
  });

  test('says "not in this file" for a refinement', () => {
    const api = new OfflineApi(data);
    for (const [route, q] of [['api/top', { focus: 'main' }], ['api/flamegraph', { ignore: 'runtime', resolution: '2048' }], ['api/callgraph', { granularity: 'lines' }], ['api/peek', { function: 'no.such' }]] as const) {
      const answer = api.answer(route, query(q));
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body).error).toBe(NOT_IN_FILE);
    }
  });
});

/** A flame graph's frames by their path of names, with their values. */
function framesByPath(graph: { parent: number[]; name: number[]; names: string[]; value: number[]; self: number[] }): Map<string, { value: number; self: number }> {
  const keys: string[] = [];
  const frames = new Map<string, { value: number; self: number }>();
  for (let i = 0; i < graph.parent.length; i++) {
    keys[i] = i === 0 ? '' : `${keys[graph.parent[i]]};${graph.names[graph.name[i]]}`;
    frames.set(keys[i], { value: graph.value[i], self: graph.self[i] });
  }
  return frames;
}

describe('hostile function names', () => {
  const HOSTILE = 'main.<script>alert("x")</script>&\'\\N\u0001<!--</SCRIPT ';
  test('stay inside the JSON script and come back as the same text', async () => {
    const bytes = encodeGzipped(syntheticProfile([['samples', 'count']], [{ stack: [HOSTILE, 'main.main'], values: [3] }, { stack: ['main.main'], values: [1] }]));
    const profile = profileOf(bytes, 'Heap');
    const html = await offlineViewerHtml(profile);
    const open = html.indexOf(`id="${OFFLINE_DATA_ID}">`);
    const json = html.slice(open, html.indexOf('</script>', open));
    expect(json).not.toMatch(/<\/?script|<!--/i);
    expect(json).not.toContain('<');
    const data = embeddedData(html);
    expect((data.answers['api/top'] as { rows: Array<{ name: string }> }).rows[0].name).toBe(HOSTILE);
    expect((data.answers['api/top'] as object)).toEqual((await request(`${await serverFor(profile)}/api/top`)).json());
    // The markup around the data is the page's own: the name opened no element of its own.
    expect(markup(html).match(/<script\b/g)).toHaveLength(3);
    expect(new OfflineApi(data).answer('api/peek', query({ function: HOSTILE })).status).toBe(200);
  });
});

test('a profile whose file is no longer kept gives no original download', async () => {
  const profile = fixture('cpu', 'Profile');
  fs.rmSync(profile.profilePath);
  const data = embeddedData(await offlineViewerHtml(profile));
  expect(data.downloads.download).toBeUndefined();
  expect(new OfflineApi(data).download('download', query())).toBeUndefined();
});
