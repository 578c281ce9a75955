import fs from 'node:fs';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { decodeProfile } from '../src/profile/decode';
import { RESULT } from '../src/result/answer';
import { goTargetPodSpec, waitListening } from './support/cluster/go-target-pod';
import { JOB_NAMESPACE, ProfilerOnCluster, startProfilerOnCluster } from './support/cluster/profiler-on-cluster';
import { goPprofTags, goPprofTool, goPprofTop } from './support/go-pprof';
import { buildGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { rbacFileFor } from './support/kustomize';

// target.selector and target.workload on the real control plane: a Deployment and a StatefulSet whose pods the
// real controllers create (their templates name a node: the test cluster has no scheduler), a Service selecting
// the Deployment's pods, and a bare pod sharing a label with them on the other node. The node agent runs each
// pod's container as a local process (it stands in for a container runtime); everything else is Kubernetes' own.
// The proxy collector needs deploy/rbac/pods-proxy.yaml, applied here as its own test applies it.
const NS = 'apps';
const PODS_PROXY_RBAC = path.join(__dirname, '..', 'deploy', 'rbac', 'pods-proxy.yaml');
let c: ProfilerOnCluster;

/** Six Go programs at once on two cores: each burns a tenth of one, so the suites after this one are not starved. */
const CPU_DUTY = 10;
const labelsOf = (app: string) => ({ app, tier: 'web' });

beforeAll(() => goPprofTool(), 180_000);

beforeAll(async () => {
  c = await startProfilerOnCluster();
  await c.cluster.apply(rbacFileFor(PODS_PROXY_RBAC, JOB_NAMESPACE));
  const binary = await buildGoTarget();
  const template = (app: string, node: string, port = 6060) => ({ metadata: { labels: labelsOf(app) }, spec: goTargetPodSpec(binary, { node, port, cpuDuty: CPU_DUTY }) });
  const workload = (kind: string, name: string, replicas: number, node: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, node), ...extra },
  });
  await c.cluster.apply(JSON.stringify(workload('Deployment', 'web', 2, 'node-a')));
  await c.cluster.apply(JSON.stringify(workload('StatefulSet', 'db', 2, 'node-b', { serviceName: 'db' })));
  await c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ port: 6060 }] } }));
  // Shares tier=web but serves pprof on another port: the selector's one failing target.
  await c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'odd', namespace: NS, labels: labelsOf('odd') }, spec: template('odd', 'node-b', 7070).spec }));
  await until(async () => (await podNames('tier=web')).length === 5);
  for (const name of await podNames('tier=web')) await waitListening(c.cluster, NS, name);
}, 180_000);

afterAll(async () => {
  // Foreground: the command returns once the pods are gone, so no process of theirs outlives the suite.
  for (const object of ['deployment/web', 'statefulset/db', 'service/web', 'pod/odd']) {
    await c?.cluster.kubectl(['-n', NS, 'delete', object, '--ignore-not-found', '--cascade=foreground', '--timeout=60s']);
  }
  await c?.cluster.kubectl(['delete', '--ignore-not-found', '-f', '-'], rbacFileFor(PODS_PROXY_RBAC, JOB_NAMESPACE));
  await c?.stop();
});

async function podNames(selector: string): Promise<string[]> {
  const pods = await c.cluster.getJson(['-n', NS, 'get', 'pods', '-l', selector]);
  return (pods.items as Array<{ metadata: { name: string } }>).map((p) => p.metadata.name).sort();
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the workloads');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Listed {
  target: string;
  outcome: string;
  pod: string;
  namespace: string;
  node: string;
  container: string;
  reason?: string;
  total?: number;
  profile_path?: string;
}

const profile = async (extra: Record<string, unknown>) => {
  return c.profile({ [KEYS.type]: 'heap', [KEYS.targetNamespace]: NS, [KEYS.expirationSeconds]: '60', ...extra });
};

async function expectMergedAsPprof(body: Record<string, string>, listed: Listed[]) {
  const files = listed.filter((t) => t.outcome === 'ok').map((t) => t.profile_path as string);
  const together = await goPprofTop(files);
  expect(await goPprofTop(body[`${RESULT}profile_path`])).toEqual(together);
  const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
  expect([top.total, top.rows.map((r: { name: string; flat: number }) => [r.name, r.flat])]).toEqual([together.total, together.rows.map((r) => [r.name, r.flat])]);
  const tags = await goPprofTags(body[`${RESULT}profile_path`]);
  for (const [i, t] of listed.filter((l) => l.outcome === 'ok').entries()) {
    const own = (await goPprofTop(files[i])).total;
    expect([t.pod, t.total, tags.keys.pod.values[t.pod]]).toEqual([t.pod, own, own]);
  }
  return tags;
}

