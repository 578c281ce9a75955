/**
 * operations/ and deploy/ against the real control plane of the test cluster (cluster/: kube-apiserver, etcd and
 * kube-controller-manager built from source, started once per run by jest's globalSetup), not only against schemas:
 *   - KubeDiag's CRDs, converted to apiextensions v1 as every cluster since 1.22 needs, installed and Established;
 *   - every file of operations/ applied server-side for real and read back as sent;
 *   - both overlays, each component over an overlay (as README's own kustomization) and the optional pods-proxy
 *     RBAC accepted by a server-side dry run, in namespaces with the Pod Security labels they rely on and without
 *     a warning. The real apply of the node overlay is test/support/cluster/profiler-on-cluster.ts's.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
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

  const components = fs.readdirSync(path.join(DEPLOY, 'components'));
  test.each(['central', 'node'].flatMap((overlay) => components.map((component) => [overlay, component])))(
    'overlay %s with component %s, as your own kustomization: accepted without a warning',
    async (overlay, component) => {
      const accepted = await dryRun(ownKustomizationText(DEPLOY, overlay, `components:\n  - DEPLOY/components/${component}`));
      const workload = accepted.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
      const env = workload?.spec.template.spec.containers[0].env;
      expect(env).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'SECRET_NAMESPACES' })]));
    },
  );

  test('deploy/rbac/pods-proxy.yaml: accepted without a warning', async () => {
    const accepted = await dryRun(read('deploy/rbac/pods-proxy.yaml'));
    expect(accepted.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
  });
});
