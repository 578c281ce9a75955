import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { RunningService, startService } from './support/service';

// GET /profiles and what a row offers, on the real service (STORAGE=local) with a real Go program's profiles.
let target: GoTarget;
let svc: RunningService;
const made: Array<{ id: string; type: string; pod: string; diagnosis: string; path: string }> = [];

async function profile(type: string, pod: string, diagnosis: string) {
  const answer = await request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: type, [KEYS.expirationSeconds]: '120', 'pod.namespace': pod === 'api-0' ? 'shop' : 'default', 'pod.name': pod, 'diagnosis.namespace': 'default', 'diagnosis.name': diagnosis, node: 'node-1' },
  });
  expect(answer.status).toBe(200);
  const body = answer.json();
  made.push({ id: body[`${RESULT}profile_id`], type, pod, diagnosis, path: body[`${RESULT}profile_path`] });
  return body;
}

beforeAll(async () => {
  target = await startGoTarget();
  svc = await startService();
  await profile('Heap', 'api-0', 'leak');
  await profile('Goroutine', 'api-0', 'stuck');
  await profile('Heap', 'web-1', 'leak');
  await profile('Heap', 'web-1', 'later');
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await target?.stop();
});

const list = async (query = '') => request(`${svc.url}/profiles${query}`);

test('every answer names its record; GET /profiles lists them newest first with who, what and where', async () => {
  expect(made.every((m) => /^[0-9a-f]{32}$/.test(m.id))).toBe(true);
  const answer = await list();
  expect(answer.status).toBe(200);
  const { profiles, next } = answer.json();
  expect(next).toBeUndefined();
  expect(profiles.map((p: { id: string }) => p.id)).toEqual(made.map((m) => m.id).reverse());
  const first = profiles[profiles.length - 1];
  expect(first).toMatchObject({
    status: 'ready',
    type: 'Heap',
    pod: { namespace: 'shop', name: 'api-0' },
    node: 'node-1',
    diagnosis: { namespace: 'default', name: 'leak' },
    profilePath: made[0].path,
    bytes: fs.statSync(made[0].path).size,
  });
  expect(first.sampleTypes).toEqual(['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
  expect(first.files.profile).toBe('profilers/go/pprof/shop.api-0.unknown/' + made[0].path.split('/').slice(-2).join('/'));
  // api-0 is not a pod this service can read (no cluster): its name without the ordinal names the service.
  expect(first.service).toBe('api');
  expect(Date.parse(first.viewer.expiresAt)).toBeGreaterThan(Date.now());
});

test.each([
  ['?type=heap', (m: (typeof made)[number]) => m.type === 'Heap'],
  ['?pod=web-1', (m: (typeof made)[number]) => m.pod === 'web-1'],
  ['?namespace=shop', (m: (typeof made)[number]) => m.pod === 'api-0'],
  ['?diagnosis=leak&type=Heap', (m: (typeof made)[number]) => m.diagnosis === 'leak' && m.type === 'Heap'],
  ['?type=Mutex', () => false],
])('filter %s', async (query, keep) => {
  const answer = await list(query);
  expect(answer.status).toBe(200);
  expect(answer.json().profiles.map((p: { id: string }) => p.id)).toEqual(made.filter(keep).map((m) => m.id).reverse());
});

test('a time range: since is inclusive, until exclusive', async () => {
  const { profiles } = (await list()).json();
  const times = profiles.map((p: { fetchedAt: string }) => p.fetchedAt);
  const middle = times[1];
  const since = (await list(`?since=${encodeURIComponent(middle)}`)).json().profiles.map((p: { fetchedAt: string }) => p.fetchedAt);
  expect(since).toEqual(times.filter((t: string) => t >= middle));
  const until = (await list(`?until=${encodeURIComponent(middle)}`)).json().profiles.map((p: { fetchedAt: string }) => p.fetchedAt);
  expect(until).toEqual(times.filter((t: string) => t < middle));
});

test('paging: limit and the cursor walk every record once, in order', async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const answer = await list(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status).toBe(200);
    const page = answer.json();
    expect(page.profiles.length).toBeLessThanOrEqual(3);
    seen.push(...page.profiles.map((p: { id: string }) => p.id));
    cursor = page.next;
    pages++;
  } while (cursor);
  expect(pages).toBe(2);
  expect(seen).toEqual(made.map((m) => m.id).reverse());
});

