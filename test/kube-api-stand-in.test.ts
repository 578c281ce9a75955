/**
 * Proves the kube-apiserver stand-in (test/support/kube-api) speaks the
 * protocol the real client speaks: every call below goes through the real
 * @kubernetes/client-node 1.4.0 (kubeconfig → TLS → bearer token → REST path
 * → JSON) or, where the client hides the wire, through a raw HTTPS request.
 * The stand-in remains only for job-log-faults.e2e.test.ts (a damaged pod log); every other Kubernetes test runs
 * on the real control plane (test/support/cluster).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadClientNode } from './support/client-node';
import { startKubeApi, type KubeApiStandIn } from './support/kube-api';

const k8s = loadClientNode();

function coreApi(kubeconfigPath: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(k8s.CoreV1Api);
}

/** Runs a client call that must fail and returns what it threw. */
async function failure(call: Promise<unknown>): Promise<any> {
  const result = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (result.ok) throw new Error(`expected the call to fail, got ${JSON.stringify(result.value)}`);
  return result.error;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A bare HTTPS GET, for what the client does not show (e.g. the body of a 401). */
function rawGet(api: KubeApiStandIn, path: string, opts: { token?: string; trustCa?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.url}${path}`,
      {
        ca: opts.trustCa === false ? undefined : api.caCert,
        headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('kube-api stand-in, through the real @kubernetes/client-node', () => {
  let api: KubeApiStandIn;

  beforeEach(async () => {
    api = await startKubeApi();
  });

  afterEach(async () => {
    await api.stop();
  });

  test('readNamespacedSecret returns the seeded Secret with base64 data', async () => {
    const stored = api.addSecret('apps', 'pprof-auth', { token: 's3cr3t', raw: Buffer.from([0, 255, 1]) });

    const secret = await coreApi(api.writeKubeconfig()).readNamespacedSecret({ name: 'pprof-auth', namespace: 'apps' });

    expect(secret.kind).toBe('Secret');
    expect(secret.apiVersion).toBe('v1');
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.name).toBe('pprof-auth');
    expect(secret.metadata?.namespace).toBe('apps');
    expect(secret.metadata?.uid).toBe(stored.metadata.uid);
    expect(secret.metadata?.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(secret.metadata?.resourceVersion).toBe(stored.metadata.resourceVersion);
    // client-node turns metav1.Time into a Date.
    expect(secret.metadata?.creationTimestamp?.getTime()).toBe(Date.parse(stored.metadata.creationTimestamp!));
    // .data holds base64, as on a real cluster: the caller decodes.
    expect(secret.data?.token).toBe(Buffer.from('s3cr3t').toString('base64'));
    expect(Buffer.from(secret.data!.token, 'base64').toString('utf8')).toBe('s3cr3t');
    expect([...Buffer.from(secret.data!.raw, 'base64')]).toEqual([0, 255, 1]);

    expect(api.requests).toHaveLength(1);
    const [sent] = api.requests;
    expect(sent).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/apps/secrets/pprof-auth', query: {}, status: 200 });
    expect(sent.headers.accept).toBe('application/json, */*;q=0.8');
    expect(sent.headers).not.toHaveProperty('authorization');
  });

  test('a missing Secret is an ApiException with code 404 and a NotFound Status body', async () => {
    const err = await failure(coreApi(api.writeKubeconfig()).readNamespacedSecret({ name: 'nope', namespace: 'apps' }));

    expect(err).toBeInstanceOf(k8s.ApiException);
    expect(err.code).toBe(404);
    // client-node 1.4.0 keeps the body as the raw response text.
    expect(typeof err.body).toBe('string');
    expect(JSON.parse(err.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'secrets' },
      code: 404,
    });
  });

  test('RBAC: a request outside the allow-list is a 403 with the real Forbidden message', async () => {
    api.addSecret('apps', 'pprof-auth', { token: 'a' });
    api.addSecret('kube-system', 'admin', { token: 'b' });
    api.setRbac([{ verb: 'get', resource: 'secrets', namespace: 'apps' }]);
    const core = coreApi(api.writeKubeconfig());

    const allowed = await core.readNamespacedSecret({ name: 'pprof-auth', namespace: 'apps' });
    expect(allowed.metadata?.name).toBe('pprof-auth');

    const err = await failure(core.readNamespacedSecret({ name: 'admin', namespace: 'kube-system' }));
    expect(err.code).toBe(403);
    expect(JSON.parse(err.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'secrets "admin" is forbidden: User "system:serviceaccount:go-profiler:go-profiler" ' +
        'cannot get resource "secrets" in API group "" in the namespace "kube-system"',
      reason: 'Forbidden',
      details: { name: 'admin', kind: 'secrets' },
      code: 403,
    });

    // A list has no object name, so the message has none either.
    const listErr = await failure(core.listNamespacedPod({ namespace: 'apps' }));
    expect(listErr.code).toBe(403);
    expect(JSON.parse(listErr.body).message).toBe(
      'pods is forbidden: User "system:serviceaccount:go-profiler:go-profiler" ' +
        'cannot list resource "pods" in API group "" in the namespace "apps"',
    );
  });

  test('no token or a wrong token is a 401; client-node drops the 401 body, the wire has the Status', async () => {
    const noToken = await failure(coreApi(api.writeKubeconfig({ token: null })).readNamespacedSecret({ name: 'x', namespace: 'apps' }));
    expect(noToken).toBeInstanceOf(k8s.ApiException);
    expect(noToken.code).toBe(401);
    expect(noToken.body).toBeUndefined();

    const wrongToken = await failure(coreApi(api.writeKubeconfig({ token: 'not-the-token' })).readNamespacedSecret({ name: 'x', namespace: 'apps' }));
    expect(wrongToken.code).toBe(401);
    expect(api.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);

    const raw = await rawGet(api, '/api/v1/namespaces/apps/secrets/x');
    expect(raw.status).toBe(401);
    expect(raw.headers['content-type']).toBe('application/json');
    expect(JSON.parse(raw.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  test('with anonymous auth on, no credentials is system:anonymous and Forbidden', async () => {
    const anon = await startKubeApi({ anonymousAuth: true });
    try {
      const err = await failure(coreApi(anon.writeKubeconfig({ token: null })).readNamespacedSecret({ name: 'x', namespace: 'apps' }));
      expect(err.code).toBe(403);
      expect(JSON.parse(err.body).message).toBe(
        'secrets "x" is forbidden: User "system:anonymous" cannot get resource "secrets" in API group "" in the namespace "apps"',
      );
    } finally {
      await anon.stop();
    }
  });

  test('pods: read one, list with label selectors', async () => {
    const container = [{ name: 'app', image: 'example/app:1' }];
    api.addPod({ metadata: { name: 'target-0', namespace: 'apps', labels: { app: 'target', tier: 'web' } }, spec: { containers: container }, status: { phase: 'Running', podIP: '10.0.0.7' } });
    api.addPod({ metadata: { name: 'target-1', namespace: 'apps', labels: { app: 'target', tier: 'db' } }, spec: { containers: container } });
    api.addPod({ metadata: { name: 'other', namespace: 'apps', labels: { app: 'other' } }, spec: { containers: container } });
    api.addPod({ metadata: { name: 'elsewhere', namespace: 'prod', labels: { app: 'target' } }, spec: { containers: container } });
    const core = coreApi(api.writeKubeconfig());

    const pod = await core.readNamespacedPod({ name: 'target-0', namespace: 'apps' });
    expect(pod.kind).toBe('Pod');
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.podIP).toBe('10.0.0.7');

    const byEquality = await core.listNamespacedPod({ namespace: 'apps', labelSelector: 'app=target' });
    expect(byEquality.kind).toBe('PodList');
    expect(byEquality.metadata?.resourceVersion).toBe(api.store.resourceVersion);
    expect(byEquality.items.map((p) => p.metadata?.name)).toEqual(['target-0', 'target-1']);

    const bySet = await core.listNamespacedPod({ namespace: 'apps', labelSelector: 'app in (target,other),tier!=db' });
    expect(bySet.items.map((p) => p.metadata?.name)).toEqual(['other', 'target-0']);

    const byField = await core.listNamespacedPod({ namespace: 'apps', fieldSelector: 'status.phase=Pending' });
    expect(byField.items.map((p) => p.metadata?.name)).toEqual(['other', 'target-1']);

    const lists = api.requests.filter((r) => r.path === '/api/v1/namespaces/apps/pods');
    expect(lists.map((r) => r.query)).toEqual([
      { labelSelector: 'app=target' },
      { labelSelector: 'app in (target,other),tier!=db' },
      { fieldSelector: 'status.phase=Pending' },
    ]);

    const bad = await failure(core.listNamespacedPod({ namespace: 'apps', fieldSelector: 'spec.image=x' }));
    expect(bad.code).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: spec.image' });
  });

  test('a path the server has no route for is the generic 404 Status', async () => {
    const err = await failure(coreApi(api.writeKubeconfig()).readNamespacedConfigMap({ name: 'x', namespace: 'apps' }));
    expect(err.code).toBe(404);
    expect(JSON.parse(err.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
    expect(api.requests[0].path).toBe('/api/v1/namespaces/apps/configmaps/x');
  });

  test('TLS is real: a client that does not trust the test CA is refused', async () => {
    await expect(rawGet(api, '/api/v1/namespaces/apps/secrets/x', { token: api.token, trustCa: false })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const trusted = await rawGet(api, '/api/v1/namespaces/apps/secrets/x', { token: api.token });
    expect(trusted.status).toBe(404);
  });
});

describe('client-node 1.4.0 loadFromDefault with nothing configured', () => {
  const run = promisify(execFile);
  const inCluster = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');

  // Run in a child process: client-node reads the real environment, not Jest's copy.
  (inCluster ? test.skip : test)('falls back to http://localhost:8080, which every API call then rejects', async () => {
    const home = await mkdtemp(join(tmpdir(), 'no-kube-home-'));
    try {
      const script = `
        const k8s = require('@kubernetes/client-node');
        const kc = new k8s.KubeConfig();
        kc.loadFromDefault();
        kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'x', namespace: 'y' }).then(
          () => console.log(JSON.stringify({ ok: true })),
          (e) => console.log(JSON.stringify({ context: kc.getCurrentContext(), cluster: kc.getCurrentCluster(), user: kc.getCurrentUser(), error: e.message })),
        );`;
      const { stdout } = await run(process.execPath, ['-e', script], {
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? '', HOME: home },
      });
      expect(JSON.parse(stdout)).toEqual({
        context: 'loaded-context',
        cluster: { name: 'cluster', server: 'http://localhost:8080' },
        user: { name: 'user' },
        error: 'HTTP protocol is not allowed when skipTLSVerify is not set or false',
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
