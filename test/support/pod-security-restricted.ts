/**
 * The Pod Security Standards' `restricted` profile (Kubernetes 1.27; it
 * includes `baseline`), checked over a pod spec the way the PodSecurity
 * admission plugin checks it: each rule that a spec breaks becomes one line
 * naming the rule, as in the admission warning "violates PodSecurity
 * restricted:latest: hostNetwork (...), allowPrivilegeEscalation != false (...)".
 */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range']);

interface Container {
  name: string;
  ports?: Array<{ hostPort?: number }>;
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
    procMount?: string;
  };
}

export function restrictedViolations(spec: any): string[] {
  const containers: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const pod = spec.securityContext ?? {};
  const violations: string[] = [];
  const rule = (broken: boolean, text: string) => broken && violations.push(text);

  rule(spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true, 'host namespaces');
  rule(containers.some((c) => c.securityContext?.privileged === true), 'privileged');
  rule(containers.some((c) => (c.ports ?? []).some((p) => p.hostPort)), 'hostPort');
  rule((spec.volumes ?? []).some((v: object) => 'hostPath' in v), 'hostPath volumes');
  rule((spec.volumes ?? []).some((v: object) => !Object.keys(v).some((k) => RESTRICTED_VOLUMES.has(k))), 'restricted volume types');
  rule((pod.sysctls ?? []).some((s: { name: string }) => !SAFE_SYSCTLS.has(s.name)), 'forbidden sysctls');
  rule(containers.some((c) => c.securityContext?.procMount && c.securityContext.procMount !== 'Default'), 'procMount');
  rule(containers.some((c) => c.securityContext?.allowPrivilegeEscalation !== false), 'allowPrivilegeEscalation != false');
  rule(
    containers.some((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL')) ||
      containers.some((c) => (c.securityContext?.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')),
    'unrestricted capabilities',
  );
  rule(
    containers.some((c) => (c.securityContext?.runAsNonRoot ?? pod.runAsNonRoot) !== true),
    'runAsNonRoot != true',
  );
  rule(pod.runAsUser === 0 || containers.some((c) => c.securityContext?.runAsUser === 0), 'runAsUser=0');
  const seccomp = (c: Container) => c.securityContext?.seccompProfile?.type ?? pod.seccompProfile?.type;
  rule(containers.some((c) => !['RuntimeDefault', 'Localhost'].includes(seccomp(c))), 'seccompProfile');
  return violations;
}
