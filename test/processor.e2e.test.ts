import fs from 'node:fs';
import net from 'node:net';
import zlib from 'node:zlib';
import { RESULT } from '../src/result/answer';
import { KEYS } from '../src/parameters/schema';
import { goPprofTool, goPprofTop } from './support/go-pprof';
import { GoTarget, startGoTarget } from './support/go-target';
import { request, serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// End to end against a real Go program's /debug/pprof/ (test/fixtures/go-target), compared with the real
// `go tool pprof` on the very bytes the service stored.
let target: GoTarget;
let svc: RunningService;

// The first run builds pprof (see goPprofTool): allow for a cold Go cache.
beforeAll(() => goPprofTool(), 180_000);

beforeAll(async () => {
  target = await startGoTarget();
  svc = await startService();
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await target?.stop();
});

async function profile(type: string, extra: Record<string, unknown> = {}) {
  const answer = await request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: type, 'diagnosis.namespace': 'default', 'diagnosis.name': 'e2e', 'pod.name': 'gotarget', ...extra },
  });
  return answer;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.each([
  ['Heap', undefined],
  ['heap', 'alloc_space'],
  ['Profile', undefined],
  ['Goroutine', undefined],
  ['Allocs', undefined],
  ['Block', undefined],
  ['Mutex', undefined],
  ['Threadcreate', undefined],
])('%s end to end (sample %s)', (type, sample) => {
  test('200 with KubeDiag strings; top equals go tool pprof -top on the stored bytes', async () => {
    const answer = await profile(type, type === 'Profile' ? { [KEYS.durationSeconds]: '1', [KEYS.expirationSeconds]: '60' } : { [KEYS.expirationSeconds]: 60 });
    expect(answer.status).toBe(200);
    const body = answer.json();
    for (const value of Object.values(body)) expect(typeof value).toBe('string');
    expect(body[`${RESULT}endpoint`]).toMatch(/^Visit http:\/\/127\.0\.0\.1:\d+, this server will expire in 60 seconds\.$/);
    const viewer = body[`${RESULT}viewer_url`] as string;
    expect(body[`${RESULT}endpoint`]).toContain(viewer);
    expect(Date.parse(body[`${RESULT}expires_at`]) - Date.now()).toBeGreaterThan(50_000);

    const file = body[`${RESULT}profile_path`] as string;
    expect(file).toMatch(new RegExp(`profilers/go/pprof/unknown\\.gotarget\\.unknown/\\d{14}/default\\.e2e\\.${type[0].toUpperCase()}${type.slice(1).toLowerCase()}(-\\d+)?\\.prof$`, 'i'));
    const reference = await goPprofTop(file, sample ? { sampleIndex: sample } : {});
    const top = (await request(`${viewer}/api/top${sample ? `?sample=${sample}` : ''}`)).json();
    expect(top.total).toBe(reference.total);
    expect(top.rows.map((r: { name: string; flat: number; cum: number }) => ({ name: r.name, flat: r.flat, cum: r.cum }))).toEqual(reference.rows);

    const summary = JSON.parse(body[`${RESULT}summary`]);
    expect(summary.type.toLowerCase()).toBe(type.toLowerCase());
    expect(summary.top.length).toBe(Math.min(10, top.rows.length));
    if (!sample) expect(summary.top.map((r: { function: string }) => r.function)).toEqual(top.rows.slice(0, 10).map((r: { name: string }) => r.name));

    // The same viewer through the main port, and the original bytes back.
    const id = (await request(`${viewer}/api/profile`)).json();
    expect(id.type.toLowerCase()).toBe(type.toLowerCase());
    const download = await request(`${viewer}/download`);
    expect(download.body.equals(fs.readFileSync(file))).toBe(true);
  }, 60_000);
});

