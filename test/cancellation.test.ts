import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { request, serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// A caller that hangs up (KubeDiag's executor at the Operation's timeoutSeconds, Ctrl-C on curl) cancels its
// request: the source's connection closes, the fetch slot and the viewer slot are free at once, nothing is stored
// and no viewer opens; work another caller still waits for goes on. No cluster: http sources on loopback.
const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const CPU = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'cpu.pb.gz'));

/** A source that accepts connections and never answers; it tells when each one closes. */
async function silentSource() {
  const open = new Set<net.Socket>();
  const closed: number[] = [];
  const server = net.createServer((socket) => {
    // Read what comes (and so see the end of it), answer nothing.
    socket.resume();
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      closed.push(Date.now());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    open,
    closed,
    close: () => new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** POSTs and hangs up after ms, as a client whose timeout ran out. */
function postAndHangUp(svc: RunningService, body: unknown, ms: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(`${svc.url}/processor/goProfiler`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false });
    req.on('error', () => undefined);
    req.end(JSON.stringify(body));
    setTimeout(() => {
      req.destroy();
      resolve(Date.now());
    }, ms);
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cancelledLines = (svc: RunningService) => svc.logs().filter((l) => l.outcome === 'cancelled');

test('a hang-up closes the source\'s connection at once and frees the fetch and viewer slots', async () => {
  const source = await silentSource();
  const heap = await serveBytes(HEAP);
  const svc = await startService({ MAX_CONCURRENT_FETCHES: '1', MAX_QUEUED_FETCHES: '0', MAX_VIEWERS: '1', FETCH_TIMEOUT_SECONDS: '30' });
  try {
    const hungUpAt = await postAndHangUp(svc, { [KEYS.source]: source.url, [KEYS.type]: 'Heap' }, 300);
    await until('the source connection closing', () => source.closed.length === 1);
    expect(source.closed[0] - hungUpAt).toBeLessThan(1000);
    await until('the cancelled log line', () => cancelledLines(svc).length === 1);
    expect(cancelledLines(svc)[0]).toMatchObject({ outcome: 'cancelled', type: 'Heap', msg: 'request cancelled: the caller hung up' });
    // The only fetch slot, the queue of none and the only viewer slot: all free again.
    const next = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: heap.url, [KEYS.type]: 'Heap' } });
    expect(next.status).toBe(200);
    const metrics = (await request(`${svc.url}/metrics`)).body.toString();
    expect(metrics).toMatch(/goprofiler_requests_total\{outcome="cancelled"\} 1\n/);
    expect(metrics).toMatch(/goprofiler_requests_total\{outcome="ok"\} 1\n/);
  } finally {
    await svc.stop();
    await source.close();
    await heap.close();
  }
});

test('a caller that hangs up while its fetch waits in the queue leaves the queue', async () => {
  const source = await silentSource();
  const svc = await startService({ MAX_CONCURRENT_FETCHES: '1', MAX_QUEUED_FETCHES: '1', FETCH_TIMEOUT_SECONDS: '30' });
  try {
    // The first holds the slot (its caller stays); the second waits in the queue and hangs up.
    const first = request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Heap' } });
    await until('the first fetch', () => source.open.size === 1);
    await postAndHangUp(svc, { [KEYS.source]: source.url, [KEYS.type]: 'Allocs' }, 200);
    await until('the cancelled log line', () => cancelledLines(svc).length === 1);
    expect(source.open.size).toBe(1);
    // The queue place is free: a third request queues instead of getting 503.
    const third = request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Goroutine' } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(svc.logs().some((l) => l.status === 503)).toBe(false);
    for (const socket of source.open) socket.destroy();
    expect((await first).status).toBe(500);
    await until('the third fetch', () => source.open.size === 1);
    for (const socket of source.open) socket.destroy();
    expect((await third).status).toBe(500);
  } finally {
    await svc.stop();
    await source.close();
  }
});

test('a decode whose caller is gone opens no viewer and stores nothing', async () => {
  let sent: () => void = () => undefined;
  const delivered = new Promise<void>((resolve) => (sent = resolve));
  const slowEnd = await serveWith((res) => {
    // The whole profile but the last byte at once; the last byte after the caller has gone.
    res.writeHead(200, { 'content-length': HEAP.length });
    res.write(HEAP.subarray(0, -1));
    setTimeout(() => {
      res.end(HEAP.subarray(-1));
      sent();
    }, 400);
  });
  const svc = await startService();
  try {
    await postAndHangUp(svc, { [KEYS.source]: slowEnd.url, [KEYS.type]: 'Heap' }, 200);
    await delivered;
    await until('the cancelled log line', () => cancelledLines(svc).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(svc.service.viewers.size).toBe(0);
    expect(fs.readdirSync(svc.dataRoot, { recursive: true }).filter((f) => String(f).endsWith('.prof'))).toEqual([]);
  } finally {
    await svc.stop();
    await slowEnd.close();
  }
});

test('two callers of one CPU source: the first hangs up, the second\'s profile goes on and is served', async () => {
  let requests = 0;
  const cpu = await serveWith((res) => {
    requests++;
    // As a Go program: the CPU profile comes after its duration.
    setTimeout(() => res.writeHead(200).end(CPU), 700);
  });
  const svc = await startService();
  try {
    const body = { [KEYS.source]: cpu.url, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '1' };
    const hungUp = postAndHangUp(svc, body, 200);
    const second = request(`${svc.url}/processor/goProfiler`, { body });
    await hungUp;
    const answer = await second;
    expect(answer.status).toBe(200);
    expect(cancelledLines(svc)).toHaveLength(1);
    expect(requests).toBe(2);
  } finally {
    await svc.stop();
    await cpu.close();
  }
});

test('SIGTERM-style stop: a request whose caller is gone does not hold the shutdown', async () => {
  const source = await silentSource();
  const svc = await startService({ FETCH_TIMEOUT_SECONDS: '30', SHUTDOWN_GRACE_SECONDS: '20' });
  try {
    await postAndHangUp(svc, { [KEYS.source]: source.url, [KEYS.type]: 'Heap' }, 200);
    await until('the cancelled log line', () => cancelledLines(svc).length === 1);
    const started = Date.now();
    await svc.stop();
    expect(Date.now() - started).toBeLessThan(2000);
  } finally {
    await source.close();
  }
});

const serveBytes = (bytes: Buffer) => serve((_req, res) => res.writeHead(200).end(bytes));
const serveWith = (handler: (res: http.ServerResponse) => void) => serve((_req, res) => handler(res));
