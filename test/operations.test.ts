import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadConfig } from '../src/config';
import { PROCESSOR_PATH } from '../src/http/app';
import { parseRequest } from '../src/parameters/parse';
import { KEYS } from '../src/parameters/schema';
import { kubeObjectProblems } from './support/kube-schema';
import { loadKubediagCrds } from './support/kubediag-crds';
import { findObject, KubeObject, kustomize } from './support/kustomize';

// Everything under operations/ is what an operator applies to register go-profiler with KubeDiag and to run it:
// valid for KubeDiag's own CRDs (and Kubernetes' schemas for the rest), consistent with the manifests, and
// accepted by the service itself as KubeDiag's executor would send it.
const ROOT = path.join(__dirname, '..');
const OPERATIONS = path.join(ROOT, 'operations');
const crds = loadKubediagCrds();

const files = listYaml(OPERATIONS);
const documents = files.flatMap((file) =>
  (yaml.loadAll(fs.readFileSync(file, 'utf8')) as KubeObject[]).filter(Boolean).map((object) => ({ file: path.relative(ROOT, file), object })),
);
const kubediag = documents.filter((d) => d.object.apiVersion.startsWith(`${crds.group}/`));
const ofKind = (kind: string) => kubediag.filter((d) => d.object.kind === kind).map((d) => d.object);

function listYaml(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listYaml(full) : e.name.endsWith('.yaml') ? [full] : [];
  });
}

/** The body KubeDiag's executor POSTs: the parameters plus its own keys for where the task runs. */
function executorBody(object: KubeObject): Record<string, string> {
  const pod = object.kind === 'Task' ? object.spec.podReference : object.spec.targetSelector?.podReferences?.[0];
  const node = object.kind === 'Task' ? object.spec.nodeName : object.spec.targetSelector?.nodeNames?.[0];
  return {
    ...object.spec.parameters,
    'diagnosis.namespace': object.metadata.namespace ?? '',
    'diagnosis.name': object.metadata.name,
    ...(pod ? { 'pod.namespace': pod.namespace, 'pod.name': pod.name, container: pod.container } : {}),
    ...(node ? { node } : {}),
  };
}

test('operations/ holds the Operations, the OperationSet and Diagnosis and Task examples', () => {
  expect(ofKind('Operation')).toHaveLength(2);
  expect(ofKind('OperationSet')).toHaveLength(1);
  expect(ofKind('Diagnosis').length).toBeGreaterThanOrEqual(5);
  expect(ofKind('Task')).toHaveLength(ofKind('Diagnosis').length);
});