describe('the viewer', () => {
  /** With PUBLIC_BASE_URL the answer names /viewer/<id>/, which the main port proxies to the viewer. */
  async function proxiedViewer(expiration: string) {
    const publicSvc = await startService({ PUBLIC_BASE_URL: 'https://profiles.example.com/' });
    const answer = await request(`${publicSvc.url}/processor/goProfiler`, {
      body: { [KEYS.source]: target.url, [KEYS.type]: 'heap', [KEYS.expirationSeconds]: expiration, 'diagnosis.name': 'e2e', 'pod.name': 'gotarget' },
    });
    const body = answer.json();
    const match = /^https:\/\/profiles\.example\.com\/viewer\/([0-9a-f]{32})\/$/.exec(body[`${RESULT}viewer_url`]);
    expect(match).not.toBeNull();
    expect(body[`${RESULT}endpoint`]).toBe(`Visit https://profiles.example.com/viewer/${match?.[1]}, this server will expire in ${expiration} seconds.`);
    const id = match?.[1] as string;
    return { svc: publicSvc, id, base: `${publicSvc.url}/viewer/${id}`, port: publicSvc.service.viewers.get(id)?.port as number };
  }

  test('is reachable through /viewer/<id>/ on the main port and serves its page', async () => {
    const v = await proxiedViewer('60');
    try {
      const page = await request(`${v.base}/`);
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(page.body.toString()).toContain('<script src="app.js"');
      expect((await request(`${v.base}/app.js`)).headers['content-type']).toMatch(/javascript/);
      const info = (await request(`${v.base}/api/profile`)).json();
      expect(info.context).toMatchObject({ diagnosisName: 'e2e', podName: 'gotarget' });
      const redirect = await request(v.base);
      expect(redirect.status).toBe(308);
      expect(redirect.headers.location).toBe(`/viewer/${v.id}/`);
      const unknownSample = await request(`${v.base}/api/top?sample=nope`);
      expect(unknownSample.status).toBe(400);
      expect(unknownSample.json().details[0].message).toMatch(/inuse_space/);
      expect((await request(`${v.svc.url}/viewer/${'0'.repeat(32)}/`)).status).toBe(404);
    } finally {
      await v.svc.stop();
    }
  });

  test('expires: the port refuses connections and /viewer/<id>/ answers 404', async () => {
    const v = await proxiedViewer('2');
    try {
      expect(await portOpen(v.port)).toBe(true);
      expect((await request(`${v.base}/api/profile`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2600));
      expect(await portOpen(v.port)).toBe(false);
      const gone = await request(`${v.base}/`);
      expect(gone.status).toBe(404);
      expect(gone.json().error).toMatch(/expired/);
      expect(v.svc.service.viewers.size).toBe(0);
    } finally {
      await v.svc.stop();
    }
  });
});

describe('failures are 500s with their reason, and the service stays up', () => {
  afterEach(async () => {
    expect((await request(`${svc.url}/healthz`)).status).toBe(200);
  });

  test('an HTML page', async () => {
    const html = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><body>Please log in</body></html>');
    });
    const answer = await profile('Heap', { [KEYS.source]: html.url });
    await html.close();
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/HTML page.*text\/html.*Please log in/);
  });

  test('a 404 upstream', async () => {
    const answer = await profile('Heap', { [KEYS.source]: `${target.url}/debug/pprof/nope` });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/answered 404/);
  });

  test('an unreachable host', async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    const answer = await profile('Heap', { [KEYS.source]: closed.url });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/connection refused/);
  });

  test('a body over MAX_PROFILE_BYTES', async () => {
    const big = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(zlib.gzipSync(Buffer.alloc(10)).subarray(0, 2) + 'x'.repeat(300 * 1024));
    });
    const small = await startService({ MAX_PROFILE_BYTES: String(256 * 1024) });
    const answer = await request(`${small.url}/processor/goProfiler`, { body: { [KEYS.source]: big.url, [KEYS.type]: 'heap' } });
    await small.stop();
    await big.close();
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/larger than the limit of 262144 bytes \(MAX_PROFILE_BYTES\)/);
  });

  test('text instead of a profile (debug=1)', async () => {
    const answer = await profile('Goroutine', { [KEYS.source]: `${target.url}/debug/pprof/goroutine?debug=1` });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/text, not a pprof profile/);
  });
});

describe('the HTTP contract', () => {
  test('other methods get 405 with Allow: POST; unknown paths 404; bad JSON 400; big bodies 413', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await request(`${svc.url}/processor/goProfiler`, { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
      expect(answer.json()).toEqual({ error: expect.any(String), details: [] });
    }
    expect((await request(`${svc.url}/nope`)).status).toBe(404);
    const bad = await request(`${svc.url}/processor/goProfiler`, { raw: '{"param.diagnoser' });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toBe('malformed JSON');
    const huge = await request(`${svc.url}/processor/goProfiler`, { raw: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) });
    expect(huge.status).toBe(413);
  });

  test('a bad parameter is a 400 naming the key', async () => {
    const answer = await profile('Heap', { [KEYS.expirationSeconds]: 'forever' });
    expect(answer.status).toBe(400);
    expect(answer.json().details).toEqual([{ key: KEYS.expirationSeconds, message: expect.stringMatching(/integer >= 1/) }]);
  });

  test('a Secret reference with no cluster configured is a 500 that says so', async () => {
    const answer = await profile('Heap', { [KEYS.source]: 'https://127.0.0.1:1', [KEYS.secretName]: 'token' });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/no Kubernetes cluster is configured/);
  });

  test('MAX_VIEWERS reached: 503 with Retry-After', async () => {
    const one = await startService({ MAX_VIEWERS: '1' });
    try {
      const body = { [KEYS.source]: target.url, [KEYS.type]: 'heap' };
      expect((await request(`${one.url}/processor/goProfiler`, { body })).status).toBe(200);
      const second = await request(`${one.url}/processor/goProfiler`, { body });
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toMatch(/^\d+$/);
      expect(second.json().error).toMatch(/MAX_VIEWERS/);
    } finally {
      await one.stop();
    }
  });

  test('one log line per request with outcome and timings; metrics count them', async () => {
    await profile('Heap');
    const line = svc.logs().reverse().find((l) => l.msg === 'profile served') as Record<string, unknown>;
    expect(line).toMatchObject({ outcome: 'ok', type: 'Heap', fetchMs: expect.any(Number), decodeMs: expect.any(Number), totalMs: expect.any(Number) });
    const metrics = (await request(`${svc.url}/metrics`)).body.toString();
    expect(metrics).toMatch(/goprofiler_requests_total\{outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/goprofiler_live_viewers [1-9]/);
    expect(metrics).toMatch(/goprofiler_fetch_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/goprofiler_fetched_bytes_total [1-9]/);
  });
});
