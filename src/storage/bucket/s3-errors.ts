import { StorageUnavailableError } from './bucket';

/** What an S3 failure message needs to name: which bucket, where it was asked, and what was being done. */
export interface S3ErrorContext {
  /** s3://bucket/prefix */
  description: string;
  /** The endpoint's URL, without any user info. */
  endpoint: string;
  /** "upload a/b", "list a/", ... */
  action: string;
  requestTimeoutMs: number;
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccountProblem',
  'AllAccessDisabled',
  'ExpiredToken',
  'Forbidden',
  'InvalidAccessKeyId',
  'InvalidSecurity',
  'InvalidToken',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
]);
const WRONG_PLACE = new Set(['AuthorizationHeaderMalformed', 'PermanentRedirect', 'IllegalLocationConstraintException', 'Redirect']);
const BUSY = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'Throttling', 'ThrottlingException']);
/** Our own bugs, not the store's: thrown as they are. */
const PROGRAMMING = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

/**
 * The error to throw for a failed S3 call: a StorageUnavailableError when the store could not be reached or
 * refused us (network, timeout, 5xx, throttling, credentials, no bucket, wrong region), another Error otherwise.
 * Messages are built here from the error's name and status, never from request data, so no credential is in them.
 */
export function s3Failure(error: unknown, context: S3ErrorContext): Error {
  const failure = error as { name?: string; code?: string; message?: string; errors?: Array<{ code?: string }>; $metadata?: { httpStatusCode?: number } };
  const name = failure.name ?? 'Error';
  const status = failure.$metadata?.httpStatusCode;
  const unavailable = (why: string) => new StorageUnavailableError(`${context.description}: cannot ${context.action}: ${why}`, error);
  if (name === 'CredentialsProviderError') {
    return unavailable(
      'no credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a web identity as EKS IRSA sets it, or a shared credentials file)',
    );
  }
  if (status !== undefined && status > 0) {
    // A HEAD's error has no body: the SDK can only name it by its status.
    const shown = name === 'Unknown' || name === 'UnknownError' ? `HTTP ${status}` : name;
    if (name === 'NoSuchBucket') return unavailable('the bucket does not exist (NoSuchBucket)');
    if (ACCESS_DENIED.has(name) || status === 403) return unavailable(`access denied: check the credentials (${shown})`);
    if (WRONG_PLACE.has(name) || status === 301 || status === 307) return unavailable(`wrong region or endpoint for this bucket (${shown === name ? `${name}, ` : ''}HTTP ${status})`);
    if (BUSY.has(name) || status >= 500 || status === 429) return unavailable(`the store answered HTTP ${status} (${shown})`);
    return new Error(`${context.description}: cannot ${context.action}: the store refused the request: HTTP ${status} (${shown}): ${short(failure.message)}`, { cause: error });
  }
  if (PROGRAMMING.has(name)) return error as Error;
  if (name === 'TimeoutError') return unavailable(`no answer from ${context.endpoint} within ${context.requestTimeoutMs} ms`);
  // A network error from another realm (as under jest's vm) reaches us wrapped in a plain Error, its code only in
  // its message ("... connect ECONNREFUSED 127.0.0.1:9").
  const code = failure.code ?? failure.errors?.find((inner) => inner.code)?.code ?? /\b(E[A-Z][A-Z_]{3,})\b/.exec(failure.message ?? '')?.[1];
  if (code) return unavailable(`cannot connect to ${context.endpoint}: ${code}`);
  return unavailable(`cannot reach ${context.endpoint}: ${name}: ${short(failure.message)}`);
}

/** The endpoint as messages show it: its URL without user info, which could hold a secret. */
export function endpointForMessages(endpoint: string | undefined, region: string): string {
  if (endpoint === undefined) return `https://s3.${region}.amazonaws.com`;
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return '(an endpoint that is not a URL)';
  }
}

function short(message: string | undefined): string {
  return (message ?? '').split('\n')[0].slice(0, 200);
}
