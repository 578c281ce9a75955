import type { V1Job, V1PodSpec } from '@kubernetes/client-node';

/** Everything a collector Job is made from; buildCollectorJob turns it into the object sent to the API server. */
export interface JobPlan {
  name: string;
  namespace: string;
  image: string;
  node: string;
  /** Run in the node's network namespace, for a source bound to the node's localhost. */
  hostNetwork: boolean;
  /** What the collector fetches. */
  url: URL;
  /** A Secret in the Job's namespace, mounted for the collector to read `token` and `ca.crt` from. */
  secretName?: string;
  collectorTimeoutSeconds: number;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  maxProfileBytes: number;
  diagnosis: { namespace?: string; name?: string };
}

export const COLLECTOR_CONTAINER = 'collector';
/** The collector pod's label that names its Job: ours, so selecting by it works on any Kubernetes version. */
export const JOB_LABEL = 'go-profiler.kubediag.org/job';
/** The entry point inside the service's image, relative to its working directory (as `npm start` runs dist/main.js). */
export const COLLECTOR_COMMAND = ['node', 'dist/collect.js'];
export const SECRET_MOUNT = '/var/run/secrets/go-profiler/target';

const SERVICE_LABELS = {
  'app.kubernetes.io/name': 'go-profiler',
  'app.kubernetes.io/component': 'collector',
  'app.kubernetes.io/managed-by': 'go-profiler',
};
// A sidecar never exits, so a Job whose pod got one never completes. Istio reads the label (newer) or annotation.
const NO_SIDECARS = { 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' };
const NON_ROOT = 65532;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function buildCollectorJob(plan: JobPlan): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: plan.name,
      namespace: plan.namespace,
      labels: { ...SERVICE_LABELS, ...diagnosisLabels(plan.diagnosis) },
      annotations: diagnosisAnnotations(plan),
    },
    spec: {
      // One try: a retry would profile a different moment and double the load on the target.
      backoffLimit: 0,
      activeDeadlineSeconds: plan.activeDeadlineSeconds,
      // The service deletes every Job it makes; this only cleans up after a service that was killed.
      ttlSecondsAfterFinished: plan.ttlSecondsAfterFinished,
      template: {
        metadata: {
          labels: { ...SERVICE_LABELS, [JOB_LABEL]: plan.name, 'sidecar.istio.io/inject': 'false' },
          annotations: NO_SIDECARS,
        },
        spec: podSpec(plan),
      },
    },
  };
}

function podSpec(plan: JobPlan): V1PodSpec {
  const secretVolume = 'target-credentials';
  return {
    // Pinned: the scheduler is bypassed, so the pod lands on the target's node even when it is cordoned.
    nodeName: plan.node,
    restartPolicy: 'Never',
    ...(plan.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // Control-plane and tainted nodes are exactly where localhost-bound components run.
    tolerations: [{ operator: 'Exists' }],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NON_ROOT,
      runAsGroup: NON_ROOT,
      // The Secret's files are group-readable by this group, so the non-root collector can read them.
      fsGroup: NON_ROOT,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: COLLECTOR_CONTAINER,
        image: plan.image,
        imagePullPolicy: 'IfNotPresent',
        command: COLLECTOR_COMMAND,
        args: collectorArgs(plan),
        resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '500m', memory: '192Mi' } },
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
        // Without a frame in the log, the end of the log becomes the pod's termination message.
        terminationMessagePolicy: 'FallbackToLogsOnError',
        ...(plan.secretName ? { volumeMounts: [{ name: secretVolume, mountPath: SECRET_MOUNT, readOnly: true }] } : {}),
      },
    ],
    ...(plan.secretName ? { volumes: [{ name: secretVolume, secret: { secretName: plan.secretName, defaultMode: 0o440 } }] } : {}),
  };
}

/** The collector's command line: a URL and limits, never a credential. */
function collectorArgs(plan: JobPlan): string[] {
  const args = [
    '--url', plan.url.href,
    '--timeout-seconds', String(plan.collectorTimeoutSeconds),
    '--max-bytes', String(plan.maxProfileBytes),
  ];
  return plan.secretName ? [...args, '--secret-dir', SECRET_MOUNT] : args;
}

/** Label values are at most 63 characters of a narrower alphabet than names; longer ones go to annotations only. */
function diagnosisLabels(diagnosis: JobPlan['diagnosis']): Record<string, string> {
  const labels: Record<string, string> = {};
  const add = (key: string, value?: string) => {
    if (value && value.length <= 63 && LABEL_VALUE.test(value)) labels[key] = value;
  };
  add('kubediag.org/diagnosis-namespace', diagnosis.namespace);
  add('kubediag.org/diagnosis-name', diagnosis.name);
  return labels;
}

function diagnosisAnnotations(plan: JobPlan): Record<string, string> {
  const annotations: Record<string, string> = { 'go-profiler.kubediag.org/target': `${plan.url.origin}${plan.url.pathname}` };
  if (plan.diagnosis.namespace) annotations['kubediag.org/diagnosis-namespace'] = plan.diagnosis.namespace;
  if (plan.diagnosis.name) annotations['kubediag.org/diagnosis-name'] = plan.diagnosis.name;
  return annotations;
}
