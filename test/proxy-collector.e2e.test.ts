import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { goPprofTop } from './support/go-pprof';
import { request } from './support/http-json';
import { JobCluster, jobCreations, runningPod, startJobCluster, TARGET } from './support/job-cluster';

// The proxy collector: the profile comes through the API server's pods/proxy with the service's own credentials,
// binary body intact, for every type; the stand-in relays to the real Go target behind the pod IP.
let c: JobCluster;

beforeAll(async () => {
  c = await startJobCluster();
  c.kube.addPod(runningPod('apps', 'no-pprof', 'worker-2', '10.244.2.30'));
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

const viaProxy = (type: string, extra: Record<string, unknown> = {}) =>
  c.profile({ [KEYS.collector]: 'proxy', [KEYS.type]: type, [KEYS.jobPodNamespace]: TARGET.namespace, [KEYS.jobPodName]: TARGET.name, [KEYS.durationSeconds]: '1', ...extra });

describe.each(['Profile', 'Heap', 'Goroutine', 'Allocs', 'Block', 'Mutex', 'Threadcreate'])('%s through the API server proxy', (type) => {
  test('200; the viewer equals go tool pprof on the stored bytes; the request went to pods/<pod>:<port>/proxy', async () => {
    const before = c.kube.requests.length;
    const answer = await viaProxy(type);
    expect(answer.status).toBe(200);
    const body = answer.json();
    const reference = await goPprofTop(body[`${RESULT}profile_path`]);
    const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
    expect(top.total).toBe(reference.total);
    expect(top.rows.map((r: { name: string }) => r.name)).toEqual(reference.rows.map((r) => r.name));

    const endpoint = type === 'Profile' ? 'profile' : type.toLowerCase();
    const proxied = c.kube.requests.slice(before).find((r) => r.path.includes('/proxy/'));
    expect(proxied).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/apps/pods/gotarget:6060/proxy/debug/pprof/${endpoint}`, status: 200 });
    if (type === 'Profile') expect(proxied?.query).toEqual({ seconds: '1' });
    expect(jobCreations(c.kube.requests.slice(before))).toEqual([]);
  }, 60_000);
});

test('without pods/proxy permission: 500 that names the permission and the optional RBAC file', async () => {
  c.kube.setRbac([{ verb: 'get', resource: 'pods' }]);
  try {
    const answer = await viaProxy('heap');
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/^through the API server proxy: fetching profile from https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/apps\/pods\/gotarget:6060\/proxy\/debug\/pprof\/heap: the source answered 403 Forbidden: pods "gotarget:6060" is forbidden: User "system:serviceaccount:go-profiler:go-profiler" cannot get resource "pods\/proxy" in API group "" in the namespace "apps" \(the service account needs pods\/proxy get: deploy\/rbac\/pods-proxy\.yaml\)$/);
  } finally {
    c.kube.setRbac(null);
  }
});

test('an unknown pod: 400 naming the key', async () => {
  const answer = await viaProxy('heap', { [KEYS.jobPodName]: 'nope' });
  expect(answer.status).toBe(400);
  expect(answer.json().details).toEqual([{ key: KEYS.jobPodName, message: 'names pod apps/nope, which does not exist' }]);
});

test('nothing listens on the pod\'s port: the API server\'s 503 reason', async () => {
  const answer = await viaProxy('heap', { [KEYS.jobPodName]: 'no-pprof' });
  expect(answer.status).toBe(500);
  expect(answer.json().error).toMatch(/the source answered 503 Service Unavailable: error trying to reach service: dial tcp 10\.244\.2\.30:6060: connect: connection refused/);
});
