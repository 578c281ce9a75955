import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { parseProfilerRequest } from '../src/parameters/request';
import { KEYS, requestSchema } from '../src/parameters/schema';
import { API_ROUTES } from '../src/viewer/viewer-api';
import { STATUS_ROUTE } from '../src/viewer/viewer-server';
import { request, serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// openapi.yaml is the published contract: the request schema is the very one the code validates with, and what
// the service answers matches the documented schemas, status by status.
const doc = yaml.load(fs.readFileSync(path.join(__dirname, '..', 'openapi.yaml'), 'utf8')) as any;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(doc, 'openapi');
const schema = (name: string) => ajv.getSchema(`openapi#/components/schemas/${name}`) as ReturnType<Ajv['compile']>;

function expectValid(name: string, value: unknown) {
  const validate = schema(name);
  const ok = validate(value);
  expect(ok ? [] : validate.errors).toEqual([]);
}

const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
let svc: RunningService;
let source: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  // A stand-in source serving a real heap profile captured from the Go target.
  source = await serve((req, res) => {
    if (req.url === '/debug/pprof/heap') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(HEAP);
    else res.writeHead(404).end('404 page not found');
  });
  svc = await startService({ MAX_VIEWERS: '2' });
});
afterAll(async () => {
  await svc?.stop();
  await source?.close();
});