describe.each(['http', 'proxy', 'job'])('collector %s', (collector) => {
  test('deployment/web: each Running pod profiled and merged, labelled with pod, namespace, node and container', async () => {
    const answer = await profile({ [KEYS.collector]: collector, [KEYS.targetWorkload]: 'deployment/web' });
    expect(answer.status).toBe(200);
    const listed = JSON.parse(answer.json()[`${RESULT}targets`]) as Listed[];
    const pods = await podNames('app=web');
    expect(listed.map((t) => [t.target, t.outcome, t.namespace, t.node, t.container])).toEqual(pods.map((p) => [`pod ${NS}/${p}`, 'ok', NS, 'node-a', 'app']));
    const tags = await expectMergedAsPprof(answer.json(), listed);
    expect(Object.keys(tags.keys.node.values)).toEqual(['node-a']);
    expect(Object.keys(tags.keys.container.values)).toEqual(['app']);
  }, 120_000);
});

test('a label selector across workloads and nodes: one target fails (nothing on its port), the rest merge; the answer says which', async () => {
  const answer = await profile({ [KEYS.targetSelector]: 'tier=web' });
  expect(answer.status).toBe(200);
  const listed = JSON.parse(answer.json()[`${RESULT}targets`]) as Listed[];
  expect(listed.map((t) => t.pod)).toEqual(await podNames('tier=web'));
  const odd = listed.find((t) => t.pod === 'odd') as Listed;
  expect([odd.outcome, odd.reason]).toEqual(['failed', expect.stringMatching(/ECONNREFUSED|refused/)]);
  expect(listed.filter((t) => t.outcome === 'ok')).toHaveLength(4);
  const tags = await expectMergedAsPprof(answer.json(), listed);
  expect(Object.keys(tags.keys.node.values).sort()).toEqual(['node-a', 'node-b']);
  const summary = JSON.parse(answer.json()[`${RESULT}summary`]);
  expect([summary.pods_matched, summary.pods_running, summary.targets.length]).toEqual([5, 5, 4]);
}, 120_000);

test.each([
  ['statefulset/db', 'app=db'],
  ['sts/db', 'app=db'],
  ['service/web', 'app=web'],
])('%s profiles the pods of its selector', async (workload, selector) => {
  const answer = await profile({ [KEYS.targetWorkload]: workload });
  expect(answer.status).toBe(200);
  const listed = JSON.parse(answer.json()[`${RESULT}targets`]) as Listed[];
  expect(listed.map((t) => [t.pod, t.outcome])).toEqual((await podNames(selector)).map((p) => [p, 'ok']));
}, 120_000);

test('CPU profiles of a workload start together; target.max_pods takes the first by name', async () => {
  const answer = await profile({ [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '2', [KEYS.targetSelector]: 'tier=web,app!=odd', [KEYS.targetMaxPods]: '3' });
  expect(answer.status).toBe(200);
  const listed = JSON.parse(answer.json()[`${RESULT}targets`]) as Listed[];
  expect(listed.map((t) => t.pod)).toEqual((await podNames('tier=web,app!=odd')).slice(0, 3));
  const starts = listed.map((t) => decodeProfile(fs.readFileSync(t.profile_path as string), { maxBytes: 1 << 28 }).timeNanos / 1e6);
  expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(500);
  expect(JSON.parse(answer.json()[`${RESULT}summary`]).pods_matched).toBe(4);
}, 120_000);

test('the service asks the API server for the workload and a pod list, nothing else', async () => {
  const mark = c.cluster.mark();
  expect((await profile({ [KEYS.targetWorkload]: 'deployment/web' })).status).toBe(200);
  const calls = c.requests(mark).map((e) => `${e.verb} ${e.objectRef?.resource} in ${e.objectRef?.namespace} ${e.responseStatus?.code}`);
  expect(calls.sort()).toEqual(['get deployments in apps 200', 'list pods in apps 200']);
}, 60_000);

test.each([
  [{ [KEYS.targetSelector]: 'app=nothing-here' }, KEYS.targetSelector, `matches no pod in namespace ${NS} (selector app=nothing-here)`],
  [{ [KEYS.targetWorkload]: 'deployment/gone' }, KEYS.targetWorkload, `names deployment/gone in namespace ${NS}, which does not exist`],
  [{ [KEYS.targetWorkload]: 'cronjob/web' }, KEYS.targetWorkload, expect.stringMatching(/^names a kind we do not know \("cronjob"\)/)],
  [{ [KEYS.targetSelector]: 'app in (web', }, KEYS.targetSelector, 'is not a label selector: has an unbalanced parenthesis'],
  [{ [KEYS.targetSelector]: 'app=web', [KEYS.targetWorkload]: 'deployment/web' }, KEYS.targetWorkload, 'is not used with target.selector: give one of the two'],
  [{ [KEYS.targetSelector]: 'app=web', [KEYS.jobPodName]: 'x' }, KEYS.jobPodName, 'is not used here: target.* names the pods'],
  [{ [KEYS.targetSelector]: 'app=web', [KEYS.source]: 'http://127.0.0.1:1' }, KEYS.source, expect.stringMatching(/^is not used with target/)],
  [{ [KEYS.targetMaxPods]: '2' }, KEYS.targetSelector, 'is required with target.* (or target.workload)'],
])('%j: 400 naming the key', async (extra, key, message) => {
  const answer = await profile(extra);
  expect(answer.status).toBe(400);
  expect(answer.json().details).toEqual([{ key, message }]);
});
