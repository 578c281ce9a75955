import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { KEYS, PARAM } from '../src/parameters/schema';
import { serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// Property test over the request space: whatever a request sends, the answer is one of the documented statuses
// with a JSON error or result body, and the service keeps answering.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100_000);
const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

let svc: RunningService;
let source: Awaited<ReturnType<typeof serve>>;
let closedPort: number;

beforeAll(async () => {
  // A loopback source answering by path: a real profile, garbage, HTML, an error, a redirect.
  source = await serve((req, res) => {
    const route = (req.url ?? '').split('?')[0];
    if (route.endsWith('/heap') || route.endsWith('/profile')) res.writeHead(200).end(HEAP);
    else if (route.endsWith('/goroutine')) res.writeHead(200).end(HEAP.subarray(0, 100));
    else if (route.endsWith('/allocs')) res.writeHead(200, { 'content-type': 'text/html' }).end('<html>no</html>');
    else if (route.endsWith('/block')) res.writeHead(302, { location: '/debug/pprof/heap' }).end();
    else res.writeHead(500).end('boom');
  });
  const closed = await serve(() => undefined);
  closedPort = Number(new URL(closed.url).port);
  await closed.close();
  svc = await startService({ MAX_VIEWERS: '4', FETCH_TIMEOUT_SECONDS: '2', MAX_EXPIRATION_SECONDS: '1', LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  agent.destroy();
  await svc?.stop();
  await source?.close();
});

function post(raw: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${svc.url}/processor/goProfiler`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));
const typeName = fc.oneof(fc.constantFrom('Profile', 'heap', 'GOROUTINE', 'allocs', 'Block', 'mutex', 'threadcreate', 'trace', ''), fc.string());
const sourceUrl = fc.oneof(
  fc.constantFrom('http://127.0.0.1', 'https://127.0.0.1', 'ftp://127.0.0.1', 'http://', 'http://[::1', 'javascript:alert(1)'),
  fc.constant('').map(() => source.url),
  fc.constant('').map(() => `http://127.0.0.1:${closedPort}`),
  fc.constantFrom('/debug/pprof/heap', '/x', '/debug/pprof/block?debug=1', '').map((p) => `${source.url}${p}`),
  fc.string(),
);
const integerish = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('1', '2', '0', '-1', '1e3', ' 3 ', '99999999999999999999'), anyValue);
const body = fc.record(
  {
    [KEYS.source]: fc.oneof(sourceUrl, anyValue),
    [KEYS.type]: fc.oneof(typeName, anyValue),
    [KEYS.durationSeconds]: integerish,
    [KEYS.expirationSeconds]: integerish,
    [KEYS.secretName]: fc.oneof(fc.constantFrom('token', 'Bad_Name'), anyValue),
    [KEYS.secretNamespace]: fc.oneof(fc.constantFrom('default', 'kube-system'), anyValue),
    [`${PARAM}unknown`]: anyValue,
    'diagnosis.name': anyValue,
    'pod.name': anyValue,
  },
  { requiredKeys: [] },
);
// Mostly well-formed requests, so the fetch, decode and viewer paths are exercised too.
const plausible = fc.record({
  [KEYS.source]: fc.oneof({ weight: 4, arbitrary: sourceUrl }, { weight: 1, arbitrary: anyValue }),
  [KEYS.type]: fc.oneof({ weight: 4, arbitrary: typeName }, { weight: 1, arbitrary: anyValue }),
  [KEYS.expirationSeconds]: fc.constantFrom('1', 1, '2'),
  [KEYS.durationSeconds]: fc.constantFrom('1', 1),
});
const raw = fc.oneof(
  { weight: 3, arbitrary: body.map((b) => JSON.stringify(b)) },
  { weight: 3, arbitrary: plausible.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: body.map((b) => JSON.stringify(b)).chain((s) => fc.nat(s.length).map((cut) => s.slice(0, cut))) },
);

test(`${RUNS} random and mutated bodies: only documented statuses, always a JSON body, service up`, async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(raw, async (payload) => {
      const answer = await post(payload);
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
      expect([200, 400, 413, 500, 503]).toContain(answer.status);
      const parsed = JSON.parse(answer.body);
      if (answer.status === 200) for (const v of Object.values(parsed)) expect(typeof v).toBe('string');
      else expect(parsed).toEqual({ error: expect.any(String), details: expect.any(Array) });
    }),
    { numRuns: RUNS },
  );
  // The space was really explored: refusals, failures and successes all happened.
  expect(seen.get(400)).toBeGreaterThan(0);
  expect(seen.get(500)).toBeGreaterThan(0);
  expect((seen.get(200) ?? 0) + (seen.get(503) ?? 0)).toBeGreaterThan(0);
  expect((await post('{}')).status).toBe(400);
}, 900_000);

test('deeply nested JSON and non-object JSON are 400s', async () => {
  const nested = '['.repeat(30_000) + ']'.repeat(30_000);
  expect((await post(nested)).status).toBe(400);
  const deepObject = `{"${KEYS.source}":"http://127.0.0.1","${KEYS.type}":"heap","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
  expect([400, 500, 200, 503]).toContain((await post(deepObject)).status);
  for (const value of ['"text"', '42', 'null', 'true', '[]']) expect((await post(value)).status).toBe(400);
});
