/**
 * A kubeconfig as `kubectl config view --raw` would print it for a
 * token-authenticated user: the cluster's CA inline as
 * certificate-authority-data, so the client verifies TLS for real
 * (no insecure-skip-tls-verify).
 */

export interface KubeconfigParams {
  server: string;
  caCert: string;
  /** null: a user entry with no credentials at all. */
  token: string | null;
  namespace: string;
}

export const KUBECONFIG_NAMES = {
  cluster: 'kube-api-stand-in',
  user: 'go-profiler-test',
  context: 'kube-api-stand-in',
} as const;

/** YAML text; scalars are written as JSON strings, which YAML reads as double-quoted scalars. */
export function renderKubeconfig(p: KubeconfigParams): string {
  const q = (s: string) => JSON.stringify(s);
  const n = KUBECONFIG_NAMES;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(n.cluster)}`,
    '  cluster:',
    `    server: ${q(p.server)}`,
    `    certificate-authority-data: ${q(Buffer.from(p.caCert).toString('base64'))}`,
    'users:',
    `- name: ${q(n.user)}`,
    p.token === null ? '  user: {}' : `  user:\n    token: ${q(p.token)}`,
    'contexts:',
    `- name: ${q(n.context)}`,
    '  context:',
    `    cluster: ${q(n.cluster)}`,
    `    user: ${q(n.user)}`,
    `    namespace: ${q(p.namespace)}`,
    `current-context: ${q(n.context)}`,
    '',
  ].join('\n');
}
