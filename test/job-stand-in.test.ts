/**
 * The stand-in's Jobs, watch, pods/log and kubelet, through the real @kubernetes/client-node 1.4.0: what the node
 * collector relies on behaves as kube-apiserver, the Job controller and the kubelet do. The stand-in remains for
 * job-log-faults.e2e.test.ts (a damaged pod log, which the real cluster does not make); everything else runs on the
 * real control plane (test/support/cluster).
 */
import type { V1Job } from '@kubernetes/client-node';
import { loadClientNode } from './support/client-node';
import { serve } from './support/http-json';
import { JOBS, KubeApiStandIn, PODS, startKubeApi, type KubeObject } from './support/kube-api';

const k8s = loadClientNode();
const IMAGE = 'registry.example/tools:1';
let api: KubeApiStandIn;
let kc: InstanceType<typeof k8s.KubeConfig>;

beforeEach(async () => {
  api = await startKubeApi();
  api.kubelet.addNode('worker-1', { ip: '192.168.10.11' });
  api.kubelet.addImage(IMAGE);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(api.writeKubeconfig());
});

afterEach(async () => {
  await api.stop();
});

function job(name: string, script: string, spec: Partial<V1Job['spec']> = {}): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: { spec: { nodeName: 'worker-1', restartPolicy: 'Never', containers: [{ name: 'main', image: IMAGE, command: ['node', '-e', script] }] } },
      ...spec,
    } as V1Job['spec'],
  };
}

async function failure(call: Promise<unknown>): Promise<any> {
  return call.then((value) => Promise.reject(new Error(`expected a failure, got ${JSON.stringify(value)}`)), (error: unknown) => error);
}

/** Resolves with the first watched object that satisfies `done`, through client-node's Watch. */
async function watchUntil(path: string, query: Record<string, string>, done: (type: string, object: any) => boolean): Promise<{ type: string; object: any }> {
  let controller: AbortController | undefined;
  const seen = new Promise<{ type: string; object: any }>((resolve, reject) => {
    new k8s.Watch(kc)
      .watch(path, query, (type, object) => done(type, object) && resolve({ type, object }), (error) => error && reject(error))
      .then((c) => (controller = c), reject);
  });
  try {
    return await seen;
  } finally {
    controller?.abort();
  }
}

test('a Job runs: defaults and selector set, a pod from its template runs for real, Complete, its log readable', async () => {
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const created = await batch.createNamespacedJob({ namespace: 'tools', body: job('hello', 'console.log("hello from the pod"); console.error("and stderr")') });
  expect(created.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': created.metadata?.uid });
  expect(created.spec?.template.metadata?.labels).toMatchObject({ 'job-name': 'hello', 'batch.kubernetes.io/job-name': 'hello' });

  const done = await watchUntil('/apis/batch/v1/namespaces/tools/jobs', { fieldSelector: 'metadata.name=hello' }, (_t, j) => j.status?.conditions?.length > 0);
  expect(done.object.status).toMatchObject({ succeeded: 1, active: 0, conditions: [{ type: 'Complete', status: 'True' }] });
  const [pod] = api.store.list(PODS, 'tools');
  expect(pod.metadata.name).toMatch(/^hello-[a-z0-9]{5}$/);
  expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'hello', uid: created.metadata?.uid, controller: true })]);
  expect(pod.status).toMatchObject({ phase: 'Succeeded', containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
  const log = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedPodLog({ name: pod.metadata.name, namespace: 'tools', container: 'main' });
  expect(log.split('\n').sort()).toEqual(['', 'and stderr', 'hello from the pod']);
});

