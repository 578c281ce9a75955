import fs from 'node:fs';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { JOB_NAMESPACE, ProfilerOnCluster, SERVICE_ACCOUNT, startProfilerOnCluster } from './support/cluster/profiler-on-cluster';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { makeTestPki, TestPki } from './support/tls';

// An HTTPS source that wants a bearer token (as kube-apiserver's /debug/pprof/ does), its CA made here, and the
// token and CA in a Secret of the real control plane (test/support/cluster), read by the service as its own
// ServiceAccount through the real @kubernetes/client-node: the real RBAC of deploy/ decides what it may read.
const TOKEN = 'pprof-reader-token-0123456789abcdef';
let pki: TestPki;
let target: GoTarget;
let c: ProfilerOnCluster;

beforeAll(async () => {
  pki = await makeTestPki(['127.0.0.1', 'localhost']);
  target = await startGoTarget({ tls: { cert: path.join(pki.dir, 'server.crt'), key: path.join(pki.dir, 'server.key') }, token: TOKEN });
  c = await startProfilerOnCluster({ SECRET_NAMESPACES: `${JOB_NAMESPACE},ops` });
  await c.cluster.namespace('ops');
  const secret = (namespace: string, name: string, data: Record<string, string>) =>
    c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, stringData: data }));
  await secret(JOB_NAMESPACE, 'profiler-token', { token: `${TOKEN}\n`, 'ca.crt': pki.caCert });
  await secret(JOB_NAMESPACE, 'wrong-token', { token: 'not-the-token', 'ca.crt': pki.caCert });
  await secret(JOB_NAMESPACE, 'no-token', { 'ca.crt': pki.caCert });
  await secret(JOB_NAMESPACE, 'token-without-ca', { token: TOKEN });
  // Allowed by SECRET_NAMESPACES, but deploy/ grants no Secret read in ops: the API server refuses.
  await secret('ops', 'profiler-token', { token: TOKEN, 'ca.crt': pki.caCert });
  await secret('kube-system', 'profiler-token', { token: TOKEN, 'ca.crt': pki.caCert });
}, 120_000);

afterAll(async () => {
  for (const ns of [JOB_NAMESPACE, 'ops', 'kube-system']) {
    await c?.cluster.kubectl(['-n', ns, 'delete', 'secret', 'profiler-token', 'wrong-token', 'no-token', 'token-without-ca', '--ignore-not-found']);
  }
  await c?.stop();
  await target?.stop();
  fs.rmSync(pki.dir, { recursive: true, force: true });
});

function profile(secret: string, namespace = JOB_NAMESPACE) {
  return request(`${c.svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: 'Heap', [KEYS.secretName]: secret, [KEYS.secretNamespace]: namespace, [KEYS.expirationSeconds]: '30' },
  });
}

test('the source is https with a token; the answer is a viewer of the real profile; the Secret was read with get', async () => {
  expect(target.url).toMatch(/^https:/);
  const mark = c.cluster.mark();
  const answer = await profile('profiler-token');
  expect(answer.status).toBe(200);
  const summary = JSON.parse(answer.json()[`${RESULT}summary`]);
  expect(summary.top[0].function).toBe('main.allocBig');
  const reads = c.requests(mark, (e) => e.objectRef?.resource === 'secrets');
  expect(reads.map((e) => [e.verb, e.requestURI, e.responseStatus?.code])).toEqual([['get', `/api/v1/namespaces/${JOB_NAMESPACE}/secrets/profiler-token`, 200]]);
});

test('a Secret that does not exist: 500 naming it', async () => {
  const answer = await profile('missing');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(new RegExp(`Secret ${JOB_NAMESPACE}/missing: not found`));
});

test('a Secret without a token: 500 naming the Secret and the key', async () => {
  const answer = await profile('no-token');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(new RegExp(`Secret ${JOB_NAMESPACE}/no-token: it has no key "token"`));
});

test('without ca.crt the system CAs are used, so a private CA fails TLS verification', async () => {
  const answer = await profile('token-without-ca');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/TLS verification failed/);
});

test('a wrong token: the upstream 401 is named', async () => {
  const answer = await profile('wrong-token');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/answered 401/);
});

test('RBAC forbids the read (no grant in ops): 500 with the API server\'s reason', async () => {
  const answer = await profile('profiler-token', 'ops');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(new RegExp(`access forbidden.*User "${SERVICE_ACCOUNT}" cannot get resource "secrets" in API group "" in the namespace "ops"`));
});

test('a Secret outside SECRET_NAMESPACES is refused with a 400 naming the key, and not read', async () => {
  const mark = c.cluster.mark();
  const answer = await profile('profiler-token', 'kube-system');
  expect(answer.status).toBe(400);
  expect(answer.json().details).toEqual([{ key: KEYS.secretNamespace, message: `must be one of ${JOB_NAMESPACE}, ops` }]);
  expect(c.requests(mark, (e) => e.objectRef?.namespace === 'kube-system')).toEqual([]);
});

test('the token never reaches a log line', () => {
  expect(c.svc.logText()).not.toContain(TOKEN);
  expect(c.svc.logText()).not.toContain('not-the-token');
  expect(c.svc.logText()).toContain(`${JOB_NAMESPACE}/profiler-token`);
});
