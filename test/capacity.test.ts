import fs from 'node:fs';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { GoTarget, startGoTarget } from './support/go-target';
import { request, serve } from './support/http-json';
import { probeHealth } from './support/health-probe';
import { startService } from './support/service';

const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const heapBody = (source: string, expiration = '60') => ({ [KEYS.source]: source, [KEYS.type]: 'heap', [KEYS.expirationSeconds]: expiration });

let fixtureSource: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  fixtureSource = await serve((_req, res) => res.writeHead(200).end(HEAP));
});
afterAll(() => fixtureSource.close());

test('50 concurrent requests: all answer 200 or 503, none hangs, health stays green', async () => {
  const svc = await startService({ MAX_VIEWERS: '40' });
  try {
    const probe = await probeHealth(svc.url, 20);
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(`${svc.url}/processor/goProfiler`, { body: heapBody(fixtureSource.url) })));
    const health = await probe.stop();
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBe(40);
    expect(health.length).toBeGreaterThan(0);
  } finally {
    await svc.stop();
  }
}, 60_000);

test('MAX_CONCURRENT_FETCHES: extra fetches wait in a bounded queue, beyond it 503 with Retry-After', async () => {
  const slow = await serve((_req, res) => setTimeout(() => res.writeHead(200).end(HEAP), 500));
  const svc = await startService({ MAX_CONCURRENT_FETCHES: '1', MAX_QUEUED_FETCHES: '1' });
  try {
    const answers = await Promise.all([0, 1, 2].map(() => request(`${svc.url}/processor/goProfiler`, { body: heapBody(slow.url) })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503]);
    const refused = answers.find((a) => a.status === 503);
    expect(refused?.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused?.json().error).toMatch(/MAX_CONCURRENT_FETCHES/);
  } finally {
    await svc.stop();
    await slow.close();
  }
});

describe('CPU profiles of one Go program', () => {
  let target: GoTarget;
  beforeAll(async () => {
    target = await startGoTarget();
  }, 120_000);
  afterAll(() => target?.stop());

  test('two at once are serialised, and both succeed (the Go runtime allows one at a time)', async () => {
    const svc = await startService();
    try {
      const body = { [KEYS.source]: target.url, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '1', [KEYS.expirationSeconds]: '30' };
      const started = Date.now();
      const answers = await Promise.all([request(`${svc.url}/processor/goProfiler`, { body }), request(`${svc.url}/processor/goProfiler`, { body })]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      for (const a of answers) expect(JSON.parse(a.json()[`${RESULT}summary`]).sample_type).toBe('cpu');
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    } finally {
      await svc.stop();
    }
  }, 60_000);
});

function openDescriptors(): { fds: number; sockets: number } {
  const links = fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return '';
    }
  });
  return { fds: links.length, sockets: links.filter((l) => l.startsWith('socket:')).length };
}

test('soak: 500 viewers created and expired leave descriptors, sockets and memory where they were', async () => {
  const svc = await startService({ MAX_VIEWERS: '64', LOG_LEVEL: 'silent' });
  try {
    const post = () => request(`${svc.url}/processor/goProfiler`, { body: heapBody(fixtureSource.url, '1') });
    await post(); // warm up: workers, JIT, first allocations
    await new Promise((r) => setTimeout(r, 1500));
    global.gc?.();
    const before = { ...openDescriptors(), rss: process.memoryUsage().rss };
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, post));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      await new Promise((r) => setTimeout(r, 1300));
    }
    await new Promise((r) => setTimeout(r, 500));
    global.gc?.();
    const after = { ...openDescriptors(), rss: process.memoryUsage().rss };
    expect(svc.service.viewers.size).toBe(0);
    // Margins: a few descriptors for idle keep-alive sockets; 64 MiB of RSS for heap growth the GC keeps.
    expect(after.fds - before.fds).toBeLessThanOrEqual(8);
    expect(after.sockets - before.sockets).toBeLessThanOrEqual(8);
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
    console.log(`soak: fds ${before.fds} -> ${after.fds}, sockets ${before.sockets} -> ${after.sockets}, rss ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await svc.stop();
  }
}, 120_000);
