import { UpstreamError } from '../errors';
import { PodTarget } from '../parameters/collector';
import { ProfileRequest } from '../parameters/parse';
import type { AcquiredProfile } from './acquire-profile';
import { fetchProfile } from './fetch-profile';
import { KubeProvider } from './kube/clients';
import { locateTargetPod } from './target-pod';

export interface ProxyOptions {
  kube: KubeProvider;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
  onBody?: (chunk: Buffer) => void;
}

/**
 * Fetches /debug/pprof/<type> through the API server's pod proxy
 * (GET /api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/debug/pprof/<type>) with the service's own credentials:
 * for pods whose network is closed to the service but open to the control plane. The generated client's
 * connectGetNamespacedPodProxyWithPath decodes the body as text, which breaks a gzipped profile, so this is a raw
 * HTTPS GET with the same TLS and credentials.
 */
export async function fetchThroughPodProxy(request: ProfileRequest, pod: PodTarget, options: ProxyOptions): Promise<AcquiredProfile> {
  // The lookup makes "not found" and "not running" say so, rather than the proxy's generic 503.
  await locateTargetPod(options.kube, pod);
  const access = await options.kube.clients().apiServer();
  const url = podProxyUrl(access.server, pod, request.profileUrl);
  try {
    return await fetchProfile(url, {
      token: access.token,
      ca: access.ca,
      cert: access.cert,
      key: access.key,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      signal: options.signal,
      onBody: options.onBody,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const message = (error as Error).message;
    // A 403 from the API server here is RBAC, not the target: say which permission.
    const hint = / answered 403\b/.test(message) ? ' (the service account needs pods/proxy get: deploy/rbac/pods-proxy.yaml)' : '';
    throw new UpstreamError(`through the API server proxy: ${message}${hint}`);
  }
}

/** The API server path that proxies to <pod>:<port>, keeping a path prefix of the server URL (e.g. a Rancher proxy). */
export function podProxyUrl(server: URL, pod: PodTarget, profileUrl: URL): URL {
  const url = new URL(server.href);
  const base = url.pathname.replace(/\/+$/, '');
  // <name>:<port> as kubectl writes it; both are DNS-safe, so nothing needs escaping.
  url.pathname = `${base}/api/v1/namespaces/${pod.namespace}/pods/${pod.name}:${pod.port}/proxy${profileUrl.pathname}`;
  url.search = profileUrl.search;
  return url;
}
