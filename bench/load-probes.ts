import fs from 'node:fs';
import http from 'node:http';
import { percentile } from './stats';

/** A process's open file descriptors and resident memory, from /proc. */
export interface ProcessSnapshot {
  fds: number;
  rssMb: number;
}

export function snapshot(pid: number): ProcessSnapshot {
  const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { fds, rssMb: rssKb / 1024 };
}

export interface HealthFigures {
  probes: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface DuringLoad {
  health: HealthFigures;
  peak: ProcessSnapshot;
}

/**
 * Until `until` settles: GET /healthz every intervalMs on a connection of its own (a new one only if that one
 * breaks), one probe at a time, and the process's fds and RSS every second (their peaks).
 */
export async function probeDuring(serviceUrl: string, pid: number, until: Promise<unknown>, intervalMs = 100): Promise<DuringLoad> {
  let done = false;
  void until.finally(() => (done = true)).catch(() => undefined);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let failed = 0;
  const peak = snapshot(pid);
  let lastSample = performance.now();
  try {
    while (!done) {
      const started = performance.now();
      const status = await getStatus(`${serviceUrl}/healthz`, agent).catch(() => 0);
      const took = performance.now() - started;
      if (status === 200) times.push(took);
      else failed++;
      if (performance.now() - lastSample >= 1000) {
        const now = snapshot(pid);
        peak.fds = Math.max(peak.fds, now.fds);
        peak.rssMb = Math.max(peak.rssMb, now.rssMb);
        lastSample = performance.now();
      }
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - took)));
    }
  } finally {
    agent.destroy();
  }
  const health = { probes: times.length + failed, failed, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), maxMs: Math.max(...times) };
  return { health, peak };
}

function getStatus(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('healthz: no answer within 10 s')));
    req.on('error', reject);
  });
}
