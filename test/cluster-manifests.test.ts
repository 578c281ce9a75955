/**
 * operations/ and deploy/ against the real control plane of the test cluster (cluster/: kube-apiserver, etcd and
 * kube-controller-manager built from source, started once per run by jest's globalSetup), not only against schemas:
 *   - KubeDiag's CRDs, converted to apiextensions v1 as every cluster since 1.22 needs, installed and Established;
 *   - every file of operations/ applied server-side for real and read back as sent;
 *   - both overlays, each component over an overlay (as README's own kustomization) and the optional pods-proxy
 *     RBAC accepted by a server-side dry run, in namespaces with the Pod Security labels they rely on and without
 *     a warning. The real apply of the node overlay is test/support/cluster/profiler-on-cluster.ts's;
 *   - the central overlay's Deployment and PodDisruptionBudget applied for real, as the controllers see them.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { buildCollectorJob } from '../src/acquire/job/job-spec';
import { testCluster, type TestCluster } from './support/cluster/test-cluster';
import { readKubediagCrds } from './support/kubediag-crds';
import { crdToV1, kubediagCrdsV1 } from './support/kubediag-crds-v1';
import { findObject, kustomize, kustomizeText, ownKustomizationText, type KubeObject } from './support/kustomize';

const ROOT = path.join(__dirname, '..');
const DEPLOY = path.join(ROOT, 'deploy');
const KUBEDIAG_GROUP = 'diagnosis.kubediag.org';
const PRIVILEGED = { 'pod-security.kubernetes.io/enforce': 'privileged' };
const APPLY = ['apply', '--server-side', '--field-manager=go-profiler-tests'];
// Any warning fails kubectl, Pod Security's `would violate PodSecurity ...` among them.
const DRY_RUN = [...APPLY, '--dry-run=server', '--warnings-as-errors', '-o', 'json', '-f', '-'];

const published = readKubediagCrds();
const converted = kubediagCrdsV1();
const operationFiles = [
  ...fs
    .readdirSync(path.join(ROOT, 'operations'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'examples')
    .map((e) => `operations/${e.name}/operation.yaml`),
  'operations/operationset.yaml',
  ...fs
    .readdirSync(path.join(ROOT, 'operations', 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `operations/examples/${f}`),
];

let cluster: TestCluster;

/**
 * kubectl wait for Established. A CRD created a moment ago may have no status.conditions yet, which kubectl wait
 * reports as an error ("accessor error: <nil>") rather than waiting: asked again until the controller has written them.
 */
async function waitEstablished(names: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...names.map((name) => `crd/${name}`)]);
      return;
    } catch (error) {
      if (!/accessor error/.test((error as Error).message) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

beforeAll(async () => {
  cluster = await testCluster();
  await cluster.apply(converted.map((crd) => JSON.stringify(crd)).join('\n'));
  await waitEstablished(converted.map((crd) => crd.metadata.name));
  await cluster.namespace('kubediag', PRIVILEGED);
});

afterAll(async () => {
  for (const file of operationFiles) await cluster?.kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], read(file));
});

