import http from 'node:http';
import https from 'node:https';
import { UpstreamError } from '../errors';
import { AddressPolicy } from './address-policy';

export interface FetchOptions {
  /** Bearer token; never sent over plain http, and redirects are not followed while it is attached. */
  token?: string;
  /** PEM trust anchor for https; without it, the system's CAs. */
  ca?: string;
  /** Client certificate and key (PEM), for sources that authenticate us by certificate (the API server). */
  cert?: string | Buffer;
  key?: string | Buffer;
  timeoutMs: number;
  maxBytes: number;
  /** The setting that sets maxBytes, for the error message; default MAX_PROFILE_BYTES. */
  limitName?: string;
  maxRedirects?: number;
  /** Which addresses may be connected to; checked again on every redirect. */
  policy?: AddressPolicy;
  /** Aborting it closes the connection at once and rejects with its reason. */
  signal?: AbortSignal;
  /** Each chunk of a 200 answer's body as it arrives, within the limit (the caller may decompress meanwhile). */
  onBody?: (chunk: Buffer) => void;
}

export interface FetchedBody {
  bytes: Buffer;
  contentType: string;
  url: URL;
}

const DEFAULT_MAX_REDIRECTS = 3;

/**
 * GETs a profile with a deadline and a byte limit. No redirect is followed while a token is attached, so a token
 * never reaches a second place; otherwise a few are, each to http(s) only and each checked against the policy.
 */
export async function fetchProfile(url: URL, options: FetchOptions): Promise<FetchedBody> {
  const deadline = Date.now() + options.timeoutMs;
  let current = url;
  for (let hop = 0; ; hop++) {
    options.policy?.checkHost(current);
    const response = await getOnce(current, options, deadline);
    if (response.redirect === undefined) return { bytes: response.bytes, contentType: response.contentType, url: current };
    const next = new URL(response.redirect, current);
    if (options.token) throw new UpstreamError(`fetching profile: ${current.origin} answered a redirect, which is not followed while a token is attached`);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new UpstreamError(`fetching profile: ${current.origin} redirected to a ${next.protocol} URL; not followed`);
    }
    if (hop >= (options.maxRedirects ?? DEFAULT_MAX_REDIRECTS)) throw new UpstreamError('fetching profile: too many redirects');
    current = next;
  }
}

interface RawResponse {
  bytes: Buffer;
  contentType: string;
  redirect?: string;
}

function getOnce(url: URL, options: FetchOptions, deadline: number): Promise<RawResponse> {
  const where = `${url.origin}${url.pathname}`;
  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new UpstreamError(`fetching profile from ${where}: ${message}`));
    const headers: Record<string, string> = { 'user-agent': 'go-profiler', accept: 'application/octet-stream, */*' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, { headers, ca: options.ca, cert: options.cert, key: options.key, agent: false, lookup: options.policy?.lookup }, (response) => {
      const status = response.statusCode ?? 0;
      const contentType = String(response.headers['content-type'] ?? '');
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        resolve({ bytes: Buffer.alloc(0), contentType, redirect: response.headers.location });
        return;
      }
      const declared = Number(response.headers['content-length'] ?? NaN);
      if (declared > options.maxBytes) {
        request.destroy();
        fail(`the profile is ${declared} bytes, more than the limit of ${options.maxBytes} (${options.limitName ?? 'MAX_PROFILE_BYTES'})`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      // With a declared length the body is copied into place chunk by chunk, as it comes: no single copy of the
      // whole profile at the end to hold the event loop (about 20 ms for 20 MB).
      let into = Number.isSafeInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
      response.on('data', (chunk: Buffer) => {
        if (into && size + chunk.length > into.length) {
          chunks.push(into.subarray(0, size)); // longer than declared: gather the chunks after all
          into = undefined;
        }
        if (into) chunk.copy(into, size);
        else chunks.push(chunk);
        size += chunk.length;
        if (size > options.maxBytes) {
          request.destroy();
          fail(`the profile is larger than the limit of ${options.maxBytes} bytes (${options.limitName ?? 'MAX_PROFILE_BYTES'})`);
          return;
        }
        if (status === 200) options.onBody?.(chunk);
      });
      response.on('end', () => {
        const bytes = into ? into.subarray(0, size) : Buffer.concat(chunks, size);
        if (status !== 200) {
          fail(`the source answered ${status} ${response.statusMessage ?? ''}`.trim() + describeBody(contentType, bytes));
          return;
        }
        resolve({ bytes, contentType });
      });
      response.on('error', (error) => fail(error.message));
    });
    const remaining = Math.max(1, deadline - Date.now());
    request.setTimeout(remaining, () => {
      request.destroy();
      fail(`no complete answer within ${options.timeoutMs / 1000} s`);
    });
    const timer = setTimeout(() => {
      request.destroy();
      fail(`no complete answer within ${options.timeoutMs / 1000} s`);
    }, remaining);
    const onAbort = () => {
      request.destroy();
      reject(options.signal?.reason);
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('close', () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    });
    request.on('error', (error: NodeJS.ErrnoException) => fail(describeNetworkError(error)));
  });
}

/** What came back, for an error message: content type and the first printable bytes. */
export function describeBody(contentType: string, bytes: Buffer): string {
  const status = kubernetesStatusMessage(contentType, bytes);
  if (status) return `: ${status}`;
  const type = contentType ? `, content type ${contentType}` : '';
  const text = bytes.subarray(0, 120).toString('latin1').replace(/[^\x20-\x7e]+/g, ' ').trim();
  return `${type}${text ? `, body begins ${JSON.stringify(text)}` : ', empty body'}`;
}

/** The API server (its pod proxy) answers errors as a metav1.Status, whose message is the whole reason. */
function kubernetesStatusMessage(contentType: string, bytes: Buffer): string | undefined {
  if (!contentType.startsWith('application/json') || bytes.length > 64 * 1024) return undefined;
  try {
    const body = JSON.parse(bytes.toString('utf8')) as { kind?: unknown; message?: unknown };
    return body.kind === 'Status' && typeof body.message === 'string' ? body.message : undefined;
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host (${error.code})`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${error.code})`;
    default:
      return error.code?.startsWith('ERR_TLS') || /certificate|self.signed|SSL/i.test(error.message)
        ? `TLS verification failed: ${error.message}`
        : error.message;
  }
}