test('create: a schema violation is a 400, a rule violation a 422 Invalid with its causes', async () => {
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const typo = job('typo', '') as any;
  typo.spec.template.spec.containers[0].ports = [{ containerPort: 'http' }];
  const raw = await failure(batch.createNamespacedJob({ namespace: 'tools', body: typo }).then(() => 'created'));
  // client-node serialises by its own model, so a wrong type shows up on the wire as it was given.
  expect(raw.code).toBe(400);
  expect(JSON.parse(raw.body).message).toMatch(/^Job in version "v1" cannot be handled as a Job: \/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort: must be integer/);
  const always = job('always', '');
  always.spec!.template.spec!.restartPolicy = 'Always';
  const invalid = await failure(batch.createNamespacedJob({ namespace: 'tools', body: always }));
  expect(invalid.code).toBe(422);
  expect(JSON.parse(invalid.body)).toMatchObject({
    reason: 'Invalid',
    message: 'Job.batch "always" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  });
});

test('delete: without a policy the pods are orphaned (the batch/v1 default); Background removes them', async () => {
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  for (const name of ['orphaning', 'background']) await batch.createNamespacedJob({ namespace: 'tools', body: job(name, 'setTimeout(() => {}, 60000)') });
  await watchUntil('/api/v1/namespaces/tools/pods', {}, () => api.store.list(PODS, 'tools').length === 2);
  const status = await batch.deleteNamespacedJob({ name: 'orphaning', namespace: 'tools' });
  expect(status).toMatchObject({ status: 'Success', details: { name: 'orphaning', group: 'batch', kind: 'jobs' } });
  await batch.deleteNamespacedJob({ name: 'background', namespace: 'tools', propagationPolicy: 'Background' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(api.store.list(JOBS)).toEqual([]);
  const left = api.store.list(PODS, 'tools');
  expect(left.map((p) => p.metadata.name)).toEqual([expect.stringMatching(/^orphaning-/)]);
  expect(left[0].metadata.ownerReferences).toEqual([]);
});

test('activeDeadlineSeconds: the Job fails with DeadlineExceeded and its running pod is deleted', async () => {
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  await batch.createNamespacedJob({ namespace: 'tools', body: job('slow', 'setTimeout(() => {}, 60000)', { activeDeadlineSeconds: 1 }) });
  const failed = await watchUntil('/apis/batch/v1/namespaces/tools/jobs', {}, (_t, j) => j.status?.conditions?.length > 0);
  expect(failed.object.status.conditions[0]).toMatchObject({ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
  expect(api.store.list(PODS, 'tools')).toEqual([]);
});

test('watch: from a resourceVersion it replays what came after; from a compacted one it is a 410 ERROR event', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedPod({ namespace: 'tools' });
  api.addPod({ metadata: { name: 'later', namespace: 'tools' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const replayed = await watchUntil('/api/v1/namespaces/tools/pods', { resourceVersion: list.metadata?.resourceVersion as string }, () => true);
  expect(replayed).toMatchObject({ type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'later' } } });
  for (let i = 0; i < 1001; i++) api.store.update(PODS, api.store.get(PODS, 'tools', 'later') as KubeObject);
  const expired = await watchUntil('/api/v1/namespaces/tools/pods', { resourceVersion: list.metadata?.resourceVersion as string }, () => true);
  expect(expired).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
});

test('pods/log: a container that has not started is a 400 "waiting to start"; a wrong container name a 400', async () => {
  api.kubelet.addImage('registry.example/big:1', 60_000);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const body = job('pulling', '');
  body.spec!.template.spec!.containers[0].image = 'registry.example/big:1';
  await batch.createNamespacedJob({ namespace: 'tools', body });
  const pod = await watchUntil('/api/v1/namespaces/tools/pods', {}, (_t, p) => p.status?.containerStatuses !== undefined);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const waiting = await failure(core.readNamespacedPodLog({ name: pod.object.metadata.name, namespace: 'tools', container: 'main' }));
  expect([waiting.code, JSON.parse(waiting.body).message]).toEqual([400, `container "main" in pod "${pod.object.metadata.name}" is waiting to start: ContainerCreating`]);
  const wrong = await failure(core.readNamespacedPodLog({ name: pod.object.metadata.name, namespace: 'tools', container: 'other' }));
  expect([wrong.code, JSON.parse(wrong.body).message]).toEqual([400, `container other is not valid for pod ${pod.object.metadata.name}`]);
});

test('the network: a node-local address is reached from a host-network pod on that node only', async () => {
  const server = await serve((_req, res) => res.end('node-local answer'));
  api.kubelet.routeHost('worker-1', '127.0.0.1:10259', new URL(server.url).host);
  const script = 'fetch(process.argv[1]).then(async (r) => console.log(await r.text()), (e) => { console.log(e.cause?.code); process.exitCode = 1; })';
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  for (const [name, hostNetwork] of [['on-host', true], ['in-pod-network', false]] as const) {
    const body = job(name, script);
    body.spec!.template.spec!.containers[0].args = ['http://127.0.0.1:10259/'];
    body.spec!.template.spec!.hostNetwork = hostNetwork;
    await batch.createNamespacedJob({ namespace: 'tools', body });
  }
  await watchUntil('/apis/batch/v1/namespaces/tools/jobs', {}, () => api.store.list(JOBS).every((j: any) => j.status?.conditions?.length > 0));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const logOf = async (job: string) => {
    const pod = api.store.list(PODS, 'tools').find((p) => p.metadata.name.startsWith(`${job}-`)) as KubeObject;
    return core.readNamespacedPodLog({ name: pod.metadata.name, namespace: 'tools' });
  };
  expect(await logOf('on-host')).toBe('node-local answer\n');
  expect(await logOf('in-pod-network')).toBe('ECONNREFUSED\n');
  await server.close();
});
