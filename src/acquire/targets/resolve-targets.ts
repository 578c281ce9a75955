import { PodTarget, podPlaceholderUrl } from '../../parameters/collector';
import { ProfileRequest, profileUrl } from '../../parameters/parse';
import { GroupRequest } from '../../parameters/parse-group';
import { describeGroup, PodGroup } from '../../parameters/targets';
import { KubeProvider } from '../kube/clients';
import { podBaseUrl } from '../target-pod';
import { ListedPod, listTargetPods } from './list-target-pods';
import { workloadSelector } from './workload-selector';

/** One target of a group: how answers name it, the labels its samples get, and the request that fetches it. */
export interface Target {
  name: string;
  labels: Record<string, string>;
  request: ProfileRequest;
}

export interface ResolvedTargets {
  targets: Target[];
  /** How the group read: `deployment/web in apps`, `app=web in apps`, `3 sources`. */
  description: string;
  /** For a pod group: pods the selector matched, and how many of them were Running. */
  pods?: { matched: number; running: number };
}

/** Turns sources, a selector or a workload into the list of targets, before anything is fetched. */
export async function resolveTargets(request: GroupRequest, kube: KubeProvider): Promise<ResolvedTargets> {
  const { group } = request;
  if (group.kind === 'sources') {
    const targets = group.sources.map((source) => ({
      name: source.href,
      labels: { source: source.href },
      request: { ...common(request), source, profileUrl: profileUrl(source, request.type, request.durationSeconds), collector: { kind: 'http' as const }, context: request.context },
    }));
    return { targets, description: describeGroup(group) };
  }
  const selector = group.workload ? await workloadSelector(kube, group.namespace, group.workload) : (group.selector as string);
  const selection = await listTargetPods(kube, group, selector);
  return {
    targets: selection.pods.map((pod) => podTarget(request, group, pod)),
    description: describeGroup(group),
    pods: { matched: selection.matched, running: selection.running },
  };
}

function podTarget(request: GroupRequest, group: PodGroup, pod: ListedPod): Target {
  const context = { ...request.context, podNamespace: pod.namespace, podName: pod.name, container: pod.container, node: pod.node };
  const labels = { pod: pod.name, namespace: pod.namespace, node: pod.node, container: pod.container };
  const name = `pod ${pod.namespace}/${pod.name}`;
  if (group.collector === 'http') {
    const source = podBaseUrl(group.scheme, pod.podIP, group.port);
    return { name, labels, request: { ...common(request), source, profileUrl: profileUrl(source, request.type, request.durationSeconds), collector: { kind: 'http' }, context } };
  }
  const target: PodTarget = { namespace: pod.namespace, name: pod.name, nameKey: group.matchKey, port: group.port, scheme: group.scheme };
  const source = podPlaceholderUrl(target);
  return {
    name,
    labels,
    request: { ...common(request), source, profileUrl: profileUrl(source, request.type, request.durationSeconds), collector: { kind: group.collector, pod: target }, context },
  };
}

function common(request: GroupRequest) {
  return { type: request.type, durationSeconds: request.durationSeconds, expirationSeconds: request.expirationSeconds, secret: request.secret, async: false };
}
