import { ErrorDetail } from '../errors';
import { COLLECTORS, KEYS } from './schema';

/** A pod whose /debug/pprof/ is fetched at its pod IP, by a Job on its node or through the API server. */
export interface PodTarget {
  namespace: string;
  name: string;
  /** The request key the name came from, for a 400 that names it. */
  nameKey: string;
  /** The executor's container key, when the pod came from the executor: it must exist and be running. */
  container?: string;
  port: number;
  /** https when a Secret is named (its token must never travel in clear text), else http. */
  scheme: 'http' | 'https';
}

/** How the profile is obtained; see KEYS.collector. */
export type Collector =
  | { kind: 'http' }
  | { kind: 'job' | 'proxy'; pod: PodTarget }
  /** The request's source, fetched from the node's own network namespace (localhost-bound components). */
  | { kind: 'job'; node: string };

type CollectorKind = (typeof COLLECTORS)[number];

export const DEFAULT_POD_PORT = 6060;

const JOB_KEYS = [KEYS.jobPodNamespace, KEYS.jobPodName, KEYS.jobPort, KEYS.jobNode, KEYS.jobHostNetwork] as const;

/** The raw values this reads: the schema has already checked their shapes. */
export interface CollectorInput {
  params: Record<string, unknown>;
  executor: { podNamespace?: string; podName?: string; container?: string; node?: string };
  hasSecret: boolean;
}

/**
 * Reads collector and job.* into a Collector, with one detail per key that does not fit the chosen collector.
 * Keys that a collector does not use are refused rather than ignored, so a request never silently profiles
 * something other than what it names.
 */
export function readCollector(input: CollectorInput): { collector?: Collector; problems: ErrorDetail[] } {
  const { params } = input;
  const kind = String(params[KEYS.collector] ?? 'http').trim().toLowerCase() as CollectorKind;
  const given = (key: string) => params[key] !== undefined;
  const hostNetwork = String(params[KEYS.jobHostNetwork] ?? 'false').trim().toLowerCase() === 'true';
  const problems: ErrorDetail[] = [];
  const refuse = (key: string, message: string) => given(key) && problems.push({ key, message });

  if (kind === 'http') {
    for (const key of JOB_KEYS) refuse(key, 'is only used by the job and proxy collectors (collector is http)');
    if (!given(KEYS.source)) problems.push({ key: KEYS.source, message: 'is required' });
    return { collector: { kind }, problems };
  }
  if (kind === 'job' && hostNetwork) {
    const node = stringValue(params[KEYS.jobNode]) ?? input.executor.node;
    if (!given(KEYS.source)) {
      problems.push({ key: KEYS.source, message: 'is required with job.host_network=true: the node-local URL to fetch, e.g. https://127.0.0.1:10259' });
    }
    if (!node) problems.push({ key: KEYS.jobNode, message: "is required with job.host_network=true (or the executor's node key)" });
    for (const key of [KEYS.jobPodNamespace, KEYS.jobPodName, KEYS.jobPort]) {
      refuse(key, 'is not used with job.host_network=true: the target is source, fetched on the node');
    }
    return { collector: node ? { kind, node } : undefined, problems };
  }

  refuse(
    KEYS.source,
    kind === 'proxy'
      ? 'is not used by the proxy collector: the API server proxies to the pod named by job.pod.* (or pod.*); leave it out'
      : 'is not used by the job collector with a pod target (the Job fetches the pod IP); set job.host_network=true for a node-local URL',
  );
  refuse(KEYS.jobNode, 'is only used with job.host_network=true: a pod target is profiled on its own node');
  if (kind === 'proxy') {
    refuse(KEYS.jobHostNetwork, 'is only used by the job collector');
    if (input.hasSecret) {
      problems.push({
        key: KEYS.secretName,
        message: PROXY_REFUSES_SECRET,
      });
    }
  }
  const pod = readPodTarget(input);
  if (!pod) problems.push({ key: KEYS.jobPodName, message: `is required by the ${kind} collector (or the executor's pod.name key)` });
  return { collector: pod ? { kind, pod } : undefined, problems };
}

export const PROXY_REFUSES_SECRET =
  "is refused by the proxy collector: the API server keeps the Authorization header for itself and does not verify the pod's certificate; use the job collector";

/** job.port, default 6060 (the schema has checked its shape). */
export function readPodPort(params: Record<string, unknown>): number {
  return params[KEYS.jobPort] === undefined ? DEFAULT_POD_PORT : Number(String(params[KEYS.jobPort]).trim());
}

/** job.pod.* when given, else the executor's pod (with its container). */
function readPodTarget({ params, executor, hasSecret }: CollectorInput): PodTarget | undefined {
  const port = readPodPort(params);
  const scheme = hasSecret ? 'https' : 'http';
  const name = stringValue(params[KEYS.jobPodName]);
  if (name) return { namespace: stringValue(params[KEYS.jobPodNamespace]) ?? 'default', name, nameKey: KEYS.jobPodName, port, scheme };
  if (!executor.podName) return undefined;
  const namespace = stringValue(params[KEYS.jobPodNamespace]) ?? executor.podNamespace ?? 'default';
  return { namespace, name: executor.podName, nameKey: 'pod.name', container: executor.container, port, scheme };
}

/**
 * The URL a pod target stands for before its pod IP is known: the `.invalid` top-level domain never resolves
 * (RFC 2606), so it can only name the pod in logs; acquisition puts the pod IP in its place.
 */
export function podPlaceholderUrl(pod: PodTarget): URL {
  return new URL(`${pod.scheme}://${pod.name}.${pod.namespace}.pod.invalid:${pod.port}/`);
}

export function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
