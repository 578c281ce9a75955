import Ajv, { type ErrorObject } from 'ajv';
import { ErrorDetail, InputError } from '../errors';
import { Collector, podPlaceholderUrl, readCollector } from './collector';
import { PPROF_ENDPOINT, ProfileType, profileTypeFromName } from './profile-types';
import { RequestContext } from './request-context';
import { CONTEXT_KEYS, KEYS, requestSchema } from './schema';

/** What the rest of the service works from, once the request is known to be good. */
export interface ProfileRequest {
  /** For a pod target (job or proxy collector), a placeholder naming the pod: see podPlaceholderUrl. */
  source: URL;
  /** Where the profile is fetched from: source plus /debug/pprof/<type> and, for CPU, ?seconds=N. */
  profileUrl: URL;
  type: ProfileType;
  durationSeconds: number;
  expirationSeconds: number;
  secret?: { name: string; namespace: string };
  collector: Collector;
  context: RequestContext;
}

export interface ParseLimits {
  defaultExpirationSeconds: number;
  maxExpirationSeconds: number;
  /** Where collector Jobs run (JOB_NAMESPACE); a Job can only mount a Secret from there. Default `default`. */
  jobNamespace?: string;
}

const DEFAULT_DURATION_SECONDS = 30;
const MAX_DURATION_SECONDS = 3600;

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validate = ajv.compile(requestSchema);

export function parseRequest(body: unknown, limits: ParseLimits): ProfileRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('invalid request: the body must be a JSON object', [{ message: 'expected a JSON object' }]);
  }
  const params = body as Record<string, unknown>;
  const { collector, context } = readTarget(params);

  const problems: ErrorDetail[] = [];
  const type = profileTypeFromName(String(params[KEYS.type])) as ProfileType;
  const pod = 'pod' in collector ? collector.pod : undefined;
  const source = pod ? podPlaceholderUrl(pod) : parseUrl(String(params[KEYS.source]));
  const durationSeconds = integer(params[KEYS.durationSeconds]) ?? DEFAULT_DURATION_SECONDS;
  if (durationSeconds > MAX_DURATION_SECONDS) {
    problems.push({ key: KEYS.durationSeconds, message: `must be at most ${MAX_DURATION_SECONDS} seconds` });
  }
  const requested = integer(params[KEYS.expirationSeconds]) ?? limits.defaultExpirationSeconds;
  const expirationSeconds = Math.min(requested, limits.maxExpirationSeconds);

  const secretName = params[KEYS.secretName] as string | undefined;
  const secretNamespace = params[KEYS.secretNamespace] as string | undefined;
  const https = source.protocol === 'https:';
  const jobNamespace = limits.jobNamespace ?? 'default';
  if (secretNamespace !== undefined && secretName === undefined) {
    problems.push({ key: KEYS.secretName, message: 'is required when a secret namespace is given' });
  }
  if (collector.kind === 'job' && secretName !== undefined && secretNamespace !== undefined && secretNamespace !== jobNamespace) {
    problems.push({
      key: KEYS.secretNamespace,
      message: `is ${secretNamespace}, but the collector Job runs in ${jobNamespace} (JOB_NAMESPACE) and a pod can only mount a Secret of its own namespace: copy the Secret into ${jobNamespace}`,
    });
  }
  // A pod target's scheme follows from the Secret (podPlaceholderUrl), so these two hold for it by construction.
  if (https && secretName === undefined) {
    problems.push({ key: KEYS.secretName, message: 'is required for an https source (its token authenticates us)' });
  }
  if (!https && secretName !== undefined) {
    problems.push({
      key: KEYS.secretName,
      message: `is refused for a ${source.protocol.replace(':', '')} source: a token is never sent in clear text`,
    });
  }
  if (source.username || source.password) {
    problems.push({ key: KEYS.source, message: 'must not carry credentials; use a Secret reference' });
  }
  if (problems.length > 0) throw new InputError('invalid request parameters', problems);

  return {
    source,
    profileUrl: profileUrl(source, type, durationSeconds),
    type,
    durationSeconds,
    expirationSeconds,
    secret: secretName ? { name: secretName, namespace: secretNamespace ?? (collector.kind === 'job' ? jobNamespace : 'default') } : undefined,
    collector,
    context,
  };
}

/**
 * Schema errors and the collector's own rules (which keys it needs and refuses), reported together; the context
 * names the pod or node profiled when the executor did not.
 */
function readTarget(params: Record<string, unknown>): { collector: Collector; context: RequestContext } {
  const schemaProblems = validate(params) ? [] : describeErrors(validate.errors ?? []);
  const context = readContext(params);
  const collectorKnown = !schemaProblems.some((p) => p.key === KEYS.collector);
  const read = collectorKnown ? readCollector({ params, executor: context, hasSecret: params[KEYS.secretName] !== undefined }) : { problems: [] };
  const problems = [...schemaProblems, ...read.problems.filter((p) => !schemaProblems.some((s) => s.key === p.key))];
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

function parseUrl(text: string): URL {
  try {
    return new URL(text.trim());
  } catch {
    throw new InputError('invalid request parameters', [{ key: KEYS.source, message: `is not a valid URL: ${JSON.stringify(text.slice(0, 80))}` }]);
  }
}

function integer(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? value : Number(String(value).trim());
}

function readContext(params: Record<string, unknown>): RequestContext {
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

/** One detail per key, in words a person can act on; anyOf branches collapse into the property's description. */
function describeErrors(errors: ErrorObject[]): ErrorDetail[] {
  const byKey = new Map<string, ErrorDetail>();
  for (const error of errors) {
    if (error.keyword === 'required') {
      const key = String(error.params.missingProperty);
      byKey.set(key, { key, message: 'is required' });
      continue;
    }
    const key = decodePointer(error.instancePath);
    if (byKey.has(key)) continue;
    byKey.set(key, { key, message: explain(key, error) });
  }
  return [...byKey.values()];
}

function explain(key: string, error: ErrorObject): string {
  const expected = (requestSchema.properties as Record<string, { description: string }>)[key]?.description;
  const shown = JSON.stringify(error.data)?.slice(0, 80);
  switch (key) {
    case KEYS.durationSeconds:
    case KEYS.expirationSeconds:
      return `must be an integer >= 1, as a number or a string of digits; got ${shown}`;
    case KEYS.type:
      return `must be one of Profile, Heap, Goroutine, Allocs, Block, Mutex, Threadcreate; got ${shown}`;
    case KEYS.source:
      return `must be an http:// or https:// URL with a host; got ${shown}`;
    case KEYS.secretName:
    case KEYS.secretNamespace:
    case KEYS.jobPodName:
    case KEYS.jobNode:
      return `must be a Kubernetes object name (lower-case letters, digits, '-', '.'); got ${shown}`;
    case KEYS.jobPodNamespace:
      return `must be a namespace name (lower-case letters, digits, '-', at most 63); got ${shown}`;
    case KEYS.collector:
      return `must be one of http, job, proxy; got ${shown}`;
    case KEYS.jobPort:
      return `must be a port number from 1 to 65535; got ${shown}`;
    case KEYS.jobHostNetwork:
      return `must be true or false; got ${shown}`;
    default:
      return `${error.message ?? 'is invalid'}${expected ? ` (${expected})` : ''}`;
  }
}

function decodePointer(pointer: string): string {
  return pointer.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
}