test.each([
  ['?limit=0', 'limit'],
  ['?limit=201', 'limit'],
  ['?limit=x', 'limit'],
  ['?since=yesterday', 'since'],
  ['?type=Bogus', 'type'],
  ['?color=red', 'color'],
  ['?pod=a&pod=b', 'pod'],
])('%s is a 400 naming %s', async (query, key) => {
  const answer = await list(query);
  expect(answer.status).toBe(400);
  expect(answer.json().details.map((d: { key: string }) => d.key)).toContain(key);
});

test('a browser gets the page, in the viewer\'s security headers; the JSON stays the default', async () => {
  const page = await new Promise<{ status: number; type: string; csp: string }>((resolve, reject) => {
    const http = require('node:http') as typeof import('node:http');
    http.get(`${svc.url}/profiles`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), csp: String(res.headers['content-security-policy']) });
    }).on('error', reject);
  });
  expect(page).toMatchObject({ status: 200 });
  expect(page.type).toMatch(/^text\/html/);
  expect(page.csp).toContain("default-src 'self'");
  expect((await list()).headers['content-type']).toMatch(/^application\/json/);
});

test('one record, and its raw profile: the bytes as stored', async () => {
  const one = await request(`${svc.url}/profiles/${made[2].id}`);
  expect(one.status).toBe(200);
  expect(one.json().id).toBe(made[2].id);
  const raw = await request(`${svc.url}/profiles/${made[2].id}/profile`);
  expect(raw.status).toBe(200);
  expect(raw.headers['content-disposition']).toMatch(/^attachment; filename=".+\.prof"$/);
  expect(raw.body.equals(fs.readFileSync(made[2].path))).toBe(true);
  expect((await request(`${svc.url}/profiles/${'0'.repeat(32)}`)).status).toBe(404);
  expect((await request(`${svc.url}/profiles/..%2f..%2fetc`)).status).toBe(404);
});

test('POST /profiles/<id>/viewer opens a fresh viewer, answered as the processor answers', async () => {
  const answer = await request(`${svc.url}/profiles/${made[1].id}/viewer`, { method: 'POST', body: { [KEYS.expirationSeconds]: '90' } });
  expect(answer.status).toBe(200);
  const body = answer.json();
  expect(Object.values(body).every((v) => typeof v === 'string')).toBe(true);
  expect(body[`${RESULT}endpoint`]).toMatch(/^Visit http:\/\/127\.0\.0\.1:\d+, this server will expire in 90 seconds\.$/);
  expect(body[`${RESULT}profile_id`]).toBe(made[1].id);
  expect(body[`${RESULT}profile_path`]).toBe(made[1].path);
  expect(JSON.parse(body[`${RESULT}summary`]).type).toBe('Goroutine');
  const viewerPath = body[`${RESULT}viewer_path`];
  expect(viewerPath).toMatch(/^\/viewer\/[0-9a-f]{32}\/$/);
  const info = await request(`${svc.url}${viewerPath}api/profile`);
  expect(info.status).toBe(200);
  expect(info.json().type).toBe('Goroutine');
  expect(info.json().context).toMatchObject({ podName: 'api-0', diagnosisName: 'stuck' });
  // Its own viewer on its own port too, as the processor's.
  const port = /:(\d+),/.exec(body[`${RESULT}endpoint`])?.[1];
  expect((await request(`http://127.0.0.1:${port}/api/profile`)).status).toBe(200);
});

