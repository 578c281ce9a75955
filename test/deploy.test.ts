import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadConfig } from '../src/config';
import { kubeObjectProblems } from './support/kube-schema';
import { findObject, KubeObject, kustomize, ownKustomizationText } from './support/kustomize';
import { restrictedViolations } from './support/pod-security-restricted';
import { CLUSTER_GRANTS, grantsOf } from './support/rbac-grants';

// The manifests as `kubectl apply -k` would send them: rendered by kubectl's own kustomize, then checked against
// the Kubernetes OpenAPI schemas, the RBAC the issue lists, Pod Security, and the service's own configuration.
const DEPLOY = path.join(__dirname, '..', 'deploy');
const OVERLAYS = { node: 'kubediag', central: 'go-profiler' } as const;
// Read by the AWS SDK's credential chain (STORAGE=s3), not by config.ts.
const SDK_CREDENTIALS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
// components/s3-storage ships a bucket name no bucket can have, which stops the start until the operator sets theirs.
const PLACEHOLDER_BUCKET = '<your-bucket>';
/** The literal values, with the bucket an operator sets in place of the placeholder. */
function asDeployed(env: Record<string, unknown>): Record<string, string> {
  const literal = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  return literal.S3_BUCKET === PLACEHOLDER_BUCKET ? { ...literal, S3_BUCKET: 'profiles' } : literal;
}
const rendered = Object.fromEntries(Object.keys(OVERLAYS).map((o) => [o, kustomize(path.join(DEPLOY, 'overlays', o))])) as Record<keyof typeof OVERLAYS, KubeObject[]>;

/** The RBAC the issue asks for, in `grantsOf` lines: nothing more, nothing less. */
function expectedGrants(namespace: string, secretScopes = [namespace]): string[] {
  return [
    ...secretScopes.map((scope) => `${scope}: "" secrets get`),
    ...CLUSTER_GRANTS,
    `${namespace}: "batch" jobs create`,
    `${namespace}: "batch" jobs watch`,
    `${namespace}: "batch" jobs delete`,
    `${namespace}: "" pods watch`,
    `${namespace}: "" pods/log get`,
    `${namespace}: "" events watch`,
  ].sort();
}

/** The namespaces the service itself lets requests name (SECRET_NAMESPACES), as RBAC scopes ('cluster' for all). */
function secretNamespacesOf(objects: KubeObject[], namespace: string): string[] {
  const allowed = loadConfig({ ...asDeployed(workload(objects).env), POD_NAMESPACE: namespace }).secretNamespaces;
  return allowed.includes('*') ? ['cluster'] : [...allowed].sort();
}

function workload(objects: KubeObject[]): { pod: Record<string, any>; container: Record<string, any>; env: Record<string, any> } {
  const object = objects.find((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment');
  if (!object) throw new Error('no workload rendered');
  const pod = object.spec.template.spec;
  const container = pod.containers.find((c: { name: string }) => c.name === 'go-profiler');
  const env = Object.fromEntries(container.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
  return { pod, container, env };
}

describe.each(Object.keys(OVERLAYS) as Array<keyof typeof OVERLAYS>)('overlay %s', (overlay) => {
  const objects = rendered[overlay];
  const namespace = OVERLAYS[overlay];

  test('every object is valid against the Kubernetes OpenAPI schema, with no unknown fields', () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const object of objects) expect([`${object.kind} ${object.metadata.name}`, kubeObjectProblems(object)]).toEqual([`${object.kind} ${object.metadata.name}`, []]);
  });

  test('the service account gets exactly the RBAC the issue lists, in its own namespace for Secrets and Jobs', () => {
    expect(grantsOf(objects, { namespace, name: 'go-profiler' })).toEqual(expectedGrants(namespace));
    // The service's own allow-list asks for no Secret RBAC refuses, and RBAC grants none it would not ask for.
    expect(secretNamespacesOf(objects, namespace)).toEqual([namespace]);
    // Every binding is for that service account alone.
    for (const binding of objects.filter((o) => o.kind.endsWith('Binding'))) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'go-profiler', namespace }]);
    }
  });

  test('runs the service account, the image in COLLECTOR_IMAGE too, and namespaced objects in one namespace', () => {
    const { pod, container, env } = workload(objects);
    expect(pod.serviceAccountName).toBe('go-profiler');
    expect(env.COLLECTOR_IMAGE).toBe(container.image);
    expect(env.POD_NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'];
    for (const object of objects.filter((o) => !clusterScoped.includes(o.kind))) expect([object.kind, object.metadata.namespace]).toEqual([object.kind, namespace]);
  });

  test('configures only variables the service reads, with values it accepts; probes and port agree', () => {
    const { container, env } = workload(objects);
    const source = fs.readFileSync(path.join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const readBy = (name: string) => source.includes(`env.${name}`) || source.includes(`'${name}'`) || SDK_CREDENTIALS.includes(name);
    for (const name of Object.keys(env)) expect([name, readBy(name)]).toEqual([name, true]);
    const fromFields = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v !== 'string').map(([k]) => [k, '10.0.0.7']));
    const config = loadConfig({ ...fromFields, ...asDeployed(env) });
    expect(container.ports).toEqual([{ name: 'http', containerPort: config.port, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.resources).toEqual({ requests: { cpu: expect.any(String), memory: expect.any(String) }, limits: { cpu: expect.any(String), memory: expect.any(String) } });
    // The image's DATA_ROOT, on the one writable volume (the root file system is read-only).
    expect(config.dataRoot.startsWith('/tmp/')).toBe(true);
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });
});

