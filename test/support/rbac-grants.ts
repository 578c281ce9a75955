import type { KubeObject } from './kustomize';

/** What the service may do at the cluster scope: find a target pod, and for many targets list pods and read the workload. */
export const CLUSTER_GRANTS = [
  'cluster: "" pods get',
  'cluster: "" pods list',
  'cluster: "" services get',
  'cluster: "apps" daemonsets get',
  'cluster: "apps" deployments get',
  'cluster: "apps" replicasets get',
  'cluster: "apps" statefulsets get',
  'cluster: "batch" jobs get',
];

/**
 * What a service account may do, resolved from rendered RBAC objects: one line per (scope, group, resource, verb),
 * e.g. `cluster: "" secrets get` or `kubediag: batch jobs create`, sorted. Wildcards and resourceNames are kept as
 * written, so a test comparing the lines sees them.
 */
export function grantsOf(objects: KubeObject[], account: { namespace: string; name: string }): string[] {
  const grants = new Set<string>();
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const subjects = (binding.subjects ?? []) as Array<{ kind: string; name: string; namespace?: string }>;
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace)) continue;
    const scope = binding.kind === 'ClusterRoleBinding' ? 'cluster' : String(binding.metadata.namespace);
    const ref = binding.roleRef as { kind: string; name: string };
    const role = objects.find(
      (o) => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace),
    );
    if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to a missing ${ref.kind} ${ref.name}`);
    for (const rule of (role.rules ?? []) as Array<Record<string, string[] | undefined>>) {
      const names = rule.resourceNames?.length ? ` [${rule.resourceNames.join(',')}]` : '';
      for (const group of rule.apiGroups ?? ['(none)'])
        for (const resource of rule.resources ?? rule.nonResourceURLs ?? [])
          for (const verb of rule.verbs ?? []) grants.add(`${scope}: ${JSON.stringify(group)} ${resource} ${verb}${names}`);
    }
  }
  return [...grants].sort();
}
