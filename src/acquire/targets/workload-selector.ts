import type { V1LabelSelector } from '@kubernetes/client-node';
import { InputError, UpstreamError } from '../../errors';
import { KEYS } from '../../parameters/schema';
import { WorkloadKind } from '../../parameters/targets';
import { describeKubeError, KubeProvider } from '../kube/clients';

/** The label selector a workload picks its pods with, as `kubectl get pods -l` would take it. */
export async function workloadSelector(kube: KubeProvider, namespace: string, workload: { kind: WorkloadKind; name: string }): Promise<string> {
  const where = `${workload.kind}/${workload.name} in namespace ${namespace}`;
  const object = await readWorkload(kube, namespace, workload, where);
  const selector = workload.kind === 'service' ? fromMap((object as { spec?: { selector?: Record<string, string> } }).spec?.selector) : fromLabelSelector((object as { spec?: { selector?: V1LabelSelector } }).spec?.selector);
  if (!selector) throw new InputError(`finding the targets: ${where} has no pod selector`, [{ key: KEYS.targetWorkload, message: `names ${where}, which selects no pods (it has no selector)` }]);
  return selector;
}

async function readWorkload(kube: KubeProvider, namespace: string, workload: { kind: WorkloadKind; name: string }, where: string): Promise<unknown> {
  const { core, apps, batch } = kube.clients();
  const request = { name: workload.name, namespace };
  const read: Record<WorkloadKind, () => Promise<unknown>> = {
    deployment: () => apps.readNamespacedDeployment(request),
    statefulset: () => apps.readNamespacedStatefulSet(request),
    daemonset: () => apps.readNamespacedDaemonSet(request),
    replicaset: () => apps.readNamespacedReplicaSet(request),
    job: () => batch.readNamespacedJob(request),
    service: () => core.readNamespacedService(request),
  };
  try {
    return await read[workload.kind]();
  } catch (error) {
    const { code, message } = describeKubeError(error);
    if (code === 404) throw new InputError(`finding the targets: ${where} not found`, [{ key: KEYS.targetWorkload, message: `names ${where}, which does not exist` }]);
    const hint = code === 403 ? ` (the service account needs ${workload.kind === 'service' ? 'services' : `${workload.kind}s`} get at the cluster scope: deploy/rbac/job-collector.yaml)` : '';
    throw new UpstreamError(`finding the targets: reading ${where}: ${message}${hint}`);
  }
}

/** A LabelSelector in the string syntax: matchLabels as k=v, then matchExpressions (In, NotIn, Exists, DoesNotExist). */
export function fromLabelSelector(selector: V1LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = `(${(e.values ?? []).join(',')})`;
    if (e.operator === 'In') parts.push(`${e.key} in ${values}`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin ${values}`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length > 0 ? parts.join(',') : undefined;
}

function fromMap(labels: Record<string, string> | undefined): string | undefined {
  const parts = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : undefined;
}
