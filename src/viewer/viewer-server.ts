import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { errorAnswer, MethodNotAllowedError } from '../errors';
import { handleApi } from './viewer-api';
import { ViewerProfile } from './viewer-profile';

/** Only the viewer's own origin: names in a profile come from an untrusted program. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const ASSETS: Record<string, string> = {
  '': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const ASSET_FILES: Record<string, string> = { '': 'index.html', 'app.js': 'app.js', 'style.css': 'style.css' };

/** One HTTP server serving one profile; paths are relative so it works both directly and under /viewer/<id>/. */
export class ViewerServer {
  private readonly server: http.Server;

  constructor(
    private readonly profile: ViewerProfile,
    readonly expiresAt: Date,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  /** Listens on an ephemeral port (port 0: the kernel picks, no probe-then-bind race). */
  listen(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  /** Stops listening and drops every open connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError('GET, HEAD');
      const url = new URL(req.url ?? '/', 'http://viewer');
      const route = url.pathname.replace(/^\/+/, '');
      const asset = ASSET_FILES[route];
      if (asset !== undefined) {
        send(res, 200, ASSETS[route], readAsset(asset));
        return;
      }
      const answer = handleApi(route, this.profile, url.searchParams, this.expiresAt);
      send(res, answer.status, answer.contentType, answer.body, answer.headers);
    } catch (error) {
      const answer = errorAnswer(error);
      send(res, answer.status, 'application/json; charset=utf-8', JSON.stringify(answer.body), answer.headers);
    }
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const assetCache = new Map<string, Buffer>();

/** Assets sit beside the compiled code (copied by the build) or in src/ under ts-jest; read once. */
function readAsset(name: string): Buffer {
  let bytes = assetCache.get(name);
  if (!bytes) {
    bytes = fs.readFileSync(path.join(__dirname, 'assets', name));
    assetCache.set(name, bytes);
  }
  return bytes;
}