describe('overlay node', () => {
  const objects = rendered.node;

  test('a DaemonSet on the node network, advertising the node IP, beside the KubeDiag agent', () => {
    const { pod, env } = workload(objects);
    expect(findObject(objects, 'DaemonSet', 'go-profiler').metadata.namespace).toBe('kubediag');
    expect([pod.hostNetwork, pod.dnsPolicy]).toEqual([true, 'ClusterFirstWithHostNet']);
    expect(env.ADVERTISE_ADDRESS).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    // The agent itself listens on 8090 on the node's network.
    expect(env.PORT).not.toBe('8090');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  test('as tight as hostNetwork allows: every Pod Security "restricted" control but the host network', () => {
    expect(restrictedViolations(workload(objects).pod)).toEqual(['host namespaces']);
    expect(workload(objects).container.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});

describe('overlay central', () => {
  const objects = rendered.central;

  test('two Deployment replicas behind a Service, answering with proxied PUBLIC_BASE_URL addresses', () => {
    const { pod, container, env } = workload(objects);
    const deployment = findObject(objects, 'Deployment', 'go-profiler');
    // Either replica serves any viewer from the bucket (test/deploy-replicas.test.ts).
    expect([deployment.spec.replicas, deployment.spec.strategy.type]).toEqual([2, 'RollingUpdate']);
    const service = findObject(objects, 'Service', 'go-profiler');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toEqual(expect.objectContaining(service.spec.selector));
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8090, targetPort: 'http', protocol: 'TCP' }]);
    expect(container.ports[0].containerPort).toBe(8090);
    expect(pod.hostNetwork).toBeUndefined();
    // Viewers only through the main port's /viewer/<id>/ proxy.
    expect(env.VIEWER_BIND_ADDRESS).toBe('127.0.0.1');
    const ingress = findObject(objects, 'Ingress', 'go-profiler');
    expect(`https://${ingress.spec.rules[0].host}`).toBe(env.PUBLIC_BASE_URL);
    // Only the viewers are exposed: /processor/goProfiler makes the service fetch URLs.
    expect(ingress.spec.rules[0].http.paths.map((p: { path: string; pathType: string }) => `${p.pathType} ${p.path}`)).toEqual(['Prefix /viewer/']);
  });

  test('as shipped, the bucket is a placeholder the service refuses to start with, naming S3_BUCKET', () => {
    const { env } = workload(objects);
    expect([env.STORAGE, env.S3_BUCKET]).toEqual(['s3', PLACEHOLDER_BUCKET]);
    const literal = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string'));
    expect(() => loadConfig(literal)).toThrow(/^configuration: S3_BUCKET="<your-bucket>" is not a bucket name/);
    expect(loadConfig(asDeployed(env)).storage).toEqual(expect.objectContaining({ kind: 's3', bucket: 'profiles', prefix: 'go-profiler', region: 'us-east-1', forcePathStyle: false }));
  });

  test('meets Pod Security "restricted", which its namespace enforces', () => {
    expect(restrictedViolations(workload(objects).pod)).toEqual([]);
    expect(findObject(objects, 'Namespace', 'go-profiler').metadata.labels).toEqual(
      expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted' }),
    );
  });
});

describe('your own kustomization over an overlay', () => {
  // The way README.md (Deploying) tells an operator to set the image and limit Secrets to some namespaces.
  const renderOwn = (overlay: string, extra: string): KubeObject[] => yaml.loadAll(ownKustomizationText(DEPLOY, overlay, extra)) as KubeObject[];

  test.each(Object.keys(OVERLAYS))('images: sets the image of %s and of its collector Jobs', (overlay) => {
    const { container, env } = workload(renderOwn(overlay, ''));
    expect([container.image, env.COLLECTOR_IMAGE]).toEqual(['registry.example.com/go-profiler:0.1.0', 'registry.example.com/go-profiler:0.1.0']);
  });

  test.each(Object.entries(OVERLAYS).flatMap(([overlay, namespace]) => [
    [overlay, namespace, 'secrets-in-namespaces', ['kubediag', 'monitoring']],
    [overlay, namespace, 'secrets-in-all-namespaces', ['cluster']],
  ]))('%s in %s with component %s reads Secrets in %j, RBAC and SECRET_NAMESPACES alike', (overlay, namespace, component, scopes) => {
    const objects = renderOwn(overlay, `components:\n  - DEPLOY/components/${component}`);
    expect(grantsOf(objects, { namespace, name: 'go-profiler' })).toEqual(expectedGrants(namespace, scopes));
    expect(secretNamespacesOf(objects, namespace)).toEqual(scopes);
    for (const object of objects) expect(kubeObjectProblems(object)).toEqual([]);
  });
});
