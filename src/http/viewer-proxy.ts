import http from 'node:http';
import httpProxy from 'http-proxy';
import { errorAnswer, NotFoundError } from '../errors';
import { ViewerRegistry } from '../viewer/registry';

/**
 * /viewer/<id>/... on the main port, proxied to that viewer's own server: the live one, or one the registry loads
 * from storage (another replica's, or this one's before a restart), so one Service or Ingress reaches every viewer.
 */
export function viewerProxy(viewers: ViewerRegistry, bindAddress: string) {
  const proxy = httpProxy.createProxyServer({ xfwd: true });
  proxy.on('error', (_error, _req, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent) sendError(res, new NotFoundError('this viewer has expired'));
  });
  const targetHost = bindAddress === '0.0.0.0' || bindAddress === '' ? '127.0.0.1' : bindAddress === '::' ? '[::1]' : bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;

  // Mounted at /viewer: req.url is /<id>/rest.
  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const match = /^\/([0-9a-f]{32})(\/.*)?$/.exec((req.url ?? '').split('?')[0]);
    // Held until the answer has gone out: a viewer is not evicted with a request to it in flight.
    const held = match ? await viewers.acquire(match[1]) : undefined;
    if (!match || !held) return sendError(res, new NotFoundError('no such viewer: it never existed or has expired'));
    if (res.closed) return held.release(); // the caller left while it loaded
    res.once('close', held.release);
    if (match[2] === undefined) {
      // Relative links in the page need the trailing slash.
      res.writeHead(308, { location: `${(req as { originalUrl?: string }).originalUrl ?? req.url}/` });
      res.end();
      return;
    }
    req.url = (req.url ?? '').slice(1 + match[1].length);
    proxy.web(req, res, { target: `http://${targetHost}:${held.live.port}` });
  };
  // Storage failing or no room for the viewer: the typed error's answer (503 with Retry-After), never a crash.
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    route(req, res).catch((error: unknown) => (res.headersSent ? res.destroy() : sendError(res, error)));
  };
}

function sendError(res: http.ServerResponse, error: unknown): void {
  const answer = errorAnswer(error);
  res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(answer.body));
}
