/**
 * The part of the kubelet's HTTPS API the API server calls here: pods/log is
 * forwarded to GET /containerLogs/{namespace}/{pod}/{container} with the
 * PodLogOptions as query parameters, which is what makes `kubectl logs` work.
 * Only clients with a certificate from clientCa are served (the API server's
 * --kubelet-client-certificate). Errors read as the kubelet's, in plain text.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { parseLogOptions, streamLog, type LogOptions } from './log-reader';
import type { PodSet } from './pod-set';

export interface KubeletServerOptions {
  ip: string;
  port: number;
  cert: string;
  key: string;
  clientCa: string;
  pods: PodSet;
  log: (line: string) => void;
}

const CONTAINER_LOGS = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/;

export async function startKubeletServer(options: KubeletServerOptions): Promise<https.Server> {
  const server = https.createServer(
    { cert: options.cert, key: options.key, ca: options.clientCa, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    (request, response) => {
      serve(request, response, options.pods).catch((error: Error) => {
        options.log(`kubelet API ${request.url}: ${error.message}`);
        if (!response.headersSent) reply(response, 500, error.message);
        else response.destroy();
      });
    },
  );
  server.listen(options.port, options.ip);
  await once(server, 'listening');
  return server;
}

async function serve(request: IncomingMessage, response: ServerResponse, pods: PodSet): Promise<void> {
  const url = new URL(request.url ?? '/', 'https://kubelet');
  if (request.method !== 'GET') return reply(response, 405, 'Method Not Allowed');
  if (url.pathname === '/healthz') return reply(response, 200, 'ok');
  const match = CONTAINER_LOGS.exec(url.pathname);
  if (!match) return reply(response, 404, '404 page not found\n');
  const [namespace, podName, container] = match.slice(1).map(decodeURIComponent);
  const worker = pods.find(namespace, podName);
  if (!worker) return reply(response, 404, `pod "${podName}" does not exist`);
  if (!worker.specContainers.includes(container)) return reply(response, 404, `container "${container}" not found in pod "${podName}"`);
  if (container !== worker.containerName) return reply(response, 400, `container "${container}" in pod "${podName}" is not run: the node agent runs only the first container`);
  let options: LogOptions;
  try {
    options = parseLogOptions(url.searchParams);
  } catch (error) {
    return reply(response, 422, `invalid log options: ${(error as Error).message}`);
  }
  const source = worker.logSource(options.previous);
  if (typeof source === 'string') return reply(response, 400, source);
  const closed = new AbortController();
  response.once('close', () => closed.abort());
  response.writeHead(200, { 'content-type': 'text/plain' });
  await streamLog(source.file, source.live, options, response, closed.signal);
  response.end();
}

// The body is the message as is: the API server puts it into the Status it answers pods/log with.
function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}