function read(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

function documents(text: string): KubeObject[] {
  return (yaml.loadAll(text) as Array<KubeObject | null>).filter((o): o is KubeObject => o !== null);
}

/** kubectl -o json answers one object as itself and several as a List. */
function items(json: string): KubeObject[] {
  const answer = JSON.parse(json);
  return answer.kind === 'List' ? answer.items : [answer];
}

const identity = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

describe("KubeDiag's CRDs as apiextensions v1", () => {
  test('the published v1beta1 CRDs are refused: the API server has not served apiextensions v1beta1 since 1.22', async () => {
    expect(published.map((crd) => crd.apiVersion)).toEqual(published.map(() => 'apiextensions.k8s.io/v1beta1'));
    await expect(cluster.kubectl([...APPLY, '--dry-run=server', '-f', '-'], JSON.stringify(published[0]))).rejects.toThrow(
      /no matches for kind "CustomResourceDefinition" in version "apiextensions.k8s.io\/v1beta1"/,
    );
  });

  test.each(published.map((crd) => [crd.metadata.name, crd]))('%s is Established, served and stored as v1', async (name, crd) => {
    const stored = await cluster.getJson(['get', 'crd', name]);
    const conditions = Object.fromEntries(stored.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]));
    expect(conditions).toEqual(expect.objectContaining({ Established: 'True', NamesAccepted: 'True' }));
    expect(conditions.NonStructuralSchema).toBeUndefined();
    expect(stored.status.acceptedNames).toEqual(expect.objectContaining(crd.spec.names));
    const versions = stored.spec.versions as Array<{ name: string; served: boolean; storage: boolean }>;
    expect(versions.map((v) => [v.name, v.served, v.storage])).toEqual([[crd.spec.version, true, true]]);
    expect(stored.status.storedVersions).toEqual([crd.spec.version]);
  });

  test.each(published.map((crd) => [crd.metadata.name, crd]))('%s keeps the published scope, schema, subresources and printer columns', async (name, crd) => {
    const stored = await cluster.getJson(['get', 'crd', name]);
    const [version] = stored.spec.versions;
    expect(stored.spec.scope).toBe(crd.spec.scope);
    expect(version.schema.openAPIV3Schema).toEqual(crd.spec.validation.openAPIV3Schema);
    expect(version.subresources).toEqual(crd.spec.subresources);
    const v1beta1Columns: Array<Record<string, string>> = crd.spec.additionalPrinterColumns ?? [];
    const columns = v1beta1Columns.map(({ JSONPath, ...column }) => ({ ...column, jsonPath: JSONPath }));
    expect(version.additionalPrinterColumns ?? []).toEqual(columns);
  });

  test('where a v1beta1 schema leaves a field open, the converted CRD keeps what it holds', async () => {
    const name = 'widgets.go-profiler-tests.example';
    // An object without properties, an array without items, a field without a type: v1 wants each spelt out.
    const spec = { type: 'object', properties: { object: { type: 'object' }, list: { type: 'array' }, untyped: {} } };
    const crd = crdToV1({
      apiVersion: 'apiextensions.k8s.io/v1beta1',
      kind: 'CustomResourceDefinition',
      metadata: { name, creationTimestamp: null },
      spec: {
        group: 'go-profiler-tests.example',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Cluster',
        version: 'v1',
        validation: { openAPIV3Schema: { type: 'object', properties: { spec } } },
      },
      status: { storedVersions: [] },
    });
    await cluster.apply(JSON.stringify(crd));
    try {
      await waitEstablished([name]);
      const held = { object: { any: { depth: [1] } }, list: [1, 'two', { three: 3 }], untyped: { four: 4 } };
      await cluster.apply(JSON.stringify({ apiVersion: 'go-profiler-tests.example/v1', kind: 'Widget', metadata: { name: 'open' }, spec: held }));
      expect((await cluster.getJson(['get', 'widgets.go-profiler-tests.example', 'open'])).spec).toEqual(held);
    } finally {
      await cluster.kubectl(['delete', 'crd', name]);
    }
  });

  test('a misspelt field is refused, where the v1beta1 CRDs kept it silently', async () => {
    const operation = documents(read('operations/central/operation.yaml'))[0];
    const { timeoutSeconds, ...processor } = operation.spec.processor;
    const misspelt = { ...operation, metadata: { name: 'go-profiler-misspelt' }, spec: { processor: { ...processor, timeoutSecond: timeoutSeconds } } };
    await expect(cluster.kubectl(DRY_RUN, JSON.stringify(misspelt))).rejects.toThrow(/\.spec\.processor\.timeoutSecond: field not declared in schema/);
  });
});

