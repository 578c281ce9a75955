import type { V1Pod } from '@kubernetes/client-node';
import { InputError, UpstreamError } from '../../errors';
import { PodGroup } from '../../parameters/targets';
import { describeKubeError, KubeProvider } from '../kube/clients';

/** A pod to profile, as the API server lists it. */
export interface ListedPod {
  namespace: string;
  name: string;
  node: string;
  podIP: string;
  /** The container serving the port (else the pod's first): the `container` label. */
  container: string;
}

export interface PodSelection {
  pods: ListedPod[];
  /** What the selector matched, Running or not, and how many were Running. */
  matched: number;
  running: number;
}

/** The Running pods the selector matches, by name, at most group.maxPods; none is a 400 naming the group's key. */
export async function listTargetPods(kube: KubeProvider, group: PodGroup, selector: string): Promise<PodSelection> {
  const where = `namespace ${group.namespace}`;
  let items: V1Pod[];
  try {
    items = (await kube.clients().core.listNamespacedPod({ namespace: group.namespace, labelSelector: selector })).items;
  } catch (error) {
    const { code, message } = describeKubeError(error);
    if (code === 400) throw new InputError(`finding the targets: ${message}`, [{ key: group.matchKey, message: `is refused by the API server: ${message}` }]);
    const hint = code === 403 ? ' (the service account needs pods list at the cluster scope: deploy/rbac/job-collector.yaml)' : '';
    throw new UpstreamError(`finding the targets: listing pods ${selector} in ${where}: ${message}${hint}`);
  }
  const running = items.filter(isProfilable).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (running.length === 0) {
    const phases = countPhases(items);
    const message = items.length === 0 ? `matches no pod in ${where} (selector ${selector})` : `matches ${items.length} pods in ${where}, none Running with a pod IP (${phases})`;
    throw new InputError(`finding the targets: ${group.matchKey.split('.').slice(-2).join('.')} ${message}`, [{ key: group.matchKey, message }]);
  }
  return { pods: running.slice(0, group.maxPods).map((pod) => listed(pod, group.port)), matched: items.length, running: running.length };
}

function isProfilable(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && Boolean(pod.status?.podIP) && Boolean(pod.spec?.nodeName);
}

function listed(pod: V1Pod, port: number): ListedPod {
  const containers = pod.spec?.containers ?? [];
  const serving = containers.find((c) => c.ports?.some((p) => p.containerPort === port)) ?? containers[0];
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName ?? '',
    podIP: pod.status?.podIP ?? '',
    container: serving?.name ?? '',
  };
}

function countPhases(pods: V1Pod[]): string {
  const counts = new Map<string, number>();
  for (const pod of pods) {
    const phase = pod.metadata?.deletionTimestamp ? 'Terminating' : pod.status?.phase ?? 'Unknown';
    counts.set(phase, (counts.get(phase) ?? 0) + 1);
  }
  return [...counts].map(([phase, n]) => `${phase}: ${n}`).join(', ');
}
