/**
 * The agent's connection to the API server: plain HTTPS with the node's client
 * certificate, read from its kubeconfig by client-node's KubeConfig. Plain
 * requests rather than client-node's generated API, because the agent needs
 * exactly what a kubelet sends: merge patches of subresources, deletes with
 * preconditions, and a watch it resumes itself.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { loadClientNode } from '../../src/acquire/kube/client-node';

const REQUEST_TIMEOUT_MS = 30_000;
export const MERGE_PATCH = 'application/merge-patch+json';

/** A non-2xx answer: the HTTP status and the API's Status reason and message (detail). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, readonly detail: string, what: string) {
    super(`${what}: ${status} ${detail}`);
  }
}

export interface WatchEvent<T = any> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export class ApiClient {
  private constructor(
    private readonly server: URL,
    private readonly agent: https.Agent,
  ) {}

  static async fromKubeconfig(file: string): Promise<ApiClient> {
    const kc = new (loadClientNode().KubeConfig)();
    kc.loadFromFile(file);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`reading kubeconfig ${file}: no current cluster`);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername });
    return new ApiClient(new URL(cluster.server), agent);
  }

  /** One request; the parsed JSON answer, or an ApiError. */
  async request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const response = await this.send(method, path, body, contentType, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const text = await readAll(response);
    if ((response.statusCode ?? 0) >= 300) throw apiError(response.statusCode ?? 0, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A watch: calls onEvent per event until the server ends it (resolves), onEvent throws or signal aborts (rejects). */
  async watch(path: string, signal: AbortSignal, onEvent: (event: WatchEvent) => void): Promise<void> {
    const response = await this.send('GET', path, undefined, undefined, signal);
    if ((response.statusCode ?? 0) >= 300) throw apiError(response.statusCode ?? 0, await readAll(response), `GET ${path}`);
    try {
      for await (const line of createInterface({ input: response, crlfDelay: Infinity })) {
        if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
      }
    } finally {
      // An event handler that throws leaves the stream open otherwise.
      response.destroy();
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body: unknown, contentType: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const request = https.request(new URL(path, this.server), {
        method,
        agent: this.agent,
        signal,
        headers: {
          accept: 'application/json',
          'user-agent': 'go-profiler-node-agent',
          ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
        },
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.end(payload);
    });
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(status: number, text: string, what: string): ApiError {
  let reason = '';
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? '';
    message = parsed.message ?? message;
  } catch {
    // Not a Status object: keep the body as the message.
  }
  return new ApiError(status, reason, message, what);
}
