/**
 * pods/log and pods/proxy, answered from the kubelet stand-in.
 *
 * pods/log: GET .../pods/{name}/log?container=&limitBytes=&tailLines=&timestamps=&follow=
 * as text/plain, with the real errors: a container that has not started is a
 * 400 "is waiting to start", an unknown container a 400. follow=true streams
 * until the container ends.
 *
 * pods/proxy: GET .../pods/[scheme:]{name}[:port]/proxy/{path} forwards to
 * the pod IP and port through the kubelet's network map and relays the answer
 * (status, headers, body) as it comes; no route is the apiserver's 503
 * "error trying to reach service". Like the real proxy it does not verify a
 * pod's TLS certificate, and it never forwards the caller's credentials.
 */
import http from 'node:http';
import https from 'node:https';
import type { LogRecord } from './container-runtime';
import type { Handler } from './routes';
import { badRequest, notFound, StatusError } from './status';

export const podLog: Handler = ({ type, info, url, store, kubelet, res }) => {
  const pod = store.get(type, info.namespace, info.name);
  if (!pod) throw notFound(type, info.name);
  const containers = ((pod.spec as any).containers as Array<{ name: string }>).map((c) => c.name);
  const name = url.searchParams.get('container') || (containers.length === 1 ? containers[0] : '');
  if (!name) throw badRequest(`a container name must be specified for pod ${info.name}, choose one of: [${containers.join(' ')}]`);
  if (!containers.includes(name)) throw badRequest(`container ${name} is not valid for pod ${info.name}`);
  const state = kubelet.containerLog(pod);
  if (!state || state.waiting || !state.process) {
    const reason = state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${name}" in pod "${info.name}" is waiting to start: ${reason}`);
  }
  const timestamps = url.searchParams.get('timestamps') === 'true';
  const render = (line: LogRecord) => `${timestamps ? `${line.time} ` : ''}${line.text}\n`;
  const tailLines = url.searchParams.get('tailLines');
  const lines = tailLines ? state.log.slice(-Number(tailLines)) : state.log;
  const limit = Number(url.searchParams.get('limitBytes') ?? Infinity);
  let sent = 0;
  const write = (text: string) => {
    const chunk = Buffer.from(text).subarray(0, Math.max(0, limit - sent));
    sent += chunk.length;
    if (chunk.length > 0) res.write(chunk);
    return sent < limit;
  };
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  const complete = lines.every((line) => write(render(line)));
  const process = state.process;
  if (url.searchParams.get('follow') !== 'true' || !complete || process.exitCode !== undefined) return void res.end();
  const onLine = (line: LogRecord) => write(render(line)) || end();
  const end = () => {
    process.off('line', onLine);
    res.end();
  };
  process.on('line', onLine);
  process.once('exit', end);
  res.on('close', () => process.off('line', onLine));
};

export const podProxy: Handler = ({ type, info, url, store, kubelet, req, res }) => {
  const { scheme, name, port } = parseProxyName(info.name);
  const pod = store.get(type, info.namespace, name);
  if (!pod) throw notFound(type, name);
  const podIP = (pod.status as { podIP?: string })?.podIP;
  if (!podIP) throw serviceUnavailable(`error trying to reach service: pod ${name} has no IP address`);
  const dialed = `${podIP}:${port ?? '80'}`;
  const target = kubelet.reach(dialed);
  if (!target) throw serviceUnavailable(`error trying to reach service: dial tcp ${dialed}: connect: connection refused`);
  const rest = /\/pods\/[^/]+\/proxy(\/.*)?$/.exec(url.pathname)?.[1] ?? '/';
  const client = scheme === 'https' ? https : http;
  return new Promise<void>((resolve) => {
    const upstream = client.get(`${scheme}://${target}${rest}${url.search}`, { rejectUnauthorized: false, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', resolve);
    });
    upstream.on('error', (error) => {
      const status = serviceUnavailable(`error trying to reach service: ${error.message}`).status;
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(`${JSON.stringify(status)}\n`);
      resolve();
    });
    req.on('close', () => upstream.destroy());
  });
};

/** "name", "name:port" or "scheme:name:port", as the pod proxy's ResourceLocation splits it. */
function parseProxyName(raw: string): { scheme: 'http' | 'https'; name: string; port?: string } {
  const parts = raw.split(':');
  if (parts.length === 3) return { scheme: parts[0] === 'https' ? 'https' : 'http', name: parts[1], port: parts[2] };
  if (parts.length === 2) return { scheme: 'http', name: parts[0], port: parts[1] };
  return { scheme: 'http', name: raw };
}

function serviceUnavailable(message: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 });
}