test.each(kubediag.map((d) => [`${d.file} ${d.object.kind} ${d.object.metadata.name}`, d.object]))(
  '%s is valid for KubeDiag\'s CRD schema (values are strings, no unknown fields)',
  (_name, object) => {
    const validate = crds.byKind.get(object.kind);
    if (!validate) throw new Error(`KubeDiag has no kind ${object.kind}`);
    validate(object);
    expect((validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
    expect(object.status).toBeUndefined();
  },
);

test.each(documents.filter((d) => !kubediag.includes(d)).map((d) => [`${d.file} ${d.object.kind} ${d.object.metadata.name}`, d.object]))(
  '%s is valid against the Kubernetes OpenAPI schema',
  (_name, object) => expect(kubeObjectProblems(object)).toEqual([]),
);

test('names resolve: Diagnoses name the OperationSet, it and the Tasks name the go-profiler Operation', () => {
  const sets = ofKind('OperationSet').map((s) => s.metadata.name);
  const operations = ofKind('Operation').map((o) => o.metadata.name);
  expect(new Set(operations)).toEqual(new Set(['go-profiler']));
  for (const diagnosis of ofKind('Diagnosis')) expect(sets).toContain(diagnosis.spec.operationSet);
  for (const set of ofKind('OperationSet')) {
    const [start, ...steps] = set.spec.adjacencyList;
    expect(start.operation).toBeUndefined(); // KubeDiag: the first node is the start and runs nothing
    for (const step of steps) expect(operations).toContain(step.operation);
  }
  for (const task of ofKind('Task')) expect(operations).toContain(task.spec.operation);
});

describe('the Operations point at the deployed service', () => {
  const byAddress = (address?: string) => {
    const found = ofKind('Operation').find((o) => o.spec.processor.httpServer.address === address);
    if (!found) throw new Error(`no Operation with address ${address}`);
    return found.spec.processor;
  };
  const envOf = (objects: KubeObject[], kind: string) =>
    Object.fromEntries(findObject(objects, kind, 'go-profiler').spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));

  test('node: no address (the agent calls its own node), the DaemonSet\'s port', () => {
    const processor = byAddress(undefined);
    const env = envOf(kustomize(path.join(ROOT, 'deploy', 'overlays', 'node')), 'DaemonSet');
    expect(processor.httpServer).toEqual({ path: PROCESSOR_PATH, port: Number(env.PORT), scheme: 'http' });
  });

  test("central: the Service's DNS name and port", () => {
    const objects = kustomize(path.join(ROOT, 'deploy', 'overlays', 'central'));
    const service = findObject(objects, 'Service', 'go-profiler');
    const processor = byAddress(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(processor.httpServer).toEqual(expect.objectContaining({ path: PROCESSOR_PATH, port: service.spec.ports[0].port, scheme: 'http' }));
  });

  test('timeoutSeconds covers the longest CPU example through a collector Job, decoding and the viewer start', () => {
    const config = loadConfig({});
    const cpu = [...ofKind('Diagnosis'), ...ofKind('Task')].filter((o) => o.spec.parameters[KEYS.type] === 'Profile');
    const longest = Math.max(...cpu.map((o) => Number(o.spec.parameters[KEYS.durationSeconds])));
    const decodeAndViewer = 20;
    for (const operation of ofKind('Operation')) {
      expect(operation.spec.processor.timeoutSeconds).toBeGreaterThanOrEqual(longest + config.fetchTimeoutSeconds + config.jobDeadlineMarginSeconds + decodeAndViewer);
    }
  });
});

describe('the examples, as KubeDiag sends them, are accepted by the service', () => {
  const examples = [...ofKind('Diagnosis'), ...ofKind('Task')];
  const limits = { defaultExpirationSeconds: 7200, maxExpirationSeconds: 86400, jobNamespace: 'kubediag' };

  test.each(examples.map((o) => [`${o.kind} ${o.metadata.name}`, o]))('%s', (_name, object) => {
    expect(() => parseRequest(executorBody(object), limits)).not.toThrow();
  });

  test('cover Heap, CPU and Goroutine, HTTP and HTTPS with a Secret, and the job collector', () => {
    const parsed = examples.map((o) => parseRequest(executorBody(o), limits));
    expect(new Set(parsed.map((r) => r.type))).toEqual(new Set(['Heap', 'Profile', 'Goroutine']));
    expect(parsed.some((r) => r.collector.kind === 'http' && r.source.protocol === 'http:')).toBe(true);
    expect(parsed.some((r) => r.source.protocol === 'https:' && r.secret !== undefined)).toBe(true);
    expect(parsed.some((r) => r.collector.kind === 'job')).toBe(true);
  });

  test('the HTTPS example names the Secret it creates, of a service account allowed /debug/pprof only', () => {
    const https = examples.find((o) => o.spec.parameters[KEYS.secretName]);
    const secret = findObject(documents.map((d) => d.object), 'Secret', https?.spec.parameters[KEYS.secretName], https?.spec.parameters[KEYS.secretNamespace]);
    expect(secret.type).toBe('kubernetes.io/service-account-token');
    const role = findObject(documents.map((d) => d.object), 'ClusterRole', 'apiserver-profiler');
    expect(role.rules).toEqual([{ nonResourceURLs: ['/debug/pprof', '/debug/pprof/*'], verbs: ['get'] }]);
  });
});
