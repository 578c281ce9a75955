import type { V1Pod } from '@kubernetes/client-node';
import { RequestContext } from '../../parameters/request-context';
import { KubeProvider } from './clients';

/** The labels that name a workload, in the order the profiling operator reads them. */
const NAME_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app'];
const LOOKUP_TIMEOUT_MS = 3000;
/** k8s.io/apimachinery's rand alphanumerics: what generateName and pod-template-hash are made of. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

/**
 * The <service> of a stored profile's key: the pod's app.kubernetes.io/name, app or k8s-app label, else its
 * owner's name (a ReplicaSet's without its pod-template-hash: the Deployment's), else the pod's name without its
 * generated suffix; with no pod named, the source's host. The pod is read when one is named; when it cannot be
 * (no cluster, no RBAC, gone), its name alone decides.
 */
export async function serviceNameOf(kube: KubeProvider, context: RequestContext, sourceHost: string): Promise<string> {
  const { podNamespace: namespace, podName: name } = context;
  if (!namespace || !name) return sourceHost || 'unknown';
  const pod = await readPod(kube, namespace, name);
  return (pod && serviceOfPod(pod)) ?? withoutGeneratedSuffix(name);
}

export function serviceOfPod(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  for (const label of NAME_LABELS) if (labels[label]) return labels[label];
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner) return undefined;
  const hash = labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
  return owner.name;
}

/** checkout-7d4b9c8f6d-x2x9q -> checkout, web-0 -> web, agent-x2x9q -> agent. */
export function withoutGeneratedSuffix(pod: string): string {
  // Generated names use Kubernetes' safe alphabet (no vowels, no 0/1/3), so redis-cache keeps its name.
  const replicaSet = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`).exec(pod);
  if (replicaSet) return replicaSet[1];
  const ordinal = /^(.+)-\d+$/.exec(pod);
  if (ordinal) return ordinal[1];
  const generated = new RegExp(`^(.+)-${SAFE}{5}$`).exec(pod);
  return generated ? generated[1] : pod;
}

async function readPod(kube: KubeProvider, namespace: string, name: string): Promise<V1Pod | undefined> {
  if (!kube.configured) return undefined;
  try {
    const lookup = kube.clients().core.readNamespacedPod({ name, namespace });
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS).unref());
    return await Promise.race([lookup, timeout]);
  } catch {
    return undefined;
  }
}
