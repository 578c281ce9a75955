import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type https from 'node:https';
import type { BatchV1Api, CoreV1Api, Watch } from '@kubernetes/client-node';
import { UpstreamError } from '../../errors';
import { loadClientNode } from './client-node';

/** The Kubernetes clients the service uses; tests hand in clients pointed at a stand-in. */
export interface KubeClients {
  core: CoreV1Api;
  batch: BatchV1Api;
  /** ?watch=true streams; it sets no deadline of its own, so callers abort it. */
  watch: Watch;
  /** The API server's URL and our TLS and credentials, for a raw request whose binary body the generated client would decode as text. */
  apiServer(): Promise<ApiServerAccess>;
  /** Where the configuration came from, for logs: a kubeconfig path or "in-cluster". */
  origin: string;
}

export interface ApiServerAccess {
  server: URL;
  ca?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
}

/** Gives the clients when a cluster is configured, and otherwise a clear error at the moment one is needed. */
export interface KubeProvider {
  readonly configured: boolean;
  clients(): KubeClients;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Mirrors KubeConfig.loadFromDefault's search order (KUBECONFIG, ~/.kube/config, in-cluster) but says "none"
 * instead of its silent fallback to http://localhost:8080.
 */
export function kubeProviderFromEnvironment(env: NodeJS.ProcessEnv = process.env): KubeProvider {
  const origin = findConfiguration(env);
  if (origin === undefined) return noCluster();
  return providerFrom(origin, (kc) => (origin === 'in-cluster' ? kc.loadFromCluster() : kc.loadFromDefault()));
}

/** Clients from one kubeconfig file. */
export function kubeProviderFromFile(file: string): KubeProvider {
  return providerFrom(file, (kc) => kc.loadFromFile(file));
}

function providerFrom(origin: string, load: (kc: InstanceType<ReturnType<typeof loadClientNode>['KubeConfig']>) => void): KubeProvider {
  const k8s = loadClientNode();
  const kc = new k8s.KubeConfig();
  load(kc);
  const clients: KubeClients = {
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    watch: new k8s.Watch(kc),
    apiServer: () => apiServerAccess(kc),
    origin,
  };
  return { configured: true, clients: () => clients };
}

async function apiServerAccess(kc: InstanceType<ReturnType<typeof loadClientNode>['KubeConfig']>): Promise<ApiServerAccess> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new UpstreamError('the Kubernetes configuration has no current cluster');
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const authorization = String((options.headers as Record<string, unknown> | undefined)?.Authorization ?? '');
  return {
    server: new URL(server),
    ca: options.ca === undefined ? undefined : String(options.ca),
    cert: options.cert as string | Buffer | undefined,
    key: options.key as string | Buffer | undefined,
    token: /^Bearer (.+)$/.exec(authorization)?.[1],
  };
}

function findConfiguration(env: NodeJS.ProcessEnv): string | undefined {
  const kubeconfig = env.KUBECONFIG?.split(path.delimiter).find((file) => file !== '');
  if (kubeconfig) return kubeconfig;
  const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return home;
  if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(SERVICE_ACCOUNT_TOKEN)) return 'in-cluster';
  return undefined;
}

function noCluster(): KubeProvider {
  return {
    configured: false,
    clients() {
      throw new UpstreamError(
        'no Kubernetes cluster is configured (no KUBECONFIG, no ~/.kube/config, not running in a pod): ' +
          'this request needs the Kubernetes API',
      );
    },
  };
}

/** A short reason from a client-node ApiException (code + Status message), never its headers. */
export function describeKubeError(error: unknown): { code?: number; message: string } {
  const e = error as { code?: unknown; body?: unknown; message?: string };
  const code = typeof e.code === 'number' ? e.code : undefined;
  let status: { message?: string; reason?: string } | undefined;
  if (typeof e.body === 'string') {
    try {
      status = JSON.parse(e.body);
    } catch {
      status = undefined;
    }
  } else if (e.body && typeof e.body === 'object') {
    status = e.body as typeof status;
  }
  if (code !== undefined) return { code, message: status?.message ?? `the API server answered ${code}` };
  return { message: (e.message ?? String(error)).split('\n')[0] };
}
