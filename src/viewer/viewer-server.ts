import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { errorAnswer, MethodNotAllowedError, NotFoundError } from '../errors';
import { answerClientErrors } from '../client-errors';
import { CaptureStatus, PendingCapture, readyStatus } from './pending-capture';
import { API_ROUTES, handleApi } from './viewer-api';
import { ViewerProfile } from './viewer-profile';
import { distPath } from '../dist-paths';

/**
 * Only the viewer's own origin: names in a profile come from an untrusted program. 'wasm-unsafe-eval' lets the
 * call graph's worker compile Graphviz's WebAssembly (it allows no JavaScript eval).
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const ASSETS: Record<string, string> = {
  '': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'callgraph-worker.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** Built by scripts/build-web.js into dist/viewer/assets (the bundle from web/, the static files from src/). */
const ASSET_FILES: Record<string, string> = { '': 'index.html', 'app.js': 'app.js', 'callgraph-worker.js': 'callgraph-worker.js', 'style.css': 'style.css' };

/** Served by the viewer's server itself, for every viewer (the rest of the API is viewer-api.ts). */
export const STATUS_ROUTE = 'api/status';

/** What a viewer serves: a profile, or a capture still running that brings one. */
export type ViewerContent = ViewerProfile | PendingCapture;

export interface ViewerServerOptions {
  /** Called as each request arrives; what it returns is called once its answer has ended (or broken off). */
  onRequest?: () => () => void;
}

/** One HTTP server serving one profile; paths are relative so it works both directly and under /viewer/<id>/. */
export class ViewerServer {
  private readonly server: http.Server;

  constructor(
    private readonly content: ViewerContent,
    readonly expiresAt: Date,
    private readonly options: ViewerServerOptions = {},
  ) {
    this.server = http.createServer((req, res) => {
      const done = this.options.onRequest?.();
      if (done) res.once('close', done);
      void this.handle(req, res).catch(() => res.destroy());
    });
    this.server.keepAliveTimeout = 5000;
    answerClientErrors(this.server);
  }

  /** Listens on an ephemeral port (port 0: the kernel picks, no probe-then-bind race), or on the one given. */
  listen(host: string, port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  /** Stops listening and drops every open connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError('GET, HEAD');
      const url = new URL(req.url ?? '/', 'http://viewer');
      const route = url.pathname.replace(/^\/+/, '');
      const asset = Object.hasOwn(ASSET_FILES, route) ? ASSET_FILES[route] : undefined;
      if (asset !== undefined) {
        send(res, 200, ASSETS[route], readAsset(asset));
        return;
      }
      if (route === STATUS_ROUTE) {
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify(this.status()));
        return;
      }
      // Refined views are computed in worker threads: this thread keeps answering meanwhile.
      const answer = await handleApi(route, this.profileFor(route), url.searchParams, this.expiresAt);
      send(res, answer.status, answer.contentType, answer.body, answer.headers);
    } catch (error) {
      const answer = errorAnswer(error);
      send(res, answer.status, 'application/json; charset=utf-8', JSON.stringify(answer.body), answer.headers);
    }
  }

  status(): CaptureStatus {
    return this.content instanceof PendingCapture ? this.content.status() : readyStatus(this.content);
  }

  /** The profile to answer from; while a capture is pending, 503 (or after its failure, 500) for every API route. */
  private profileFor(route: string): ViewerProfile {
    if (!(this.content instanceof PendingCapture)) return this.content;
    if (!Object.hasOwn(API_ROUTES, route)) throw new NotFoundError(`no such page: /${route}`);
    return this.content.require();
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const assetCache = new Map<string, Buffer>();

/** dist/viewer/assets, as scripts/build-web.js leaves it (dist-paths.ts says where dist/ is). */
const ASSET_DIR = distPath('viewer', 'assets');

/** A file of dist/viewer/assets, read once (the history's page is served from there too). */
export function readAsset(name: string): Buffer {
  let bytes = assetCache.get(name);
  if (!bytes) {
    bytes = fs.readFileSync(path.join(ASSET_DIR, name));
    assetCache.set(name, bytes);
  }
  return bytes;
}