test('the request schema in openapi.yaml is the one the code validates with', () => {
  expect(doc.components.schemas.GoProfilerRequest).toEqual(JSON.parse(JSON.stringify(requestSchema)));
  expect(doc.paths['/processor/goProfiler'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/GoProfilerRequest');
});

test('every request example in openapi.yaml is a request the service accepts', () => {
  const examples = Object.entries(doc.paths['/processor/goProfiler'].post.requestBody.content['application/json'].examples);
  expect(examples.length).toBeGreaterThan(0);
  const refused = (examples as Array<[string, { value: unknown }]>).flatMap(([name, example]) => {
    try {
      parseProfilerRequest(example.value, { defaultExpirationSeconds: 7200, maxExpirationSeconds: 86400 });
      return [];
    } catch (error) {
      return [`${name}: ${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details)}`];
    }
  });
  expect(refused).toEqual([]);
});

test('every documented processor status is what the service answers, in the documented shape', async () => {
  const documented = Object.keys(doc.paths['/processor/goProfiler'].post.responses).sort();
  expect(documented).toEqual(['200', '400', '405', '413', '500', '503']);
  const post = (body: unknown) => request(`${svc.url}/processor/goProfiler`, { body });
  const ok = await post({ [KEYS.source]: source.url, [KEYS.type]: 'heap' });
  expect(ok.status).toBe(200);
  expectValid('GoProfilerResult', ok.json());
  expectValid('Summary', JSON.parse(ok.json()['diagnoser.runtime.go_profiler.result.summary']));

  const answers = {
    400: await post({ [KEYS.type]: 'heap' }),
    405: await request(`${svc.url}/processor/goProfiler`),
    413: await request(`${svc.url}/processor/goProfiler`, { raw: JSON.stringify({ x: 'y'.repeat(70_000) }) }),
    500: await post({ [KEYS.source]: `${source.url}/nothing`, [KEYS.type]: 'heap' }),
  };
  await post({ [KEYS.source]: source.url, [KEYS.type]: 'heap' });
  const full = await post({ [KEYS.source]: source.url, [KEYS.type]: 'heap' });
  for (const [status, answer] of [...Object.entries(answers), ['503', full] as const]) {
    expect(answer.status).toBe(Number(status));
    expectValid('Error', answer.json());
  }
});

test('health, readiness and metrics answer as documented', async () => {
  expectValid('Health', (await request(`${svc.url}/healthz`)).json());
  expectValid('Health', (await request(`${svc.url}/readyz`)).json());
  expect((await request(`${svc.url}/metrics`)).headers['content-type']).toMatch(/^text\/plain/);
});

test('a method a path does not list is a 405 naming the ones it does, and a URL over 16 KiB a 431, both as Error', async () => {
  for (const [method, where, allow] of [['DELETE', '/healthz', 'GET, HEAD'], ['POST', '/readyz', 'GET, HEAD'], ['PUT', '/metrics', 'GET, HEAD'], ['GET', '/processor/goProfiler', 'POST']]) {
    const answer = await request(`${svc.url}${where}`, { method });
    expect([answer.status, answer.headers.allow]).toEqual([405, allow]);
    expectValid('Error', answer.json());
  }
  const long = await request(`${svc.url}/viewer/${'0'.repeat(32)}/api/top?focus=${'x'.repeat(20_000)}`);
  expect(long.status).toBe(431);
  expectValid('Error', long.json());
  // Documented wherever a query can make a URL that long.
  const inQuery = (p: any) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p).in === 'query';
  const withQuery = Object.values(doc.paths).filter((item: any) => item.get?.parameters?.some(inQuery));
  expect(withQuery.length).toBeGreaterThan(0);
  for (const item of withQuery as any[]) expect(item.get.responses['431']).toEqual({ $ref: '#/components/responses/HeadersTooLarge' });
});

test('every viewer route is documented, and nothing documented is missing from the code', () => {
  const documented = Object.keys(doc.paths)
    .filter((p) => p.startsWith('/viewer/{id}/') && p !== '/viewer/{id}/')
    .map((p) => p.slice('/viewer/{id}/'.length))
    .sort();
  expect(documented).toEqual([...Object.keys(API_ROUTES), STATUS_ROUTE].sort());
});

test('the history answers in the documented shapes, status by status', async () => {
  const own = await startService();
  try {
    const made = await request(`${own.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'heap', [KEYS.expirationSeconds]: '5' } });
    const id = made.json()['diagnoser.runtime.go_profiler.result.profile_id'];
    const list = await request(`${own.url}/profiles?type=heap&limit=1`);
    expectValid('ProfileList', list.json());
    expect(list.json().profiles.length).toBe(1);
    expectValid('ProfileRecord', (await request(`${own.url}/profiles/${id}`)).json());
    expect((await request(`${own.url}/profiles/${id}/profile`)).body.equals(HEAP)).toBe(true);
    const documented = (p: string, method: string) => Object.keys(doc.paths[p][method].responses).map(Number);
    const answers: Array<[string, string, number, Awaited<ReturnType<typeof request>>]> = [
      ['/profiles', 'get', 400, await request(`${own.url}/profiles?limit=0`)],
      ['/profiles', 'get', 405, await request(`${own.url}/profiles`, { method: 'DELETE' })],
      ['/profiles/{profileId}', 'get', 404, await request(`${own.url}/profiles/${'0'.repeat(32)}`)],
      ['/profiles/{profileId}/profile', 'get', 404, await request(`${own.url}/profiles/${'0'.repeat(32)}/profile`)],
      ['/profiles/{profileId}/viewer', 'post', 400, await request(`${own.url}/profiles/${id}/viewer`, { method: 'POST', body: [1] })],
      ['/profiles/{profileId}/viewer', 'post', 405, await request(`${own.url}/profiles/${id}/viewer`)],
    ];
    for (const [p, method, status, answer] of answers) {
      expect([p, answer.status]).toEqual([p, status]);
      expect(documented(p, method)).toContain(status);
      expectValid('Error', answer.json());
    }
  } finally {
    await own.stop();
  }
});

test('an async answer, a fresh viewer from the history and api/status are as documented', async () => {
  const viewers = await startService({ MAX_VIEWERS: '4' });
  try {
    const made = await request(`${viewers.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'heap' } });
    const opened = await request(`${viewers.url}/profiles/${made.json()['diagnoser.runtime.go_profiler.result.profile_id']}/viewer`, { method: 'POST' });
    expect(opened.status).toBe(200);
    expectValid('GoProfilerResult', opened.json());
    const async = await request(`${viewers.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'heap', [KEYS.async]: 'true' } });
    expect(async.status).toBe(200);
    expectValid('GoProfilerResult', async.json());
    const status = await request(`${async.json()['diagnoser.runtime.go_profiler.result.viewer_url']}/api/status`);
    expectValid('CaptureStatus', status.json());
  } finally {
    await viewers.stop();
  }
});

test('the viewer API answers in the documented shapes', async () => {
  const publicSvc = await startService({ PUBLIC_BASE_URL: 'http://example.invalid' });
  try {
    const answer = await request(`${publicSvc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'heap' } });
    const id = /viewer\/([0-9a-f]{32})\//.exec(answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'])?.[1];
    const base = `${publicSvc.url}/viewer/${id}`;
    expectValid('ProfileInfo', (await request(`${base}/api/profile`)).json());
    expectValid('TopTable', (await request(`${base}/api/top`)).json());
    expectValid('FlameGraph', (await request(`${base}/api/flamegraph`)).json());
    expectValid('FlameGraph', (await request(`${base}/api/flamegraph?zoom=runtime.main&zoom=main.main&resolution=100`)).json());
    expectValid('FlameSearch', (await request(`${base}/api/flamegraph/search?pattern=main`)).json());
    expectValid('Error', (await request(`${base}/api/top?sample=nope`)).json());
    expect((await request(`${base}/download`)).body.equals(HEAP)).toBe(true);
  } finally {
    await publicSvc.stop();
  }
});
