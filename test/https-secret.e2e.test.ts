import path from 'node:path';
import { kubeProviderFromFile } from '../src/acquire/kube/clients';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { KubeApiStandIn, startKubeApi } from './support/kube-api';
import { RunningService, startService } from './support/service';
import { makeTestPki, TestPki } from './support/tls';

// An HTTPS source that wants a bearer token (as kube-apiserver's /debug/pprof/ does), its CA made here, and the
// token and CA in a Secret served by the kube-apiserver stand-in (test/support/kube-api), read through the real
// @kubernetes/client-node.
const TOKEN = 'pprof-reader-token-0123456789abcdef';
let pki: TestPki;
let target: GoTarget;
let kube: KubeApiStandIn;
let svc: RunningService;

beforeAll(async () => {
  pki = await makeTestPki(['127.0.0.1', 'localhost']);
  target = await startGoTarget({ tls: { cert: path.join(pki.dir, 'server.crt'), key: path.join(pki.dir, 'server.key') }, token: TOKEN });
  kube = await startKubeApi();
  kube.addSecret('kubediag', 'profiler-token', { token: `${TOKEN}\n`, 'ca.crt': pki.caCert });
  kube.addSecret('kubediag', 'wrong-token', { token: 'not-the-token', 'ca.crt': pki.caCert });
  kube.addSecret('kubediag', 'no-token', { 'ca.crt': pki.caCert });
  kube.addSecret('kubediag', 'token-without-ca', { token: TOKEN });
  svc = await startService({ SECRET_NAMESPACES: 'kubediag,ops' }, kubeProviderFromFile(kube.writeKubeconfig()));
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await kube?.stop();
  await target?.stop();
});

function profile(secret: string, namespace = 'kubediag') {
  return request(`${svc.url}/processor/goProfiler`, {
    body: { [KEYS.source]: target.url, [KEYS.type]: 'Heap', [KEYS.secretName]: secret, [KEYS.secretNamespace]: namespace, [KEYS.expirationSeconds]: '30' },
  });
}

test('the source is https with a token; the answer is a viewer of the real profile', async () => {
  expect(target.url).toMatch(/^https:/);
  const answer = await profile('profiler-token');
  expect(answer.status).toBe(200);
  const summary = JSON.parse(answer.json()[`${RESULT}summary`]);
  expect(summary.top[0].function).toBe('main.allocBig');
  const read = kube.requests.find((r) => r.path === '/api/v1/namespaces/kubediag/secrets/profiler-token');
  expect(read?.method).toBe('GET');
});

test('a Secret that does not exist: 500 naming it', async () => {
  const answer = await profile('missing');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/Secret kubediag\/missing: not found/);
});

test('a Secret without a token: 500 naming the Secret and the key', async () => {
  const answer = await profile('no-token');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/Secret kubediag\/no-token: it has no key "token"/);
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

test('RBAC forbids the read: 500 that says so', async () => {
  kube.setRbac([{ verb: 'get', resource: 'secrets', namespace: 'other' }]);
  try {
    const answer = await profile('profiler-token');
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/access forbidden.*cannot get resource "secrets"/);
  } finally {
    kube.setRbac(null);
  }
});

test('a Secret outside SECRET_NAMESPACES is refused with a 400 naming the key, and not read', async () => {
  kube.addSecret('kube-system', 'profiler-token', { token: TOKEN, 'ca.crt': pki.caCert });
  const answer = await profile('profiler-token', 'kube-system');
  expect(answer.status).toBe(400);
  expect(answer.json().details).toEqual([{ key: KEYS.secretNamespace, message: 'must be one of kubediag, ops' }]);
  expect(kube.requests.some((r) => r.path.includes('/namespaces/kube-system/'))).toBe(false);
});

test('the token never reaches a log line', () => {
  expect(svc.logText()).not.toContain(TOKEN);
  expect(svc.logText()).not.toContain('not-the-token');
  expect(svc.logText()).toContain('kubediag/profiler-token');
});
