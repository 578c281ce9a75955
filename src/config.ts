import fs from 'node:fs';
import os from 'node:os';
import { DEFAULT_ALLOW, DEFAULT_DENY } from './acquire/address-policy';

/** Everything the service reads from its environment; README's configuration table lists the same names. */
export interface Config {
  port: number;
  advertiseAddress: string;
  viewerBindAddress: string;
  publicBaseUrl?: string;
  dataRoot: string;
  dataRetentionSeconds: number;
  /** Where profiles are kept: the local folder (DATA_ROOT, KubeDiag's layout) or an S3-compatible bucket. */
  storage: StorageConfig;
  /** GET /profiles and its page. */
  history: boolean;
  maxViewers: number;
  defaultExpirationSeconds: number;
  maxExpirationSeconds: number;
  maxProfileBytes: number;
  fetchTimeoutSeconds: number;
  decodeWorkers: number;
  shutdownGraceSeconds: number;
  logLevel: string;
  /** Address ranges fetches may and may not connect to (see acquire/address-policy.ts). */
  fetchAllow: string[];
  fetchDeny: string[];
  /** Namespaces whose Secrets may be read; ["*"] means any that RBAC allows. */
  secretNamespaces: string[];
  maxConcurrentFetches: number;
  maxQueuedFetches: number;
  /** The most targets one request profiles (target.max_pods is capped by it, sources may list no more). */
  maxTargetPods: number;
  /** The image collector Jobs run: the service's own, which carries dist/collect.js. */
  collectorImage?: string;
  jobNamespace: string;
  /** Added to a Job's fetch time for its activeDeadlineSeconds: scheduling, image pull, start. */
  jobDeadlineMarginSeconds: number;
  jobTtlSeconds: number;
  /** The largest profile a Job hands back through its log (framed in acquire/framing.ts, read in acquire/job/job-log.ts). */
  jobMaxProfileBytes: number;
}

export type StorageConfig =
  | { kind: 'local' }
  | {
      kind: 's3';
      bucket: string;
      /** Keys are <prefix>/<YYYY-MM-DD>/<service>/...; '' for none. */
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      /** Rounds of retries of an upload kept locally while the store was unavailable. */
      retryLimit: number;
      requestTimeoutSeconds: number;
    };

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  return {
    port: int(env, 'PORT', 8090, 0),
    advertiseAddress: env.ADVERTISE_ADDRESS || env.POD_IP || env.HOST_IP || firstExternalIPv4(),
    viewerBindAddress: env.VIEWER_BIND_ADDRESS || '0.0.0.0',
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, '') : undefined,
    dataRoot: env.DATA_ROOT || './data',
    dataRetentionSeconds: int(env, 'DATA_RETENTION_SECONDS', 7 * 24 * 3600, 0),
    storage: storageConfig(env),
    history: onOff(env, 'HISTORY', true),
    maxViewers: int(env, 'MAX_VIEWERS', 64, 1),
    defaultExpirationSeconds: 7200,
    // Node timers hold at most 2^31-1 ms.
    maxExpirationSeconds: int(env, 'MAX_EXPIRATION_SECONDS', 86400, 1, 2_147_483),
    maxProfileBytes: int(env, 'MAX_PROFILE_BYTES', 256 * 1024 * 1024, 1),
    fetchTimeoutSeconds: int(env, 'FETCH_TIMEOUT_SECONDS', 30, 1),
    decodeWorkers: int(env, 'DECODE_WORKERS', Math.max(1, Math.min(4, os.availableParallelism() - 1)), 1),
    shutdownGraceSeconds: int(env, 'SHUTDOWN_GRACE_SECONDS', 25, 0),
    logLevel: env.LOG_LEVEL || 'info',
    fetchAllow: list(env.FETCH_ALLOW_CIDRS) ?? DEFAULT_ALLOW,
    fetchDeny: list(env.FETCH_DENY) ?? DEFAULT_DENY,
    // Default: only the service's own namespace, where the operator puts the tokens it may use.
    secretNamespaces: list(env.SECRET_NAMESPACES) ?? [env.POD_NAMESPACE || inClusterNamespace() || 'default'],
    maxConcurrentFetches: int(env, 'MAX_CONCURRENT_FETCHES', 16, 1),
    maxQueuedFetches: int(env, 'MAX_QUEUED_FETCHES', 64, 0),
    maxTargetPods: int(env, 'MAX_TARGET_PODS', 20, 1),
    collectorImage: env.COLLECTOR_IMAGE || undefined,
    jobNamespace: env.JOB_NAMESPACE || env.POD_NAMESPACE || inClusterNamespace() || 'default',
    jobDeadlineMarginSeconds: int(env, 'JOB_DEADLINE_MARGIN_SECONDS', 60, 1),
    // At least a minute: the TTL controller must not delete a finished Job before the service has read its log.
    jobTtlSeconds: int(env, 'JOB_TTL_SECONDS', 600, 60),
    // 4 MiB framed is about 8.6 MB of CRI log, under kubelet's default 10 MiB rotation.
    jobMaxProfileBytes: int(env, 'JOB_MAX_PROFILE_BYTES', 4 * 1024 * 1024, 1),
  };
}

/** STORAGE and the S3_* settings; an incomplete S3 configuration stops the start with a message naming the key. */
function storageConfig(env: Env): StorageConfig {
  const kind = (env.STORAGE || 'local').trim().toLowerCase();
  if (kind === 'local') return { kind: 'local' };
  if (kind !== 's3') throw new Error(`configuration: STORAGE=${JSON.stringify(env.STORAGE)} must be local or s3`);
  const bucket = (env.S3_BUCKET ?? '').trim();
  if (bucket === '') throw new Error('configuration: STORAGE=s3 needs S3_BUCKET (the bucket profiles are kept in)');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`configuration: S3_BUCKET=${JSON.stringify(bucket)} is not a bucket name (3-63 lower-case letters, digits, dots and hyphens)`);
  const endpoint = env.S3_ENDPOINT?.trim() || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) throw new Error(`configuration: S3_ENDPOINT=${JSON.stringify(endpoint)} must be an http:// or https:// address with no path`);
  return {
    kind: 's3',
    bucket,
    prefix: (env.S3_PREFIX ?? 'go-profiler').trim().replace(/^\/+|\/+$/g, ''),
    endpoint,
    region: env.S3_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1',
    forcePathStyle: onOff(env, 'S3_FORCE_PATH_STYLE', false),
    retryLimit: int(env, 'STORAGE_RETRY_LIMIT', 20, 1),
    requestTimeoutSeconds: int(env, 'STORAGE_TIMEOUT_SECONDS', 5, 1),
  };
}

/** true/false (also on/off, 1/0); unset or empty: the default. */
function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['true', 'on', '1', 'yes'].includes(raw)) return true;
  if (['false', 'off', '0', 'no'].includes(raw)) return false;
  throw new Error(`configuration: ${name}=${JSON.stringify(env[name])} must be true or false (on or off)`);
}

/** The namespace of the service account the pod runs as: the service's own namespace in a cluster. */
function inClusterNamespace(): string | undefined {
  try {
    return fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A comma-separated list; unset or empty means "use the default". */
function list(raw: string | undefined): string[] | undefined {
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`configuration: ${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function firstExternalIPv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}