describe('operations/ applied server-side', () => {
  test.each(operationFiles)('%s is stored as sent', async (file) => {
    const sent = documents(read(file));
    await cluster.apply(read(file));
    const stored = items(await cluster.kubectl(['get', '-f', '-', '-o', 'json'], read(file)));
    expect(stored.map(identity)).toEqual(sent.map(identity));
    sent.forEach((object, i) => {
      expect(stored[i]).toMatchObject(object);
      // KubeDiag's objects exactly: nothing pruned, nothing added.
      if (object.apiVersion.startsWith(`${KUBEDIAG_GROUP}/`)) expect(stored[i].spec).toEqual(object.spec);
    });
  });

  test('Tasks list with the printer columns of KubeDiag', async () => {
    await cluster.apply(read('operations/examples/job-collector.yaml'));
    const table = (await cluster.kubectl(['-n', 'kubediag', 'get', 'tasks', 'go-profiler-job-goroutine']))
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    expect(table[0]).toEqual(['NAME', 'OPERATION', 'NODENAME', 'PODNAMESPACE', 'PODNAME', 'PODCONTAINER', 'PHASE', 'AGE']);
    expect(table[1].slice(0, 5)).toEqual(['go-profiler-job-goroutine', 'go-profiler', 'default', 'my-go-app-0', 'app']);
  });

  test("https-secret.yaml's Secret gets its token and the cluster CA from the control plane", async () => {
    await cluster.apply(read('operations/examples/https-secret.yaml'));
    const deadline = Date.now() + 20_000;
    let data: Record<string, string> = {};
    while (Date.now() < deadline && !(data.token && data['ca.crt'])) {
      data = (await cluster.getJson(['-n', 'kubediag', 'get', 'secret', 'apiserver-profiler-token'])).data ?? {};
      if (!(data.token && data['ca.crt'])) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(Buffer.from(data['ca.crt'] ?? '', 'base64').toString()).toBe(fs.readFileSync(cluster.info.caFile, 'utf8'));
    expect(Buffer.from(data.token ?? '', 'base64').toString()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});

describe('deploy/ on the API server (server-side dry run)', () => {
  const central = kustomize(path.join(DEPLOY, 'overlays', 'central'));
  const centralNamespace = findObject(central, 'Namespace', 'go-profiler');

  beforeAll(async () => {
    // A dry run needs the namespaces to exist: the central overlay's own, as it labels it, and those the
    // secrets-in-namespaces component names.
    await cluster.apply(JSON.stringify(centralNamespace));
    await cluster.namespace('monitoring');
  });

  async function dryRun(text: string): Promise<KubeObject[]> {
    const accepted = items(await cluster.kubectl(DRY_RUN, text));
    expect(accepted.map(identity)).toEqual(documents(text).map(identity));
    return accepted;
  }

  test('central: its namespace go-profiler enforces restricted, and the Deployment meets it without a warning', async () => {
    const namespace = await cluster.getJson(['get', 'namespace', 'go-profiler']);
    expect(namespace.metadata.labels).toEqual(expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted' }));
    const accepted = await dryRun(kustomizeText(path.join(DEPLOY, 'overlays', 'central')));
    expect(findObject(accepted, 'Deployment', 'go-profiler', 'go-profiler')).toMatchObject(findObject(central, 'Deployment', 'go-profiler'));
    // policy/v1, every field kept (unhealthyPodEvictionPolicy among them).
    const budget = findObject(accepted, 'PodDisruptionBudget', 'go-profiler', 'go-profiler');
    expect([budget.apiVersion, budget.spec]).toEqual(['policy/v1', findObject(central, 'PodDisruptionBudget', 'go-profiler').spec]);
  });

  test('in go-profiler a Deployment that breaks restricted draws the Pod Security warning the test above looks for', async () => {
    const deployment = structuredClone(findObject(central, 'Deployment', 'go-profiler'));
    deployment.metadata.name = 'go-profiler-unrestricted';
    delete deployment.spec.template.spec.containers[0].securityContext;
    await expect(cluster.kubectl(DRY_RUN, JSON.stringify(deployment))).rejects.toThrow(
      /would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
  });

  test('node: accepted in kubediag (privileged, as KubeDiag runs there) without a warning', async () => {
    const accepted = await dryRun(kustomizeText(path.join(DEPLOY, 'overlays', 'node')));
    expect(findObject(accepted, 'DaemonSet', 'go-profiler', 'kubediag').spec.template.spec.hostNetwork).toBe(true);
  });

  test("node: the DaemonSet meets restricted in all but hostNetwork, as README's table says", async () => {
    const daemonSet = findObject(kustomize(path.join(DEPLOY, 'overlays', 'node')), 'DaemonSet', 'go-profiler');
    const inRestricted = { ...daemonSet, metadata: { ...daemonSet.metadata, namespace: 'go-profiler' } };
    const refused = await cluster.kubectl(DRY_RUN, JSON.stringify(inRestricted)).then(() => '', (error: Error) => error.message);
    expect(refused.match(/would violate PodSecurity "restricted:latest": (.*)$/m)?.[1]).toBe('host namespaces (hostNetwork=true)');
  });

  // What each component sets on the container; an overlay that includes one already (central: s3-storage) is not
  // given it twice.
  const SETS: Record<string, { name: string; value: string }> = {
    'secrets-in-namespaces': { name: 'SECRET_NAMESPACES', value: 'kubediag,monitoring' },
    'secrets-in-all-namespaces': { name: 'SECRET_NAMESPACES', value: '*' },
    's3-storage': { name: 'STORAGE', value: 's3' },
  };
  const components = fs.readdirSync(path.join(DEPLOY, 'components'));
  const included = (overlay: string): string[] =>
    ((yaml.load(read(`deploy/overlays/${overlay}/kustomization.yaml`)) as { components?: string[] }).components ?? []).map((c) => path.basename(c));
  test('every component is known here, and central includes s3-storage', () => {
    expect([...components].sort()).toEqual(Object.keys(SETS).sort());
    expect([included('central'), included('node')]).toEqual([['s3-storage'], []]);
  });
  test.each(['central', 'node'].flatMap((overlay) => components.filter((c) => !included(overlay).includes(c)).map((component) => [overlay, component])))(
    'overlay %s with component %s, as your own kustomization: accepted without a warning',
    async (overlay, component) => {
      const accepted = await dryRun(ownKustomizationText(DEPLOY, overlay, `components:\n  - DEPLOY/components/${component}`));
      const workload = accepted.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
      const env = workload?.spec.template.spec.containers[0].env;
      expect(env).toEqual(expect.arrayContaining([SETS[component]]));
    },
  );

  test('deploy/rbac/pods-proxy.yaml: accepted without a warning', async () => {
    const accepted = await dryRun(read('deploy/rbac/pods-proxy.yaml'));
    expect(accepted.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
  });
});

describe("central for real: the controllers' view of its two replicas and their budget", () => {
  // There is no scheduler here, so the Deployment's pods stay Pending, never Ready: what the ReplicaSet, Deployment
  // and disruption controllers make of them still shows the strategy and the budget. Only the namespaced objects the
  // pods need are applied: the cluster-wide RBAC is the node overlay's, which other suites run with.
  const NAMESPACE = 'go-profiler';
  const central = kustomize(path.join(DEPLOY, 'overlays', 'central'));
  const deployment = findObject(central, 'Deployment', 'go-profiler');
  const budget = findObject(central, 'PodDisruptionBudget', 'go-profiler');
  // A collector Job's pod, as the service makes one in its namespace, but bound to no node: Pending like the others,
  // and deleted at once (a pod bound to a node waits for that node's kubelet to confirm it is gone).
  const job = buildCollectorJob({
    name: 'go-profiler-heap-0a1b2c3d', namespace: NAMESPACE, image: 'go-profiler', node: 'node-a', hostNetwork: false,
    url: new URL('http://10.244.1.17:6060/debug/pprof/heap'), collectorTimeoutSeconds: 30, activeDeadlineSeconds: 90,
    ttlSecondsAfterFinished: 600, maxProfileBytes: 4194304, diagnosis: {},
  });
  const collectorPod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'go-profiler-collector-stand-in', namespace: NAMESPACE, ...job.spec?.template.metadata },
    spec: { ...job.spec?.template.spec, nodeName: undefined },
  };
  // The same budget selecting by app.kubernetes.io/name alone: what the real one is compared with.
  const nameOnly = { ...budget, metadata: { ...budget.metadata, name: 'go-profiler-name-only' }, spec: { ...budget.spec, selector: deployment.spec.selector } };
  const get = (args: string[]) => cluster.getJson(['-n', NAMESPACE, 'get', ...args]);

  async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  const podNames = async (selector: string) => (await get(['pods', '-l', selector])).items.map((p: KubeObject) => p.metadata.name).sort();
  const replicaSets = async () =>
    (await get(['replicasets', '-l', 'app.kubernetes.io/component=server'])).items
      .map((rs: KubeObject) => [(rs.metadata.annotations as Record<string, string>)['deployment.kubernetes.io/revision'], rs.spec.replicas])
      .sort();

  beforeAll(async () => {
    await cluster.apply(JSON.stringify(findObject(central, 'Namespace', NAMESPACE)));
    await cluster.apply([findObject(central, 'ServiceAccount', 'go-profiler'), deployment, collectorPod].map((o) => JSON.stringify(o)).join('\n'));
    // Every pod exists before the budgets do, so their first status already counts what they select.
    await eventually('the pods', () => podNames('app.kubernetes.io/name=go-profiler'), (names) => names.length === 3);
    await cluster.apply([budget, nameOnly].map((o) => JSON.stringify(o)).join('\n'));
  });

  afterAll(async () => {
    await cluster?.kubectl(['-n', NAMESPACE, 'delete', '--ignore-not-found', '--wait=false', 'deployment/go-profiler', 'pod/go-profiler-collector-stand-in', 'poddisruptionbudget/go-profiler', 'poddisruptionbudget/go-profiler-name-only', 'serviceaccount/go-profiler']);
  });

  test("the budget counts the Deployment's two pods and not the collector's; by name alone it would count three", async () => {
    const status = async (name: string) => {
      const object = await get(['poddisruptionbudget', name]);
      return object.status?.observedGeneration === object.metadata.generation ? object.status : undefined;
    };
    const counted = (s: Record<string, number> | undefined) => s && [s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed];
    expect(counted(await eventually('the budget', () => status('go-profiler'), (s) => s?.expectedPods !== undefined))).toEqual([2, 1, 0, 0]);
    expect(counted(await eventually('the name-only budget', () => status('go-profiler-name-only'), (s) => s?.expectedPods !== undefined))).toEqual([3, 1, 0, 0]);
  });

  test('a change of the pod template adds one new pod and removes no old one while the new one is not ready', async () => {
    expect(await eventually('the first ReplicaSet', replicaSets, (sets) => sets.length === 1)).toEqual([['1', 2]]);
    const changed = structuredClone(deployment);
    changed.spec.template.metadata.annotations = { 'go-profiler-tests/revision': '2' };
    await cluster.apply(JSON.stringify(changed));
    // maxSurge 1: one pod of the new ReplicaSet; maxUnavailable 0: the old one keeps both (Recreate would drop them).
    expect(await eventually('the rollout', replicaSets, (sets) => sets.length === 2 && sets[1][1] === 1)).toEqual([['1', 2], ['2', 1]]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await replicaSets()).toEqual([['1', 2], ['2', 1]]);
    expect(await podNames('app.kubernetes.io/component=server')).toHaveLength(3);
  });
});