test('POST /profiles/<id>/viewer: a bad expiration is a 400 naming the key; an unknown id a 404', async () => {
  const bad = await request(`${svc.url}/profiles/${made[1].id}/viewer`, { method: 'POST', body: { [KEYS.expirationSeconds]: '-3' } });
  expect(bad.status).toBe(400);
  expect(bad.json().details[0].key).toBe(KEYS.expirationSeconds);
  expect((await request(`${svc.url}/profiles/${'f'.repeat(32)}/viewer`, { method: 'POST', body: {} })).status).toBe(404);
  expect((await request(`${svc.url}/profiles/${made[1].id}/viewer`)).status).toBe(405);
});

test('a record id is a diff base too: the history row is the "before"', async () => {
  const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: target.url, [KEYS.type]: 'Heap', [KEYS.diffBase]: made[0].id } });
  expect(answer.status).toBe(200);
  const summary = JSON.parse(answer.json()[`${RESULT}summary`]);
  expect(summary.diff.base).toBe(made[0].path);
});

test('HISTORY=off: no listing, no page, no records by id', async () => {
  const off = await startService({ HISTORY: 'off' });
  try {
    for (const path of ['/profiles', `/profiles/${made[0].id}`]) {
      const answer = await request(`${off.url}${path}`);
      expect(answer.status).toBe(404);
      expect(answer.json().error).toContain('HISTORY=off');
    }
  } finally {
    await off.stop();
  }
});

test('STORAGE=local: after a restart on the same DATA_ROOT (a persistent volume), the viewer and the history are still there', async () => {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-pv-'));
  const first = await startService({ DATA_ROOT: dataRoot });
  const answer = await request(`${first.url}/processor/goProfiler`, { body: { [KEYS.source]: target.url, [KEYS.type]: 'Heap', [KEYS.expirationSeconds]: '300' } });
  expect(answer.status).toBe(200);
  const body = answer.json();
  // Without PUBLIC_BASE_URL the answer names the viewer's own port; its id is in the log line that opened it.
  const viewer = (first.logs().find((l) => l.msg === 'viewer opened') as { viewer: string }).viewer;
  await first.service.stop(); // not first.stop(): that removes the data root
  const second = await startService({ DATA_ROOT: dataRoot });
  try {
    const info = await request(`${second.url}/viewer/${viewer}/api/profile`);
    expect(info.status).toBe(200);
    expect(info.json().expiresAt.replace(/\.\d{3}Z$/, 'Z')).toBe(body[`${RESULT}expires_at`]);
    const listed = (await request(`${second.url}/profiles`)).json().profiles.map((p: { id: string }) => p.id);
    expect(listed).toContain(body[`${RESULT}profile_id`]);
  } finally {
    await second.stop();
    fs.rmSync(dataRoot, { recursive: true, force: true });
  }
});

test('MAX_VIEWERS with PUBLIC_BASE_URL: a full process closes the least recently used idle viewer and reopens it on its next request', async () => {
  const small = await startService({ MAX_VIEWERS: '2', PUBLIC_BASE_URL: 'http://go-profiler.example' });
  try {
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await request(`${small.url}/processor/goProfiler`, { body: { [KEYS.source]: target.url, [KEYS.type]: 'Heap' } });
      expect(answer.status).toBe(200);
      paths.push(new URL(answer.json()[`${RESULT}viewer_url`]).pathname);
    }
    expect(small.service.viewers.size).toBe(2);
    expect(small.logs().filter((l) => l.msg === 'viewer evicted: its slot was needed')).toHaveLength(1);
    // The first one went; asked for again, it comes back (and another makes room for it).
    const again = await request(`${small.url}${paths[0]}api/top`);
    expect(again.status).toBe(200);
    expect(small.logs().some((l) => l.msg === 'viewer reloaded' && l.viewer === paths[0].split('/')[2])).toBe(true);
    for (const p of paths) expect((await request(`${small.url}${p}api/profile`)).status).toBe(200);
    expect(small.service.viewers.size).toBe(2);
  } finally {
    await small.stop();
  }
});
