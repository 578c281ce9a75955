import { KEYS } from '../src/parameters/schema';
import { request } from './support/http-json';
import { JOB_NAMESPACE, ProfilerOnCluster, startProfilerOnCluster, TARGET_NODE } from './support/cluster/profiler-on-cluster';
import type { RunningService } from './support/service';

// Everything that can go wrong on the node-Job path, on the real control plane (test/support/cluster): each a clear
// answer, fast where the cluster already knows, and no Job or collector pod left behind once the real garbage
// collector is done. The node agent runs the real collector; the cluster's own states (an image that does not pull,
// a Secret volume that cannot be mounted) are what a kubelet reports. Faults of a kubelet's disk (a damaged log)
// are in job-log-faults.e2e.test.ts, on the stand-in.
let c: ProfilerOnCluster;

beforeAll(async () => {
  c = await startProfilerOnCluster();
  // A target that never starts: its image does not pull, so it stays Pending.
  await c.cluster.apply(JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'starting', namespace: 'apps' },
    spec: { nodeName: TARGET_NODE, containers: [{ name: 'app', image: 'registry.example/apps/never:1' }] },
  }));
}, 120_000);

afterAll(async () => {
  await c?.cluster.kubectl(['-n', 'apps', 'delete', 'pod', 'starting', '--ignore-not-found', '--wait=false']);
  await c?.stop();
});

afterEach(async () => {
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
});

const heapOf = (pod = 'gotarget', extra: Record<string, unknown> = {}) => ({
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
    const mark = c.cluster.mark();
    const answer = await c.profile(heapOf('nope'));
    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({ error: 'finding the target: pod apps/nope not found', details: [{ key: 'pod.name', message: 'names pod apps/nope, which does not exist' }] });
    expect(c.jobsSent(mark)).toEqual([]);
  });

  test('a pod that is not running is a 500 that says so', async () => {
    const answer = await c.profile(heapOf('starting'));
    expect(answer.status).toBe(500);
    // Its image is being pulled, or cannot be: the container's reason says which, as the node reports it.
    expect(answer.json().error).toMatch(/^finding the target: pod apps\/starting is Pending, not Running: container app is not running \((ContainerCreating|ErrImagePull|ImagePullBackOff)\)$/);
  });

  test('a container that is not in the pod is a 400 naming the key', async () => {
    const answer = await c.profile(heapOf('gotarget', { container: 'sidecar' }));
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
      new RegExp(`^collecting with Job kubediag/go-profiler-heap-\\w+ on node ${TARGET_NODE}: the collector pod go-profiler-heap-\\w+-\\w{5} cannot start: ImagePullBackOff: Back-off pulling image "registry\\.example/kubediag/go-profiler:no-such-tag"`),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('activeDeadlineSeconds passes while the pod cannot start (its Secret volume is missing): DeadlineExceeded with the pod\'s state', async () => {
    const env = { FETCH_TIMEOUT_SECONDS: '1', JOB_DEADLINE_MARGIN_SECONDS: '1' };
    const answer = await withService(env, (svc) => post(svc, heapOf('gotarget', { [KEYS.secretName]: 'not-created' })));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/: the Job ran longer than its activeDeadlineSeconds \(2 s\) while its pod was Pending \(ContainerCreating\b[^)]*\)$/);
  });

  test('no COLLECTOR_IMAGE configured: 500 that says so, before anything is made', async () => {
    const mark = c.cluster.mark();
    const answer = await withService({ COLLECTOR_IMAGE: '' }, (svc) => post(svc, heapOf()));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/needs COLLECTOR_IMAGE/);
    expect(c.jobsSent(mark)).toEqual([]);
  });
});

describe('the limits of the http collector hold for Jobs too', () => {
  test('a denied address (cloud metadata) is refused before any Job exists', async () => {
    const mark = c.cluster.mark();
    const answer = await c.profile({ [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.jobHostNetwork]: 'true', [KEYS.source]: 'http://169.254.169.254:80', [KEYS.jobNode]: TARGET_NODE });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/169\.254\.169\.254 is in a denied range/);
    expect(c.jobsSent(mark)).toEqual([]);
  });

  test('a Secret outside SECRET_NAMESPACES is not mounted either', async () => {
    const answer = await withService({ SECRET_NAMESPACES: 'elsewhere' }, (svc) => post(svc, heapOf('gotarget', { [KEYS.secretName]: 'pprof-token' })));
    expect(answer.status).toBe(400);
    expect(answer.json().details).toEqual([{ key: KEYS.secretNamespace, message: 'must be one of elsewhere' }]);
  });
});

describe('the collector fails: its own one-line reason', () => {
  test('the profile is larger than a container log carries', async () => {
    const answer = await withService({ JOB_MAX_PROFILE_BYTES: '1000' }, (svc) => post(svc, heapOf()));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toContain(
      `: the collector failed: fetching profile from ${c.target.url}/debug/pprof/heap: the profile is larger than the limit of 1000 bytes (JOB_MAX_PROFILE_BYTES, what a container log carries)`,
    );
  });

  test('nothing listens on the port', async () => {
    const answer = await c.profile(heapOf('gotarget', { [KEYS.jobPort]: '6061' }));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(new RegExp(`: the collector failed: fetching profile from http://${c.target.ip.replace(/\./g, '\\.')}:6061/debug/pprof/heap: connection refused$`));
  });
});

test('the Job is deleted by someone else mid-request: a clear answer at once, nothing left', async () => {
  const svc = await c.service({ FETCH_TIMEOUT_SECONDS: '60' });
  try {
    const answer = post(svc, heapOf('gotarget', { [KEYS.secretName]: 'not-created' }));
    const job = await waitForJob();
    const started = Date.now();
    await c.cluster.kubectl(['-n', JOB_NAMESPACE, 'delete', 'job', job, '--cascade=background']);
    const result = await answer;
    expect(result.status).toBe(500);
    expect(result.json().error).toBe(`collecting with Job ${JOB_NAMESPACE}/${job} on node ${TARGET_NODE}: the Job was deleted by someone else before it finished`);
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    await svc.stop();
  }
});

test('the service shuts down mid-Job: 503 to the caller, the Job deleted with its pod', async () => {
  const svc = await c.service({ FETCH_TIMEOUT_SECONDS: '60' });
  const mark = c.cluster.mark();
  const answer = post(svc, heapOf('gotarget', { [KEYS.secretName]: 'not-created' }));
  const job = await waitForJob();
  const started = Date.now();
  await svc.stop();
  const result = await answer;
  expect(result.status).toBe(503);
  expect(result.json().error).toBe('the service is shutting down: the collection was stopped and its Job deleted');
  expect(Date.now() - started).toBeLessThan(5_000);
  const deletion = c.requests(mark, (e) => e.verb === 'delete' && e.objectRef?.name === job);
  expect(deletion.map((e) => e.responseStatus?.code)).toEqual([200]);
});

/** The name of the collector Job once its pod exists (and is waiting for its volume). */
async function waitForJob(): Promise<string> {
  for (let waited = 0; waited < 20_000; waited += 100) {
    const pods = (await c.cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/component=collector'])).items;
    const waiting = pods.find((p: any) => p.status?.containerStatuses?.[0]?.state?.waiting || p.status?.phase === 'Pending');
    if (waiting) return waiting.metadata.labels['job-name'] ?? waiting.metadata.labels['batch.kubernetes.io/job-name'];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no collector pod appeared');
}
