import fs from 'node:fs';
import path from 'node:path';
import type https from 'node:https';
import type { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { UpstreamError } from '../../errors';
import type { Logger } from '../../log';
import { loadClientNode } from './client-node';
import { KubeconfigSearch, kubeconfigSearch, readKubeconfigFiles } from './kubeconfig-files';

/** The Kubernetes clients the service uses; tests hand in clients pointed at a stand-in. */
export interface KubeClients {
  core: CoreV1Api;
  batch: BatchV1Api;
  /** Workloads, for the selector of target.workload. */
  apps: AppsV1Api;
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
  /** The current context's namespace, when it names one (kubectl's default for -n). */
  readonly namespace?: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeEnvironment {
  env?: NodeJS.ProcessEnv;
  /** Each KUBECONFIG file skipped because it does not exist gets one warn line. */
  log?: Pick<Logger, 'info' | 'warn'>;
  /** Prefix of the service account's folder (/var/run/secrets/...); tests point it elsewhere. */
  serviceAccountRoot?: string;
  /** kubectl's --context: this context of the kubeconfig files instead of their current-context. */
  context?: string;
}

/**
 * client-go's order (kubeconfig-files.ts says how the files are read): the kubeconfig files (KUBECONFIG's list, else
 * ~/.kube/config) when they give a current context; otherwise the in-cluster config when it is possible; otherwise
 * "none", where client-node's loadFromDefault would silently use http://localhost:8080. A file that exists but is
 * not a kubeconfig throws, naming it: the service does not start.
 */
export function kubeProviderFromEnvironment(options: KubeEnvironment = {}): KubeProvider {
  const { env = process.env, log, serviceAccountRoot = '' } = options;
  const search = kubeconfigSearch(env);
  const files = readKubeconfigFiles(search);
  if (search.variable === 'KUBECONFIG') {
    for (const file of files.missing) log?.warn({ file }, `KUBECONFIG: ${file} does not exist; skipped, as kubectl skips it`);
  }
  const origin = files.read.join(path.delimiter);
  if (options.context !== undefined) {
    if (!files.config.getContextObject(options.context)) throw new Error(`context "${options.context}" is not defined in ${origin || noFileReason(search)}`);
    files.config.setCurrentContext(options.context);
  }
  if (files.config.getCurrentContext()) {
    checkCurrentContext(search.variable, origin, files.config);
    log?.info({ kubeconfig: origin }, 'Kubernetes configuration from kubeconfig files');
    return providerFrom(origin, files.config);
  }
  // client-go: no current context is an empty config (ErrEmptyConfig), which gives way to in-cluster.
  if (files.read.length > 0) log?.warn({ kubeconfig: origin }, `${search.variable}: no current-context in ${origin}; ignored, as kubectl ignores a config without one`);
  if (inClusterPossible(env, serviceAccountRoot)) {
    const kc = new (loadClientNode().KubeConfig)();
    kc.loadFromCluster(serviceAccountRoot);
    log?.info('Kubernetes configuration from the in-cluster service account');
    return providerFrom('in-cluster', kc);
  }
  return noCluster(files.read.length > 0 ? `no current-context in ${origin}` : noFileReason(search));
}

/** Clients from one kubeconfig file. */
export function kubeProviderFromFile(file: string): KubeProvider {
  const kc = new (loadClientNode().KubeConfig)();
  kc.loadFromFile(file);
  return providerFrom(file, kc);
}

/** client-go fails on a current-context that names no context; a context without its cluster is refused too, clearly. */
function checkCurrentContext(variable: string, origin: string, kc: KubeConfig): void {
  const name = kc.getCurrentContext();
  const context = kc.getContextObject(name);
  if (!context) throw new Error(`${variable}: current-context "${name}" is not defined in ${origin}`);
  if (!kc.getCluster(context.cluster)) throw new Error(`${variable}: context "${name}" names cluster "${context.cluster}", which ${origin} does not define`);
}

/** client-go's inClusterClientConfig.Possible(). */
function inClusterPossible(env: NodeJS.ProcessEnv, root: string): boolean {
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) return false;
  try {
    return fs.statSync(`${root}${SERVICE_ACCOUNT_TOKEN}`).isFile();
  } catch {
    return false;
  }
}

function noFileReason(search: KubeconfigSearch): string {
  return search.variable === 'KUBECONFIG' ? 'none of the KUBECONFIG files exists' : 'no KUBECONFIG, no ~/.kube/config';
}

function providerFrom(origin: string, kc: KubeConfig): KubeProvider {
  const k8s = loadClientNode();
  const clients: KubeClients = {
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    watch: new k8s.Watch(kc),
    apiServer: () => apiServerAccess(kc),
    origin,
  };
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { configured: true, clients: () => clients, ...(namespace ? { namespace } : {}) };
}

async function apiServerAccess(kc: KubeConfig): Promise<ApiServerAccess> {
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

function noCluster(reason: string): KubeProvider {
  return {
    configured: false,
    clients() {
      throw new UpstreamError(
        `no Kubernetes cluster is configured (${reason}, not running in a pod): this request needs the Kubernetes API`,
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
