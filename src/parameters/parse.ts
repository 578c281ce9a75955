import { ErrorDetail, InputError } from '../errors';
import { Collector, podPlaceholderUrl, readCollector } from './collector';
import type { DiffBase } from './diff-base';
import { PPROF_ENDPOINT, ProfileType, profileTypeFromName } from './profile-types';
import { RequestContext } from './request-context';
import { CONTEXT_KEYS, KEYS } from './schema';
import { schemaProblems } from './schema-errors';

/** What the rest of the service works from, once the request is known to be good. */
export interface ProfileRequest extends CommonParameters {
  /** For a pod target (job or proxy collector), a placeholder naming the pod: see podPlaceholderUrl. */
  source: URL;
  /** Where the profile is fetched from: source plus /debug/pprof/<type> and, for CPU, ?seconds=N. */
  profileUrl: URL;
  collector: Collector;
  context: RequestContext;
}

export interface ParseLimits {
  defaultExpirationSeconds: number;
  maxExpirationSeconds: number;
  /** Where collector Jobs run (JOB_NAMESPACE); a Job can only mount a Secret from there. Default `default`. */
  jobNamespace?: string;
  /** MAX_TARGET_PODS: the most targets one request may profile (target.max_pods, sources). Default 20. */
  maxTargetPods?: number;
}

const DEFAULT_DURATION_SECONDS = 30;
const MAX_DURATION_SECONDS = 3600;

export function parseRequest(body: unknown, limits: ParseLimits): ProfileRequest {
  const params = requestObject(body);
  const { collector, context } = readTarget(params);

  const problems: ErrorDetail[] = [];
  const pod = 'pod' in collector ? collector.pod : undefined;
  const source = pod ? podPlaceholderUrl(pod) : parseUrl(String(params[KEYS.source]));
  const common = readCommon(params, limits, collector.kind, problems);
  const https = source.protocol === 'https:';
  // A pod target's scheme follows from the Secret (podPlaceholderUrl), so these two hold for it by construction.
  if (https && !common.secret) {
    problems.push({ key: KEYS.secretName, message: 'is required for an https source (its token authenticates us)' });
  }
  if (!https && common.secret) {
    problems.push({
      key: KEYS.secretName,
      message: `is refused for a ${source.protocol.replace(':', '')} source: a token is never sent in clear text`,
    });
  }
  if (source.username || source.password) {
    problems.push({ key: KEYS.source, message: 'must not carry credentials; use a Secret reference' });
  }
  if (problems.length > 0) throw new InputError('invalid request parameters', problems);
  return { ...common, source, profileUrl: profileUrl(source, common.type, common.durationSeconds), collector, context };
}

/** What every request has, one target or many: type, duration, viewer lifetime and the Secret reference. */
export interface CommonParameters {
  type: ProfileType;
  durationSeconds: number;
  expirationSeconds: number;
  secret?: { name: string; namespace: string };
  /** diff_base / diff_base.source: what the capture is compared with (parameters/diff-base.ts). */
  diff?: DiffBase;
  /** async: answer at once; the viewer shows the capture's progress. */
  async: boolean;
}

export function requestObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('invalid request: the body must be a JSON object', [{ message: 'expected a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

/** Reads the common keys (the schema has checked their shapes), adding a detail per rule broken to problems. */
export function readCommon(params: Record<string, unknown>, limits: ParseLimits, collector: string, problems: ErrorDetail[]): CommonParameters {
  const type = profileTypeFromName(String(params[KEYS.type])) as ProfileType;
  const durationSeconds = integer(params[KEYS.durationSeconds]) ?? DEFAULT_DURATION_SECONDS;
  if (durationSeconds > MAX_DURATION_SECONDS) {
    problems.push({ key: KEYS.durationSeconds, message: `must be at most ${MAX_DURATION_SECONDS} seconds` });
  }
  const requested = integer(params[KEYS.expirationSeconds]) ?? limits.defaultExpirationSeconds;
  const expirationSeconds = Math.min(requested, limits.maxExpirationSeconds);

  const secretName = params[KEYS.secretName] as string | undefined;
  const secretNamespace = params[KEYS.secretNamespace] as string | undefined;
  const jobNamespace = limits.jobNamespace ?? 'default';
  if (secretNamespace !== undefined && secretName === undefined) {
    problems.push({ key: KEYS.secretName, message: 'is required when a secret namespace is given' });
  }
  if (collector === 'job' && secretName !== undefined && secretNamespace !== undefined && secretNamespace !== jobNamespace) {
    problems.push({
      key: KEYS.secretNamespace,
      message: `is ${secretNamespace}, but the collector Job runs in ${jobNamespace} (JOB_NAMESPACE) and a pod can only mount a Secret of its own namespace: copy the Secret into ${jobNamespace}`,
    });
  }
  const secret = secretName ? { name: secretName, namespace: secretNamespace ?? (collector === 'job' ? jobNamespace : 'default') } : undefined;
  const async = String(params[KEYS.async] ?? 'false').trim().toLowerCase() === 'true';
  return { type, durationSeconds, expirationSeconds, secret, async };
}

/**
 * Schema errors and the collector's own rules (which keys it needs and refuses), reported together; the context
 * names the pod or node profiled when the executor did not.
 */
function readTarget(params: Record<string, unknown>): { collector: Collector; context: RequestContext } {
  const shapeProblems = schemaProblems(params);
  const context = readContext(params);
  const collectorKnown = !shapeProblems.some((p) => p.key === KEYS.collector);
  const read = collectorKnown ? readCollector({ params, executor: context, hasSecret: params[KEYS.secretName] !== undefined }) : { problems: [] };
  const problems = [...shapeProblems, ...read.problems.filter((p) => !shapeProblems.some((s) => s.key === p.key))];
  if (problems.length > 0 || !read.collector) throw new InputError('invalid request parameters', problems);
  const { collector } = read;
  if ('pod' in collector) return { collector, context: { ...context, podNamespace: collector.pod.namespace, podName: collector.pod.name } };
  if ('node' in collector) return { collector, context: { ...context, node: collector.node } };
  return { collector, context };
}

/** Appends /debug/pprof/<type> unless the URL already points into /debug/pprof/. */
export function profileUrl(source: URL, type: ProfileType, durationSeconds: number): URL {
  const url = new URL(source.href);
  if (!url.pathname.includes('/debug/pprof/')) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/debug/pprof/${PPROF_ENDPOINT[type]}`;
  }
  // Go's handler reads ?seconds=; KubeDiag's ?timeout=30s is ignored by the runtime.
  if (type === 'Profile' && !url.searchParams.has('seconds')) url.searchParams.set('seconds', String(durationSeconds));
  return url;
}

export function parseUrl(text: string, key: string = KEYS.source): URL {
  try {
    return new URL(text.trim());
  } catch {
    throw new InputError('invalid request parameters', [{ key, message: `is not a valid URL: ${JSON.stringify(text.slice(0, 80))}` }]);
  }
}

function integer(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? value : Number(String(value).trim());
}

export function readContext(params: Record<string, unknown>): RequestContext {
  const read = (key: (typeof CONTEXT_KEYS)[number]) => {
    const value = params[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
  };
  return {
    diagnosisNamespace: read('diagnosis.namespace'),
    diagnosisName: read('diagnosis.name'),
    podNamespace: read('pod.namespace'),
    podName: read('pod.name'),
    container: read('container'),
    node: read('node'),
  };
}

