import { buildCollectorJob, JOB_LABEL, JobPlan, SECRET_MOUNT } from '../src/acquire/job/job-spec';
import { schemaErrors } from './support/kube-api/openapi';
import { restrictedViolations } from './support/pod-security-restricted';

// The Job the service sends, checked against the Kubernetes 1.27 OpenAPI schema (kubernetes-models) and the Pod
// Security Standards' restricted profile, field by field where the issue asks for one. No cluster: the real API
// server takes these Jobs in job-collector.e2e.test.ts, and Pod Security admission judges them in job-rbac.test.ts.
const plan: JobPlan = {
  name: 'go-profiler-heap-0a1b2c3d',
  namespace: 'kubediag',
  image: 'registry.example/kubediag/go-profiler:1.0.0',
  node: 'worker-1',
  hostNetwork: false,
  url: new URL('http://10.244.1.17:6060/debug/pprof/heap'),
  collectorTimeoutSeconds: 30,
  activeDeadlineSeconds: 90,
  ttlSecondsAfterFinished: 600,
  maxProfileBytes: 4194304,
  diagnosis: { namespace: 'ops', name: 'slow-api' },
};

const podOf = (job: ReturnType<typeof buildCollectorJob>) => job.spec?.template.spec as any;

test('the Job is valid by the Kubernetes OpenAPI schema, with and without a Secret and host network', () => {
  for (const variant of [plan, { ...plan, secretName: 'pprof-token' }, { ...plan, hostNetwork: true }]) {
    expect(schemaErrors('IoK8sApiBatchV1Job', buildCollectorJob(variant))).toEqual([]);
  }
});

test('the schema check can fail: a string where an integer belongs is caught', () => {
  const job = buildCollectorJob(plan) as any;
  job.spec.backoffLimit = '0';
  expect(schemaErrors('IoK8sApiBatchV1Job', job)).toEqual([expect.stringMatching(/^\/spec\/backoffLimit: must be integer/)]);
});

test('pinned to the node, one try, bounded in time, cleaned up by TTL as a backstop', () => {
  const job = buildCollectorJob(plan);
  expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 90, ttlSecondsAfterFinished: 600 });
  expect(podOf(job)).toMatchObject({ nodeName: 'worker-1', restartPolicy: 'Never', tolerations: [{ operator: 'Exists' }], automountServiceAccountToken: false });
  expect(podOf(job).containers[0].resources).toEqual({ requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '500m', memory: '192Mi' } });
});

test('labels name the service and the Diagnosis; the pod keeps service-mesh sidecars out', () => {
  const job = buildCollectorJob(plan);
  expect(job.metadata?.labels).toEqual({
    'app.kubernetes.io/name': 'go-profiler',
    'app.kubernetes.io/component': 'collector',
    'app.kubernetes.io/managed-by': 'go-profiler',
    'kubediag.org/diagnosis-namespace': 'ops',
    'kubediag.org/diagnosis-name': 'slow-api',
  });
  expect(job.spec?.template.metadata?.labels).toMatchObject({ [JOB_LABEL]: plan.name, 'sidecar.istio.io/inject': 'false' });
  expect(job.spec?.template.metadata?.annotations).toEqual({ 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' });
});

test('a Diagnosis name that is no valid label value goes to annotations only', () => {
  const long = 'a'.repeat(70);
  const job = buildCollectorJob({ ...plan, diagnosis: { namespace: 'ops', name: long } });
  expect(job.metadata?.labels?.['kubediag.org/diagnosis-name']).toBeUndefined();
  expect(job.metadata?.annotations?.['kubediag.org/diagnosis-name']).toBe(long);
});

test('the pod meets Pod Security restricted; host-network mode breaks only the host-namespaces rule', () => {
  expect(restrictedViolations(podOf(buildCollectorJob(plan)))).toEqual([]);
  expect(restrictedViolations(podOf(buildCollectorJob({ ...plan, secretName: 's' })))).toEqual([]);
  const hostNetwork = podOf(buildCollectorJob({ ...plan, hostNetwork: true }));
  expect(restrictedViolations(hostNetwork)).toEqual(['host namespaces']);
  expect(hostNetwork).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
});

test('the restricted check can fail: a root, privileged pod breaks it', () => {
  const pod = podOf(buildCollectorJob(plan));
  pod.securityContext = {};
  pod.containers[0].securityContext = { privileged: true };
  expect(restrictedViolations(pod)).toEqual(
    expect.arrayContaining(['privileged', 'allowPrivilegeEscalation != false', 'unrestricted capabilities', 'runAsNonRoot != true', 'seccompProfile']),
  );
});

test('the collector gets a URL and limits as arguments, and the Secret only as a mounted volume', () => {
  const job = buildCollectorJob({ ...plan, secretName: 'pprof-token' });
  const container = podOf(job).containers[0];
  expect(container.command).toEqual(['node', 'dist/collect.js']);
  expect(container.args).toEqual([
    '--url', 'http://10.244.1.17:6060/debug/pprof/heap', '--timeout-seconds', '30', '--max-bytes', '4194304', '--secret-dir', SECRET_MOUNT,
  ]);
  expect(container.env).toBeUndefined();
  expect(container.volumeMounts).toEqual([{ name: 'target-credentials', mountPath: SECRET_MOUNT, readOnly: true }]);
  expect(podOf(job).volumes).toEqual([{ name: 'target-credentials', secret: { secretName: 'pprof-token', defaultMode: 0o440 } }]);
  expect(container.terminationMessagePolicy).toBe('FallbackToLogsOnError');
});
