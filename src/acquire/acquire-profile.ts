import { UpstreamError } from '../errors';
import { ProfileRequest } from '../parameters/parse';
import { AddressPolicy } from './address-policy';
import { fetchProfile } from './fetch-profile';
import type { JobCollector } from './job/job-collector';
import { KubeProvider } from './kube/clients';
import { fetchThroughPodProxy } from './pod-proxy';
import { readCredentials } from './secret-credentials';

export interface AcquireOptions {
  kube: KubeProvider;
  fetchTimeoutSeconds: number;
  maxProfileBytes: number;
  policy: AddressPolicy;
  secretNamespaces: string[];
  /** The node Job path; without it, collector=job is refused. */
  jobs?: JobCollector;
  /** Aborted when the caller hangs up: the fetch, the proxy stream or this caller's share of a Job ends. */
  signal?: AbortSignal;
  /** The body's chunks as they arrive, when it is fetched over HTTP(S) or the pod proxy (not from a Job). */
  onBody?: (chunk: Buffer) => void;
}

export interface AcquiredProfile {
  bytes: Buffer;
  contentType: string;
  /** What was fetched: the source, the API server's proxy path, or the URL the Job fetched on its node. */
  url: URL;
}

/** Obtains the raw profile bytes the way the request's collector says; the answer is the same from all three. */
export async function acquireProfile(request: ProfileRequest, options: AcquireOptions): Promise<AcquiredProfile> {
  if (request.type !== 'GoroutineLeak') return acquireAnyType(request, options);
  return acquireAnyType(request, options).catch((error: unknown) => {
    if (error instanceof UpstreamError && / 404 /.test(error.message)) throw new UpstreamError(`${error.message}${GOROUTINE_LEAK_HINT}`, error.details);
    throw error;
  });
}

/** Go's handler answers 404 "Unknown profile" for a profile the runtime does not have. */
const GOROUTINE_LEAK_HINT =
  ': the program does not serve the goroutineleak profile; Go 1.26 serves it only when the program is built with GOEXPERIMENT=goroutineleakprofile, Go 1.27 and later always';

async function acquireAnyType(request: ProfileRequest, options: AcquireOptions): Promise<AcquiredProfile> {
  // A CPU profile takes duration_seconds to produce before the first byte comes back.
  const timeoutMs = (options.fetchTimeoutSeconds + (request.type === 'Profile' ? request.durationSeconds : 0)) * 1000;
  const { collector } = request;
  if (collector.kind === 'job') {
    if (!options.jobs) throw new UpstreamError('the job collector is not available in this service');
    return options.jobs.collect(request, { policy: options.policy, secretNamespaces: options.secretNamespaces }, options.signal);
  }
  if (collector.kind === 'proxy') {
    return fetchThroughPodProxy(request, collector.pod, { kube: options.kube, timeoutMs, maxBytes: options.maxProfileBytes, signal: options.signal, onBody: options.onBody });
  }
  return fetchOverHttp(request, options, timeoutMs);
}

/** The http collector: the service fetches the source itself, with the Secret's token and CA when one is named. */
async function fetchOverHttp(request: ProfileRequest, options: AcquireOptions, timeoutMs: number): Promise<AcquiredProfile> {
  const credentials = request.secret ? await readCredentials(options.kube, request.secret, options.secretNamespaces) : undefined;
  return fetchProfile(request.profileUrl, {
    token: credentials?.token,
    ca: credentials?.ca,
    timeoutMs,
    maxBytes: options.maxProfileBytes,
    policy: options.policy,
    signal: options.signal,
    onBody: options.onBody,
  });
}
