import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { buildCollectorJob } from '../src/acquire/job/job-spec';
import { loadConfig } from '../src/config';
import { kubeObjectProblems } from './support/kube-schema';
import { findObject, KubeObject, kustomize, ownKustomizationText } from './support/kustomize';

// The central overlay's two replicas (issue #18): they share the profiles through an S3 bucket
// (deploy/components/s3-storage), are replaced one at a time and keep one through a drain. The node overlay stays
// one process per node on its own disk. The API server's side of it is in test/cluster-manifests.test.ts.
const DEPLOY = path.join(__dirname, '..', 'deploy');
const central = kustomize(path.join(DEPLOY, 'overlays', 'central'));
const node = kustomize(path.join(DEPLOY, 'overlays', 'node'));
const renderOwn = (overlay: string, extra: string): KubeObject[] => yaml.loadAll(ownKustomizationText(DEPLOY, overlay, extra)) as KubeObject[];

// The labels of a collector Job's pod, which runs in the service's namespace beside its replicas.
const collectorPodLabels = buildCollectorJob({
  name: 'go-profiler-heap-0a1b2c3d',
  namespace: 'go-profiler',
  image: 'go-profiler',
  node: 'worker-1',
  hostNetwork: false,
  url: new URL('http://10.244.1.17:6060/debug/pprof/heap'),
  collectorTimeoutSeconds: 30,
  activeDeadlineSeconds: 90,
  ttlSecondsAfterFinished: 600,
  maxProfileBytes: 4194304,
  diagnosis: {},
}).spec?.template.metadata?.labels as Record<string, string>;

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** Whether a label selector picks a pod with these labels, as the API's labels.Selector decides it. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return key in labels && values.includes(labels[key]);
    if (operator === 'NotIn') return !(key in labels) || !values.includes(labels[key]);
    return operator === 'Exists' ? key in labels : !(key in labels);
  });
  return byLabels && byExpressions;
}

