import { KEYS } from '../src/parameters/schema';
import { request } from './support/http-json';
import { JOB_NAMESPACE, JobCluster, jobCreations, runningPod, startJobCluster, TARGET } from './support/job-cluster';
import { PODS } from './support/kube-api';
import type { RunningService } from './support/service';

// Everything that can go wrong on the node-Job path, each a clear answer, fast where the cluster already knows,
// and no Job or collector pod left behind. The kubelet stand-in runs the real collector unless a test makes the
// image unpullable, slow, or the log damaged.
let c: JobCluster;

beforeAll(async () => {
  c = await startJobCluster();
  c.kube.kubelet.addNode('worker-3', { ip: '192.168.10.13', unschedulable: "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }" });
  c.kube.addPod(runningPod('apps', 'on-full-node', 'worker-3', '10.244.3.9'));
  c.kube.addPod({ ...runningPod('apps', 'starting', TARGET.node, ''), status: { phase: 'Pending', reason: undefined } });
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

afterEach(async () => {
  c.kube.kubelet.tamper = undefined;
  c.kube.kubelet.containerLogMaxSize = 10 * 1024 * 1024;
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
});

const heapOf = (pod = TARGET.name, extra: Record<string, unknown> = {}) => ({
  [KEYS.collector]: 'job', [KEYS.type]: 'heap', 'pod.namespace': 'apps', 'pod.name': pod, ...extra,
});

async function withService<T>(env: Record<string, string>, use: (svc: RunningService) => Promise<T>): Promise<T> {
  const svc = await c.service(env);
  try {
    return await use(svc);
  } finally {
    await svc.stop();
  }
}

const post = (svc: RunningService, body: unknown) => request(`${svc.url}/processor/goProfiler`, { body });

describe('the target', () => {
  test('an unknown pod is a 400 naming the key, and no Job is made', async () => {
    const before = jobCreations(c.kube.requests).length;
    const answer = await c.profile(heapOf('nope'));
    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({ error: 'finding the target: pod apps/nope not found', details: [{ key: 'pod.name', message: 'names pod apps/nope, which does not exist' }] });
    expect(jobCreations(c.kube.requests).length).toBe(before);
  });

  test('a pod that is not running is a 500 that says so', async () => {
    const answer = await c.profile(heapOf('starting'));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toBe('finding the target: pod apps/starting is Pending, not Running');
  });

  test('a container that is not in the pod is a 400 naming the key', async () => {
    const answer = await c.profile(heapOf(TARGET.name, { container: 'sidecar' }));
    expect(answer.status).toBe(400);
    expect(answer.json().details).toEqual([{ key: 'container', message: 'names no container of pod apps/gotarget' }]);
  });
});

describe('the cluster says no: the pod\'s own reason, at once', () => {
  test('ImagePullBackOff', async () => {
    const started = Date.now();
    const answer = await withService({ COLLECTOR_IMAGE: 'registry.example/kubediag/go-profiler:no-such-tag' }, (svc) => post(svc, heapOf()));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(
      /^collecting with Job kubediag\/go-profiler-heap-\w+ on node worker-1: the collector pod go-profiler-heap-\w+-\w{5} cannot start: ImagePullBackOff: Back-off pulling image "registry\.example\/kubediag\/go-profiler:no-such-tag"$/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('Unschedulable', async () => {
    const answer = await c.profile(heapOf('on-full-node'));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/on node worker-3: the collector pod \S+ cannot be scheduled: 0\/3 nodes are available: 1 node\(s\) had untolerated taint/);
  });

  test('activeDeadlineSeconds passes while the image is still pulling: DeadlineExceeded with the pod\'s state', async () => {
    const slow = 'registry.example/kubediag/go-profiler:huge';
    c.kube.kubelet.addImage(slow, 60_000);
    const env = { COLLECTOR_IMAGE: slow, FETCH_TIMEOUT_SECONDS: '1', JOB_DEADLINE_MARGIN_SECONDS: '1' };
    const answer = await withService(env, (svc) => post(svc, heapOf()));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/: the Job ran longer than its activeDeadlineSeconds \(2 s\) while its pod was Pending \(ContainerCreating\)$/);
  });

  test('the service may not create Jobs: 500 naming the permission', async () => {
    c.kube.setRbac([{ verb: 'get', resource: 'pods' }]);
    try {
      const answer = await c.profile(heapOf());
      expect(answer.status).toBe(500);
      expect(answer.json().error).toMatch(/^collecting with Job .*: creating the Job: jobs\.batch is forbidden: User "system:serviceaccount:go-profiler:go-profiler" cannot create resource "jobs" in API group "batch" in the namespace "kubediag" \(the service account needs jobs create in kubediag: deploy\/rbac\/job-collector\.yaml\)$/);
    } finally {
      c.kube.setRbac(null);
    }
  });

  test('no COLLECTOR_IMAGE configured: 500 that says so, before anything is made', async () => {
    const answer = await withService({ COLLECTOR_IMAGE: '' }, (svc) => post(svc, heapOf()));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/needs COLLECTOR_IMAGE/);
  });
});

describe('the limits of the http collector hold for Jobs too', () => {
  test('a denied address (cloud metadata) is refused before any Job exists', async () => {
    const before = jobCreations(c.kube.requests).length;
    const answer = await c.profile({ [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.jobHostNetwork]: 'true', [KEYS.source]: 'http://169.254.169.254:80', [KEYS.jobNode]: TARGET.node });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/169\.254\.169\.254 is in a denied range/);
    expect(jobCreations(c.kube.requests).length).toBe(before);
  });

  test('a Secret outside SECRET_NAMESPACES is not mounted either', async () => {
    const answer = await withService({ SECRET_NAMESPACES: 'elsewhere' }, (svc) => post(svc, heapOf(TARGET.name, { [KEYS.secretName]: 'pprof-token' })));
    expect(answer.status).toBe(400);
    expect(answer.json().details).toEqual([{ key: KEYS.secretNamespace, message: 'must be one of elsewhere' }]);
  });
});

describe('the collector fails: its own one-line reason', () => {
  test('the profile is larger than a container log carries', async () => {
    const answer = await withService({ JOB_MAX_PROFILE_BYTES: '1000' }, (svc) => post(svc, heapOf()));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(
      /: the collector failed: fetching profile from http:\/\/10\.244\.1\.17:6060\/debug\/pprof\/heap: the profile is larger than the limit of 1000 bytes \(JOB_MAX_PROFILE_BYTES, what a container log carries\)$/,
    );
  });

  test('nothing listens on the port', async () => {
    const answer = await c.profile(heapOf(TARGET.name, { [KEYS.jobPort]: '6061' }));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/: the collector failed: fetching profile from http:\/\/10\.244\.1\.17:6061\/debug\/pprof\/heap: connection refused$/);
  });
});

