import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { startGoTargetPod } from './support/cluster/go-target-pod';
import { JOB_NAMESPACE, ProfilerOnCluster, SERVICE_ACCOUNT, startProfilerOnCluster } from './support/cluster/profiler-on-cluster';
import { goPprofTop } from './support/go-pprof';
import { request } from './support/http-json';
import { rbacFileFor } from './support/kustomize';

// The proxy collector on the real control plane (test/support/cluster): the profile comes through kube-apiserver's
// own pods/proxy, which dials the Go target pod's IP, with the service's ServiceAccount token; the real RBAC
// authorizer decides, and the audit log shows what the service asked for.
const PODS_PROXY_RBAC = path.join(__dirname, '..', 'deploy', 'rbac', 'pods-proxy.yaml');
let c: ProfilerOnCluster;

beforeAll(async () => {
  c = await startProfilerOnCluster();
  // A pod whose pprof port is not 6060: the proxy's dial is refused.
  await startGoTargetPod(c.cluster, { namespace: 'apps', name: 'no-pprof', node: 'node-b', port: 7070 });
  await c.cluster.apply(rbacFileFor(PODS_PROXY_RBAC, JOB_NAMESPACE));
}, 120_000);

afterAll(async () => {
  await c?.cluster.kubectl(['delete', '--ignore-not-found', '-f', '-'], rbacFileFor(PODS_PROXY_RBAC, JOB_NAMESPACE));
  await c?.cluster.kubectl(['-n', 'apps', 'delete', 'pod', 'no-pprof', '--ignore-not-found', '--wait=false']);
  await c?.stop();
});

const viaProxy = (type: string, extra: Record<string, unknown> = {}) =>
  c.profile({ [KEYS.collector]: 'proxy', [KEYS.type]: type, [KEYS.jobPodNamespace]: 'apps', [KEYS.jobPodName]: 'gotarget', [KEYS.durationSeconds]: '1', ...extra });

describe.each(['Profile', 'Heap', 'Goroutine', 'Allocs', 'Block', 'Mutex', 'Threadcreate'])('%s through the API server proxy', (type) => {
  test('200; the viewer equals go tool pprof on the stored bytes; the request went to pods/<pod>:<port>/proxy', async () => {
    const mark = c.cluster.mark();
    const answer = await viaProxy(type);
    expect(answer.status).toBe(200);
    const body = answer.json();
    const reference = await goPprofTop(body[`${RESULT}profile_path`]);
    const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
    expect(top.total).toBe(reference.total);
    expect(top.rows.map((r: { name: string }) => r.name)).toEqual(reference.rows.map((r) => r.name));

    const endpoint = type === 'Profile' ? 'profile' : type.toLowerCase();
    const proxied = c.requests(mark, (e) => e.objectRef?.subresource === 'proxy');
    const base = `/api/v1/namespaces/apps/pods/gotarget:6060/proxy/debug/pprof/${endpoint}`;
    expect(proxied.map((e) => [e.verb, e.requestURI, e.responseStatus?.code])).toEqual([
      ['get', `${base}${type === 'Profile' ? '?seconds=1' : ''}`, 200],
      // The goroutine dump the Goroutines view groups comes the same way.
      ...(type === 'Goroutine' ? [['get', `${base}?debug=2`, 200]] : []),
    ]);
    expect(c.requests(mark, (e) => e.objectRef?.resource === 'jobs')).toEqual([]);
  }, 60_000);
});

test('without pods/proxy permission (deploy/rbac/pods-proxy.yaml not applied): 500 that names the permission and the file', async () => {
  await c.cluster.kubectl(['delete', 'clusterrolebinding', 'go-profiler-pods-proxy']);
  try {
    // The real authorizer's cache follows the binding's removal within moments.
    let answer = await viaProxy('heap');
    for (let i = 0; i < 20 && answer.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = await viaProxy('heap');
    }
    expect(answer.status).toBe(500);
    expect(answer.json().error).toBe(
      `through the API server proxy: fetching profile from ${c.cluster.info.server}/api/v1/namespaces/apps/pods/gotarget:6060/proxy/debug/pprof/heap: ` +
        `the source answered 403 Forbidden: pods "gotarget:6060" is forbidden: User "${SERVICE_ACCOUNT}" cannot get resource "pods/proxy" in API group "" in the namespace "apps" ` +
        '(the service account needs pods/proxy get: deploy/rbac/pods-proxy.yaml)',
    );
  } finally {
    await c.cluster.apply(rbacFileFor(PODS_PROXY_RBAC, JOB_NAMESPACE));
  }
});

test('an unknown pod: 400 naming the key', async () => {
  const answer = await viaProxy('heap', { [KEYS.jobPodName]: 'nope' });
  expect(answer.status).toBe(400);
  expect(answer.json().details).toEqual([{ key: KEYS.jobPodName, message: 'names pod apps/nope, which does not exist' }]);
});

test('nothing listens on the pod\'s port: the API server\'s own 503 reason', async () => {
  const ip = (await c.cluster.getJson(['-n', 'apps', 'get', 'pod', 'no-pprof'])).status.podIP;
  const answer = await viaProxy('heap', { [KEYS.jobPodName]: 'no-pprof' });
  expect(answer.status).toBe(500);
  expect(answer.json().error).toContain(`the source answered 503 Service Unavailable: error trying to reach service: dial tcp ${ip}:6060: connect: connection refused`);
});

test("the stored profile is filed under the pod's name label, read from the real API server (app.kubernetes.io/name before app)", async () => {
  await c.cluster.kubectl(['-n', 'apps', 'label', 'pod', 'gotarget', 'app.kubernetes.io/name=storefront', '--overwrite']);
  try {
    const answer = await viaProxy('heap');
    expect(answer.status).toBe(200);
    const id = answer.json()[`${RESULT}profile_id`];
    const record = (await request(`${c.svc.url}/profiles/${id}`)).json();
    expect(record).toMatchObject({ service: 'storefront', pod: { namespace: 'apps', name: 'gotarget' } });
    // The pod was read as the service's own ServiceAccount, for its labels.
    expect(answer.json()[`${RESULT}profile_path`]).toContain('/apps.gotarget.');
  } finally {
    await c.cluster.kubectl(['-n', 'apps', 'label', 'pod', 'gotarget', 'app.kubernetes.io/name-']);
  }
});
