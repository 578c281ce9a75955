import os from 'node:os';

/** Everything the service reads from its environment; README's configuration table lists the same names. */
export interface Config {
  port: number;
  advertiseAddress: string;
  viewerBindAddress: string;
  publicBaseUrl?: string;
  dataRoot: string;
  dataRetentionSeconds: number;
  maxViewers: number;
  defaultExpirationSeconds: number;
  maxExpirationSeconds: number;
  maxProfileBytes: number;
  fetchTimeoutSeconds: number;
  decodeWorkers: number;
  shutdownGraceSeconds: number;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  return {
    port: int(env, 'PORT', 8090, 0),
    advertiseAddress: env.ADVERTISE_ADDRESS || env.POD_IP || env.HOST_IP || firstExternalIPv4(),
    viewerBindAddress: env.VIEWER_BIND_ADDRESS || '0.0.0.0',
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, '') : undefined,
    dataRoot: env.DATA_ROOT || './data',
    dataRetentionSeconds: int(env, 'DATA_RETENTION_SECONDS', 7 * 24 * 3600, 0),
    maxViewers: int(env, 'MAX_VIEWERS', 64, 1),
    defaultExpirationSeconds: 7200,
    // Node timers hold at most 2^31-1 ms.
    maxExpirationSeconds: int(env, 'MAX_EXPIRATION_SECONDS', 86400, 1, 2_147_483),
    maxProfileBytes: int(env, 'MAX_PROFILE_BYTES', 256 * 1024 * 1024, 1),
    fetchTimeoutSeconds: int(env, 'FETCH_TIMEOUT_SECONDS', 30, 1),
    decodeWorkers: int(env, 'DECODE_WORKERS', Math.max(1, Math.min(4, os.availableParallelism() - 1)), 1),
    shutdownGraceSeconds: int(env, 'SHUTDOWN_GRACE_SECONDS', 25, 0),
    logLevel: env.LOG_LEVEL || 'info',
  };
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