describe('the log comes back damaged', () => {
  test('truncated', async () => {
    c.kube.kubelet.tamper = (log) => log.slice(0, -3);
    const answer = await c.profile(heapOf());
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/: reading the profile back from the log of pod kubediag\/\S+: the log is truncated: it ends after \d+ of \d+ bytes, with no end line$/);
  });

  test('rotated by the kubelet: its start is missing', async () => {
    c.kube.kubelet.containerLogMaxSize = 4096;
    const answer = await c.profile(heapOf());
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/: the log has no begin line: its start is missing \(was the container log rotated\?\)$/);
  });

  test('altered: the checksum does not match', async () => {
    c.kube.kubelet.tamper = (log) => log.map((line, i) => (i === 5 ? { ...line, text: `${line.text[0] === 'A' ? 'B' : 'A'}${line.text.slice(1)}` } : line));
    const answer = await c.profile(heapOf());
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/: the transfer is corrupt: the sha256 of what arrived does not match the begin line$/);
  });
});

test('the service shuts down mid-Job: 503 to the caller, the Job deleted with its pod', async () => {
  const slow = 'registry.example/kubediag/go-profiler:slow';
  c.kube.kubelet.addImage(slow, 60_000);
  const svc = await c.service({ COLLECTOR_IMAGE: slow });
  const answer = post(svc, heapOf());
  // Mid-Job: its pod exists and is pulling the image.
  while (!c.kube.store.list(PODS, JOB_NAMESPACE).some((p) => (p.status as any)?.containerStatuses?.[0]?.state?.waiting)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const started = Date.now();
  await svc.stop();
  const result = await answer;
  expect(result.status).toBe(503);
  expect(result.json().error).toBe('the service is shutting down: the collection was stopped and its Job deleted');
  expect(Date.now() - started).toBeLessThan(5_000);
  const deletion = c.kube.requests.filter((r) => r.method === 'DELETE').at(-1);
  expect(deletion?.query.propagationPolicy).toBe('Background');
});
