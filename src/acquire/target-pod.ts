import type { V1Pod } from '@kubernetes/client-node';
import { InputError, UpstreamError } from '../errors';
import { PodTarget } from '../parameters/collector';
import { ProfileRequest, profileUrl } from '../parameters/parse';
import { describeKubeError, KubeProvider } from './kube/clients';

/** Where a target pod runs, as the API server says. */
export interface LocatedPod {
  namespace: string;
  name: string;
  node: string;
  podIP: string;
}

/** Reads the target pod and checks it can be profiled: it exists, runs, has a node and an IP (and the container runs). */
export async function locateTargetPod(kube: KubeProvider, target: PodTarget): Promise<LocatedPod> {
  const where = `pod ${target.namespace}/${target.name}`;
  const pod = await readPod(kube, target, where);
  const phase = pod.status?.phase ?? 'Unknown';
  if (pod.metadata?.deletionTimestamp) throw new UpstreamError(`finding the target: ${where} is terminating`);
  if (phase !== 'Running') {
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
    const container = notRunning(pod, target.container);
    throw new UpstreamError(`finding the target: ${where} is ${phase}, not Running${why ? ` (${why})` : ''}${container ? `: ${container}` : ''}`);
  }
  const node = pod.spec?.nodeName;
  if (!node) throw new UpstreamError(`finding the target: ${where} has no node`);
  const podIP = pod.status?.podIP;
  if (!podIP) throw new UpstreamError(`finding the target: ${where} has no pod IP`);
  if (target.container) checkContainer(pod, target.container, where);
  return { namespace: target.namespace, name: target.name, node, podIP };
}

/** The URL the Job (on the pod's node) fetches: the request's profile path at the pod IP. */
export function podProfileUrl(request: ProfileRequest, target: PodTarget, podIP: string): URL {
  return profileUrl(podBaseUrl(target.scheme, podIP, target.port), request.type, request.durationSeconds);
}

/** http(s)://<pod IP>:<port>/, an IPv6 pod IP in brackets. */
export function podBaseUrl(scheme: string, podIP: string, port: number): URL {
  const host = podIP.includes(':') ? `[${podIP}]` : podIP;
  return new URL(`${scheme}://${host}:${port}/`);
}

async function readPod(kube: KubeProvider, target: PodTarget, where: string): Promise<V1Pod> {
  const { core } = kube.clients();
  try {
    return await core.readNamespacedPod({ name: target.name, namespace: target.namespace });
  } catch (error) {
    const { code, message } = describeKubeError(error);
    if (code === 404) throw new InputError(`finding the target: ${where} not found`, [{ key: target.nameKey, message: `names ${where}, which does not exist` }]);
    const hint = code === 403 ? ' (the service account needs pods get at the cluster scope: deploy/rbac/job-collector.yaml)' : '';
    throw new UpstreamError(`finding the target: reading ${where}: ${message}${hint}`);
  }
}

function checkContainer(pod: V1Pod, container: string, where: string): void {
  if (!pod.spec?.containers.some((c) => c.name === container)) {
    throw new InputError(`finding the target: ${where} has no container ${container}`, [{ key: 'container', message: `names no container of ${where}` }]);
  }
  const state = pod.status?.containerStatuses?.find((s) => s.name === container)?.state;
  if (!state?.running) {
    const waiting = state?.waiting?.reason ?? state?.terminated?.reason;
    throw new UpstreamError(`finding the target: container ${container} of ${where} is not running${waiting ? ` (${waiting})` : ''}`);
  }
}

/** Why the container (the one named, else the first that does not run) is not running: its waiting or exit reason. */
function notRunning(pod: V1Pod, container?: string): string | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  const status = container ? statuses.find((s) => s.name === container) : statuses.find((s) => !s.state?.running);
  const state = status?.state;
  if (!status || state?.running) return undefined;
  const reason = state?.waiting?.reason ?? state?.terminated?.reason;
  return reason ? `container ${status.name} is not running (${reason})` : undefined;
}