function workload(objects: KubeObject[]) {
  const object = objects.find((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment');
  if (!object) throw new Error('no workload rendered');
  const container = object.spec.template.spec.containers.find((c: { name: string }) => c.name === 'go-profiler');
  const entries: Array<{ name: string; value?: string; valueFrom?: Record<string, any> }> = container.env;
  return { object, pod: object.spec.template.spec, podLabels: object.spec.template.metadata.labels, container, entries, env: Object.fromEntries(entries.map((e) => [e.name, e.value ?? e.valueFrom])) };
}

const optionalSecretKey = (key: string) => ({ secretKeyRef: { name: 'go-profiler-s3', key, optional: true } });

describe('central overlay: two replicas that share an S3 bucket', () => {
  const { object: deployment, pod, podLabels, container } = workload(central);

  test('two replicas, replaced one at a time: a new pod first, an old one goes only once the new one is ready', () => {
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    // "Ready" is what maxUnavailable 0 waits for.
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  test("a PodDisruptionBudget keeps one: it selects the Deployment's pods and not the collector Jobs' pods", () => {
    const budgets = central.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(budgets.map((b) => `${b.apiVersion} ${b.metadata.namespace}/${b.metadata.name}`)).toEqual([`policy/v1 ${deployment.metadata.namespace}/go-profiler`]);
    const [budget] = budgets;
    expect(budget.spec.minAvailable).toBe(1);
    expect(budget.spec.maxUnavailable).toBeUndefined();
    expect(selects(budget.spec.selector, podLabels)).toBe(true);
    // A collector pod shares app.kubernetes.io/name: counted, it would let a drain take both replicas while a Job runs.
    expect(collectorPodLabels['app.kubernetes.io/name']).toBe(podLabels['app.kubernetes.io/name']);
    expect(selects(budget.spec.selector, collectorPodLabels)).toBe(false);
    // The Deployment's own selector (immutable, so unchanged) still selects its template.
    expect(selects(deployment.spec.selector, podLabels)).toBe(true);
    expect(kubeObjectProblems(budget)).toEqual([]);
  });

  test('spread over nodes where the cluster has them, never left unscheduled for it', () => {
    const spread: Array<Record<string, any>> = pod.topologySpreadConstraints;
    expect(spread.map((c) => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable])).toEqual([['kubernetes.io/hostname', 1, 'ScheduleAnyway']]);
    expect(selects(spread[0].labelSelector, podLabels)).toBe(true);
    expect(selects(spread[0].labelSelector, collectorPodLabels)).toBe(false);
    expect(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  test('STORAGE=s3 with a bucket, the prefix and region; credentials only from the Secret go-profiler-s3, optional', () => {
    const { entries, env } = workload(central);
    expect(env).toEqual(
      expect.objectContaining({ STORAGE: 's3', S3_BUCKET: expect.stringMatching(/\S/), S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'false' }),
    );
    // AWS itself: no endpoint. The prefix is the service's default, go-profiler (see the next test for why).
    expect([env.S3_ENDPOINT, env.S3_PREFIX]).toEqual([undefined, undefined]);
    // Optional: without the Secret (IRSA) the pod still starts, and the SDK's chain finds the web identity.
    expect([env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY]).toEqual([optionalSecretKey('AWS_ACCESS_KEY_ID'), optionalSecretKey('AWS_SECRET_ACCESS_KEY')]);
    expect(entries.filter((e) => e.name.startsWith('AWS_') && e.value !== undefined)).toEqual([]);
    expect(central.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
  });

  test("with your images:, no variable but COLLECTOR_IMAGE turns into the image (as a literal S3_PREFIX=go-profiler would)", () => {
    const { container, entries } = workload(renderOwn('central', ''));
    expect(entries.filter((e) => e.value === container.image).map((e) => e.name)).toEqual(['COLLECTOR_IMAGE']);
  });

  test('the placeholder bucket is a name no bucket can have, so nothing goes to a bucket someone else may own', () => {
    const bucket = workload(central).env.S3_BUCKET;
    if (typeof bucket !== 'string') throw new Error('S3_BUCKET is not a literal value');
    // Today's rules, and the looser ones us-east-1 once allowed (capitals, underscores).
    expect(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)).toBe(false);
    expect(/^[A-Za-z0-9._-]{3,255}$/.test(bucket)).toBe(false);
  });
});

describe('node overlay: one process per node, on its own disk', () => {
  test('a DaemonSet with the default STORAGE (local), no S3 settings, no budget', () => {
    const { object, env } = workload(node);
    expect(object.kind).toBe('DaemonSet');
    expect(object.spec.replicas).toBeUndefined();
    expect(Object.keys(env).filter((name) => /^(STORAGE|S3_|AWS_)/.test(name))).toEqual([]);
    expect(node.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    // Viewers keep their own port on the node's address.
    expect(env.VIEWER_BIND_ADDRESS).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
  });
});

describe('your own kustomization, as the component and README show it', () => {
  test('over central, a patch sets the bucket, an S3-compatible endpoint and path-style addressing', () => {
    const objects = renderOwn(
      'central',
      [
        'patches:',
        '  - target: {kind: Deployment, name: go-profiler}',
        '    patch: |-',
        '      apiVersion: apps/v1',
        '      kind: Deployment',
        '      metadata: {name: go-profiler}',
        '      spec: {template: {spec: {containers: [{name: go-profiler, env: [',
        '        {name: S3_BUCKET, value: profiles},',
        '        {name: S3_ENDPOINT, value: "http://minio.minio.svc:9000"},',
        '        {name: S3_FORCE_PATH_STYLE, value: "true"}]}]}}}',
      ].join('\n'),
    );
    const { entries, env } = workload(objects);
    expect(env).toEqual(
      expect.objectContaining({ STORAGE: 's3', S3_BUCKET: 'profiles', S3_ENDPOINT: 'http://minio.minio.svc:9000', S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'us-east-1' }),
    );
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    for (const object of objects) expect(kubeObjectProblems(object)).toEqual([]);
  });

  test('over central, IRSA: the ServiceAccount annotated with the role, the Secret keys still optional', () => {
    const objects = renderOwn(
      'central',
      [
        'patches:',
        '  - patch: |-',
        '      apiVersion: v1',
        '      kind: ServiceAccount',
        '      metadata:',
        '        name: go-profiler',
        '        annotations:',
        '          eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/go-profiler',
      ].join('\n'),
    );
    const account = findObject(objects, 'ServiceAccount', 'go-profiler', 'go-profiler');
    expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/go-profiler' });
    const { pod, env } = workload(objects);
    expect(pod.serviceAccountName).toBe('go-profiler');
    expect(env.AWS_ACCESS_KEY_ID).toEqual(optionalSecretKey('AWS_ACCESS_KEY_ID'));
  });

  test('over node, the component gives the DaemonSet the same bucket settings, still on the node network', () => {
    const objects = renderOwn('node', 'components:\n  - DEPLOY/components/s3-storage');
    const { pod, env } = workload(objects);
    expect(env).toEqual(expect.objectContaining({ STORAGE: 's3', S3_BUCKET: workload(central).env.S3_BUCKET, AWS_SECRET_ACCESS_KEY: optionalSecretKey('AWS_SECRET_ACCESS_KEY') }));
    expect(pod.hostNetwork).toBe(true);
    for (const object of objects) expect(kubeObjectProblems(object)).toEqual([]);
  });
});

describe("README's bucket lifecycle rule", () => {
  test('expires what is under the default prefix after DATA_RETENTION_SECONDS, in days rounded up', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const block = /```json\n(\{\n  "Rules"[\s\S]*?)```/.exec(readme)?.[1];
    const config = loadConfig({ STORAGE: 's3', S3_BUCKET: 'profiles' });
    if (config.storage.kind !== 's3') throw new Error('STORAGE=s3 was not read');
    const [rule, ...others] = JSON.parse(block ?? '{}').Rules ?? [];
    expect(others).toEqual([]);
    expect(rule).toEqual(expect.objectContaining({ Status: 'Enabled', Filter: { Prefix: `${config.storage.prefix}/` } }));
    expect(rule.Expiration).toEqual({ Days: Math.ceil(config.dataRetentionSeconds / 86400) });
  });
});
