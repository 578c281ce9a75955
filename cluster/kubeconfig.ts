/** Kubeconfig files for the control plane's users, with the credentials embedded so a file stands on its own. */
import fs from 'node:fs';

export type Credentials = { cert: string; key: string } | { token: string };

export interface KubeconfigOptions {
  server: string;
  /** Path of the CA certificate that signs the API server's certificate. */
  ca: string;
  user: string;
  /** Paths of a client certificate and key, or a bearer token. */
  credentials: Credentials;
  namespace?: string;
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  const data = (file: string) => fs.readFileSync(file).toString('base64');
  const user =
    'token' in options.credentials
      ? { token: options.credentials.token }
      : { 'client-certificate-data': data(options.credentials.cert), 'client-key-data': data(options.credentials.key) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'go-profiler', cluster: { server: options.server, 'certificate-authority-data': data(options.ca) } }],
    users: [{ name: options.user, user }],
    contexts: [{ name: options.user, context: { cluster: 'go-profiler', user: options.user, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': options.user,
  };
  // JSON is YAML: every kubeconfig reader takes it.
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function writeKubeconfig(file: string, options: KubeconfigOptions): string {
  fs.writeFileSync(file, renderKubeconfig(options), { mode: 0o600 });
  return file;
}
