/**
 * The HTTPS front of the stand-in, in kube-apiserver's handler-chain order:
 * authentication (401) → request attributes → authorization (403) →
 * route by group/version/resource (404/405) → handler. Every answer that is
 * not a success is a metav1.Status. Each request is recorded, minus its
 * Authorization header, for tests to assert on.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { parseRequestInfo, type RequestInfo } from './request-info';
import { authorize, type RbacRule } from './rbac';
import { findRoute, replyJson, type Handler, type Route } from './routes';
import { methodNotSupported, routeNotFound, StatusError, unauthorized } from './status';
import type { Kubelet } from './kubelet';
import type { ObjectStore } from './store';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased names, as Node gives them; `authorization` removed. */
  headers: IncomingHttpHeaders;
  /** Request body as text; '' when there was none. */
  body: string;
  /** Status code answered (0 while a streaming answer is still open). */
  status: number;
}

export interface ServerConfig {
  cert: string;
  key: string;
  /** Bearer token → user name (e.g. system:serviceaccount:ns:sa). */
  tokens: ReadonlyMap<string, string>;
  /** With anonymous auth on (a real server's default), a request without credentials is
   * `system:anonymous` and gets 403; off, it gets 401. */
  anonymousAuth: boolean;
  rules: () => RbacRule[] | null;
  store: ObjectStore;
  kubelet: Kubelet;
  routes: Route[];
  requests: RecordedRequest[];
}

const ANONYMOUS = 'system:anonymous';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function authenticate(cfg: ServerConfig, header: string | undefined): string {
  if (header === undefined && cfg.anonymousAuth) return ANONYMOUS;
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const user = m ? cfg.tokens.get(m[1]) : undefined;
  if (!user) throw unauthorized();
  return user;
}

function route(cfg: ServerConfig, info: RequestInfo): { found: Route; handler: Handler } {
  const found = info.isResourceRequest ? findRoute(cfg.routes, info) : undefined;
  if (!found) throw routeNotFound();
  // Namespaced objects live only under /namespaces/{ns}/; only list/watch may span namespaces.
  if (found.type.namespaced && !info.namespace && info.name) throw routeNotFound();
  if (!found.type.namespaced && info.namespace) throw routeNotFound();
  const handler = found.verbs[info.verb];
  if (!handler) throw methodNotSupported(found.type, info.verb);
  return { found, handler };
}

async function handle(cfg: ServerConfig, url: URL, req: IncomingMessage, res: ServerResponse, entry: RecordedRequest) {
  const body = await readBody(req);
  entry.body = body.toString('utf8');

  const user = authenticate(cfg, req.headers.authorization);
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const denied = user === ANONYMOUS && info.isResourceRequest
    ? authorize([], info, user) // RBAC grants system:anonymous nothing but discovery
    : authorize(cfg.rules(), info, user);
  if (denied) {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    throw denied;
  }
  const { found, handler } = route(cfg, info);
  await handler({ info, type: found.type, url, body, user, store: cfg.store, kubelet: cfg.kubelet, req, res });
}

export function createApiServer(cfg: ServerConfig): Server {
  return createServer({ cert: cfg.cert, key: cfg.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kube-api.invalid');
    const { authorization: _secret, ...headers } = req.headers;
    const entry: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: '',
      status: 0,
    };
    cfg.requests.push(entry);
    res.setHeader('Audit-Id', randomUUID());
    res.setHeader('Cache-Control', 'no-cache, private');

    handle(cfg, url, req, res, entry)
      .catch((err: unknown) => {
        if (res.headersSent) return void res.destroy(); // failed mid-stream: nothing else can be said
        if (err instanceof StatusError) return replyJson(res, err.status.code, err.status);
        // A bug in the stand-in itself: answer like the server's InternalError, but say why.
        const message = `Internal error occurred: kube-api stand-in: ${String(err)}`;
        replyJson(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });
      })
      .finally(() => {
        entry.status = res.statusCode;
      });
  });
}
